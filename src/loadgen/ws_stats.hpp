#pragma once
// What a WebSocket run counts: run_stats' `ws` member, one per worker thread, merged at the
// end. Connection-level events are rare beside messages, so their reasons are kept in maps.
//
// The accounting, for every run and every merge (ws_stats::balanced):
//   attempts = opened + failed (by reason)
//   opened   = held_at_end + closed by the peer (by close code) + closed by us + dropped (by reason)
//   sent     = answered + timed_out + lost + in_flight_at_end
// failed: the connection never opened (refused, dns, tls, connect_timeout, a handshake refused
// with its HTTP status "http_404" or an invalid one). closed by the peer: a Close frame came
// (its code; 1005 when it had none). closed by us: ramp-down, a closed-model reply past
// --timeout. dropped: it ended without a Close frame (eof, reset, io_error, protocol_error:
// the peer broke RFC 6455). held at the end: open when the run (and its grace) ended.
// A message is lost when its connection ended before its reply came; a reply after its
// message timed out counts in `unmatched`, not in `answered`.
#include <cstdint>
#include <map>
#include <string>

#include "loadgen/histogram.hpp"

namespace barrage::loadgen {

struct ws_stats {
  // Connections.
  std::uint64_t attempts = 0;
  std::uint64_t opened = 0;
  std::map<std::string, std::uint64_t> failed;          // by reason
  std::uint64_t held_at_end = 0;
  std::map<std::uint16_t, std::uint64_t> closed_by_peer;  // by close code
  std::uint64_t closed_by_us = 0;
  std::map<std::string, std::uint64_t> dropped;         // by reason
  std::uint64_t reconnects = 0;  // attempts made again after a drop or a failure (--reconnect)
  /// Opened connections by the subprotocol the server chose (--subprotocol); none chosen: not
  /// counted here.
  std::map<std::string, std::uint64_t> subprotocols;

  // Messages (echo mode; in listen mode only `received`).
  std::uint64_t sent = 0;
  std::uint64_t answered = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t lost = 0;
  std::uint64_t in_flight_at_end = 0;
  std::uint64_t late = 0;        // open model: sent after its intended time
  std::uint64_t received = 0;    // every data message that came
  std::uint64_t unmatched = 0;   // received but no message of ours waited for it
  std::uint64_t subscribes = 0;  // --subscribe messages sent (not in `sent`)
  std::uint64_t bytes_sent = 0;      // message payloads
  std::uint64_t bytes_received = 0;
  std::uint64_t pings = 0;
  std::uint64_t pongs = 0;  // answering one of our pings

  histogram latency;    // message round trip (from the intended send time in the open model)
  histogram gap;        // listen: between two messages on one connection
  histogram handshake;  // from the TCP connect to the 101 response (TLS included)
  histogram ping_rtt;

  std::uint64_t failed_total() const noexcept { return sum(failed); }
  std::uint64_t closed_by_peer_total() const noexcept;
  std::uint64_t dropped_total() const noexcept { return sum(dropped); }
  /// The subprotocol most opened connections got (a tie goes to none, then to the first by
  /// name); empty when that is none.
  std::string chosen_subprotocol() const;
  /// The three equations above hold.
  bool balanced() const noexcept;
  void merge(const ws_stats& o);
  void reset() { *this = ws_stats{}; }

 private:
  static std::uint64_t sum(const std::map<std::string, std::uint64_t>& m) noexcept;
};

}  // namespace barrage::loadgen
