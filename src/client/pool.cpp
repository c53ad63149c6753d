#include "client/pool.hpp"

#include "net/tcp.hpp"
#include "net/tls_session.hpp"
#include "runtime/event_loop.hpp"

namespace barrage::client {

lease::lease(lease&& o) noexcept
    : pool_(std::exchange(o.pool_, nullptr)),
      host_(std::exchange(o.host_, nullptr)),
      conn_(std::move(o.conn_)),
      reused_(o.reused_) {}

lease& lease::operator=(lease&& o) noexcept {
  if (this != &o) {
    release();
    pool_ = std::exchange(o.pool_, nullptr);
    host_ = std::exchange(o.host_, nullptr);
    conn_ = std::move(o.conn_);
    reused_ = o.reused_;
  }
  return *this;
}

void lease::release() noexcept {
  if (!pool_) return;
  pool_->give_back(*host_, std::move(conn_));
  pool_ = nullptr;
  host_ = nullptr;
}

/// The awaiter of an acquire that waits its turn. Resumes with a connection of its host, or
/// null: a slot, already counted open for its host, to connect.
struct pool::wait_turn {
  pool* p;
  pool_waiter node;

  wait_turn(pool* owner, pool_host* h) noexcept : p(owner) { node.host = h; }
  wait_turn(const wait_turn&) = delete;
  wait_turn& operator=(const wait_turn&) = delete;
  ~wait_turn() { p->abandon(node); }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    if (!node.wait.enter(detail::scope_of(h), &abort, this)) return false;
    node.h = h;
    p->enqueue(node);
    return true;
  }
  std::unique_ptr<connection> await_resume() {
    node.wait.leave();  // throws only when aborted, which is before any hand-off
    node.slot = false;  // the caller owns the slot (or the connection) now
    return std::move(node.conn);
  }

  static void abort(void* a) noexcept {
    auto* self = static_cast<wait_turn*>(a);
    self->p->unlink(self->node);
    self->node.wait.cancelled = true;
    event_loop::current().schedule(self->node.h, self->node.wait.scope);
  }
};

/// A slot counted open for a host while its connection is being made: freed (and handed on)
/// when the connect fails or the task stops meanwhile.
class pool::slot_guard {
 public:
  slot_guard(pool* p, pool_host* h) noexcept : p_(p), h_(h) {}
  slot_guard(const slot_guard&) = delete;
  slot_guard& operator=(const slot_guard&) = delete;
  ~slot_guard() {
    if (h_) p_->slot_freed(*h_);
  }
  void dismiss() noexcept { h_ = nullptr; }

 private:
  pool* p_;
  pool_host* h_;
};

pool::pool(pool_options opts) : opts_(opts) {}

pool::~pool() = default;

lease pool::make_lease(pool_host& h, std::unique_ptr<connection> conn, bool reused) noexcept {
  lease l;
  l.pool_ = this;
  l.host_ = &h;
  l.conn_ = std::move(conn);
  l.reused_ = reused;
  if (reused) ++reuses_;
  return l;
}

void pool::enqueue(pool_waiter& w) noexcept {
  waiters_.push_back(w);
  w.host->waiters.push_back(w);
  ++waiting_;
  ++waits_;
}

void pool::unlink(pool_waiter& w) noexcept {
  if (!waiters_.contains(w)) return;
  waiters_.remove(w);
  w.host->waiters.remove(w);
  --waiting_;
}

void pool::count_open(pool_host& h) noexcept {
  ++h.open;
  ++open_;
}

bool pool::pool_full() const noexcept { return opts_.limit && open_ >= opts_.limit; }

bool pool::host_full(const pool_host& h) const noexcept {
  return opts_.limit_per_host && h.open >= opts_.limit_per_host;
}

void pool::count_closed(pool_host& h) noexcept {
  --h.open;
  --open_;
}

namespace {
/// Like waiter_list::wake_one: the wait got its resource, so a later stop request can no
/// longer abort it (it stays pending for the task's next suspension point).
void wake(pool_waiter& w) {
  if (w.wait.scope) w.wait.scope->disarm();
  event_loop::current().schedule(w.h, w.wait.scope);
}
}  // namespace

void pool::hand_slot(pool_waiter& w) noexcept {
  unlink(w);
  count_open(*w.host);
  w.slot = true;
  wake(w);
}

void pool::hand_connection(pool_waiter& w, std::unique_ptr<connection> conn) noexcept {
  unlink(w);
  w.conn = std::move(conn);
  wake(w);
}

void pool::abandon(pool_waiter& w) noexcept {
  unlink(w);
  if (w.conn) give_back(*w.host, std::move(w.conn));
  else if (w.slot) {
    w.slot = false;
    slot_freed(*w.host);
  }
}

pool_waiter* pool::oldest_able() noexcept {
  if (!opts_.limit_per_host) return waiters_.front();
  // Skips the waiters of hosts at their own limit (see the header: the one search that is
  // not O(1), and only with both limits reached).
  for (pool_waiter* w = waiters_.front(); w; w = waiters_.next(*w))
    if (!host_full(*w->host)) return w;
  return nullptr;
}

