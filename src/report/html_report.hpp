#pragma once
// The HTML report: one self-contained page (scripts and styles inline, no fetch of any kind,
// docs/report.md "The HTML report") drawn from a JSON report alone, a run's (to_json,
// loadgen/report_json.hpp) or a saved or merged one: `barrage URL --html FILE` and
// `barrage report RUN.json -o FILE` share this renderer.
//
// The JSON report's values are shown as they are: its config is already redacted
// (loadgen/redact.hpp); every string is escaped here. Fields that are missing or null leave
// their section out; nothing throws on a well-formed JSON value of any shape.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace barrage::report {

/// The page for one run's JSON report.
std::string render_html(const nlohmann::json& report);

/// Two runs side by side: both percentile spectra on one chart, both throughput timelines,
/// and a table of throughput, percentiles and errors with the change from `base` to `next`.
/// Percentiles come from the serialized histograms when present.
std::string render_comparison_html(const nlohmann::json& base, const nlohmann::json& next);

/// Why `doc` cannot be a barrage JSON report (not an object, no schema_version), or nothing.
std::optional<std::string> not_a_report(const nlohmann::json& doc);

}  // namespace barrage::report
