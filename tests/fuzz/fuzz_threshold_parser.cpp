// libFuzzer harness: parse_threshold (--threshold EXPR) on arbitrary text. Checks:
// - an error is one line starting with `bad threshold "`;
// - an accepted threshold is well formed: its expr is the trimmed input, a percentile in
//   (0, 100] exactly when the metric is a percentile, a finite non-negative value in the
//   metric's unit (whole nanoseconds, a fraction at most 1, whole counts);
// - it parses again to the same threshold from its expr, with blanks around it, and from its
//   canonical form <metric><comparison><value> printed here from the parsed fields;
// - its comparison holds at the limit exactly for <=, >=, ==;
// - evaluated against an empty run it fails, saying why, or judges the zero counts.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "loadgen/run_result.hpp"
#include "loadgen/threshold.hpp"

using namespace barrage::loadgen;

namespace {

// The largest whole number every double below it represents exactly: above it the canonical
// form of a latency or a count could not be printed exactly.
constexpr double exact_integers = 9007199254740992.0;  // 2^53

/// Shortest fixed-notation text that reads back as exactly `v` (no exponent: the threshold
/// grammar has none).
std::string fixed(double v) {
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  FUZZ_CHECK(ec == std::errc{});
  return std::string(buf, end);
}

std::string_view metric_name(const threshold& t) {
  switch (t.metric) {
    case threshold_metric::percentile: return "p";
    case threshold_metric::mean: return "mean";
    case threshold_metric::min: return "min";
    case threshold_metric::max: return "max";
    case threshold_metric::error_rate: return "error_rate";
    case threshold_metric::success_rate: return "success_rate";
    case threshold_metric::rps: return "rps";
    case threshold_metric::timeouts: return "timeouts";
    case threshold_metric::errors: return "errors";
    case threshold_metric::dropped: return "dropped";
    case threshold_metric::late: return "late";
  }
  FUZZ_CHECK(!"metric out of range");
  return {};
}

bool is_latency(threshold_metric m) {
  return m == threshold_metric::percentile || m == threshold_metric::mean ||
         m == threshold_metric::min || m == threshold_metric::max;
}
bool is_rate(threshold_metric m) {
  return m == threshold_metric::error_rate || m == threshold_metric::success_rate;
}

/// The form a user would write for `t`, or "" when its value has no exact text.
std::string canonical(const threshold& t) {
  std::string out(metric_name(t));
  if (t.metric == threshold_metric::percentile) out += fixed(t.percentile);
  if (t.failed) out += "{outcome=failed}";
  out += to_string(t.cmp);
  if (is_latency(t.metric)) {
    if (t.value > exact_integers) return {};
    out += fixed(t.value) + "ns";
  } else if (is_rate(t.metric)) {
    out += fixed(t.value * 100) + "%";
  } else if (t.metric == threshold_metric::rps) {
    out += fixed(t.value);
  } else {
    if (t.value > exact_integers) return {};
    out += fixed(t.value);
  }
  return out;
}

bool same(const threshold& a, const threshold& b) {
  return a.metric == b.metric && a.percentile == b.percentile && a.failed == b.failed && a.cmp == b.cmp &&
         a.value == b.value;
}

void check_well_formed(const threshold& t, std::string_view input) {
  FUZZ_CHECK(!t.expr.empty());
  FUZZ_CHECK(input.find(t.expr) != std::string_view::npos);
  for (char c : {' ', '\t'}) FUZZ_CHECK(t.expr.front() != c && t.expr.back() != c);
  if (t.metric == threshold_metric::percentile)
    FUZZ_CHECK(t.percentile > 0 && t.percentile <= 100);
  else
    FUZZ_CHECK(t.percentile == 0);
  FUZZ_CHECK(std::isfinite(t.value) && t.value >= 0);
  FUZZ_CHECK(!t.failed || is_latency(t.metric));  // {outcome=...} selects a latency only
  if (is_rate(t.metric)) FUZZ_CHECK(t.value <= 1);
  if (is_latency(t.metric) || (!is_rate(t.metric) && t.metric != threshold_metric::rps))
    FUZZ_CHECK(t.value == std::floor(t.value));
}

void check_reparses(const threshold& t) {
  const auto again = parse_threshold(t.expr);
  FUZZ_CHECK(again.ok() && same(*again, t) && again->expr == t.expr);
  const auto blanks = parse_threshold(" \t" + t.expr + "\t ");
  FUZZ_CHECK(blanks.ok() && same(*blanks, t) && blanks->expr == t.expr);

  const std::string text = canonical(t);
  if (text.empty()) return;
  const auto c = parse_threshold(text);
  FUZZ_CHECK(c.ok());
  FUZZ_CHECK(c->metric == t.metric && c->percentile == t.percentile && c->failed == t.failed && c->cmp == t.cmp);
  if (is_rate(t.metric))  // v * 100 / 100 may differ from v in the last bit
    FUZZ_CHECK(std::abs(c->value - t.value) <= 1e-15 * t.value);
  else
    FUZZ_CHECK(c->value == t.value);
}

void check_comparison_at_the_limit(const threshold& t) {
  const bool inclusive =
      t.cmp == comparison::le || t.cmp == comparison::ge || t.cmp == comparison::eq;
  FUZZ_CHECK(t.holds(t.value) == inclusive);
}

void check_empty_run(const threshold& t) {
  const run_result empty;
  const auto r = evaluate(t, empty);
  FUZZ_CHECK(r.expr == t.expr);
  if (is_latency(t.metric) || is_rate(t.metric) || t.metric == threshold_metric::rps) {
    FUZZ_CHECK(!r.ok && r.actual.starts_with("n/a: "));
  } else {
    FUZZ_CHECK(r.ok == t.holds(0) && r.actual == "0");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto t = parse_threshold(in);
  if (!t) {
    FUZZ_CHECK(t.error().starts_with("bad threshold \""));
    FUZZ_CHECK(t.error().find('\n') == std::string::npos);
    return 0;
  }
  check_well_formed(*t, in);
  check_reparses(*t);
  check_comparison_at_the_limit(*t);
  check_empty_run(*t);
  return 0;
}
