#include "loadgen/stats.hpp"

#include <algorithm>
#include <cstring>

#include "net/tls_session.hpp"

namespace barrage::loadgen {
namespace {

bool same(const net::socket_address& a, const net::socket_address& b) noexcept {
  return a.size() == b.size() && std::memcmp(a.get(), b.get(), a.size()) == 0;
}

}  // namespace

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
  for (std::size_t i = 0; i < dns.size(); ++i) dns[i] += o.dns[i];
  for (std::size_t i = 0; i < tls.size(); ++i) tls[i] += o.tls[i];
}

void tls_stats::count_handshake(const net::tls_session& s, std::int64_t ns) {
  ++handshakes;
  if (s.resumed()) ++resumed;
  if (protocol.empty()) {
    protocol = s.version();
    cipher = s.cipher();
  }
  handshake_time.record(static_cast<std::uint64_t>(ns));
}

void tls_stats::note_failure(const net::tls_error& e) {
  std::string& reason = reasons[static_cast<std::size_t>(e.kind)];
  if (reason.empty()) reason = e.message;
}

void tls_stats::merge(const tls_stats& o) {
  handshakes += o.handshakes;
  resumed += o.resumed;
  if (protocol.empty()) protocol = o.protocol;
  if (cipher.empty()) cipher = o.cipher;
  handshake_time.merge(o.handshake_time);
  for (std::size_t i = 0; i < reasons.size(); ++i)
    if (reasons[i].empty()) reasons[i] = o.reasons[i];
}

void run_stats::record(const client::outcome& o, std::int64_t latency_ns, std::int64_t service_ns,
                       const success_policy& policy) noexcept {
  count.bytes_in += o.bytes_in;
  if (o.attempts > 1) count.retried += o.attempts - 1u;
  const auto latency_value = static_cast<std::uint64_t>(std::max<std::int64_t>(0, latency_ns));
  if (!o.ok()) {
    ++count.errors[static_cast<std::size_t>(o.error)];
    if (o.error == client::error_kind::dns && o.dns_detail < count.dns.size()) ++count.dns[o.dns_detail];
    if ((o.error == client::error_kind::tls_verify || o.error == client::error_kind::tls_handshake) &&
        o.tls_detail < count.tls.size())
      ++count.tls[o.tls_detail];
    if (client::is_timeout(o.error)) ++count.timed_out;
    else ++count.failed;
    latency_failed.record(latency_value);
    return;
  }
  if (o.status < count.status.size()) ++count.status[o.status];
  if (!policy.ok(o.status)) {
    ++count.failed;
    ++count.bad_status;
    latency_failed.record(latency_value);
    return;
  }
  ++count.succeeded;
  latency.record(latency_value);
  if (uncorrected_) uncorrected_->record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, service_ns)));
  if (o.times.first_byte) phases.record_request(o.times);
}

void run_stats::keep_uncorrected() {
  if (!uncorrected_) uncorrected_.emplace();
}

void h2_stats::merge(const h2_stats& o) noexcept {
  connections += o.connections;
  goaways += o.goaways;
  peak_streams = std::max(peak_streams, o.peak_streams);
  if (o.peer_max_streams && (!peer_max_streams || o.peer_max_streams < peer_max_streams))
    peer_max_streams = o.peer_max_streams;
}

void run_stats::merge(const run_stats& o) {
  count.merge(o.count);
  tls.merge(o.tls);
  h2.merge(o.h2);
  latency.merge(o.latency);
  latency_failed.merge(o.latency_failed);
  phases.merge(o.phases);
  if (o.uncorrected_) {
    keep_uncorrected();
    uncorrected_->merge(*o.uncorrected_);
  }
  schedule_lag.merge(o.schedule_lag);
  redirect_hops.merge(o.redirect_hops);
  streams.merge(o.streams);
  scenario.merge(o.scenario);
  ws.merge(o.ws);
  for (const auto& a : o.addresses) {
    auto it = std::find_if(addresses.begin(), addresses.end(), [&](const address_use& u) { return same(u.address, a.address); });
    if (it == addresses.end()) {
      addresses.push_back(a);
    } else {
      it->connections += a.connections;
      it->failures += a.failures;
    }
  }
}

void run_stats::count_connect(const net::socket_address& address, bool opened) {
  auto it = std::find_if(addresses.begin(), addresses.end(), [&](const address_use& u) { return same(u.address, address); });
  if (it == addresses.end()) it = addresses.insert(addresses.end(), address_use{address, 0, 0});
  ++(opened ? it->connections : it->failures);
}

void run_stats::reset() {
  count = counters{};
  tls = tls_stats{};
  h2 = h2_stats{};
  latency.reset();
  latency_failed.reset();
  phases.reset();
  if (uncorrected_) uncorrected_->reset();
  schedule_lag.reset();
  addresses.clear();
  redirect_hops.reset();
  streams.reset();
  scenario.reset();
  ws.reset();
}

}  // namespace barrage::loadgen
