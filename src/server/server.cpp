#include "server/server.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "runtime/frame_allocator.hpp"
#include "runtime/sleep.hpp"
#include "server/worker.hpp"

namespace barrage::server {

// ---------------------------------------------------------------------------- shared state

std::string server::state::metrics_text() const {
  std::vector<loop_metrics_snapshot> loops;
  http_metrics::snapshot http;
  {
    std::lock_guard lock(mu);
    for (const auto& w : workers) {
      loops.push_back(w->loop ? w->loop->metrics().snapshot() : loop_metrics_snapshot{});
      http.merge(w->metrics.read());
    }
  }
  std::string out;
  out.reserve(8192);
  render_metrics(out, loops, http, read_process_figures());
  return out;
}

void server::state::request_stop(bool cut) noexcept {
  std::lock_guard lock(mu);
  stopping = true;
  cut_now = cut_now || cut;
  for (const auto& w : workers) {
    if (!w->loop) continue;
    detail::worker* wp = w.get();
    try {
      w->loop->call_soon_threadsafe([wp, cut] { wp->begin_drain(cut); });
    } catch (...) {  // out of memory: nothing better to do than to keep serving
    }
  }
}

std::optional<time_point> server::state::stall_until(time_point now) const noexcept {
  const stall_schedule& st = opts.stall;
  if (st.every <= duration::zero() || st.length <= duration::zero()) return std::nullopt;
  const duration since = now - started;
  if (since < st.every) return std::nullopt;
  const time_point window = started + (since / st.every) * st.every;
  if (now < window + st.length) return window + st.length;
  return std::nullopt;
}

namespace detail {

// ---------------------------------------------------------------------------- worker

namespace {

// Memory after a burst. A closed connection's buffers and frames are free as far as the
// server is concerned, but malloc keeps the pages (free chunks between live ones, and the
// frame cache's blocks scattered among them count as live): a server that once held 5,000
// connections would keep ~75 MB resident for ever. So when the open connections have fallen
// to half their peak, and by at least release_min_drop (low enough that each of many loops
// sharing a burst sees it), the worker gives the surplus back:
// once, release_delay after that point, so that a closing wave costs one release, not one
// per close. Nothing of this is on the per-request path.
constexpr std::size_t release_min_drop = 64;
constexpr duration release_delay = std::chrono::milliseconds(500);
// Coroutine frames kept cached per size class after a release: enough for the connections
// that come and go at a steady rate not to reach malloc.
constexpr std::size_t frames_kept_per_class = 64;

}  // namespace

worker::worker(server::state& st, unsigned idx, int listen_fd, std::size_t cap)
    : s(st), index(idx), raw_listen_fd(listen_fd), slots(cap) {
  release_.self = this;
  release_.node.fire = &worker::on_release_timer;
}

worker::~worker() {
  if (raw_listen_fd >= 0) ::close(raw_listen_fd);
}

void worker::attach(connection& c) noexcept {
  c.next = first;
  if (first) first->prev = &c;
  first = &c;
  ++active;
  if (active > peak_since_release) peak_since_release = active;
  metrics.connection_opened();
}

void worker::detach(connection& c) noexcept {
  (c.prev ? c.prev->next : first) = c.next;
  if (c.next) c.next->prev = c.prev;
  c.prev = c.next = nullptr;
  --active;
  metrics.connection_closed();
  if (draining || loop == nullptr || release_.node.queued()) return;
  if (peak_since_release >= active + release_min_drop && active <= peak_since_release / 2) {
    try {
      loop->add_timer(release_.node, loop->now() + release_delay);
    } catch (...) {  // the timer heap could not grow: the next close tries again
    }
  }
}

void worker::on_release_timer(timer_node* n) noexcept {
  reinterpret_cast<release_timer*>(n)->self->release_memory();
}

void worker::release_memory() noexcept {
  barrage::detail::frame_allocator::release_cached(frames_kept_per_class);
#ifdef __GLIBC__
  ::malloc_trim(0);  // also returns free pages inside the heap, not only its top
#endif
  peak_since_release = active;
}

void worker::begin_drain(bool cut_now) noexcept {
  cut = cut || cut_now;
  if (draining) {
    if (cut) cut_all();
    return;
  }
  draining = true;
  stop_requested.set();
}

void worker::cut_all() noexcept {
  for (connection* c = first; c; c = c->next) c->cut();
}

task<void> worker::accept_loop() {
  std::shared_ptr<server::state> keep = s.shared_from_this();
  while (!draining) {
    co_await slots.acquire();
    if (draining) break;
    sockaddr_storage peer;
    socklen_t len = sizeof peer;
    const long fd = co_await listener.accept(reinterpret_cast<sockaddr*>(&peer), &len);
    if (fd < 0) {
      slots.release();
      if (draining) break;
      if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS || fd == -ENOMEM) {
        co_await sleep_for(s.opts.accept_backoff);  // out of descriptors: pause, never spin
      } else if (fd == -EINVAL || fd == -EBADF) {
        break;  // the listener was shut down
      }
      continue;  // ECONNABORTED and friends: the next one
    }
    const int one = 1;
    ::setsockopt(static_cast<int>(fd), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    spawn(*loop, serve_connection(keep, *this, static_cast<int>(fd)), "http-connection").detach();
  }
}

task<void> worker::run() {
  bool stop_at_once = false, cut_at_once = false;
  {
    std::lock_guard lock(s.mu);
    loop = &event_loop::current();
    stop_at_once = s.stopping;
    cut_at_once = s.cut_now;
  }
  struct unregister {  // others must not reach this loop once it may go away
    worker& w;
    ~unregister() {
      std::lock_guard lock(w.s.mu);
      w.loop = nullptr;
    }
  } registered{*this};
  listener = async_fd(raw_listen_fd);
  raw_listen_fd = -1;
  if (stop_at_once) begin_drain(cut_at_once);
  join_handle<void> acceptor;
  bool accepting = false;
  if (!draining) {
    acceptor = spawn(accept_loop(), "http-accept");
    accepting = true;
  }
  co_await stop_requested.wait();

  // Drain: no new connections, idle ones closed, busy ones finish their request.
  ::shutdown(listener.fd(), SHUT_RD);  // wakes the accept with EINVAL
  slots.release();                     // wakes an acceptor waiting for a free slot
  for (connection* c = first; c; c = c->next) c->close_if_idle();
  if (cut) cut_all();
  const time_point grace_end = loop->now() + s.opts.shutdown_grace;
  while (active > 0 && loop->now() < grace_end) co_await sleep_for(std::chrono::milliseconds(10));
  if (active > 0) {
    cut_all();
    const time_point hard_end = loop->now() + std::chrono::seconds(1);
    while (active > 0 && loop->now() < hard_end) co_await sleep_for(std::chrono::milliseconds(10));
  }
  if (accepting) {
    try {
      co_await acceptor;
    } catch (...) {
    }
  }
  loop->cancel_timer(release_.node);
  listener.close();
}

}  // namespace detail

// ---------------------------------------------------------------------------- server

namespace {

/// A listening socket. The first one binds without SO_REUSEPORT (so that a port another
/// process holds, even another barrage with SO_REUSEPORT, is refused) and turns it on before
/// listen() so that the sockets of the other loops can join it.
int make_listener(const net::socket_address& at, bool reuse_port, bool first, int backlog) {
  const int fd = ::socket(at.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuse_port && !first) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (::bind(fd, at.get(), at.size()) < 0) {
    const int e = errno;
    ::close(fd);
    throw std::system_error(e, std::generic_category(), "cannot listen on " + at.to_string());
  }
  if (reuse_port && first) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (::listen(fd, backlog) < 0) {
    const int e = errno;
    ::close(fd);
    throw std::system_error(e, std::generic_category(), "cannot listen on " + at.to_string());
  }
  return fd;
}

void validate(const server_options& o) {
  if (o.threads == 0 || o.threads > 1024) throw std::invalid_argument("threads must be 1 to 1024");
  if (o.max_connections == 0) throw std::invalid_argument("max_connections must be at least 1");
  if (o.max_head_bytes < 1024) throw std::invalid_argument("max_head_bytes must be at least 1 KiB");
  if (o.max_request_line < 16) throw std::invalid_argument("max_request_line must be at least 16 bytes");
  if (o.max_headers == 0) throw std::invalid_argument("max_headers must be at least 1");
  if (o.stall.every > duration::zero() && o.stall.length >= o.stall.every)
    throw std::invalid_argument("the stall must be shorter than its period");
  if (o.listen.family() != AF_INET && o.listen.family() != AF_INET6)
    throw std::invalid_argument("no address to listen on");
}

void run_worker_thread(std::shared_ptr<server::state> st, unsigned index) {
  std::exception_ptr error;
  try {
    event_loop loop;
    loop.run(st->workers[index]->run());
  } catch (...) {
    error = std::current_exception();
  }
  server::state* s = st.get();
  s->main_loop->call_soon_threadsafe([st = std::move(st), error] {
    if (error && !st->thread_error) {
      st->thread_error = error;
      st->request_stop(true);
    }
    if (--st->threads_running == 0) st->threads_done.set();
  });
}

}  // namespace

server::server(router routes, server_options opts) : state_(std::make_shared<state>()) {
  validate(opts);
  state& s = *state_;
  s.opts = std::move(opts);
  s.routes = std::move(routes);
  if (s.opts.expose_metrics && s.routes.find("GET", "/metrics").what != router::outcome::found) {
    state* sp = state_.get();
    s.routes.get("/metrics", [sp](request&) -> task<response> {
      co_return response(200, sp->metrics_text(), metrics_content_type);
    });
  }
  s.allow_all = s.routes.allowed("*");
  if (s.allow_all.empty()) s.allow_all = "OPTIONS";
  const unsigned n = s.opts.threads;
  const std::size_t cap = (s.opts.max_connections + n - 1) / n;
  const bool reuse_port = n > 1;
  s.workers.push_back(std::make_unique<detail::worker>(s, 0, make_listener(s.opts.listen, reuse_port, true, s.opts.backlog), cap));
  s.local = s.opts.listen;
  *s.local.size_ptr() = sizeof(sockaddr_storage);
  ::getsockname(s.workers[0]->raw_listen_fd, s.local.get(), s.local.size_ptr());
  for (unsigned i = 1; i < n; ++i)
    s.workers.push_back(std::make_unique<detail::worker>(s, i, make_listener(s.local, true, false, s.opts.backlog), cap));
  s.started = mono_clock::now();
}

server::~server() = default;

net::socket_address server::local_address() const noexcept { return state_->local; }
const server_options& server::options() const noexcept { return state_->opts; }
bool server::stopping() const noexcept {
  std::lock_guard lock(state_->mu);
  return state_->stopping;
}
void server::stop() noexcept { state_->request_stop(false); }
void server::stop_now() noexcept { state_->request_stop(true); }
std::string server::metrics_text() const { return state_->metrics_text(); }

task<void> server::serve() {
  std::shared_ptr<state> st = state_;
  st->main_loop = &event_loop::current();
  st->threads_running = st->workers.size() - 1;
  for (unsigned i = 1; i < st->workers.size(); ++i) st->threads.emplace_back(run_worker_thread, st, i);
  std::exception_ptr error;
  try {
    co_await st->workers[0]->run();
  } catch (...) {
    error = std::current_exception();
    st->request_stop(true);
  }
  if (st->threads_running > 0) co_await st->threads_done.wait();
  for (auto& t : st->threads) t.join();
  st->threads.clear();
  if (error) std::rethrow_exception(error);
  if (st->thread_error) std::rethrow_exception(st->thread_error);
}

}  // namespace barrage::server
