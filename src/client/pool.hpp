#pragma once
// A connection pool, like aiohttp's TCPConnector: a limit on all connections and one per
// host, idle connections reused newest first and dropped after an idle timeout.
//
// Waiting is by direct hand-off, first come, first served, O(1) per release in the common
// case (nothing is broadcast to the waiters):
// - an acquire that cannot be served at once (its host is at its per-host limit, or the
//   pool is at its total limit and holds no idle connection to close) queues in one FIFO of
//   all waiters, and in the FIFO of its host; the node lives in the awaiting frame;
// - a connection that comes back open goes to the oldest waiter of its host; else, when a
//   waiter of another host is blocked by the total limit, it is closed and its slot goes to
//   the oldest waiter that can use it; else it becomes idle;
// - a freed slot (a connection closed, a connect failed) is counted open at once for the
//   oldest waiter that can use it (its host under the per-host limit), which then connects;
// - a newcomer never takes what a waiter could use: it queues behind the waiters of its
//   host, and the invariants below leave nothing usable to any waiter lying idle or free.
//
// Invariants while tasks wait:
// - a host with waiters has no idle connection;
// - a waiter whose host is under its per-host limit is blocked by the total limit: the pool
//   is at that limit and holds no idle connection at all (a newcomer in that position closes
//   another host's idle connection and takes its slot instead of waiting).
// So a released resource has one obvious taker, found in O(1), except that with a per-host
// limit and the total limit both reached, the search for a slot's taker skips the waiters of
// hosts at their own limit.
//
// A waiter cancelled before the hand-off leaves the queues; once handed something its wait
// can no longer be aborted (a later stop request stays pending): it returns the lease, which
// gives the connection back if the task then stops.
#include <coroutine>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "base/intrusive_fifo.hpp"
#include "base/result.hpp"
#include "client/connection.hpp"
#include "net/tls_context.hpp"
#include "net/tls_error.hpp"
#include "runtime/stop_scope.hpp"
#include "runtime/task.hpp"

namespace barrage::client {

struct pool_options {
  std::size_t limit = 100;         // all connections; 0: no limit
  std::size_t limit_per_host = 0;  // 0: no limit
  duration idle_timeout = std::chrono::seconds(15);
  duration connect_timeout = std::chrono::seconds(10);
};

class pool;
struct pool_host;

/// An https origin: a new connection runs the TLS handshake after the TCP connect, within the
/// same connect timeout.
struct tls_peer {
  net::tls_context context;
  std::string host;  // SNI and the name the certificate must carry
  std::uint16_t port = 0;
};

/// Why acquire gave no connection: the kind (refused, connect_timeout, tls_verify, ...) and,
/// for the tls_ kinds, the session's reason.
struct connect_failure {
  error_kind kind = error_kind::io_error;
  net::tls_error tls;
};

/// A connection checked out of the pool; goes back (or is closed) when released.
class lease {
 public:
  lease() = default;
  lease(lease&& o) noexcept;
  lease& operator=(lease&& o) noexcept;
  ~lease() { release(); }
  connection* operator->() noexcept { return conn_.get(); }
  connection& operator*() noexcept { return *conn_; }
  bool reused() const noexcept { return reused_; }
  /// Back to the pool when the connection is still open, else closed.
  void release() noexcept;

 private:
  friend class pool;
  pool* pool_ = nullptr;
  pool_host* host_ = nullptr;
  std::unique_ptr<connection> conn_;
  bool reused_ = false;
};

/// A task waiting in acquire: an intrusive node of the pool's FIFO and of its host's.
struct pool_waiter {
  fifo_links<pool_waiter> in_pool;  // all waiters, oldest first
  fifo_links<pool_waiter> in_host;  // this host's waiters, oldest first
  pool_host* host = nullptr;
  std::coroutine_handle<> h;
  cancellable_wait wait;
  std::unique_ptr<connection> conn;  // handed: an open connection of `host`
  bool slot = false;                 // handed: a slot, counted open for `host`
};

/// One host (key) of the pool. Never erased while the pool lives: leases point at it.
struct pool_host {
  struct idle_entry {
    std::unique_ptr<connection> conn;
    time_point since;
  };
  std::list<idle_entry> idle;  // newest at the front
  std::size_t open = 0;        // idle, leased, or a slot being connected
  intrusive_fifo<pool_waiter, &pool_waiter::in_host> waiters;
  fifo_links<pool_host> in_idle_hosts;  // the pool's list of hosts with idle connections
};

class pool {
 public:
  explicit pool(pool_options opts = {});
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  /// An idle connection to `key` (one origin: give https origins keys of their own), or a new
  /// one to `addr`, over TLS when `tls` is given; waits while a limit is reached. The error is
  /// the connect or handshake failure.
  task<result<lease, connect_failure>> acquire(const std::string& key, const net::socket_address& addr,
                                               const tls_peer* tls = nullptr);

  std::size_t open_connections() const noexcept { return open_; }
  std::size_t idle_connections() const noexcept { return idle_; }
  std::uint64_t reuses() const noexcept { return reuses_; }
  /// Times an acquire had to wait. Each waiting acquire suspends once, resumed by a hand-off.
  std::uint64_t waits() const noexcept { return waits_; }
  /// Tasks waiting in acquire now.
  std::size_t waiting() const noexcept { return waiting_; }

 private:
  friend class lease;
  struct wait_turn;
  class slot_guard;

  void give_back(pool_host& h, std::unique_ptr<connection> conn) noexcept;
  /// A slot of `h` is free (a connection closed, a connect failed): it goes to the oldest
  /// waiter that can use it, if any.
  void slot_freed(pool_host& h) noexcept;
  /// The oldest waiter a free slot lets connect (the total limit has room for one more).
  pool_waiter* oldest_able() noexcept;
  void hand_slot(pool_waiter& w) noexcept;
  void hand_connection(pool_waiter& w, std::unique_ptr<connection> conn) noexcept;
  /// A fresh idle connection of `h`, newest first; expired ones are closed on the way.
  std::unique_ptr<connection> take_idle(pool_host& h) noexcept;
  /// Closes the oldest idle connection of some host; false when the pool has none.
  bool close_some_idle() noexcept;
  void pop_idle(pool_host& h, bool front) noexcept;
  void enqueue(pool_waiter& w) noexcept;
  void unlink(pool_waiter& w) noexcept;
  /// One more (or one fewer) connection or slot of h, in h's count and the pool's.
  void count_open(pool_host& h) noexcept;
  void count_closed(pool_host& h) noexcept;
  bool pool_full() const noexcept;
  bool host_full(const pool_host& h) const noexcept;
  /// A waiter's frame went away: leave the queues, give back what it was handed.
  void abandon(pool_waiter& w) noexcept;
  lease make_lease(pool_host& h, std::unique_ptr<connection> conn, bool reused) noexcept;
  /// A new connection to `addr` (TLS when `tls`), by the connect timeout.
  task<result<net::transport, connect_failure>> open(const net::socket_address& addr, const tls_peer* tls);

  pool_options opts_;
  std::unordered_map<std::string, pool_host> hosts_;
  intrusive_fifo<pool_waiter, &pool_waiter::in_pool> waiters_;
  intrusive_fifo<pool_host, &pool_host::in_idle_hosts> idle_hosts_;  // longest idle first
  std::size_t open_ = 0;
  std::size_t idle_ = 0;
  std::size_t waiting_ = 0;
  std::uint64_t reuses_ = 0;
  std::uint64_t waits_ = 0;
};

}  // namespace barrage::client
