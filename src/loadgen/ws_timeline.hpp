#pragma once
// The per-second timeline of a WebSocket run (the report's `websocket.timeline`): for each
// second, the connections held at its end, the connection events and messages in it, and the
// percentiles of the round trips (echo) or gaps (listen) that ended in it.
//
// As the HTTP timeline (timeline.hpp): each worker records on its own thread, without a lock
// per event (ws_timeline_recorder: plain counters and a histogram for the current second; one
// comparison of the clock reading the event already made); when a second ends it is published
// under a mutex, once a second; the engine takes the published seconds and merges them
// (ws_timeline_builder), a second being final once every worker reported it.
//
// Seconds count from the run's start; the run's last second also takes what comes after the
// end (the grace period's replies, the closes), so that each column sums to the report's total:
// opened, failed, closed (by the peer and by us), dropped, reconnected, sent, received.
// A connection held at the end is not closed in the timeline: it is held in the last second.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "loadgen/histogram.hpp"

namespace barrage::loadgen {

/// What one second counted: the events in it and the connections held at its end.
struct ws_second_counts {
  std::uint64_t held = 0;
  std::uint64_t opened = 0, failed = 0, closed = 0, dropped = 0, reconnected = 0;
  std::uint64_t sent = 0, received = 0;

  void add(const ws_second_counts& o) noexcept;
};

/// One worker's second, as published.
struct ws_second_report {
  std::uint64_t second = 0;
  ws_second_counts counts;
  histogram_digest times;  // echo: round trips of the replies that came; listen: gaps
};

/// One second of the merged timeline. The percentiles are exact (of one histogram of all the
/// workers' values of that second); 0 with `timed` 0.
struct ws_timeline_point {
  ws_second_counts counts;
  std::uint64_t timed = 0;  // round trips (echo) or gaps (listen) in the second
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  /// The second's values kept to 7 significant bits (timeline.hpp's coarsen), serialized: what
  /// `barrage merge` merges seconds of several runs with. Empty: the point was not built from
  /// values (a point of a merge before its histogram is filled in).
  std::string coarse;
};

/// Seconds in a run of `length`: one per started second, at least one.
std::uint64_t ws_timeline_seconds(duration length) noexcept;

/// A worker's side. Every method but take() is for the worker's thread; `now` is a clock
/// reading the caller made for its own use.
class ws_timeline_recorder {
 public:
  /// `start`: the run's start; `seconds`: ws_timeline_seconds of its length.
  ws_timeline_recorder(time_point start, std::uint64_t seconds);

  void opened(time_point now) {
    at(now);
    ++cur_.opened;
    ++held_;
  }
  void failed(time_point now) {
    at(now);
    ++cur_.failed;
  }
  /// Closed by the peer or by us during the run (not held at the end).
  void closed(time_point now) {
    at(now);
    ++cur_.closed;
    --held_;
  }
  void dropped(time_point now) {
    at(now);
    ++cur_.dropped;
    --held_;
  }
  void reconnected(time_point now) {
    at(now);
    ++cur_.reconnected;
  }
  void sent(time_point now) {
    at(now);
    ++cur_.sent;
  }
  void received(time_point now) {
    at(now);
    ++cur_.received;
  }
  /// A round trip (echo) or a gap (listen) that ended at `now`.
  void timed(time_point now, std::uint64_t ns) {
    at(now);
    times_.record(ns);
  }

  /// Publishes the seconds that ended before `now` (the ticker calls it: quiet seconds too).
  void at(time_point now) {
    if (now >= next_) roll(now);
  }
  /// The run ended at `stop` (its end, or an interrupt before) and nothing more is recorded:
  /// publishes every second up to the one holding `stop`, and the current one.
  void finish(time_point stop);
  /// Any thread: the seconds published since the last call, in order.
  std::vector<ws_second_report> take();

 private:
  std::uint64_t index_of(time_point t) const noexcept;
  void roll(time_point now);
  void publish();

  time_point start_;
  std::uint64_t last_;  // the last second's index: later events go there
  std::uint64_t index_ = 0;
  time_point next_;  // when second index_ ends (max: it is the last)
  ws_second_counts cur_;
  std::uint64_t held_ = 0;
  histogram times_;
  bool finished_ = false;
  std::mutex mutex_;
  std::vector<ws_second_report> published_;
};

/// The engine's side: merges the workers' seconds.
class ws_timeline_builder {
 public:
  explicit ws_timeline_builder(std::size_t workers) : workers_(workers), last_held_(workers, 0) {}
  /// Worker `worker`'s next second (each worker's in increasing order).
  void add(std::size_t worker, ws_second_report&& r);
  /// Finalizes the seconds still waiting for a worker (which held what it last reported);
  /// the timeline, one point per second.
  std::vector<ws_timeline_point> finish();

 private:
  struct pending {
    std::vector<bool> reported;
    ws_second_counts counts;
    std::vector<histogram_digest> times;
  };
  void finalize(std::map<std::uint64_t, pending>::iterator it);

  std::size_t workers_;
  std::vector<std::uint64_t> last_held_;
  std::map<std::uint64_t, pending> pending_;
  std::vector<ws_timeline_point> points_;
  histogram second_;  // scratch
  histogram coarse_;  // scratch: second_ to 7 significant bits
};

}  // namespace barrage::loadgen
