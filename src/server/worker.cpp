#include "server/worker.hpp"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <memory>
#include <system_error>

#include "net/tls_session.hpp"
#include "runtime/frame_allocator.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"
#include "server/connection.hpp"

namespace barrage::server::detail {

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

/// Accept errors that mean "out of descriptors or memory": pause, never spin.
bool is_out_of_resources(std::errc e) noexcept {
  return e == std::errc::too_many_files_open || e == std::errc::too_many_files_open_in_system ||
         e == std::errc::no_buffer_space || e == std::errc::not_enough_memory;
}

}  // namespace

worker::worker(server::state& st, unsigned idx, net::listening_socket socket, std::size_t cap)
    : s(st), index(idx), bound(std::move(socket)), slots(cap) {
  release_.self = this;
  release_.node.fire = &worker::on_release_timer;
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
      s.swallowed.count(swallowed_at::release_timer);
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
    auto accepted = co_await listener.accept();
    if (!accepted) {
      slots.release();
      if (draining) break;
      const std::errc e = accepted.error();
      if (is_out_of_resources(e)) {
        co_await sleep_for(s.opts.accept_backoff);
      } else if (e == std::errc::invalid_argument || e == std::errc::bad_file_descriptor) {
        break;  // the listener was shut down
      }
      continue;  // ECONNABORTED and friends: the next one
    }
    if (s.opts.tls) [[unlikely]] {
      // HTTPS: the session is made here, its handshake runs in the connection's task.
      auto session = net::tls_session::server(*s.opts.tls);
      if (!session) {  // OpenSSL could not make one (out of memory): closed unanswered, counted
        metrics.tls_handshake(tls_handshake_result::failed, session.error().kind);
        slots.release();
        continue;
      }
      net::transport io(std::move(*accepted), std::move(*session));
      spawn(*loop, serve_connection(keep, *this, std::move(io)), "https-connection").detach();
      continue;
    }
    net::transport io(std::move(*accepted));
    spawn(*loop, serve_connection(keep, *this, std::move(io)), "http-connection").detach();
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
  listener = net::tcp_listener(std::move(bound));
  if (stop_at_once) begin_drain(cut_at_once);
  join_handle<void> acceptor;
  bool accepting = false;
  if (!draining) {
    acceptor = spawn(accept_loop(), "http-accept");
    accepting = true;
  }
  co_await stop_requested.wait();

  // Drain: no new connections, idle ones closed, busy ones finish their request.
  listener.shutdown();  // wakes the accept with EINVAL
  slots.release();      // wakes an acceptor waiting for a free slot
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
    } catch (...) {  // the drain goes on without the acceptor: the connections still finish
      s.swallowed.count(swallowed_at::accept_loop);
    }
  }
  loop->cancel_timer(release_.node);
  listener.close();
}

}  // namespace barrage::server::detail
