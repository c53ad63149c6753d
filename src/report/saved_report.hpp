#pragma once
// Reading a saved JSON report (docs/report.schema.json) back into loadgen's values, for the
// merge: what the report holds exactly (counts, the top-level histograms, the settings the
// text report shows). Missing keys or wrong types throw nlohmann::json::exception; the merge
// turns that into a one-line refusal.
#include <nlohmann/json.hpp>

#include "loadgen/config.hpp"
#include "loadgen/histogram.hpp"
#include "loadgen/stats.hpp"

namespace barrage::report {

/// A serialized histogram object {"unit","format","count","data"}; throws on bad data.
histogram read_histogram(const nlohmann::json& h);
/// The counters of a report: "requests", "status_codes", "errors" (by kind; status_NNN come
/// from status_codes), "dns_errors", "tls_errors", "bytes", "connections_opened", "redirects".
loadgen::counters read_counters(const nlohmann::json& doc);
/// The settings a text report and the thresholds use, from "config" (and "secrets_shown").
loadgen::run_config read_config(const nlohmann::json& doc);

/// A latency summary (latency_ms's shape) merged from several: count adds, min and max exact,
/// mean and stdev pooled exactly; percentiles null unless one summary holds every sample.
/// Keys that are not latency fields (phases.dns "cached") add.
nlohmann::json merge_summaries(const std::vector<const nlohmann::json*>& parts);

}  // namespace barrage::report
