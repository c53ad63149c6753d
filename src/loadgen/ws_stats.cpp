#include "loadgen/ws_stats.hpp"

#include <algorithm>

namespace barrage::loadgen {

std::uint64_t ws_stats::sum(const std::map<std::string, std::uint64_t>& m) noexcept {
  std::uint64_t n = 0;
  for (const auto& [reason, count] : m) n += count;
  return n;
}

std::uint64_t ws_stats::closed_by_peer_total() const noexcept {
  std::uint64_t n = 0;
  for (const auto& [code, count] : closed_by_peer) n += count;
  return n;
}

std::string ws_stats::chosen_subprotocol() const {
  std::string best;
  std::uint64_t most = opened - std::min(opened, sum(subprotocols));  // those that got none
  for (const auto& [name, n] : subprotocols)
    if (n > most) {
      best = name;
      most = n;
    }
  return best;
}

bool ws_stats::balanced() const noexcept {
  return attempts == opened + failed_total() &&
         opened == held_at_end + closed_by_peer_total() + closed_by_us + dropped_total() &&
         sent == answered + timed_out + lost + in_flight_at_end;
}

void ws_stats::merge(const ws_stats& o) {
  attempts += o.attempts;
  opened += o.opened;
  for (const auto& [k, n] : o.failed) failed[k] += n;
  held_at_end += o.held_at_end;
  for (const auto& [k, n] : o.closed_by_peer) closed_by_peer[k] += n;
  closed_by_us += o.closed_by_us;
  for (const auto& [k, n] : o.dropped) dropped[k] += n;
  reconnects += o.reconnects;
  for (const auto& [k, n] : o.subprotocols) subprotocols[k] += n;
  sent += o.sent;
  answered += o.answered;
  timed_out += o.timed_out;
  lost += o.lost;
  in_flight_at_end += o.in_flight_at_end;
  late += o.late;
  received += o.received;
  unmatched += o.unmatched;
  subscribes += o.subscribes;
  bytes_sent += o.bytes_sent;
  bytes_received += o.bytes_received;
  pings += o.pings;
  pongs += o.pongs;
  latency.merge(o.latency);
  gap.merge(o.gap);
  handshake.merge(o.handshake);
  ping_rtt.merge(o.ping_rtt);
}

}  // namespace barrage::loadgen
