#pragma once
// A comparison (compare.hpp) for people and for programs. docs/report.md, "Comparing runs",
// shows both.
//   text: a heading with both files and the threshold · a warning when either report was
//         recorded with --show-secrets · the run settings that differ · one line per figure
//         (base, new, change, verdict), the whole run first, then each step or target · a
//         verdict line naming the figures that regressed
//   JSON: the same as one object (max_regression_pct, regressed, counts per verdict,
//         config_differences, figures with base/new in the report's units: latency in ms)
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "report/compare.hpp"

namespace barrage::report {

/// Bumped when a field of the comparison's JSON changes meaning or disappears.
inline constexpr int comparison_schema_version = 1;

/// The text, ending in a newline. base_name / next_name: how the reports are named (their files).
std::string render_comparison_text(const comparison& c, std::string_view base_name, std::string_view next_name);

nlohmann::json comparison_to_json(const comparison& c, std::string_view base_name, std::string_view next_name);

/// comparison_to_json(...).dump(2) and a newline (invalid UTF-8 replaced by U+FFFD).
std::string render_comparison_json(const comparison& c, std::string_view base_name, std::string_view next_name);

}  // namespace barrage::report
