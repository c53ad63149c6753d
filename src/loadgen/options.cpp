#include "loadgen/options.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <array>
#include <cctype>

#include <openssl/evp.h>

#include "base/option_values.hpp"
#include "base/quote_text.hpp"
#include "base/units.hpp"
#include "http/message.hpp"
#include "http/request_template.hpp"
#include "loadgen/redact.hpp"

namespace barrage::loadgen {
namespace {

result<unsigned, std::string> bounded_unsigned(std::string_view text, unsigned lo, unsigned hi) {
  auto n = parse_count_in(text, lo, hi);
  if (!n) return fail(n.error());
  return static_cast<unsigned>(*n);
}

// Splits `text` at commas; an empty item (",,", a leading or trailing comma) is an error.
result<std::vector<std::string_view>, std::string> split_list(std::string_view text, std::string_view what) {
  if (text.empty()) return fail("bad " + std::string(what) + " " + quote_text(text) + ": empty");
  std::vector<std::string_view> items;
  for (std::size_t start = 0;;) {
    auto comma = text.find(',', start);
    auto item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty())
      return fail("bad " + std::string(what) + " " + quote_text(text) + ": empty item (a stray comma)");
    items.push_back(item);
    if (comma == std::string_view::npos) return items;
    start = comma + 1;
  }
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Three digits, 100 to 599.
std::optional<unsigned> read_status(std::string_view s) {
  if (s.size() != 3 || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2])) return std::nullopt;
  unsigned v = unsigned(s[0] - '0') * 100 + unsigned(s[1] - '0') * 10 + unsigned(s[2] - '0');
  if (v < 100 || v > 599) return std::nullopt;
  return v;
}

// A status (404), a class (2xx) or a range (500-504); nullopt when `item` is none of them.
std::optional<status_range> read_status_item(std::string_view item) {
  if (item.size() == 3 && item[0] >= '1' && item[0] <= '5' && (item[1] | 0x20) == 'x' && (item[2] | 0x20) == 'x') {
    unsigned lo = unsigned(item[0] - '0') * 100;
    return status_range{lo, lo + 99};
  }
  auto dash = item.find('-');
  auto lo = read_status(item.substr(0, dash));
  if (!lo) return std::nullopt;
  if (dash == std::string_view::npos) return status_range{*lo, *lo};
  auto hi = read_status(item.substr(dash + 1));
  if (!hi || *hi < *lo) return std::nullopt;
  return status_range{*lo, *hi};
}

// A URL cut around its user information: "http://u:p@h/x" gives "u:p" and "http://h/x".
struct userinfo_split {
  std::string_view userinfo;
  std::string rest;
};
userinfo_split split_userinfo(std::string_view url) {
  const std::size_t sep = url.find("://");
  if (sep == std::string_view::npos) return {{}, std::string(url)};
  const std::size_t host_at = sep + 3;
  const std::size_t end = std::min(url.find_first_of("/?#", host_at), url.size());
  const std::size_t at = url.substr(host_at, end - host_at).rfind('@');
  if (at == std::string_view::npos) return {{}, std::string(url)};
  return {url.substr(host_at, at), std::string(url.substr(0, host_at)) + std::string(url.substr(host_at + at + 1))};
}

// RFC 3986 §3.2.1: unreserved, pct-encoded, sub-delims and ':'.
bool is_userinfo(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
          !std::isxdigit(static_cast<unsigned char>(s[i + 2])))
        return false;
      i += 2;
    } else if (!std::isalnum(static_cast<unsigned char>(c)) && std::string_view("-._~!$&'()*+,;=:").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// %HH decoded; `s` has passed is_userinfo, so every '%' has two hex digits after it.
std::string percent_decoded(std::string_view s) {
  auto hex = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10; };
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

constexpr std::string_view status_grammar = "a status 100-599 (503), a class (5xx) or a range (500-504)";

// Statuses in ascending order as merged ranges: "200-399,404".
template <class Has>
std::string format_ranges(Has has) {
  std::string out;
  for (unsigned s = 100; s <= 599; ++s) {
    if (!has(s)) continue;
    unsigned hi = s;
    while (hi + 1 <= 599 && has(hi + 1)) ++hi;
    if (!out.empty()) out += ',';
    out += std::to_string(s);
    if (hi > s) out += "-" + std::to_string(hi);
    s = hi;
  }
  return out;
}

std::string error_kind_names() {
  std::string names;
  for (std::size_t i = 1; i < client::error_kind_count; ++i) {
    auto k = static_cast<client::error_kind>(i);
    if (!names.empty()) names += ", ";
    names += client::to_string(k);
  }
  return names;
}

// One stage of --ramp, "DURATION:TARGET".
result<ramp_stage, std::string> parse_ramp_stage(std::string_view item) {
  auto colon = item.find(':');
  const std::string stage = "bad ramp stage " + quote_text(item) + ": ";
  if (colon == std::string_view::npos)
    return fail(stage + "expected DURATION:TARGET, e.g. 10s:100");
  ramp_stage s;
  auto length = parse_duration_in(item.substr(0, colon), std::chrono::nanoseconds(1), max_option_duration);
  if (!length) return fail(stage + length.error());
  s.length = *length;
  auto target = item.substr(colon + 1);
  if (auto zero = parse_count(target); zero && *zero == 0) return s;
  auto rate = parse_request_rate(target);
  if (!rate) return fail(stage + rate.error());
  s.target = *rate;
  return s;
}

}  // namespace

