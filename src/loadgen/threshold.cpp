#include "loadgen/threshold.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <optional>

#include "base/quote_text.hpp"
#include "base/units.hpp"

namespace barrage::loadgen {
namespace {

constexpr std::string_view metric_list =
    "p50, p99.9, mean, min, max, error_rate, success_rate, rps, timeouts, errors, dropped, late";

enum class value_kind { latency, rate, per_second, count };

value_kind kind_of(threshold_metric m) noexcept {
  switch (m) {
    case threshold_metric::percentile:
    case threshold_metric::mean:
    case threshold_metric::min:
    case threshold_metric::max: return value_kind::latency;
    case threshold_metric::error_rate:
    case threshold_metric::success_rate: return value_kind::rate;
    case threshold_metric::rps: return value_kind::per_second;
    default: return value_kind::count;
  }
}

bool is_metric_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.';
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// A plain non-negative decimal ("12", "0.5", ".5"): no sign, no exponent.
std::optional<double> plain_number(std::string_view s) noexcept {
  if (s.empty() || s == ".") return std::nullopt;
  if (std::count(s.begin(), s.end(), '.') > 1) return std::nullopt;
  if (!std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; }))
    return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<threshold_metric> metric_named(std::string_view name) noexcept {
  struct entry {
    std::string_view name;
    threshold_metric metric;
  };
  static constexpr entry table[] = {
      {"mean", threshold_metric::mean},
      {"min", threshold_metric::min},
      {"max", threshold_metric::max},
      {"error_rate", threshold_metric::error_rate},
      {"success_rate", threshold_metric::success_rate},
      {"rps", threshold_metric::rps},
      {"timeouts", threshold_metric::timeouts},
      {"errors", threshold_metric::errors},
      {"dropped", threshold_metric::dropped},
      {"late", threshold_metric::late},
  };
  for (const auto& e : table)
    if (e.name == name) return e.metric;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(comparison c) noexcept {
  switch (c) {
    case comparison::lt: return "<";
    case comparison::le: return "<=";
    case comparison::gt: return ">";
    case comparison::ge: return ">=";
    case comparison::eq: return "==";
    case comparison::ne: return "!=";
  }
  return "?";
}

bool threshold::holds(double actual) const noexcept {
  switch (cmp) {
    case comparison::lt: return actual < value;
    case comparison::le: return actual <= value;
    case comparison::gt: return actual > value;
    case comparison::ge: return actual >= value;
    case comparison::eq: return actual == value;
    case comparison::ne: return actual != value;
  }
  return false;
}

namespace {

/// The three parts of a threshold: each reads its part of `whole` from `at`, fills `t` and
/// gives the error (one line, user text quoted) when the part is bad.
using part = result<std::size_t, std::string>;

std::string bad_threshold(std::string_view whole, std::string_view why) {
  // User text goes into the message through quote_text(): one line, whatever the input holds.
  return fmt::format("bad threshold {}: {}", quote_text(whole), why);
}

/// One `key=value` of a selector.
result<bool, std::string> read_selector_item(std::string_view whole, std::string_view name, std::string_view item,
                                             std::string_view shown, threshold& t) {
  auto eq = item.find('=');
  const auto key = trim(item.substr(0, eq));
  const auto value = eq == std::string_view::npos ? std::string_view() : trim(item.substr(eq + 1));
  if (key == "step") {
    if (value.empty()) return fail(bad_threshold(whole, "expected a step name after step="));
    if (t.metric == threshold_metric::dropped || t.metric == threshold_metric::late)
      return fail(bad_threshold(whole, fmt::format("{} counts virtual users of the whole run: it takes no {{step=...}}",
                                                   quote_text(name))));
    t.step = std::string(value);
    return true;
  }
  if (key != "outcome")
    return fail(bad_threshold(whole, fmt::format("unknown selector {}: expected {{outcome=succeeded}}, "
                                                 "{{outcome=failed}} or {{step=<name>}}",
                                                 quote_text(shown))));
  if (kind_of(t.metric) != value_kind::latency)
    return fail(bad_threshold(whole, fmt::format("{} takes no selector: {{outcome=...}} applies to latencies "
                                                 "(p<N>, mean, min, max)",
                                                 quote_text(name))));
  if (value == "failed") t.failed = true;
  else if (value != "succeeded")
    return fail(bad_threshold(whole, fmt::format("outcome must be succeeded or failed, not {}", quote_text(value))));
  return true;
}

/// An optional selector right after the metric name: `{outcome=succeeded|failed}` for latency
/// metrics, `{step=<name>}`, or both separated by a comma; the characters it takes (0 when
/// there is none). A step name holds no comma and no '}'.
part read_selector(std::string_view whole, std::string_view name, std::string_view rest, threshold& t) {
  if (!rest.starts_with('{')) return std::size_t{0};
  const auto close = rest.find('}');
  if (close == std::string_view::npos)
    return fail(bad_threshold(whole, fmt::format("expected }} to close {}", quote_text(rest))));
  std::string_view inside = rest.substr(1, close - 1);
  const auto shown = rest.substr(0, close + 1);
  for (;;) {
    const auto comma = inside.find(',');
    auto item = read_selector_item(whole, name, inside.substr(0, comma), shown, t);
    if (!item) return fail(item.error());
    if (comma == std::string_view::npos) break;
    inside.remove_prefix(comma + 1);
  }
  return close + 1;
}

part read_metric(std::string_view whole, threshold& t) {
  std::size_t i = 0;
  while (i < whole.size() && is_metric_char(whole[i])) ++i;
  auto name = whole.substr(0, i);
  if (name.empty())
    return fail(bad_threshold(whole, fmt::format("expected a metric first ({}), e.g. p99<250ms", metric_list)));
  if (name.size() > 1 && name[0] == 'p' && (std::isdigit(static_cast<unsigned char>(name[1])) || name[1] == '.')) {
    auto p = plain_number(name.substr(1));
    if (!p)
      return fail(bad_threshold(
          whole, fmt::format("bad percentile {}: expected p<N> such as p99 or p99.9", quote_text(name))));
    if (!(*p > 0 && *p <= 100))
      return fail(bad_threshold(whole, fmt::format("percentile {} must be above 0 and at most 100", quote_text(name))));
    t.metric = threshold_metric::percentile;
    t.percentile = *p;
  } else if (auto m = metric_named(name)) {
    t.metric = *m;
  } else {
    return fail(bad_threshold(whole, fmt::format("unknown metric {} (use {})", quote_text(name), metric_list)));
  }
  return i;
}

struct comparison_text {
  std::string_view text;
  comparison cmp;
};

result<const comparison_text*, std::string> read_comparison(std::string_view whole, std::string_view name,
                                                            std::string_view rest) {
  static constexpr comparison_text ops[] = {{"<=", comparison::le}, {">=", comparison::ge}, {"==", comparison::eq},
                                            {"!=", comparison::ne}, {"<", comparison::lt},  {">", comparison::gt}};
  for (const auto& o : ops)
    if (rest.starts_with(o.text)) return &o;
  return fail(
      bad_threshold(whole, fmt::format("expected a comparison (<, <=, >, >=, ==, !=) after {}", quote_text(name))));
}

/// The value, in the metric's unit.
result<double, std::string> read_value(std::string_view whole, const threshold& t, std::string_view name,
                                       std::string_view op, std::string_view value) {
  auto bad = [&](std::string_view why) { return fail(bad_threshold(whole, why)); };
  switch (kind_of(t.metric)) {
    case value_kind::latency: {
      if (plain_number(value)) return bad(fmt::format("a latency needs a unit, e.g. {}{}{}ms", name, op, value));
      auto d = parse_duration(value);
      if (!d) return bad(d.error());
      return static_cast<double>(to_ns(*d));
    }
    case value_kind::rate: {
      if (!value.ends_with('%'))
        return bad(fmt::format("{} needs a percentage, e.g. {}{}{}%", name, name, op,
                               plain_number(value) ? value : std::string_view("1")));
      auto p = plain_number(trim(value.substr(0, value.size() - 1)));
      if (!p) return bad(fmt::format("expected a percentage such as 1% or 99.5%, not {}", quote_text(value)));
      if (*p > 100) return bad(fmt::format("a percentage is at most 100%, not {}", quote_text(value)));
      return *p / 100.0;
    }
    case value_kind::per_second: {
      if (auto p = plain_number(value)) return *p;
      auto r = parse_rate(value);
      if (!r) return bad(r.error());
      return *r;
    }
    case value_kind::count: {
      auto n = parse_count(value);
      if (!n) return bad(n.error());
      return static_cast<double>(*n);
    }
  }
  return bad("unknown metric kind");
}

}  // namespace

result<threshold, std::string> parse_threshold(std::string_view text) {
  auto whole = trim(text);
  if (whole.empty()) return fail(bad_threshold(whole, "expected <metric><comparison><value>, e.g. p99<250ms"));
  threshold t;
  t.expr = std::string(whole);
  auto metric_end = read_metric(whole, t);
  if (!metric_end) return fail(metric_end.error());
  auto name = whole.substr(0, *metric_end);
  auto selector = read_selector(whole, name, whole.substr(*metric_end), t);
  if (!selector) return fail(selector.error());
  auto rest = trim(whole.substr(*metric_end + *selector));
  auto op = read_comparison(whole, name, rest);
  if (!op) return fail(op.error());
  t.cmp = (*op)->cmp;
  auto value = trim(rest.substr((*op)->text.size()));
  if (value.empty())
    return fail(bad_threshold(whole, fmt::format("expected a value after {}",
                                                 quote_text(std::string(name).append((*op)->text)))));
  auto v = read_value(whole, t, name, (*op)->text, value);
  if (!v) return fail(v.error());
  t.value = *v;
  return t;
}

std::string format_percent(double percent) {
  if (!std::isfinite(percent)) return "n/a";
  for (int decimals = 2; decimals < 8; ++decimals) {
    auto text = fmt::format("{:.{}f}", percent, decimals);
    double shown = std::stod(text);
    bool hides_nonzero = percent > 0 && shown == 0;
    bool hides_shortfall = percent < 100 && shown >= 100;
    if (!hides_nonzero && !hides_shortfall) return text + "%";
  }
  return fmt::format("{:.8f}%", percent);
}

namespace {

/// What a threshold reads: the whole run's figures, or one step's.
struct judged {
  std::uint64_t completed = 0, succeeded = 0, unsuccessful = 0, timed_out = 0, dropped = 0, late = 0;
  const histogram* latency = nullptr;
  histogram step_latency;  // {step=...}: that step's, made from its sparse form
};

void judge_run(const threshold& t, const run_result& r, judged& j) {
  const auto& c = r.stats.count;
  j.completed = c.completed();
  j.succeeded = c.succeeded;
  j.unsuccessful = c.failed + c.timed_out;
  j.timed_out = c.timed_out;
  j.dropped = c.dropped;
  j.late = c.late;
  j.latency = t.failed ? &r.stats.latency_failed : &r.stats.latency;
}

/// False when the run has no such step.
bool judge_step(const threshold& t, const run_result& r, judged& j) {
  const step_stats* s = r.stats.scenario.find(t.step);
  if (!s) return false;
  j.completed = s->completed();
  j.succeeded = s->succeeded;
  j.unsuccessful = s->failed + s->timed_out;
  j.timed_out = s->timed_out;
  (t.failed ? s->latency_failed : s->latency).add_to(j.step_latency);
  j.latency = &j.step_latency;
  return true;
}

}  // namespace

threshold_result evaluate(const threshold& t, const run_result& r) {
  threshold_result out{t.expr, false, {}};
  judged j;
  if (t.step.empty()) {
    judge_run(t, r, j);
    // WebSocket runs: the latency metrics judge the message round trip; the others have no data.
    if (r.config.ws.enabled && !t.failed) j.latency = &r.stats.ws.latency;
  } else if (!judge_step(t, r, j)) {
    out.actual = "n/a: the run has no step " + quote_text(t.step);
    return out;
  }
  const histogram& h = *j.latency;
  auto completed = j.completed;
  std::optional<double> actual;
  std::string missing;
  if (r.config.ws.enabled && (kind_of(t.metric) != value_kind::latency || t.failed)) {
    out.actual = "n/a: not measured in WebSocket runs (latency metrics judge the message round trip)";
    return out;
  }
  switch (t.metric) {
    case threshold_metric::percentile:
    case threshold_metric::mean:
    case threshold_metric::min:
    case threshold_metric::max:
      if (h.count() == 0) {
        missing = t.failed ? "n/a: no failed requests"
                  : r.config.ws.enabled ? "n/a: no answered messages" : "n/a: no successful responses";
        break;
      }
      if (t.metric == threshold_metric::percentile)
        actual = static_cast<double>(h.value_at_percentile(t.percentile));
      else if (t.metric == threshold_metric::mean)
        actual = h.mean();
      else if (t.metric == threshold_metric::min)
        actual = static_cast<double>(h.min());
      else
        actual = static_cast<double>(h.max());
      break;
    case threshold_metric::error_rate:
    case threshold_metric::success_rate:
      if (completed == 0) {
        missing = "n/a: no completed requests";
        break;
      }
      actual = static_cast<double>(t.metric == threshold_metric::success_rate ? j.succeeded : j.unsuccessful) /
               static_cast<double>(completed);
      break;
    case threshold_metric::rps:
      if (r.duration_s <= 0) {
        missing = "n/a: zero duration";
        break;
      }
      actual = static_cast<double>(completed) / r.duration_s;
      break;
    case threshold_metric::timeouts: actual = static_cast<double>(j.timed_out); break;
    case threshold_metric::errors: actual = static_cast<double>(j.unsuccessful); break;
    case threshold_metric::dropped: actual = static_cast<double>(j.dropped); break;
    case threshold_metric::late: actual = static_cast<double>(j.late); break;
  }
  if (!actual) {
    out.actual = missing;
    return out;
  }
  out.ok = t.holds(*actual);
  switch (kind_of(t.metric)) {
    case value_kind::latency:
      out.actual = format_duration(duration(static_cast<duration::rep>(std::llround(*actual))));
      break;
    case value_kind::rate: out.actual = format_percent(*actual * 100.0); break;
    case value_kind::per_second: out.actual = fmt::format("{:.1f}/s", *actual); break;
    case value_kind::count: out.actual = fmt::format("{}", static_cast<std::uint64_t>(*actual)); break;
  }
  return out;
}

std::vector<threshold_result> evaluate(std::span<const threshold> ts, const run_result& r) {
  std::vector<threshold_result> out;
  out.reserve(ts.size());
  for (const auto& t : ts) out.push_back(evaluate(t, r));
  return out;
}

bool all_passed(std::span<const threshold_result> results) noexcept {
  return std::all_of(results.begin(), results.end(), [](const auto& x) { return x.ok; });
}

}  // namespace barrage::loadgen
