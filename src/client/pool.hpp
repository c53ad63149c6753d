#pragma once
// A connection pool, like aiohttp's TCPConnector: a limit on all connections and one per
// host (waiters are served first come, first served), idle connections reused newest first
// and dropped after an idle timeout.
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "client/connection.hpp"
#include "runtime/async_event.hpp"

namespace barrage::client {

struct pool_options {
  std::size_t limit = 100;         // all connections; 0: no limit
  std::size_t limit_per_host = 0;  // 0: no limit
  duration idle_timeout = std::chrono::seconds(15);
  duration connect_timeout = std::chrono::seconds(10);
};

class pool;

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
  std::string key_;
  std::unique_ptr<connection> conn_;
  bool reused_ = false;
};

class pool {
 public:
  explicit pool(pool_options opts = {});
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  /// An idle connection to `key` (host:port), or a new one to `addr`; waits while a limit
  /// is reached. The error is the connect failure.
  task<result<lease, error_kind>> acquire(const std::string& key, const net::socket_address& addr);

  std::size_t open_connections() const noexcept { return open_; }
  std::size_t idle_connections() const noexcept;
  std::uint64_t reuses() const noexcept { return reuses_; }

 private:
  friend class lease;
  struct idle_entry {
    std::unique_ptr<connection> conn;
    time_point since;
  };
  struct host_state {
    std::list<idle_entry> idle;  // newest at the front
    std::size_t open = 0;        // idle or leased
  };
  void give_back(const std::string& key, std::unique_ptr<connection> conn) noexcept;
  void closed(host_state& h) noexcept;
  /// Wakes every waiter to look again: a connection came back or a slot was freed.
  void changed() noexcept;

  pool_options opts_;
  std::unordered_map<std::string, host_state> hosts_;
  async_event changed_;
  std::size_t open_ = 0;
  std::uint64_t reuses_ = 0;
};

}  // namespace barrage::client
