#pragma once
// barrage merge: the reports of the shards of one run (or of several runs of one
// configuration) made into one report, as if one generator had sent all their requests.
//
// Exact: every count adds (requests, status_codes, errors, dns_errors, tls_errors, bytes,
// connections_opened, redirects, addresses, tls and h2 counts); the top-level histograms
// ("histogram", "histogram_uncorrected") merge bucket by bucket, and latency_ms, the
// uncorrected latency, rates and throughput are computed from the merged values, so that the
// merge's percentiles are those of one histogram of all the samples. duration_s spans from the
// earliest start to the latest end on the wall clock.
// Timelines align on wall_second: per-second counts add, max_ms is the largest, and p50/p90/p99
// come from the merged per-second coarse histograms (within 1/128 of the exact figure).
// Latency summaries that have no histogram in a report (phases, latency_failed_ms, tls
// handshake_ms, redirect hop_ms, schedule_lag_ms): count adds, min and max are exact, mean and
// stdev combine exactly (pooled), percentiles are null, unless one input holds all the samples.
// The optional sections (websocket, streams, steps or targets with iterations) merge exactly
// from their serialized histograms, as merge_sections.hpp says.
// generator: CPU seconds and percent add, busiest thread and RSS take the largest, any
// saturated input marks the merge saturated (its reason names the input).
// The config is the first input's, with the shares (connections, requests, rate, ramp targets,
// threads, sources) added back up; "shard" is null and "merged" says what went in.
//
// Refused, with one line naming the inputs: not a barrage report, a different schema_version,
// different configurations (config compared without the shares), sharded and unsharded inputs
// together, different shard counts, a shard given twice, missing shards ("3 of 4 shards")
// unless allow_partial.
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "loadgen/run_result.hpp"
#include "loadgen/threshold.hpp"

namespace barrage::report {

struct merge_input {
  std::string name;  // for messages: the file name
  nlohmann::json doc;
};

struct merged_run {
  /// The merged report, without thresholds (set them from evaluate() on `result`).
  nlohmann::json doc;
  /// What the text report and the thresholds read: counts, the histograms and the timeline
  /// exactly; not the phases' or failed requests' histograms (empty here).
  loadgen::run_result result;
};

/// Parses a saved report; the error names `name` and says what is wrong.
result<nlohmann::json, std::string> parse_report(std::string_view text, std::string_view name);

result<merged_run, std::string> merge_reports(std::span<const merge_input> inputs, bool allow_partial = false);

/// The merged report's JSON: `m.doc` with `thresholds` in it.
nlohmann::json with_thresholds(nlohmann::json doc, std::span<const loadgen::threshold_result> thresholds);

}  // namespace barrage::report
