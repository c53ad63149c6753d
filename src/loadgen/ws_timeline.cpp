#include "loadgen/ws_timeline.hpp"

#include "loadgen/timeline.hpp"

#include <algorithm>
#include <utility>

namespace barrage::loadgen {

void ws_second_counts::add(const ws_second_counts& o) noexcept {
  held += o.held;
  opened += o.opened;
  failed += o.failed;
  closed += o.closed;
  dropped += o.dropped;
  reconnected += o.reconnected;
  sent += o.sent;
  received += o.received;
}

std::uint64_t ws_timeline_seconds(duration length) noexcept {
  const auto ns = std::max<std::int64_t>(0, to_ns(length));
  constexpr std::int64_t second = 1'000'000'000;
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>((ns + second - 1) / second));
}

ws_timeline_recorder::ws_timeline_recorder(time_point start, std::uint64_t seconds)
    : start_(start), last_(std::max<std::uint64_t>(seconds, 1) - 1) {
  next_ = last_ == 0 ? time_point::max() : start_ + std::chrono::seconds(1);
}

std::uint64_t ws_timeline_recorder::index_of(time_point t) const noexcept {
  if (t <= start_) return 0;
  return std::min(last_, static_cast<std::uint64_t>((t - start_) / std::chrono::seconds(1)));
}

void ws_timeline_recorder::publish() {
  ws_second_report r{index_, cur_, {}};
  r.counts.held = held_;
  times_.digest(r.times);
  {
    std::lock_guard lock(mutex_);
    published_.push_back(std::move(r));
  }
  cur_ = {};
  times_.reset();
}

void ws_timeline_recorder::roll(time_point now) {
  if (finished_) return;
  const std::uint64_t to = index_of(now);
  while (index_ < to) {  // the seconds between, if any, had nothing but the connections held
    publish();
    ++index_;
  }
  next_ = index_ == last_ ? time_point::max() : start_ + std::chrono::seconds(index_ + 1);
}

void ws_timeline_recorder::finish(time_point stop) {
  if (finished_) return;
  roll(std::max(stop, start_));
  publish();
  finished_ = true;
  next_ = time_point::max();
}

std::vector<ws_second_report> ws_timeline_recorder::take() {
  std::lock_guard lock(mutex_);
  return std::exchange(published_, {});
}

void ws_timeline_builder::add(std::size_t worker, ws_second_report&& r) {
  auto& p = pending_[r.second];
  if (p.reported.empty()) p.reported.assign(workers_, false);
  p.reported[worker] = true;
  last_held_[worker] = r.counts.held;
  p.counts.add(r.counts);
  p.times.push_back(std::move(r.times));
  if (std::count(p.reported.begin(), p.reported.end(), true) == static_cast<std::ptrdiff_t>(workers_))
    finalize(pending_.find(r.second));
}

std::vector<ws_timeline_point> ws_timeline_builder::finish() {
  while (!pending_.empty()) finalize(pending_.begin());
  return std::move(points_);
}

void ws_timeline_builder::finalize(std::map<std::uint64_t, pending>::iterator it) {
  if (points_.size() <= it->first) points_.resize(it->first + 1);
  pending& p = it->second;
  for (std::size_t w = 0; w < workers_; ++w)
    if (!p.reported[w]) p.counts.held += last_held_[w];
  second_.reset();
  for (const auto& d : p.times) second_.merge(d);
  auto& point = points_[it->first];
  point.counts = p.counts;
  point.timed = second_.count();
  point.p50_ms = static_cast<double>(second_.value_at_percentile(50)) / 1e6;
  point.p99_ms = static_cast<double>(second_.value_at_percentile(99)) / 1e6;
  point.max_ms = static_cast<double>(second_.max()) / 1e6;
  coarsen(second_, coarse_);
  point.coarse = coarse_.serialize();
  pending_.erase(it);
}

}  // namespace barrage::loadgen
