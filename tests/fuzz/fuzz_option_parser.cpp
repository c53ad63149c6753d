// libFuzzer harness: the parsers of command-line values (loadgen/options.hpp,
// server/serve_options.hpp, base/option_values.hpp) on arbitrary text. The first byte picks
// the parser, the rest is the value. Checks:
// - nothing crashes, whatever the bytes;
// - an error is one line: no line break, no NUL (user text goes through quote_text), and it
//   starts with "bad ";
// - an accepted value lies within the option's documented bounds;
// - an accepted value parses again to the same value from its canonical form where there is
//   one (counts as digits, durations in nanoseconds, status lists and retry conditions as
//   their format_*, addresses as printed), and text options come back as typed.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/option_values.hpp"
#include "fuzz_check.hpp"
#include "loadgen/options.hpp"
#include "server/serve_options.hpp"

using namespace barrage;
using namespace barrage::loadgen;

namespace {

template <class T>
bool check_error(const result<T, std::string>& r) {
  if (r) return false;
  const std::string& e = r.error();
  FUZZ_CHECK(e.starts_with("bad "));
  FUZZ_CHECK(e.find('\n') == std::string::npos && e.find('\r') == std::string::npos);
  FUZZ_CHECK(e.find('\0') == std::string::npos);
  return true;
}

template <class Parse>
void count(Parse parse, std::string_view in, std::uint64_t lo, std::uint64_t hi) {
  auto r = parse(in);
  if (check_error(r)) return;
  FUZZ_CHECK(*r >= lo && *r <= hi);
  auto again = parse(std::to_string(*r));
  FUZZ_CHECK(again.ok() && *again == *r);
}

template <class Parse>
void timespan(Parse parse, std::string_view in, duration lo, duration hi, bool zero_is_no_limit = false) {
  auto r = parse(in);
  if (check_error(r)) return;
  if (zero_is_no_limit && *r == no_time_limit) {
    FUZZ_CHECK(parse("0").ok() && *parse("0") == no_time_limit);
    return;
  }
  FUZZ_CHECK(*r >= lo && *r <= hi);
  auto again = parse(std::to_string(r->count()) + "ns");
  FUZZ_CHECK(again.ok() && *again == *r);
}

std::string shortest(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  FUZZ_CHECK(ec == std::errc{});
  return std::string(buf, end);
}

bool same_rate(double a, double b) { return std::abs(a - b) <= 1e-12 * std::max(a, b); }

void rate(std::string_view in) {
  auto r = parse_request_rate(in);
  if (check_error(r)) return;
  FUZZ_CHECK(std::isfinite(*r) && *r > 0 && *r <= max_rate);
  auto again = parse_request_rate(shortest(*r));
  FUZZ_CHECK(again.ok() && same_rate(*again, *r));
}

void ramp(std::string_view in) {
  auto r = parse_ramp(in);
  if (check_error(r)) return;
  FUZZ_CHECK(!r->empty());
  std::string canonical;
  for (const auto& s : *r) {
    FUZZ_CHECK(s.length > duration::zero() && s.length <= max_option_duration);
    FUZZ_CHECK(s.target >= 0 && s.target <= max_rate);
    if (!canonical.empty()) canonical += ',';
    canonical += std::to_string(s.length.count()) + "ns:" + (s.target == 0 ? "0" : shortest(s.target));
  }
  auto again = parse_ramp(canonical);
  FUZZ_CHECK(again.ok() && again->size() == r->size());
  for (std::size_t i = 0; i < r->size(); ++i)
    FUZZ_CHECK((*again)[i].length == (*r)[i].length && same_rate((*again)[i].target, (*r)[i].target));
}

void success(std::string_view in) {
  auto r = parse_success_statuses(in);
  if (check_error(r)) return;
  for (unsigned s = 0; s < 100; ++s) FUZZ_CHECK(!r->ok(s));
  auto text = format_statuses(*r);
  FUZZ_CHECK(!text.empty());
  auto again = parse_success_statuses(text);
  FUZZ_CHECK(again.ok());
  for (unsigned s = 0; s < 700; ++s) FUZZ_CHECK(again->ok(s) == r->ok(s));
  FUZZ_CHECK(format_statuses(*again) == text);
}

void retry_on(std::string_view in) {
  auto r = parse_retry_on(in);
  if (check_error(r)) return;
  FUZZ_CHECK(!r->statuses.empty() || !r->errors.empty());
  for (unsigned s : r->statuses) FUZZ_CHECK(s >= 100 && s <= 599);
  auto again = parse_retry_on(format_retry_on(*r));
  FUZZ_CHECK(again.ok() && *again == *r);
}

template <class Parse>
void text(Parse parse, std::string_view in) {
  auto r = parse(in);
  if (check_error(r)) return;
  FUZZ_CHECK(*r == in);
  FUZZ_CHECK(parse(*r).ok());
}

void url(std::string_view in) {
  auto r = parse_target_url(in);
  if (check_error(r)) return;
  FUZZ_CHECK((r->scheme == http::url_scheme::http || r->scheme == http::url_scheme::https) && r->port != 0 &&
             !r->host.empty());
}

void listen_address(std::string_view in) {
  auto r = server::parse_listen_address(in);
  if (check_error(r)) return;
  auto again = server::parse_listen_address(r->to_string());
  FUZZ_CHECK(again.ok() && again->to_string() == r->to_string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto year = max_option_duration;
  switch (data[0] % 20) {
    case 0: count(parse_connections, in, 1, max_connections); break;
    case 1: count(parse_threads, in, 1, max_threads); break;
    case 2: count(parse_pipeline, in, 1, max_pipeline); break;
    case 3: count(parse_retries, in, 0, max_retries); break;
    case 4: count(parse_request_count, in, 1, UINT64_MAX); break;
    case 5: timespan(parse_run_time, in, std::chrono::nanoseconds(1), year); break;
    case 6: timespan(parse_time_limit, in, std::chrono::nanoseconds(1), year, true); break;
    case 7: timespan(parse_wait, in, duration::zero(), year); break;
    case 8: timespan(parse_retry_backoff, in, duration::zero(), max_retry_backoff); break;
    case 9: rate(in); break;
    case 10: ramp(in); break;
    case 11: success(in); break;
    case 12: retry_on(in); break;
    case 13: text(parse_method, in); break;
    case 14: text(parse_header, in); break;
    case 15: url(in); break;
    case 16: text(parse_report_path, in); break;
    case 17: text(parse_request_path, in); break;
    case 18: listen_address(in); break;
    case 19: count([](std::string_view t) { return parse_count_in(t, 0, 65535); }, in, 0, 65535); break;
  }
  return 0;
}
