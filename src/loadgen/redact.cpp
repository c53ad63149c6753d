#include "loadgen/redact.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "base/quote_text.hpp"
#include "http/message.hpp"
#include "http/request_template.hpp"
#include "loadgen/body_summary.hpp"

namespace barrage::loadgen {
namespace {

// Names that are credentials in full, lower case.
constexpr std::array<std::string_view, 13> secret_names = {
    "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "apikey",
    "x-auth-token", "private-token", "auth", "key", "sig", "pwd"};
// Parts of names that mark a credential, lower case: "X-Vault-Token", "client_secret",
// "X-Auth-User"... ("auth" alone would also take "Author").
constexpr std::array<std::string_view, 13> secret_parts = {
    "authoriz", "auth-", "auth_", "token", "secret", "passw", "apikey", "api-key", "api_key", "cookie",
    "session", "credential", "signature"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::string redacted(std::string_view value) {
  return fmt::format("<redacted, {} bytes, sha256:{}>", value.size(), sha256_hex(value).substr(0, 8));
}

bool is_secret_name(std::string_view name) {
  const std::string n = lower(name);
  if (std::find(secret_names.begin(), secret_names.end(), n) != secret_names.end()) return true;
  return std::any_of(secret_parts.begin(), secret_parts.end(),
                     [&](std::string_view part) { return n.find(part) != std::string::npos; });
}

result<std::string, std::string> parse_redact_header(std::string_view text) {
  const std::string bad = "bad header name " + quote_text(text) + ": ";
  if (text.empty()) return fail(bad + "empty");
  // The request template is the judge of a field name, as for -H.
  const http::header field{text, "x"};
  auto t = http::request_template::make({"GET", "/", "localhost", {&field, 1}, {}});
  if (!t && t.error() == http::template_error::bad_header_name)
    return fail(bad + "must be a token: letters, digits and !#$%&'*+-.^_`|~");
  return std::string(text);
}

bool redaction_policy::secret_header(std::string_view name) const {
  if (is_secret_name(name)) return true;
  return std::any_of(extra_headers.begin(), extra_headers.end(),
                     [&](const std::string& h) { return http::iequals(h, name); });
}

std::string redaction_policy::header_line(std::string_view line) const {
  const std::size_t colon = line.find(':');
  if (show_secrets || colon == std::string_view::npos || !secret_header(line.substr(0, colon)))
    return std::string(line);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  return std::string(line.substr(0, colon)) + ": " + redacted(value);
}

std::vector<url_secret> url_secrets(std::string_view u) {
  std::vector<url_secret> found;
  const std::size_t sep = u.find("://");
  const std::size_t host_at = sep == std::string_view::npos ? 0 : sep + 3;
  const std::size_t authority_end = std::min(u.find_first_of("/?#", host_at), u.size());
  const std::string_view authority = u.substr(host_at, authority_end - host_at);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::size_t colon = authority.substr(0, at).find(':');
    if (colon != std::string_view::npos)
      found.push_back({host_at + colon + 1, at - colon - 1, "password"});
  }
  const std::size_t q = u.find('?', authority_end);
  if (q == std::string_view::npos) return found;
  const std::size_t hash = std::min(u.find('#', q), u.size());
  for (std::size_t start = q + 1; start <= hash;) {
    const std::size_t amp = std::min(u.find('&', start), hash);
    const std::string_view item = u.substr(start, amp - start);
    const std::size_t eq = item.find('=');
    if (eq != std::string_view::npos && is_secret_name(item.substr(0, eq)))
      found.push_back({start + eq + 1, item.size() - eq - 1, std::string(item.substr(0, eq))});
    start = amp + 1;
  }
  return found;
}

std::string redaction_policy::url(std::string_view u) const {
  if (show_secrets) return std::string(u);
  std::string out;
  std::size_t copied = 0;
  for (const url_secret& s : url_secrets(u)) {
    out += u.substr(copied, s.offset - copied);
    out += redacted(u.substr(s.offset, s.size));
    copied = s.offset + s.size;
  }
  return out + std::string(u.substr(copied));
}

std::string redaction_policy::body_prefix(std::string_view body) const {
  if (show_secrets) return escape_bytes(body.substr(0, prefix_bytes));
  return body.empty() ? std::string() : redacted(body);
}

}  // namespace barrage::loadgen
