#include "client/pool.hpp"

#include "net/tcp.hpp"
#include "runtime/event_loop.hpp"

namespace barrage::client {

lease::lease(lease&& o) noexcept
    : pool_(std::exchange(o.pool_, nullptr)), key_(std::move(o.key_)), conn_(std::move(o.conn_)), reused_(o.reused_) {}

lease& lease::operator=(lease&& o) noexcept {
  if (this != &o) {
    release();
    pool_ = std::exchange(o.pool_, nullptr);
    key_ = std::move(o.key_);
    conn_ = std::move(o.conn_);
    reused_ = o.reused_;
  }
  return *this;
}

void lease::release() noexcept {
  if (!pool_) return;
  pool_->give_back(key_, std::move(conn_));
  pool_ = nullptr;
}

pool::pool(pool_options opts) : opts_(opts) {}

pool::~pool() = default;

std::size_t pool::idle_connections() const noexcept {
  std::size_t n = 0;
  for (const auto& [k, h] : hosts_) n += h.idle.size();
  return n;
}

void pool::changed() noexcept {
  changed_.set();
  changed_.clear();
}

void pool::closed(host_state& h) noexcept {
  --h.open;
  --open_;
  changed();
}

task<result<lease, error_kind>> pool::acquire(const std::string& key, const net::socket_address& addr) {
  host_state& h = hosts_[key];
  for (;;) {
    time_point now = event_loop::current().now();
    while (!h.idle.empty()) {
      idle_entry e = std::move(h.idle.front());
      h.idle.pop_front();
      if (e.conn->is_open() && now - e.since < opts_.idle_timeout) {
        lease l;
        l.pool_ = this;
        l.key_ = key;
        l.conn_ = std::move(e.conn);
        l.reused_ = true;
        ++reuses_;
        co_return l;
      }
      closed(h);
    }
    bool host_full = opts_.limit_per_host && h.open >= opts_.limit_per_host;
    bool pool_full = opts_.limit && open_ >= opts_.limit;
    if (!host_full && !pool_full) break;
    co_await changed_.wait();  // waiters wake in arrival order and look again
  }
  ++h.open;  // the slot is ours while we connect
  ++open_;
  net::connect_options co;
  co.timeout = opts_.connect_timeout;
  auto s = co_await net::tcp_connect(addr, co);
  if (!s) {
    closed(h);
    switch (s.error()) {
      case std::errc::connection_refused: co_return fail(error_kind::refused);
      case std::errc::timed_out: co_return fail(error_kind::connect_timeout);
      case std::errc::too_many_files_open:
      case std::errc::too_many_files_open_in_system: co_return fail(error_kind::too_many_open_files);
      default: co_return fail(error_kind::io_error);
    }
  }
  lease l;
  l.pool_ = this;
  l.key_ = key;
  l.conn_ = std::make_unique<connection>(std::move(*s));
  co_return l;
}

void pool::give_back(const std::string& key, std::unique_ptr<connection> conn) noexcept {
  host_state& h = hosts_[key];
  if (conn && conn->is_open()) {
    h.idle.push_front({std::move(conn), event_loop::current().now()});
    changed();
    return;
  }
  closed(h);
}

}  // namespace barrage::client
