#include "loadgen/report_streams.hpp"

#include <fmt/format.h>

#include <cmath>

#include "base/units.hpp"
#include "loadgen/report_json.hpp"

namespace barrage::loadgen {
namespace {

using nlohmann::json;

/// A histogram's summary with its values divided by `scale` (1e6: ns to ms).
json summary(const histogram* h, double scale) {
  const char* keys[] = {"min", "mean", "stdev", "max", "p50", "p75", "p90", "p99", "p999", "p9999"};
  json out = {{"count", h ? h->count() : 0}};
  if (!h || h->count() == 0) {
    for (const char* k : keys) out[k] = nullptr;
    return out;
  }
  auto v = [&](double x) { return x / scale; };
  auto p = [&](double q) { return v(static_cast<double>(h->value_at_percentile(q))); };
  out["min"] = v(static_cast<double>(h->min()));
  out["mean"] = v(h->mean());
  out["stdev"] = v(h->stdev());
  out["max"] = v(static_cast<double>(h->max()));
  out["p50"] = p(50);
  out["p75"] = p(75);
  out["p90"] = p(90);
  out["p99"] = p(99);
  out["p999"] = p(99.9);
  out["p9999"] = p(99.99);
  return out;
}

/// The histograms behind the summaries, lossless (for barrage merge and compare); empty ones
/// when no stream was recorded.
json stream_histograms_json(const stream_histograms* h) {
  const stream_histograms none_recorded;
  const stream_histograms& x = h ? *h : none_recorded;
  return {{"ttfb", serialized_histogram(x.ttfb)},
          {"gap", serialized_histogram(x.gap)},
          {"length_bytes", serialized_histogram(x.length_bytes, "bytes")},
          {"events", serialized_histogram(x.events, "events")},
          {"events_per_second", serialized_histogram(x.events_per_second_milli, "millievents_per_second")}};
}

std::string dur(std::uint64_t ns) { return format_duration(duration(static_cast<duration::rep>(ns))); }

}  // namespace

json streams_json(const run_result& r) {
  const stream_stats& s = r.stats.streams;
  const stream_histograms* h = s.histograms ? &*s.histograms : nullptr;
  return {{"responses", s.responses},
          {"event_streams", s.event_streams},
          {"stalled", s.stalled},
          {"stall_s", to_seconds(r.config.stall)},
          {"cut", s.cut},
          {"event_stream_errors", s.event_stream_errors},
          {"ttfb", summary(h ? &h->ttfb : nullptr, 1e6)},
          {"gap", summary(h ? &h->gap : nullptr, 1e6)},
          {"length_bytes", summary(h ? &h->length_bytes : nullptr, 1)},
          {"events", summary(h ? &h->events : nullptr, 1)},
          {"events_per_second", summary(h ? &h->events_per_second_milli : nullptr, 1e3)},
          {"histograms", stream_histograms_json(h)}};
}

std::string streams_text(const run_result& r, bool colour) {
  const stream_stats& s = r.stats.streams;
  std::string out = "\n";
  out += colour ? "\x1b[1mStreams\x1b[0m" : "Streams";
  out += fmt::format("  stalled: largest gap above {}\n", format_duration(r.config.stall));
  out += fmt::format("  responses         {} streamed ({} text/event-stream); {} stalled, {} cut by an error{}\n",
                     s.responses, s.event_streams, s.stalled, s.cut,
                     s.event_stream_errors ? fmt::format(", {} with an event over the parser's limits", s.event_stream_errors)
                                           : std::string());
  if (!s.histograms || s.responses == 0) return out;
  const stream_histograms& h = *s.histograms;
  auto times = [](const histogram& x) {
    if (x.count() == 0) return std::string("none");
    return fmt::format("p50 {}, p90 {}, p99 {}, max {}", dur(x.value_at_percentile(50)), dur(x.value_at_percentile(90)),
                       dur(x.value_at_percentile(99)), dur(x.max()));
  };
  out += fmt::format("  first byte        {}\n", times(h.ttfb));
  out += fmt::format("  gap               {}\n", times(h.gap));
  out += fmt::format("  events/stream     p50 {}, min {}, max {}\n", h.events.value_at_percentile(50), h.events.min(),
                     h.events.max());
  const histogram& eps = h.events_per_second_milli;
  if (eps.count() > 0)
    out += fmt::format("  events/s          p50 {:.1f}, min {:.1f}, max {:.1f} (per stream)\n",
                       static_cast<double>(eps.value_at_percentile(50)) / 1e3, static_cast<double>(eps.min()) / 1e3,
                       static_cast<double>(eps.max()) / 1e3);
  out += fmt::format("  bytes/stream      p50 {}, min {}, max {}\n", format_bytes(h.length_bytes.value_at_percentile(50)),
                     format_bytes(h.length_bytes.min()), format_bytes(h.length_bytes.max()));
  return out;
}

}  // namespace barrage::loadgen
