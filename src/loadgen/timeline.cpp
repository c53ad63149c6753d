#include "loadgen/timeline.hpp"

#include <bit>

namespace barrage::loadgen {

void coarsen(const histogram& h, histogram& out) {
  constexpr unsigned kept_bits = 7;
  out.reset();
  for (const auto& b : h.buckets()) {
    const std::uint64_t v = b.lowest;
    const unsigned width = static_cast<unsigned>(std::bit_width(v));
    if (width <= kept_bits) {
      out.record_n(v, b.count);
      continue;
    }
    const unsigned shift = width - kept_bits;
    out.record_n(((v >> shift) << shift) + (std::uint64_t{1} << (shift - 1)), b.count);
  }
}

void timeline_builder::add(second_report&& r) {
  auto& p = pending_[r.second];
  ++p.reports;
  p.requests += r.requests;
  p.errors += r.errors;
  so_far_.merge(r.latency);
  p.latencies.push_back(std::move(r.latency));
  if (r.uncorrected) p.uncorrected.push_back(std::move(*r.uncorrected));
  if (p.reports == workers_) finalize(pending_.find(r.second));
}

std::vector<timeline_point> timeline_builder::finish() {
  while (!pending_.empty()) finalize(pending_.begin());
  return std::move(points_);
}

void timeline_builder::notify(std::uint64_t second, const pending& p) {
  const histogram* uncorrected = nullptr;
  if (!p.uncorrected.empty()) {
    if (!second_uncorrected_) second_uncorrected_.emplace();
    second_uncorrected_->reset();
    for (const auto& d : p.uncorrected) second_uncorrected_->merge(d);
    uncorrected = &*second_uncorrected_;
  }
  observer_(second_latencies{second, run_start_, second_, uncorrected});
}

void timeline_builder::finalize(std::map<std::uint64_t, pending>::iterator it) {
  if (points_.size() <= it->first) points_.resize(it->first + 1);
  const auto& p = it->second;
  second_.reset();
  for (const auto& d : p.latencies) second_.merge(d);
  auto& point = points_[it->first];
  point = {p.requests,
           p.errors,
           second_.value_at_percentile(50) / 1e6,
           second_.value_at_percentile(90) / 1e6,
           second_.value_at_percentile(99) / 1e6,
           static_cast<double>(second_.max()) / 1e6,
           {}};
  coarsen(second_, coarse_);
  point.coarse = coarse_.serialize();
  last_requests_ = p.requests;
  if (observer_) notify(it->first, p);
  pending_.erase(it);
}

}  // namespace barrage::loadgen
