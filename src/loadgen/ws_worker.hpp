#pragma once
// A WebSocket worker (ws://, wss://): one thread, one event loop, its share of the connections,
// its own run_stats (the `ws` member, and `tls` for wss://). Each connection is one coroutine
// that opens (TCP, TLS, the opening handshake), then runs its session (ws_session.cpp) until
// the end of the run, a ramp-down, or the connection's end; with --reconnect it opens again.
// Nothing is shared with another thread but the plan (read-only) and a few relaxed atomics.
//
// Every session ends exactly one way, counted once in ws_stats: held at the end, closed by the
// peer (its code), closed by us, or dropped (a reason); every message of the session ends
// answered, timed out, lost, or in flight at the end (ws_stats.hpp).
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "client/ws_connection.hpp"
#include "http/url.hpp"
#include "loadgen/config.hpp"
#include "loadgen/schedule.hpp"
#include "loadgen/stats.hpp"
#include "loadgen/ws_timeline.hpp"
#include "net/address.hpp"
#include "net/resolver.hpp"
#include "net/tls_context.hpp"
#include "runtime/async_event.hpp"
#include "runtime/event_loop.hpp"

namespace barrage::loadgen {

/// Read-only once the run starts; shared by the workers.
struct ws_plan {
  run_config config;
  http::url url;  // the handshake's http(s):// form of the ws(s):// URL
  net::socket_address target;  // when the host is an address
  std::vector<net::socket_address> pinned;  // --resolve
  bool resolve = false;  // the host is a name: each worker resolves it
  std::optional<net::tls_context> tls;  // wss://
  std::vector<std::pair<std::string, std::string>> headers;  // -H, for the handshake
  time_point start;
  time_point end;
  std::atomic<bool> interrupted{false};
};

class ws_worker {
 public:
  /// `profile`: this worker's share of the open connections over time (--ramp).
  ws_worker(const ws_plan& plan, unsigned connections, ramp_profile profile);
  /// The thread body: runs until every connection ended (the end, its grace, a failure).
  void run();
  /// Any thread, after setting plan.interrupted: stops the run within about a second.
  void interrupt();

  /// Any thread: figures of the last whole second.
  unsigned open_connections() const noexcept { return open_.load(std::memory_order_relaxed); }
  std::uint64_t live_messages() const noexcept { return live_messages_.load(std::memory_order_relaxed); }
  double cpu_seconds() const noexcept { return cpu_s_.load(std::memory_order_relaxed); }

  /// Any thread: the timeline's seconds published since the last call (ws_timeline.hpp).
  std::vector<ws_second_report> take_seconds() { return timeline_.take(); }

  /// After run().
  const run_stats& stats() const noexcept { return stats_; }
  time_point last_done() const noexcept { return last_done_; }

 private:
  enum class session_end : std::uint8_t { held, closed_by_peer, closed_by_us, dropped };

  task<void> main();
  task<void> user(unsigned index);
  task<void> ticker();
  task<void> ramp_controller();
  task<void> set_at(async_event& e, time_point t);
  /// TCP (address from the plan or a lookup), TLS for wss://, the opening handshake, by
  /// --connect-timeout: the connection, or nothing with stats_.ws.failed counted.
  task<std::optional<client::ws_connection>> open();
  task<std::optional<net::transport>> connect(time_point deadline, std::string& failure);
  task<bool> next_target(net::socket_address& to, std::string& failure, time_point deadline);
  /// Runs one open connection until it ends; counts how (ws_session.cpp).
  task<session_end> session(client::ws_connection& c, unsigned index);
  /// Best effort, bounded: a Close frame, the peer's, then the socket closed.
  task<void> say_goodbye(client::ws_connection& c, std::uint16_t code);
  /// Whether connection `index` should stop now: the run ended, an interrupt, a ramp-down.
  bool told_to_stop(unsigned index) const noexcept { return stopping_ || index >= active_target_; }
  net::resolver& resolver();

  const ws_plan& plan_;
  unsigned connections_;
  ramp_profile profile_;
  unsigned active_target_;
  async_event target_changed_;
  run_stats stats_;
  ws_timeline_recorder timeline_;

  std::atomic<unsigned> open_{0};
  std::atomic<std::uint64_t> live_messages_{0};
  std::atomic<double> cpu_s_{0};
  std::optional<net::resolver> resolver_;
  std::size_t next_address_ = 0;
  unsigned users_running_ = 0;
  async_event stop_;
  async_event users_done_;
  std::mutex loop_mutex_;
  event_loop* loop_ = nullptr;
  bool stopping_ = false;
  time_point stopped_at_ = time_point::max();
  time_point last_done_{};
};

}  // namespace barrage::loadgen
