#pragma once
// The run's timeline: what each worker published for each second, merged into one point per
// second (requests, errors, p50, p99) and a running histogram of every latency so far (the live
// view). The per-second percentiles are exact: those of one histogram of all the second's
// latencies, whatever the number of workers.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "loadgen/histogram.hpp"
#include "loadgen/stats.hpp"

namespace barrage::loadgen {

/// What one second added on one worker, published for the live view and the timeline.
struct second_report {
  std::uint64_t second = 0;  // since counted_from
  std::uint64_t requests = 0;
  std::uint64_t errors = 0;
  histogram_digest latency;  // of the successful responses
  /// Open model: the same responses timed from their actual send (uncorrected); else empty.
  std::optional<histogram_digest> uncorrected;
};

/// One finished second's exact latency histograms (all workers merged), for an observer such as
/// the HdrHistogram log. The references hold only during the call.
struct second_latencies {
  std::uint64_t second = 0;  // since the counted run began
  /// When the counted run began, on the wall clock (the same for every second of a run).
  std::chrono::system_clock::time_point run_start{};
  const histogram& corrected;    // the successes, from the intended send time in the open model
  const histogram* uncorrected;  // open model: the successes from their actual send; else null
};
/// Called on the thread that adds the reports, once per second, in increasing second order.
using second_observer = std::function<void(const second_latencies&)>;

/// `h` with each value rounded to its 7 most significant bits (to the middle of its range):
/// at most 64 counters per power of two, each value within 1/128 of itself.
void coarsen(const histogram& h, histogram& out);

/// Merges the workers' seconds; a second is final once every worker reported it.
class timeline_builder {
 public:
  explicit timeline_builder(std::size_t workers) : workers_(workers) {}
  void add(second_report&& r);
  /// Finalizes the seconds still waiting for a worker; the timeline, one point per second.
  std::vector<timeline_point> finish();
  /// `fn` gets each second's histograms as the second is finalized; `run_start` is passed on.
  void observe(second_observer fn, std::chrono::system_clock::time_point run_start) {
    observer_ = std::move(fn);
    run_start_ = run_start;
  }
  /// Every latency added so far.
  const histogram& so_far() const noexcept { return so_far_; }
  /// The requests of the last second finalized.
  std::uint64_t last_second_requests() const noexcept { return last_requests_; }

 private:
  struct pending {
    std::size_t reports = 0;
    std::uint64_t requests = 0, errors = 0;
    std::vector<histogram_digest> latencies;
    std::vector<histogram_digest> uncorrected;
  };
  void finalize(std::map<std::uint64_t, pending>::iterator it);
  void notify(std::uint64_t second, const pending& p);

  std::size_t workers_;
  std::map<std::uint64_t, pending> pending_;
  std::vector<timeline_point> points_;
  histogram so_far_;
  histogram second_;  // scratch: one second's latencies, merged
  histogram coarse_;  // scratch: second_ to 7 significant bits
  second_observer observer_;
  std::chrono::system_clock::time_point run_start_{};
  std::optional<histogram> second_uncorrected_;  // scratch, for the observer (open model)
  std::uint64_t last_requests_ = 0;
};

}  // namespace barrage::loadgen