result<unsigned, std::string> parse_connections(std::string_view text) {
  return bounded_unsigned(text, 1, max_connections);
}
result<unsigned, std::string> parse_threads(std::string_view text) { return bounded_unsigned(text, 1, max_threads); }
result<unsigned, std::string> parse_pipeline(std::string_view text) {
  return bounded_unsigned(text, 1, max_pipeline);
}

result<unsigned, std::string> parse_streams(std::string_view text) { return bounded_unsigned(text, 1, max_streams); }
result<unsigned, std::string> parse_retries(std::string_view text) { return bounded_unsigned(text, 0, max_retries); }
result<unsigned, std::string> parse_redirects(std::string_view text) {
  return bounded_unsigned(text, 0, max_redirects);
}

result<std::uint64_t, std::string> parse_request_count(std::string_view text) {
  return parse_count_in(text, 1, UINT64_MAX);
}

result<duration, std::string> parse_run_time(std::string_view text) {
  return parse_duration_in(text, std::chrono::nanoseconds(1), max_option_duration);
}

result<double, std::string> parse_request_rate(std::string_view text) {
  auto r = parse_rate(text);
  if (!r) return fail(r.error());
  if (*r > max_rate) return fail("bad rate " + quote_text(text) + ": must be at most 100M (requests per second)");
  return *r;
}

result<duration, std::string> parse_wait(std::string_view text) {
  return parse_duration_in(text, duration::zero(), max_option_duration);
}

result<duration, std::string> parse_time_limit(std::string_view text) {
  auto d = parse_duration_in(text, duration::zero(), max_option_duration);
  if (!d) return fail(d.error());
  return *d == duration::zero() ? no_time_limit : *d;
}

result<duration, std::string> parse_retry_backoff(std::string_view text) {
  return parse_duration_in(text, duration::zero(), max_retry_backoff);
}

result<std::vector<ramp_stage>, std::string> parse_ramp(std::string_view text) {
  auto items = split_list(text, "ramp");
  if (!items) return fail(items.error() + ", expected DURATION:TARGET,... e.g. 10s:100,30s:2000,10s:0");
  std::vector<ramp_stage> stages;
  for (auto item : *items) {
    auto s = parse_ramp_stage(item);
    if (!s) return fail(s.error());
    stages.push_back(*s);
  }
  return stages;
}

result<success_policy, std::string> parse_success_statuses(std::string_view text) {
  auto items = split_list(text, "status list");
  if (!items) return fail(items.error());
  success_policy policy;
  policy.clear();
  for (auto item : *items) {
    auto r = read_status_item(item);
    if (!r) return fail("bad status " + quote_text(item) + ": expected " + std::string(status_grammar));
    policy.set_range(r->lo, r->hi);
  }
  return policy;
}

std::string format_statuses(const success_policy& policy) {
  return format_ranges([&](unsigned s) { return policy.ok(s); });
}

result<retry_conditions, std::string> parse_retry_on(std::string_view text) {
  auto items = split_list(text, "retry list");
  if (!items) return fail(items.error());
  std::array<bool, 600> statuses{};
  retry_conditions c;
  for (auto item : *items) {
    if (auto r = read_status_item(item)) {
      for (unsigned s = r->lo; s <= r->hi; ++s) statuses[s] = true;
    } else if (auto k = client::error_kind_from(item); k != client::error_kind::none) {
      if (std::find(c.errors.begin(), c.errors.end(), k) == c.errors.end()) c.errors.push_back(k);
    } else {
      return fail("bad retry condition " + quote_text(item) + ": expected " + std::string(status_grammar) +
                  ", or an error kind (" + error_kind_names() + ")");
    }
  }
  for (unsigned s = 100; s <= 599; ++s)
    if (statuses[s]) c.statuses.push_back(s);
  return c;
}

std::string format_retry_on(const retry_conditions& c) {
  std::string out = format_ranges([&](unsigned s) { return std::binary_search(c.statuses.begin(), c.statuses.end(), s); });
  for (auto k : c.errors) {
    if (!out.empty()) out += ',';
    out += client::to_string(k);
  }
  return out;
}

