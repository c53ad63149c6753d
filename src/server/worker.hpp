#pragma once
// Internal to the server (not API): the state every loop shares, one worker per loop (its
// listener, accept loop, connections and figures), and the connection.
#include <atomic>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http/request_parser.hpp"
#include "runtime/async_event.hpp"
#include "runtime/async_semaphore.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/io.hpp"
#include "runtime/spawn.hpp"
#include "server/metrics.hpp"
#include "server/request.hpp"
#include "server/response.hpp"
#include "server/server.hpp"

namespace barrage::server {

namespace detail {
struct worker;
}

struct server::state : std::enable_shared_from_this<server::state> {
  router routes;
  server_options opts;
  time_point started;
  std::string allow_all;  // Allow for OPTIONS *
  net::socket_address local;
  std::vector<std::unique_ptr<detail::worker>> workers;

  // Which loops run now (for stop() and /metrics from other threads).
  mutable std::mutex mu;
  bool stopping = false;
  bool cut_now = false;
  std::vector<std::thread> threads;
  std::exception_ptr thread_error;
  std::size_t threads_running = 0;  // main loop thread only
  async_event threads_done;         // main loop only
  event_loop* main_loop = nullptr;

  std::string metrics_text() const;
  /// Asks every running loop to drain (any thread).
  void request_stop(bool cut) noexcept;
  /// While the stall schedule holds the server: when it lets go.
  std::optional<time_point> stall_until(time_point now) const noexcept;
};

namespace detail {

class connection;

struct worker {
  worker(server::state& st, unsigned idx, int listen_fd, std::size_t cap);
  ~worker();
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
  int raw_listen_fd;
  async_fd listener;
  event_loop* loop = nullptr;  // set when run() starts; read by others under s.mu
  http_metrics metrics;
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

/// One client connection: its buffers, parser and request loop. Lives in the frame of the
/// task that serves it.
class connection final : public body_writer {
 public:
  connection(std::shared_ptr<server::state> st, worker& w, int fd);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// The connection's whole life; never throws.
  task<void> serve();

  /// Drain: an idle connection (waiting for a next request, or lingering after its last
  /// answer) is closed now.
  void close_if_idle() noexcept;
  /// Cut: the socket is shut down and the task stopped wherever it waits.
  void cut() noexcept;

  connection* prev = nullptr;
  connection* next = nullptr;

  // body_writer
  task<bool> write(std::string_view data) override;
  bool ok() const noexcept override { return !write_failed_; }

 private:
  enum class phase : std::uint8_t { idle, head, body, handling, writing, closing };
  struct watchdog {
    timer_node node;  // first member of a standard-layout struct: on_timer() casts back
    connection* self;
  };

  task<void> run();
  const handler* route(const http::request_head& head, response& resp);
  void start_head() noexcept;
  task<bool> write_out(std::string_view extra = {}, std::string_view tail = {});
  task<void> send_error(int status, std::string_view why);
  task<void> linger();
  bool try_send_out() noexcept;
  void set_deadline(time_point d);
  void clear_deadline() noexcept { deadline_ = time_point::max(); }
  static void on_timer(timer_node* n) noexcept;

  std::shared_ptr<server::state> state_;
  worker& w_;
  const server_options& o_;
  event_loop* loop_;
  async_fd fd_;
  std::unique_ptr<char[]> buf_;
  std::size_t cap_;
  std::size_t begin_ = 0, end_ = 0;
  std::unique_ptr<http::header[]> fields_;
  http::request_parser parser_;
  std::string out_;
  std::string body_buf_;
  request req_;
  stop_scope* scope_ = nullptr;
  watchdog dog_{};
  time_point deadline_ = time_point::max();
  time_point head_deadline_{};
  phase phase_ = phase::idle;
  bool io_waiting_ = false;
  bool timed_out_ = false;
  bool write_failed_ = false;
  // The streamed body in progress.
  body_framing_out stream_mode_ = body_framing_out::none;
  std::uint64_t stream_left_ = 0;
};

/// The task of one accepted connection.
task<void> serve_connection(std::shared_ptr<server::state> st, worker& w, int fd);

}  // namespace detail
}  // namespace barrage::server