void pool::slot_freed(pool_host& h) noexcept {
  const bool was_full = pool_full();
  count_closed(h);
  // Below the total limit every waiter is held by its host's limit (header invariants), so
  // only a waiter of this host can use the slot.
  pool_waiter* w = was_full ? oldest_able() : h.waiters.front();
  if (w && !host_full(*w->host)) hand_slot(*w);
}

void pool::pop_idle(pool_host& h, bool front) noexcept {
  if (front) h.idle.pop_front();
  else h.idle.pop_back();
  --idle_;
  if (h.idle.empty()) idle_hosts_.remove(h);
}

std::unique_ptr<connection> pool::take_idle(pool_host& h) noexcept {
  const time_point now = event_loop::current().now();
  while (!h.idle.empty()) {
    auto& e = h.idle.front();
    const bool fresh = e.conn->is_open() && now - e.since < opts_.idle_timeout;
    std::unique_ptr<connection> c = std::move(e.conn);
    pop_idle(h, true);
    if (fresh) return c;
    // Closed. Its slot is free for nobody in particular: this host has no waiters, and with
    // an idle connection in the pool no waiter is held by the total limit.
    count_closed(h);
  }
  return nullptr;
}

bool pool::close_some_idle() noexcept {
  pool_host* v = idle_hosts_.front();
  if (!v) return false;
  pop_idle(*v, false);  // its oldest
  count_closed(*v);
  return true;
}

task<result<lease, connect_failure>> pool::acquire(const std::string& key, const net::socket_address& addr,
                                                    const tls_peer* tls) {
  pool_host& h = hosts_[key];
  if (h.waiters.empty()) {  // (a host with waiters has no idle connection anyway)
    if (auto c = take_idle(h)) co_return make_lease(h, std::move(c), true);
  }
  bool slot = false;
  if (h.waiters.empty() && !host_full(h)) {
    // At the total limit, another host's idle connection gives way: no waiter can be held
    // by the total limit while one exists, so nobody is overtaken.
    slot = !pool_full() || close_some_idle();
  }
  if (slot) {
    count_open(h);
  } else {
    // (co_await kept out of the condition: GCC 12 mishandles awaits in if conditions.)
    std::unique_ptr<connection> handed = co_await wait_turn(this, &h);
    if (handed) co_return make_lease(h, std::move(handed), true);
    // else handed a slot, already counted open for h
  }
  slot_guard guard(this, &h);
  auto t = co_await open(addr, tls);
  if (!t) co_return fail(t.error());  // the guard hands the slot on
  guard.dismiss();
  co_return make_lease(h, std::make_unique<connection>(std::move(*t)), false);
}

task<result<net::transport, connect_failure>> pool::open(const net::socket_address& addr, const tls_peer* tls) {
  net::connect_options co;
  co.timeout = opts_.connect_timeout;
  const time_point start = mono_clock::now();
  auto s = co_await net::tcp_connect(addr, co);
  if (!s) {
    switch (s.error()) {
      case std::errc::connection_refused: co_return fail(connect_failure{error_kind::refused, {}});
      case std::errc::timed_out: co_return fail(connect_failure{error_kind::connect_timeout, {}});
      case std::errc::too_many_files_open:
      case std::errc::too_many_files_open_in_system: co_return fail(connect_failure{error_kind::too_many_open_files, {}});
      default: co_return fail(connect_failure{error_kind::io_error, {}});
    }
  }
  if (!tls) co_return net::transport(std::move(*s));
  auto session = net::tls_session::client(tls->context, tls->host, tls->port);
  if (!session) co_return fail(connect_failure{error_kind::tls_handshake, session.error()});
  net::transport t(std::move(*s), std::move(*session));
  // The handshake shares the connect timeout with the TCP connect.
  auto done = co_await t.handshake(start + opts_.connect_timeout);
  if (!done) {
    const net::handshake_failure& f = done.error();
    if (f.timed_out) co_return fail(connect_failure{error_kind::connect_timeout, {}});
    const error_kind k = net::is_certificate_failure(f.error.kind) ? error_kind::tls_verify : error_kind::tls_handshake;
    co_return fail(connect_failure{k, f.error});
  }
  co_return std::move(t);
}

void pool::give_back(pool_host& h, std::unique_ptr<connection> conn) noexcept {
  if (!conn || !conn->is_open()) {
    conn.reset();
    slot_freed(h);
    return;
  }
  if (pool_waiter* w = h.waiters.front()) {
    hand_connection(*w, std::move(conn));
    return;
  }
  if (pool_full()) {
    if (pool_waiter* w = oldest_able()) {  // held by the total limit: it gets this slot
      conn.reset();
      count_closed(h);
      hand_slot(*w);
      return;
    }
  }
  h.idle.push_front({std::move(conn), event_loop::current().now()});
  ++idle_;
  if (!idle_hosts_.contains(h)) idle_hosts_.push_back(h);
}

}  // namespace barrage::client
