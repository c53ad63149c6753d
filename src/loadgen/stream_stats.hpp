#pragma once
// What --stream measures: for each response whose body streams (chunked, or
// text/event-stream whatever its framing) of a counted request, how it arrived. Written by
// one worker (stream_recorder.hpp), merged at the end like run_stats.
//
// Per response:
//   ttfb               request start -> the first body byte (the wait for the stream to begin)
//   gap                between successive events (text/event-stream: dispatched events; other
//                      streams: arrivals of body bytes, one per read that brought some)
//   length_bytes       body bytes
//   events             events (as above)
//   events_per_second  (events - 1) / (last event - first event), for streams of 2 or more
// A stream cut by an error inside its body (truncated_body, reset, timeout, ...) is counted
// in `cut` and its partial figures are included; its request fails as usual.
#include <cstdint>
#include <optional>

#include "loadgen/histogram.hpp"

namespace barrage::loadgen {

struct stream_histograms {
  histogram ttfb;                     // ns
  histogram gap;                      // ns
  histogram length_bytes;             // bytes
  histogram events;                   // a count
  histogram events_per_second_milli;  // events per second x 1000

  void merge(const stream_histograms& o);
};

struct stream_stats {
  std::uint64_t responses = 0;           // streamed responses recorded
  std::uint64_t event_streams = 0;       // of which text/event-stream
  std::uint64_t stalled = 0;             // whose largest gap exceeded --stall
  std::uint64_t cut = 0;                 // ended by an error inside the body
  std::uint64_t event_stream_errors = 0; // an event over the parser's limits: not parsed further
  /// Made by the first response recorded (none without --stream: no memory, no merge work).
  std::optional<stream_histograms> histograms;

  stream_histograms& figures() {
    if (!histograms) histograms.emplace();
    return *histograms;
  }
  void merge(const stream_stats& o);
  void reset();
};

}  // namespace barrage::loadgen
