#pragma once
// The `streams` section of both reports (--stream; stream_stats.hpp says what is measured):
// the JSON object (docs/report.schema.json, "streams") and the text section "Streams".
#include <string>

#include <nlohmann/json.hpp>

#include "loadgen/run_result.hpp"

namespace barrage::loadgen {

/// ttfb and gap in milliseconds, length_bytes in bytes, events as counts, events_per_second
/// per second; each a summary object {count, min, mean, stdev, max, p50 ... p9999} (nulls when
/// no stream gave a value).
nlohmann::json streams_json(const run_result& r);
/// The text section, starting with a blank line and its heading (bold when `colour`).
std::string streams_text(const run_result& r, bool colour);

}  // namespace barrage::loadgen
