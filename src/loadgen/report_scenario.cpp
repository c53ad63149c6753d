#include "loadgen/report_scenario.hpp"

#include <array>

#include <fmt/format.h>

#include "base/units.hpp"
#include "loadgen/report_json.hpp"

namespace barrage::loadgen {
namespace {

using nlohmann::json;

double ns_as_ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

/// The shape of the report's latency_ms: count, min, mean, max and percentiles in ms.
json summary_ms(const histogram& h) {
  json out = {{"count", h.count()}};
  const bool empty = h.count() == 0;
  auto v = [&](double x) { return empty ? json(nullptr) : json(x); };
  out["min"] = v(ns_as_ms(h.min()));
  out["mean"] = v(h.mean() / 1e6);
  out["stdev"] = v(h.stdev() / 1e6);
  out["max"] = v(ns_as_ms(h.max()));
  static constexpr std::array<double, 6> ps{50.0, 75.0, 90.0, 99.0, 99.9, 99.99};
  static constexpr std::array<const char*, 6> keys{"p50", "p75", "p90", "p99", "p999", "p9999"};
  std::array<std::uint64_t, 6> at{};
  h.values_at_percentiles(ps, at);
  for (std::size_t i = 0; i < ps.size(); ++i) out[keys[i]] = v(ns_as_ms(at[i]));
  return out;
}

/// `s`'s values in `scratch` (emptied first): a targets file of thousands of URLs reuses two
/// histograms rather than zeroing two of memory_bytes per target.
const histogram& full(const sparse_latency& s, histogram& scratch) {
  scratch.reset();
  s.add_to(scratch);
  return scratch;
}

json step_json(const step_stats& s, double secs, histogram& scratch, histogram& scratch_failed) {
  json statuses = json::object(), errors = json::object(), aborted = json::object();
  for (const auto& [status, n] : s.statuses) statuses[std::to_string(status)] = n;
  for (std::size_t k = 1; k < s.errors.size(); ++k)
    if (s.errors[k]) errors[std::string(client::to_string(static_cast<client::error_kind>(k)))] = s.errors[k];
  for (std::size_t a = 0; a < s.aborted.size(); ++a)
    if (s.aborted[a]) aborted[std::string(to_string(static_cast<abort_reason>(a)))] = s.aborted[a];
  const histogram& latency = full(s.latency, scratch);
  const histogram& latency_failed = full(s.latency_failed, scratch_failed);
  return {{"requests", s.started},
          {"succeeded", s.succeeded},
          {"failed", s.failed},
          {"timed_out", s.timed_out},
          {"in_flight_at_end", s.in_flight()},
          {"bad_status", s.bad_status},
          {"statuses", statuses},
          {"errors", errors},
          {"aborted", aborted},
          {"latency", summary_ms(latency)},
          {"latency_failed", summary_ms(latency_failed)},
          {"rps", secs > 0 ? static_cast<double>(s.completed()) / secs : 0.0},
          {"histogram", serialized_histogram(latency)},  // lossless, for barrage merge and compare
          {"histogram_failed", serialized_histogram(latency_failed)}};
}

}  // namespace

void add_scenario_json(json& out, const run_result& r) {
  const scenario_stats& sc = r.stats.scenario;
  if (!sc.used()) return;
  json steps = json::object();
  histogram scratch, scratch_failed;
  for (const auto& s : sc.steps) steps[s.name] = step_json(s, r.duration_s, scratch, scratch_failed);
  out[sc.targets ? "targets" : "steps"] = std::move(steps);
  if (sc.targets) return;
  const auto& it = sc.iterations;
  json aborted = json::object();
  for (std::size_t a = 0; a < it.aborted.size(); ++a) aborted[std::string(to_string(static_cast<abort_reason>(a)))] = it.aborted[a];
  out["iterations"] = {{"started", it.started},
                       {"completed", it.completed},
                       {"aborted", aborted},
                       {"in_flight_at_end", it.in_flight()},
                       {"duration", summary_ms(it.duration)},
                       {"histogram", serialized_histogram(it.duration)},
                       {"per_second", r.duration_s > 0 ? static_cast<double>(it.completed) / r.duration_s : 0.0}};
}

namespace {

std::string dur_or_dash(const histogram& h, double p) {
  if (h.count() == 0) return "-";
  return format_duration(duration(static_cast<duration::rep>(h.value_at_percentile(p))));
}

}  // namespace

std::string scenario_text(const run_result& r, bool colour) {
  const scenario_stats& sc = r.stats.scenario;
  if (!sc.used()) return {};
  std::string out;
  auto heading = [&](std::string_view title, std::string_view note) {
    out += '\n';
    if (colour) out += "\x1b[1m";
    out += title;
    if (colour) out += "\x1b[0m";
    if (!note.empty()) fmt::format_to(std::back_inserter(out), "  {}", note);
    out += '\n';
  };
  std::size_t width = 8;
  for (const auto& s : sc.steps) width = std::max(width, std::min<std::size_t>(s.name.size(), 48));
  heading(sc.targets ? "Targets" : "Steps", "requests, failures, latency of the successful ones");
  fmt::format_to(std::back_inserter(out), "  {:<{}}  {:>9} {:>8} {:>9} {:>9} {:>9} {:>9}\n", sc.targets ? "target" : "step",
                 width, "requests", "failed", "p50", "p99", "max", "req/s");
  histogram scratch;
  for (const auto& s : sc.steps) {
    const histogram& h = full(s.latency, scratch);
    const std::string name = s.name.size() > 48 ? s.name.substr(0, 45) + "..." : s.name;
    fmt::format_to(std::back_inserter(out), "  {:<{}}  {:>9} {:>8} {:>9} {:>9} {:>9} {:>9.1f}\n", name, width, s.started,
                   s.failed + s.timed_out, dur_or_dash(h, 50), dur_or_dash(h, 99), dur_or_dash(h, 100),
                   r.duration_s > 0 ? static_cast<double>(s.completed()) / r.duration_s : 0.0);
    for (std::size_t a = 0; a < s.aborted.size(); ++a)
      if (s.aborted[a])
        fmt::format_to(std::back_inserter(out), "  {:<{}}    ended {} iterations: {}\n", "", width, s.aborted[a],
                       to_string(static_cast<abort_reason>(a)));
  }
  if (sc.targets) return out;
  const auto& it = sc.iterations;
  heading("Iterations", "one run of a flow, first step to last");
  fmt::format_to(std::back_inserter(out), "  started {} = completed {} + aborted {} + in flight at end {}\n", it.started,
                 it.completed, it.aborted_total(), it.in_flight());
  for (std::size_t a = 0; a < it.aborted.size(); ++a)
    if (it.aborted[a])
      fmt::format_to(std::back_inserter(out), "  aborted: {} {}\n", it.aborted[a], to_string(static_cast<abort_reason>(a)));
  if (it.duration.count())
    fmt::format_to(std::back_inserter(out), "  duration of the completed: p50 {}, p99 {}, max {}\n", dur_or_dash(it.duration, 50),
                   dur_or_dash(it.duration, 99), dur_or_dash(it.duration, 100));
  return out;
}

}  // namespace barrage::loadgen
