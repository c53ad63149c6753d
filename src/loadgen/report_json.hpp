#pragma once
// The machine report: one JSON object, described by docs/report.schema.json.
// Latencies are in milliseconds (latency_ms...), durations in seconds (..._s), rates as
// fractions (0.995), histograms losslessly serialized in nanoseconds (histogram.unit = "ns").
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "loadgen/run_result.hpp"
#include "loadgen/threshold.hpp"

namespace barrage::loadgen {

/// Bumped when a field changes meaning or disappears (adding fields keeps it).
inline constexpr int report_schema_version = 5;

nlohmann::json to_json(const run_result& r, std::span<const threshold_result> thresholds = {});

/// A histogram, losslessly, as the report holds it: {"unit", "format": "h1", "count", "data":
/// histogram::serialize()}. `unit` names what its values count ("ns", "bytes", "events",
/// "millievents_per_second"); barrage merge adds such histograms bucket by bucket.
nlohmann::json serialized_histogram(const histogram& h, const char* unit = "ns");

/// to_json(...).dump(indent) and a final newline; invalid UTF-8 (in a header or body from
/// the command line) is replaced by U+FFFD rather than throwing. indent < 0: one line.
std::string render_json(const run_result& r, std::span<const threshold_result> thresholds = {},
                        int indent = 2);

}  // namespace barrage::loadgen
