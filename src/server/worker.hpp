#pragma once
// Internal to the server (not API): one worker per event loop, with its listening socket,
// its accept loop, its connections (a list, for drain and cut) and its figures.
#include <cstddef>

#include "net/tcp.hpp"
#include "runtime/async_event.hpp"
#include "runtime/async_semaphore.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/task.hpp"
#include "server/metrics.hpp"
#include "server/state.hpp"
#include "server/ws_metrics.hpp"

namespace barrage::server::detail {

class connection;

struct worker {
  /// `bound`: this worker's listening socket, bound on the constructing thread; run()
  /// attaches it to the loop that runs it.
  worker(server::state& st, unsigned idx, net::listening_socket bound, std::size_t cap);
  worker(const worker&) = delete;
  worker& operator=(const worker&) = delete;

  /// Accepts and serves until begin_drain(), then drains. On this worker's loop.
  task<void> run();
  /// Loop thread: stop accepting and close idle connections; `cut`: also cut busy ones now.
  void begin_drain(bool cut) noexcept;

  void attach(connection& c) noexcept;
  void detach(connection& c) noexcept;
  /// Loop thread: gives memory freed since the last peak of connections back to the system.
  void release_memory() noexcept;

  server::state& s;
  const unsigned index;
  net::listening_socket bound;  // until run() attaches it
  net::tcp_listener listener;   // from run() on
  event_loop* loop = nullptr;   // set when run() starts; read by others under s.mu
  http_metrics metrics;
  ws_metrics ws;  // WebSocket connections and messages (server/ws_session.cpp)
  async_semaphore slots;
  async_event stop_requested;
  bool draining = false;
  bool cut = false;
  std::size_t active = 0;
  connection* first = nullptr;
  // The most connections open at once since memory was last released (see detach()).
  std::size_t peak_since_release = 0;

 private:
  struct release_timer {
    timer_node node;  // first member of a standard-layout struct: on_release_timer() casts back
    worker* self;
  };
  task<void> accept_loop();
  void cut_all() noexcept;
  static void on_release_timer(timer_node* n) noexcept;

  release_timer release_{};
};

}  // namespace barrage::server::detail
