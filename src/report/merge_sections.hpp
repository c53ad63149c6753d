#pragma once
// barrage merge of the optional sections of a report: "websocket" (ws:// runs), "streams"
// (--stream) and "steps" / "targets" with "iterations" (scenario and --targets runs).
//
// Each input's section is read back into loadgen's stats (ws_stats, stream_stats,
// scenario_stats), exactly: counts as they are, histograms from the section's serialized
// forms ("histograms", a step's "histogram"). The stats of all inputs merge as the workers of
// one run merge theirs, and the report writer writes the merged section from them: counts
// add, maps by reason or status add key by key, steps and targets merge by name, and every
// summary and percentile comes from the merged histograms; rates are the merged counts over
// the merged duration. So the section's accounting equations hold in the merge as in each
// input.
//
// Refused (an exception, which merge_reports turns into its one-line error): a section in
// some inputs only, settings of the section that differ (websocket.config, streams.stall_s),
// a section without its histograms (written by a barrage before they were serialized).
#include <span>

#include <nlohmann/json.hpp>

#include "loadgen/run_result.hpp"
#include "report/merge.hpp"

namespace barrage::report {

/// The sections' stats and the settings their report sections show, into `r`.
void merge_sections_into(loadgen::run_result& r, std::span<const merge_input> in);

/// What the writer cannot rebuild from stats, copied into the merged report `doc` from the
/// first input: websocket.config (settings equal in every input, checked above).
void copy_section_settings(nlohmann::json& doc, std::span<const merge_input> in);

}  // namespace barrage::report
