#include "net/resolver.hpp"

#include <ares.h>
#include <netdb.h>

#include <stdexcept>
#include <unordered_map>

#include "runtime/async_event.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/io.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"

namespace barrage::net {

const char* to_string(dns_error e) noexcept {
  switch (e) {
    case dns_error::not_found: return "name not found";
    case dns_error::timed_out: return "dns timeout";
    case dns_error::refused: return "dns server refused";
    case dns_error::bad_name: return "bad host name";
    case dns_error::failed: return "dns failure";
  }
  return "dns failure";
}

namespace {

struct library_init {
  library_init() { ::ares_library_init(ARES_LIB_INIT_ALL); }
  ~library_init() { ::ares_library_cleanup(); }
};

struct query {
  async_event done;
  int status = ARES_ENOTFOUND;
  std::vector<socket_address> addrs;
};

void on_result(void* arg, int status, int, ares_addrinfo* info) {
  auto* q = static_cast<query*>(arg);
  q->status = status;
  if (status == ARES_SUCCESS && info) {
    for (int family : {AF_INET, AF_INET6})
      for (ares_addrinfo_node* n = info->nodes; n; n = n->ai_next)
        if (n->ai_family == family) q->addrs.emplace_back(n->ai_addr, n->ai_addrlen);
  }
  if (info) ::ares_freeaddrinfo(info);
  q->done.set();
}

dns_error from_ares(int status) {
  switch (status) {
    case ARES_ENOTFOUND:
    case ARES_ENODATA: return dns_error::not_found;
    case ARES_ETIMEOUT: return dns_error::timed_out;
    case ARES_ECONNREFUSED:
    case ARES_EREFUSED: return dns_error::refused;
    case ARES_EBADNAME: return dns_error::bad_name;
    default: return dns_error::failed;
  }
}

}  // namespace

/// The c-ares channel and, for each socket it opens, a task on the loop that feeds it
/// readable events; plus a timer task while queries are pending.
struct resolver::channel {
  struct watcher {
    io_handle* handle;  // owned by the watching task's frame
    join_handle<void> task;
  };
  ares_channel ch = nullptr;
  event_loop* loop;
  std::unordered_map<int, watcher> sockets;
  int pending = 0;
  join_handle<void> ticker;

  explicit channel(const options& o) : loop(&event_loop::current()) {
    static library_init init;
    ares_options ao{};
    ao.sock_state_cb = &channel::on_socket;
    ao.sock_state_cb_data = this;
    ao.timeout = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(o.query_timeout).count());
    ao.tries = o.tries;
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    if (int rc = ::ares_init_options(&ch, &ao, mask); rc != ARES_SUCCESS)
      throw std::runtime_error(std::string("c-ares init: ") + ::ares_strerror(rc));
    if (!o.servers.empty()) ::ares_set_servers_ports_csv(ch, o.servers.c_str());
  }
  ~channel() {
    ticker.cancel();
    ::ares_destroy(ch);  // reports each socket closing: their watchers are cancelled
    for (auto& [fd, w] : sockets) {
      loop->backend().detach(*w.handle);
      w.task.cancel();
    }
  }

  static void on_socket(void* data, ares_socket_t fd, int readable, int writable) {
    auto* self = static_cast<channel*>(data);
    auto it = self->sockets.find(fd);
    if (!readable && !writable) {  // c-ares is about to close it
      if (it == self->sockets.end()) return;
      self->loop->backend().detach(*it->second.handle);
      it->second.task.cancel();
      it->second.task.detach();  // it ends at its next turn, freeing its handle
      self->sockets.erase(it);
      return;
    }
    if (it != self->sockets.end()) return;
    auto h = std::make_unique<io_handle>();
    h->fd = fd;
    self->loop->backend().attach(*h);
    io_handle* raw = h.get();
    self->sockets.emplace(fd, watcher{raw, spawn(*self->loop, self->watch(std::move(h)), "dns")});
  }

  task<void> watch(std::unique_ptr<io_handle> h) {
    int fd = h->fd;
    for (;;) {
      io_op op;
      op.kind = io_kind::readable;
      co_await io_awaiter(*h, op);
      ::ares_process_fd(ch, fd, ARES_SOCKET_BAD);
      if (!sockets.count(fd)) co_return;  // closed while processing
    }
  }

  /// Drives c-ares timeouts while any query is pending.
  task<void> tick() {
    while (pending > 0) {
      timeval tv{};
      timeval max{1, 0};
      ::ares_timeout(ch, &max, &tv);
      co_await sleep_for(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
      ::ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    }
  }
};

resolver::resolver(options opts) : opts_(std::move(opts)) {}
resolver::~resolver() = default;

task<result<std::vector<socket_address>, dns_error>> resolver::resolve(std::string host, std::uint16_t port) {
  if (auto a = socket_address::from_ip(host, port)) co_return std::vector<socket_address>{*a};
  if (host.empty() || host.size() > 253) co_return fail(dns_error::bad_name);
  time_point t = event_loop::current().now();
  if (auto it = cache_.find(host); it != cache_.end() && it->second.expires > t) {
    ++hits_;
    auto addrs = it->second.addrs;
    for (auto& a : addrs) a.set_port(port);
    co_return addrs;
  }
  if (!ch_) ch_ = std::make_unique<channel>(opts_);
  ++queries_;
  query q;
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  ::ares_getaddrinfo(ch_->ch, host.c_str(), nullptr, &hints, &on_result, &q);
  if (!q.done.is_set()) {
    if (ch_->pending++ == 0 && ch_->ticker.done()) ch_->ticker = spawn(ch_->tick(), "dns timer");
    co_await q.done.wait();
    --ch_->pending;
  }
  if (q.status != ARES_SUCCESS) co_return fail(from_ares(q.status));
  if (q.addrs.empty()) co_return fail(dns_error::not_found);
  for (auto& a : q.addrs) a.set_port(port);
  if (opts_.cache_ttl > duration::zero()) cache_[host] = {q.addrs, t + opts_.cache_ttl};
  co_return q.addrs;
}

}  // namespace barrage::net