result<std::string, std::string> parse_method(std::string_view text) {
  const std::string bad = "bad method " + quote_text(text) + ": ";
  if (text.empty()) return fail(bad + "empty");
  // The request template is the judge: what it refuses could never be sent.
  auto t = http::request_template::make({text, "/", "localhost", {}, {}});
  if (!t && t.error() == http::template_error::bad_method)
    return fail(bad + "must be a token: letters, digits and !#$%&'*+-.^_`|~");
  return std::string(text);
}

result<std::string, std::string> parse_header(std::string_view text) {
  // The message quotes the name only: the value may be a credential (redact.hpp). Without a
  // colon there is no name, and the first word stands for the text.
  auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    const auto word = text.substr(0, text.find_first_of(" \t"));
    return fail("bad header " + quote_text(word.size() < text.size() ? std::string(word) + " ..." : std::string(word)) +
                ": expected \"Name: value\"");
  }
  const std::string bad = "bad header " + quote_text(text.substr(0, colon)) + ": ";
  std::string_view value = text.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  const http::header field{text.substr(0, colon), value};
  auto t = http::request_template::make({"GET", "/", "localhost", {&field, 1}, {}});
  if (!t) {
    switch (t.error()) {
      case http::template_error::bad_header_name: return fail(bad + "the name must be a token (no spaces)");
      case http::template_error::bad_header_value: return fail(bad + "the value contains a control character");
      case http::template_error::reserved_header:
        return fail(bad + "Host, Content-Length and Transfer-Encoding are written by barrage");
      default: return fail(bad + http::to_string(t.error()));
    }
  }
  return std::string(text);
}

result<http::url, std::string> parse_target_url(std::string_view text) {
  // The password is quoted redacted; its marker does not count against the length shown.
  const std::string shown = redaction_policy{}.url(text);
  const std::string bad = "bad URL " + quote_text(shown, 40 + shown.size() - std::min(shown.size(), text.size())) + ": ";
  const auto parts = split_userinfo(text);
  if (!parts.userinfo.empty() && !is_userinfo(parts.userinfo))
    return fail(bad + "the user information (user:password@) may only contain letters, digits, "
                      "-._~!$&'()*+,;=: and %HH (percent-encode other bytes, and @ and / in a password)");
  auto u = http::parse_url(parts.rest);
  if (!u && u.error() == http::url_error::unsupported_scheme) {
    auto scheme = text.substr(0, text.find("://"));
    return fail(bad + "scheme " + quote_text(scheme) + " is not supported (http, https, ws or wss)");
  }
  if (!u && u.error() == http::url_error::missing_scheme) return fail(bad + "it must start with http:// or https://");
  if (!u) return fail(bad + http::to_string(u.error()));
  return *u;
}

std::optional<url_credentials> parse_url_credentials(std::string_view url) {
  const auto parts = split_userinfo(url);
  if (parts.userinfo.empty() || !is_userinfo(parts.userinfo) || !http::parse_url(parts.rest)) return std::nullopt;
  const auto colon = parts.userinfo.find(':');
  return url_credentials{percent_decoded(parts.userinfo.substr(0, colon)),
                         colon == std::string_view::npos ? std::string() : percent_decoded(parts.userinfo.substr(colon + 1))};
}

std::string basic_authorization(const url_credentials& c) {
  const std::string plain = c.user + ":" + c.password;
  std::string out(4 * ((plain.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  out.resize(static_cast<std::size_t>(n));
  return "Basic " + out;
}

result<std::string, std::string> parse_request_path(std::string_view text) {
  const std::string bad = "bad path " + quote_text(text) + ": ";
  if (text.empty() || text.front() != '/') return fail(bad + "must start with /, e.g. /delay/20ms");
  auto u = http::parse_url("http://127.0.0.1" + std::string(text));
  if (!u) return fail(bad + http::to_string(u.error()));
  return std::string(text);
}

result<std::string, std::string> parse_report_path(std::string_view text) {
  if (text.empty()) return fail(std::string("bad file name \"\": empty (use - for stdout)"));
  if (text.find('\0') != std::string_view::npos) return fail("bad file name " + quote_text(text) + ": contains NUL");
  return std::string(text);
}

result<std::string, std::string> parse_pem_file(std::string_view text) {
  if (text.empty()) return fail(std::string("bad file name \"\": empty"));
  const std::string path(text);
  if (::access(path.c_str(), R_OK) != 0) return fail("cannot read " + quote_text(text) + ": " + std::strerror(errno));
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return fail("cannot read " + quote_text(text) + ": a directory");
  return path;
}

result<std::string, std::string> parse_cipher_list(std::string_view text) {
  if (text.empty()) return fail(std::string("bad cipher list \"\": empty"));
  for (char ch : text)
    if (ch < 0x20 || ch > 0x7e)
      return fail("bad cipher list " + quote_text(text) + ": expected OpenSSL names separated by ':', e.g. TLS_AES_128_GCM_SHA256");
  return std::string(text);
}

}  // namespace barrage::loadgen
