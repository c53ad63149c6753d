#include "loadgen/scenario_stats.hpp"

#include <algorithm>

namespace barrage::loadgen {

std::string_view to_string(abort_reason r) noexcept {
  switch (r) {
    case abort_reason::unexpected_status: return "unexpected_status";
    case abort_reason::missing_capture: return "missing_capture";
    case abort_reason::request_failed: return "request_failed";
    case abort_reason::body_over_limit: return "body_over_limit";
    case abort_reason::no_data_row: return "no_data_row";
  }
  return "unknown";
}

void sparse_latency::record(std::uint64_t ns) {
  if (ns > histogram::max_value) [[unlikely]] {
    ns = histogram::max_value;
    ++d_.overflow;
  }
  const auto index = static_cast<std::uint32_t>(histogram::index_of(ns));
  auto it = std::lower_bound(d_.counters.begin(), d_.counters.end(), index,
                             [](const histogram_digest::counter& c, std::uint32_t i) { return c.index < i; });
  if (it != d_.counters.end() && it->index == index) ++it->count;
  else
    d_.counters.insert(it, {index, 1});
  ++d_.total;
  d_.sum += ns;
  d_.min = std::min(d_.min, ns);
  d_.max = std::max(d_.max, ns);
}

void sparse_latency::merge(const sparse_latency& o) {
  if (o.d_.total == 0) return;
  std::vector<histogram_digest::counter> out;
  out.reserve(d_.counters.size() + o.d_.counters.size());
  auto a = d_.counters.cbegin();
  auto b = o.d_.counters.cbegin();
  while (a != d_.counters.cend() || b != o.d_.counters.cend()) {
    if (b == o.d_.counters.cend() || (a != d_.counters.cend() && a->index < b->index)) out.push_back(*a++);
    else if (a == d_.counters.cend() || b->index < a->index) out.push_back(*b++);
    else {
      out.push_back({a->index, a->count + b->count});
      ++a;
      ++b;
    }
  }
  d_.counters = std::move(out);
  d_.total += o.d_.total;
  d_.overflow += o.d_.overflow;
  d_.sum += o.d_.sum;
  d_.min = std::min(d_.min, o.d_.min);
  d_.max = std::max(d_.max, o.d_.max);
}

void sparse_latency::merge(const histogram& h) {
  if (h.count() == 0) return;  // an empty digest's min is 0, not the "none yet" of d_
  sparse_latency o;
  h.digest(o.d_);
  merge(o);
}

void step_stats::count_status(std::uint16_t status) {
  for (auto& s : statuses)
    if (s.first == status) {
      ++s.second;
      return;
    }
  statuses.emplace_back(status, 1);
}

std::uint64_t iteration_stats::aborted_total() const noexcept {
  std::uint64_t n = 0;
  for (auto a : aborted) n += a;
  return n;
}

void scenario_stats::init(std::vector<std::string> names, bool per_target) {
  targets = per_target;
  steps.clear();
  steps.resize(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) steps[i].name = std::move(names[i]);
}

const step_stats* scenario_stats::find(std::string_view name) const noexcept {
  for (const auto& s : steps)
    if (s.name == name) return &s;
  return nullptr;
}

void scenario_stats::record(unsigned slot, const client::outcome& o, bool succeeded, std::uint64_t latency_ns) {
  step_stats& s = steps[slot];
  if (!o.ok()) {
    ++s.errors[static_cast<std::size_t>(o.error)];
    ++(client::is_timeout(o.error) ? s.timed_out : s.failed);
    s.latency_failed.record(latency_ns);
    return;
  }
  s.count_status(o.status);
  if (!succeeded) {
    ++s.failed;
    ++s.bad_status;
    s.latency_failed.record(latency_ns);
    return;
  }
  ++s.succeeded;
  s.latency.record(latency_ns);
}

void scenario_stats::merge(const scenario_stats& o) {
  if (!o.used()) return;
  targets = o.targets;
  if (steps.empty()) {  // the first worker's: its slots as they are (a search per slot is quadratic)
    steps.reserve(o.steps.size());
    for (const auto& from : o.steps) steps.push_back(step_stats{from.name});
  }
  for (std::size_t i = 0; i < o.steps.size(); ++i) {
    const step_stats& from = o.steps[i];
    // The same plan gives every worker the same slots: matched by index, else by name.
    step_stats* to = i < steps.size() && steps[i].name == from.name ? &steps[i] : nullptr;
    if (!to) {
      auto it = std::find_if(steps.begin(), steps.end(), [&](const step_stats& s) { return s.name == from.name; });
      to = it != steps.end() ? &*it : &steps.emplace_back(step_stats{from.name});
    }
    to->started += from.started;
    to->succeeded += from.succeeded;
    to->failed += from.failed;
    to->timed_out += from.timed_out;
    to->bad_status += from.bad_status;
    for (std::size_t k = 0; k < to->errors.size(); ++k) to->errors[k] += from.errors[k];
    for (std::size_t k = 0; k < to->aborted.size(); ++k) to->aborted[k] += from.aborted[k];
    for (const auto& entry : from.statuses) {  // not a structured binding: clang 14 cannot capture one
      const auto status = entry.first;
      auto it = std::find_if(to->statuses.begin(), to->statuses.end(), [&](const auto& p) { return p.first == status; });
      if (it == to->statuses.end()) to->statuses.emplace_back(status, entry.second);
      else
        it->second += entry.second;
    }
    to->latency.merge(from.latency);
    to->latency_failed.merge(from.latency_failed);
  }
  iterations.started += o.iterations.started;
  iterations.completed += o.iterations.completed;
  for (std::size_t k = 0; k < iterations.aborted.size(); ++k) iterations.aborted[k] += o.iterations.aborted[k];
  iterations.duration.merge(o.iterations.duration);
}

void scenario_stats::reset() {
  for (auto& s : steps) {
    std::string name = std::move(s.name);
    s = step_stats{};
    s.name = std::move(name);
  }
  iterations.started = iterations.completed = 0;
  iterations.aborted = {};
  iterations.duration.reset();
}

}  // namespace barrage::loadgen
