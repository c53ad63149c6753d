#pragma once
// The run's timeline: what each worker published for each second, merged into one point per
// second (requests, errors, p50, p99) and a running histogram of every latency so far (the live
// view). The per-second percentiles are exact: those of one histogram of all the second's
// latencies, whatever the number of workers.
#include <cstddef>
#include <cstdint>
#include <map>
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
};

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
  /// Every latency added so far.
  const histogram& so_far() const noexcept { return so_far_; }
  /// The requests of the last second finalized.
  std::uint64_t last_second_requests() const noexcept { return last_requests_; }

 private:
  struct pending {
    std::size_t reports = 0;
    std::uint64_t requests = 0, errors = 0;
    std::vector<histogram_digest> latencies;
  };
  void finalize(std::map<std::uint64_t, pending>::iterator it);

  std::size_t workers_;
  std::map<std::uint64_t, pending> pending_;
  std::vector<timeline_point> points_;
  histogram so_far_;
  histogram second_;  // scratch: one second's latencies, merged
  histogram coarse_;  // scratch: second_ to 7 significant bits
  std::uint64_t last_requests_ = 0;
};

}  // namespace barrage::loadgen
