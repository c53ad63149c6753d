#include "loadgen/stats.hpp"

#include <algorithm>

namespace barrage::loadgen {

void counters::merge(const counters& o) noexcept {
  started += o.started;
  succeeded += o.succeeded;
  failed += o.failed;
  timed_out += o.timed_out;
  retried += o.retried;
  resent += o.resent;
  redirects += o.redirects;
  redirect_limit += o.redirect_limit;
  redirect_unfollowable += o.redirect_unfollowable;
  late += o.late;
  dropped += o.dropped;
  bytes_in += o.bytes_in;
  bytes_out += o.bytes_out;
  connects += o.connects;
  bad_status += o.bad_status;
  for (std::size_t i = 0; i < status.size(); ++i) status[i] += o.status[i];
  for (std::size_t i = 0; i < errors.size(); ++i) errors[i] += o.errors[i];
}

void run_stats::record(const client::outcome& o, std::int64_t latency_ns, std::int64_t service_ns,
                       const success_policy& policy) noexcept {
  count.bytes_in += o.bytes_in;
  if (o.attempts > 1) count.retried += o.attempts - 1u;
  if (!o.ok()) {
    ++count.errors[static_cast<std::size_t>(o.error)];
    if (client::is_timeout(o.error)) ++count.timed_out;
    else ++count.failed;
    return;
  }
  if (o.status < count.status.size()) ++count.status[o.status];
  if (policy.ok(o.status)) {
    ++count.succeeded;
  } else {
    ++count.failed;
    ++count.bad_status;
  }
  latency.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, latency_ns)));
  latency_uncorrected.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, service_ns)));
}

void run_stats::merge(const run_stats& o) {
  count.merge(o.count);
  latency.merge(o.latency);
  latency_uncorrected.merge(o.latency_uncorrected);
  schedule_lag.merge(o.schedule_lag);
  redirect_hops.merge(o.redirect_hops);
}

void run_stats::reset() {
  count = counters{};
  latency.reset();
  latency_uncorrected.reset();
  schedule_lag.reset();
  redirect_hops.reset();
}

}  // namespace barrage::loadgen
