#pragma once
// server: HTTP/1.1 on the runtime. One event loop per thread, each with its own listening
// socket on the same port (SO_REUSEPORT), so a connection lives and dies on one thread and
// nothing on the request path is shared. Loop 0 runs on the caller's loop (serve() is a
// task), so one thread needs no extra thread at all and in-process tests are plain tasks.
//
//   server s(routes, opts);            // binds now: a port in use throws here
//   spawn(signals.stop_on_signal(s));  // or call s.stop() from anywhere
//   co_await s.serve();                // returns once stopped and drained
//
// Per connection: one fixed read buffer, requests parsed in place (http::request_parser),
// responses rendered into one output buffer written with one write per batch of pipelined
// requests; keep-alive and pipelining answered in order. Safe by default: loopback only
// unless told otherwise, bounded heads and bodies, a deadline for the whole head and an idle
// timeout between requests (slowloris), a cap on connections (accept pauses), smuggling
// shapes refused with 400 and the connection closed after every error. HTTPS with a TLS
// context in the options (docs/tls.md). docs/server.md.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/clock.hpp"
#include "http/parse_error.hpp"
#include "net/address.hpp"
#include "net/tls_context.hpp"
#include "runtime/task.hpp"
#include "server/router.hpp"
#include "server/ws_options.hpp"

namespace barrage::server {

/// The whole server stops answering for `length` every `every` (from its start), to show
/// coordinated omission in a load generator: requests that arrive meanwhile wait, then are
/// answered. Zero `every` or `length`: never.
struct stall_schedule {
  duration every{};
  duration length{};
};

struct server_options {
  net::socket_address listen = *net::socket_address::parse("127.0.0.1:8080");
  unsigned threads = 1;                     // event loops (threads), each with its own listener
  std::size_t max_connections = 10'000;     // over all loops; accepting pauses at the cap
  std::size_t max_head_bytes = 16 * 1024;   // request line + fields: 431 beyond
  std::size_t max_request_line = 8 * 1024;  // 414 beyond
  std::size_t max_headers = 100;            // 431 beyond
  std::uint64_t max_body_bytes = 1 << 20;   // Content-Length or de-chunked: 413 beyond
  duration head_timeout = std::chrono::seconds(10);   // first byte to end of head: 408, close
  duration idle_timeout = std::chrono::seconds(60);   // keep-alive wait for the next request
  duration body_timeout = std::chrono::seconds(10);   // longest wait for more body bytes
  duration write_timeout = std::chrono::seconds(10);  // longest wait for the client to read
  duration shutdown_grace = std::chrono::seconds(10); // stop(): time left to requests in flight
  duration accept_backoff = std::chrono::milliseconds(50);  // after EMFILE / ENFILE / ENOBUFS
  int backlog = 4096;
  bool expose_metrics = true;               // GET /metrics (Prometheus text format)
  std::string server_name = "barrage";      // the Server field; empty: none
  stall_schedule stall{};
  /// HTTPS: a server context (net::tls_context::server); every accepted connection completes
  /// a TLS handshake with it first, within tls_handshake_timeout, in its own task. None:
  /// plain HTTP. /metrics then counts handshakes by result (full, resumed, failed, timed_out).
  std::optional<net::tls_context> tls;
  duration tls_handshake_timeout = std::chrono::seconds(10);
  ws_limits ws;  // WebSocket routes (/ws/echo, /ws/feed): message size, pings
};

class server {
 public:
  /// Binds one listening socket per thread now. Throws std::system_error when it cannot
  /// ("cannot listen on 127.0.0.1:8080: Address already in use"), std::invalid_argument for
  /// options that make no sense (no threads, a head limit below 1 KiB, ...).
  server(router routes, server_options opts);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Where it listens (the real port when options asked for port 0).
  net::socket_address local_address() const noexcept;
  const server_options& options() const noexcept;

  /// Serves until stop(): loop 0 on the calling task's loop, the others on threads of their
  /// own. Returns once every loop has closed its connections (or shutdown_grace ran out and
  /// the rest were cut). Call once. Rethrows what failed a worker thread.
  task<void> serve();

  /// Any thread, any number of times: stop accepting, let requests in flight finish (their
  /// responses carry Connection: close), close idle connections; after shutdown_grace, cut
  /// what remains.
  void stop() noexcept;
  /// Any thread: stop without grace (the connections are cut at once).
  void stop_now() noexcept;
  bool stopping() const noexcept;

  /// The /metrics page now, from any thread.
  std::string metrics_text() const;

  struct state;  // shared with the connections (implementation detail)

 private:
  std::shared_ptr<state> state_;
};

/// What a request parse error is answered with: 400, or 414 / 431 / 501 / 505.
int status_for(http::parse_error e) noexcept;

}  // namespace barrage::server
