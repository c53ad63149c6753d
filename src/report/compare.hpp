#pragma once
// Comparing two saved runs (`barrage compare BASE.json NEW.json`): each figure of the base
// report beside the new one's, the change in percent and a verdict. Pure: two parsed JSON
// reports in, a comparison value out (compare_render.hpp prints it as text or JSON).
//
// Figures, for the whole run and again for each entry of a report's per-step or per-target
// object when it has one (compare.cpp's figure and section tables):
//   throughput (requests/s, higher is better) · succeeded (count, higher is better) ·
//   p50 p75 p90 p99 p99.9 p99.99 max mean of the top-level "histogram" (lower is better;
//   decoded with histogram::deserialize, not the rounded latency_ms) · the same of the latency
//   measured from the send ("uncorrected", when either run is open-model) · error rate and the
//   share of completed requests of each error kind seen (lower is better).
// A step or target (report_scenario.cpp's shape: "rps", "succeeded", its own "histogram") is
// read where it holds these figures.
// For a WebSocket run (section "websocket"): message round trip p50 and p99, the listen mode's
// gap p99 (from websocket.histograms), messages received per second (higher is better) and
// dropped connections (the sum of connections.dropped); for a --stream run (section
// "streams"): time to first byte p50 and p99, gap p99, and the median stream's events per
// second (higher is better), from streams.histograms. A report without the histograms is read
// at its summaries (ms). Their verdicts follow the same rules.
//
// Verdict of one figure (judge()):
//   not comparable  the figure is missing, null or empty (no successful requests) on one side,
//                   or means different things (corrected latency, open vs closed model)
//   same            equal, or for latency within the histogram's resolution: one bucket
//                   (exact below 2048 ns, then 1/1024 of the value, < 0.1 %)
//   better          moved in the good direction
//   tolerated       moved in the bad direction by at most max_regression_pct percent
//   worse           moved in the bad direction by more than that: the comparison fails
// A zero base: 0 → 0 is same; 0 → anything else has no percentage and is worse for a figure
// where lower is better (errors appearing), better where higher is better.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"

namespace barrage::report {

enum class better_when { lower, higher };
/// What a figure's numbers are: latency in ns, requests/s, a count, a fraction (0.01 = 1 %).
enum class figure_unit { nanoseconds, per_second, count, fraction };
enum class verdict { better, same, tolerated, worse, not_comparable };

/// "better", "same", "tolerated", "worse", "not_comparable" (the JSON output's words).
std::string_view to_string(verdict v) noexcept;

/// A change's percentage and its verdict.
struct judgement {
  std::optional<double> change_pct;  // (new - base) / base × 100; none when base is 0
  verdict v = verdict::same;
};

/// The verdict rule above for two present values. `noise`: the largest difference that is
/// still "same" (0 for exact figures).
judgement judge(double base, double next, better_when better, double noise, double max_regression_pct) noexcept;

/// One line of the comparison.
struct compared_figure {
  std::string section;  // "" for the whole run, else "step NAME" or "target NAME"
  std::string name;     // "throughput", "p99", "uncorrected p50", "errors timeout", ...
  figure_unit unit = figure_unit::count;
  better_when better = better_when::lower;
  std::optional<double> base, next;                     // absent when missing or null
  std::optional<std::uint64_t> base_count, next_count;  // errors by kind: the counts behind the shares
  judgement judged;
  std::string reason;  // why not comparable; empty otherwise
};

/// A run setting or identity field whose value differs (values as in the reports, which hold
/// them redacted).
struct config_difference {
  std::string field;  // "config.connections", "barrage_version", ...
  nlohmann::json base, next;
};

struct comparison {
  double max_regression_pct = 5;
  bool secrets_shown = false;  // either report was recorded with --show-secrets
  std::vector<config_difference> config_differences;
  std::vector<compared_figure> figures;

  bool regressed() const noexcept;
  std::size_t count(verdict v) const noexcept;
};

struct compare_options {
  double max_regression_pct = 5;  // percent
};

/// `text` parsed, if it is a barrage JSON report: an object with an integer "schema_version"
/// and a string "barrage_version". The error is one line.
result<nlohmann::json, std::string> parse_saved_report(std::string_view text);

/// Every figure of both reports, judged. Errors (one line): the schema versions differ, or a
/// histogram present in a report does not decode.
result<comparison, std::string> compare_reports(const nlohmann::json& base, const nlohmann::json& next,
                                                const compare_options& options = {});

/// --max-regression: a non-negative percentage, "5", "2.5" or "5%". The error is one line.
result<double, std::string> parse_max_regression(std::string_view text);

}  // namespace barrage::report
