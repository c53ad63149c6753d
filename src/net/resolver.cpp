#include "net/resolver.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <stdexcept>
#include <unordered_map>

#include "runtime/async_event.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/io.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"
#include "runtime/with_timeout.hpp"

namespace barrage::net {

const char* to_string(dns_error e) noexcept {
  switch (e) {
    case dns_error::not_found: return "no such name (NXDOMAIN)";
    case dns_error::no_address: return "the name has no address record";
    case dns_error::servfail: return "the DNS server failed (SERVFAIL)";
    case dns_error::refused: return "the DNS server refused the query (REFUSED)";
    case dns_error::unreachable: return "no DNS server at the address (connection refused)";
    case dns_error::timed_out: return "no answer from the DNS server (timeout)";
    case dns_error::bad_response: return "malformed or truncated DNS answer";
    case dns_error::bad_name: return "bad host name";
    case dns_error::cancelled: return "lookup cancelled";
    case dns_error::failed: return "DNS failure";
  }
  return "DNS failure";
}

const char* to_key(dns_error e) noexcept {
  switch (e) {
    case dns_error::not_found: return "not_found";
    case dns_error::no_address: return "no_address";
    case dns_error::servfail: return "servfail";
    case dns_error::refused: return "refused";
    case dns_error::unreachable: return "unreachable";
    case dns_error::timed_out: return "timed_out";
    case dns_error::bad_response: return "bad_response";
    case dns_error::bad_name: return "bad_name";
    case dns_error::cancelled: return "cancelled";
    case dns_error::failed: return "failed";
  }
  return "failed";
}

result<std::string, std::string> parse_dns_servers(std::string_view text) {
  std::string out;
  if (text.empty()) return fail(std::string("bad DNS server \"\": expected ADDR[:PORT], e.g. 127.0.0.1:5353"));
  std::size_t pos = 0;
  for (;;) {
    const std::size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    std::optional<socket_address> a;
    const std::size_t colons = static_cast<std::size_t>(std::count(item.begin(), item.end(), ':'));
    if (!item.empty() && item.front() == '[') {
      a = item.back() == ']' ? socket_address::from_ip(item.substr(1, item.size() - 2), 53)
                             : socket_address::parse(item);
    } else if (colons != 1) {
      a = socket_address::from_ip(item, 53);  // IPv4 without a port, or a bare IPv6 address
    } else if (item.front() != ':') {
      a = socket_address::parse(item);
    }
    if (a && a->port() == 0) a.reset();
    if (!a)
      return fail("bad DNS server \"" + std::string(item) +
                  "\": expected an IP address with an optional port, e.g. 127.0.0.1:5353 or [::1]:53");
    if (!out.empty()) out += ',';
    out += a->to_string();
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

namespace {

struct library_init {
  library_init() { ::ares_library_init(ARES_LIB_INIT_ALL); }
  ~library_init() { ::ares_library_cleanup(); }
};

dns_error from_ares(int status) {
  switch (status) {
    case ARES_ENOTFOUND: return dns_error::not_found;
    case ARES_ENODATA: return dns_error::no_address;
    case ARES_ESERVFAIL: return dns_error::servfail;
    case ARES_EREFUSED: return dns_error::refused;
    case ARES_ECONNREFUSED: return dns_error::unreachable;
    case ARES_ETIMEOUT: return dns_error::timed_out;
    case ARES_EBADRESP:
    case ARES_EFORMERR: return dns_error::bad_response;
    case ARES_EBADNAME: return dns_error::bad_name;
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION: return dns_error::cancelled;
    default: return dns_error::failed;
  }
}

}  // namespace

/// One pending lookup. The c-ares callback owns one reference and each waiting task another,
/// so any of them may go first (a cancelled task leaves the answer to the others).
struct resolver::lookup {
  resolver::channel* owner;
  async_event done;
  int status = ARES_ENOTFOUND;
  std::vector<socket_address> addrs;
};

/// The c-ares channel and the tasks that drive it. Every task holds a shared_ptr to it and
/// checks `closed` after each suspension: c-ares is never entered once the resolver is gone.
struct resolver::channel : std::enable_shared_from_this<channel> {
  struct watched {
    // A stable address (the backend keeps a pointer to it), shared with the watchers whose
    // pending operations point into it until their frames end.
    std::shared_ptr<io_handle> handle;
    join_handle<void> reader, writer;
    std::uint64_t generation = 0;
  };

  ares_channel ch = nullptr;
  event_loop* loop;
  std::unordered_map<int, watched> sockets;
  std::uint64_t next_generation = 1;
  int pending = 0;
  bool closed = false;
  async_event activity;  // a socket may be ready, or a new query was started
  join_handle<void> driver;

  explicit channel(const options& o) : loop(&event_loop::current()) {
    static library_init init;
    ares_options ao{};
    ao.sock_state_cb = &channel::on_socket;
    ao.sock_state_cb_data = this;
    ao.timeout = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(o.query_timeout).count());
    ao.tries = o.tries;
    // Answers with SERVFAIL or REFUSED reach us as such: without the flag, c-ares 1.18 moves
    // on to the next server and, with none left, reports "connection refused" for both, so a
    // load test could not tell a failing DNS server from a missing one.
    ao.flags = ARES_FLAG_NOCHECKRESP;
    int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS;
    if (int rc = ::ares_init_options(&ch, &ao, mask); rc != ARES_SUCCESS)
      throw std::runtime_error(std::string("c-ares init: ") + ::ares_strerror(rc));
    if (!o.servers.empty()) {
      if (int rc = ::ares_set_servers_ports_csv(ch, o.servers.c_str()); rc != ARES_SUCCESS) {
        ::ares_destroy(ch);
        throw std::runtime_error("bad DNS server list \"" + o.servers + "\": " + ::ares_strerror(rc));
      }
    }
  }
  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;
  ~channel() { shutdown(); }

  /// Ends every lookup (their callbacks report ARES_EDESTRUCTION) and every task.
  void shutdown() noexcept {
    if (closed) return;
    closed = true;
    ::ares_destroy(ch);  // reports each socket closing: their watchers are cancelled
    ch = nullptr;
    for (auto& [fd, w] : sockets) forget(w);
    sockets.clear();
    driver.cancel();
    driver.detach();
  }

  void forget(watched& w) noexcept {
    loop->backend().detach(*w.handle);
    w.reader.cancel();
    w.reader.detach();  // its frame ends at its next turn
    w.writer.cancel();
    w.writer.detach();
  }

  static void on_socket(void* data, ares_socket_t fd, int readable, int writable) {
    auto* self = static_cast<channel*>(data);
    auto it = self->sockets.find(fd);
    if (!readable && !writable) {  // c-ares is about to close it
      if (it == self->sockets.end()) return;
      auto w = std::move(it->second);
      self->sockets.erase(it);
      self->forget(w);
      return;
    }
    if (it == self->sockets.end()) {
      watched w;
      w.handle = std::make_shared<io_handle>();
      w.handle->fd = fd;
      w.generation = self->next_generation++;
      self->loop->backend().attach(*w.handle);
      it = self->sockets.emplace(fd, std::move(w)).first;
      it->second.reader = spawn(*self->loop, watch(self->shared_from_this(), it->second.handle, it->second.generation, false), "dns");
    }
    // Interest changed (a TCP connect or a query to send): let the driver look again.
    self->activity.set();
  }

  bool owns(int fd, std::uint64_t generation) const noexcept {
    auto it = sockets.find(fd);
    return !closed && it != sockets.end() && it->second.generation == generation;
  }

  /// Waits for the socket to become readable (or, as the writer, writable) and tells the
  /// driver; the driver does the c-ares work. The reader lives as long as the socket; a
  /// writer fires once. Each sets `activity` before it waits, so the driver looks at the
  /// socket after the watcher is armed: an edge before arming is never lost.
  static task<void> watch(std::shared_ptr<channel> self, std::shared_ptr<io_handle> h, std::uint64_t generation,
                          bool write) {
    const int fd = h->fd;
    for (;;) {
      if (!self->owns(fd, generation)) co_return;
      self->activity.set();
      io_op op;
      op.kind = write ? io_kind::writable : io_kind::readable;
      co_await io_awaiter(*h, op);
      if (!self->owns(fd, generation)) co_return;
      if (write) {
        self->activity.set();
        co_return;
      }
    }
  }

  /// While any lookup is pending: process ready sockets and c-ares' timeouts.
  static task<void> drive(std::shared_ptr<channel> self) {
    auto wait = [](async_event& e) -> task<void> { co_await e.wait(); };
    while (!self->closed && self->pending > 0) {
      self->activity.clear();
      self->process_ready();
      if (self->closed || self->pending == 0) break;
      self->arm_writers();
      timeval max{1, 0}, tv{};
      ::ares_timeout(self->ch, &max, &tv);
      duration left = std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec);
      auto r = co_await with_timeout(left, wait(self->activity));
      if (self->closed) break;
      if (!r) ::ares_process_fd(self->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // c-ares' timeouts
    }
  }

  /// Hands c-ares every socket that is ready for what it wants, until none is.
  void process_ready() {
    for (int round = 0; round < 64 && !closed; ++round) {
      std::array<ares_socket_t, ARES_GETSOCK_MAXNUM> socks{};
      int bits = ::ares_getsock(ch, socks.data(), ARES_GETSOCK_MAXNUM);
      std::array<pollfd, ARES_GETSOCK_MAXNUM> fds{};
      nfds_t n = 0;
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short ev = (ARES_GETSOCK_READABLE(bits, i) ? POLLIN : 0) | (ARES_GETSOCK_WRITABLE(bits, i) ? POLLOUT : 0);
        if (ev) fds[n++] = pollfd{socks[static_cast<std::size_t>(i)], ev, 0};
      }
      if (n == 0 || ::poll(fds.data(), n, 0) <= 0) return;
      for (nfds_t i = 0; i < n && !closed; ++i) {
        const short re = fds[i].revents;
        if (!re) continue;
        ares_socket_t r = (re & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
        ares_socket_t w = (re & (POLLOUT | POLLERR | POLLHUP)) && (fds[i].events & POLLOUT) ? fds[i].fd
                                                                                           : ARES_SOCKET_BAD;
        ::ares_process_fd(ch, r, w);
      }
    }
  }

  /// A writer for each socket c-ares wants to write to and that has none waiting.
  void arm_writers() {
    std::array<ares_socket_t, ARES_GETSOCK_MAXNUM> socks{};
    int bits = ::ares_getsock(ch, socks.data(), ARES_GETSOCK_MAXNUM);
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      if (!ARES_GETSOCK_WRITABLE(bits, i)) continue;
      auto it = sockets.find(socks[static_cast<std::size_t>(i)]);
      if (it == sockets.end() || !it->second.writer.done()) continue;
      it->second.writer = spawn(*loop, watch(shared_from_this(), it->second.handle, it->second.generation, true), "dns");
    }
  }

  static void on_result(void* arg, int status, int, ares_addrinfo* info) {
    auto* ref = static_cast<std::shared_ptr<lookup>*>(arg);
    lookup& q = **ref;
    q.status = status;
    if (status == ARES_SUCCESS && info) {
      for (int family : {AF_INET, AF_INET6})
        for (ares_addrinfo_node* n = info->nodes; n; n = n->ai_next)
          if (n->ai_family == family) q.addrs.emplace_back(n->ai_addr, n->ai_addrlen);
    }
    if (info) ::ares_freeaddrinfo(info);
    --q.owner->pending;
    q.done.set();
    delete ref;
  }

  /// A fully qualified name ("localhost.") in the hosts file, which lists names without the
  /// root's dot: what glibc's resolver finds there too.
  std::vector<socket_address> from_hosts_file(std::string_view fqdn) {
    std::vector<socket_address> out;
    std::string name(fqdn.substr(0, fqdn.size() - 1));
    for (int family : {AF_INET, AF_INET6}) {
      hostent* h = nullptr;
      if (::ares_gethostbyname_file(ch, name.c_str(), family, &h) != ARES_SUCCESS || !h) continue;
      for (char** a = h->h_addr_list; *a; ++a) {
        char text[INET6_ADDRSTRLEN] = {};
        ::inet_ntop(family, *a, text, sizeof text);
        if (auto sa = socket_address::from_ip(text, 0)) out.push_back(*sa);
      }
      ::ares_free_hostent(h);
    }
    return out;
  }

  std::shared_ptr<lookup> start(const std::string& host) {
    auto q = std::make_shared<lookup>();
    q->owner = this;
    ++pending;
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    ::ares_getaddrinfo(ch, host.c_str(), nullptr, &hints, &on_result, new std::shared_ptr<lookup>(q));
    if (pending > 0 && driver.done()) driver = spawn(*loop, drive(shared_from_this()), "dns driver");
    activity.set();
    return q;
  }
};

resolver::resolver(options opts) : opts_(std::move(opts)) {
  if (!opts_.servers.empty()) ch_ = std::make_shared<channel>(opts_);  // a bad list fails here
}

resolver::~resolver() {
  if (ch_) ch_->shutdown();
}

task<result<std::vector<socket_address>, dns_error>> resolver::resolve(std::string host, std::uint16_t port) {
  if (auto a = socket_address::from_ip(host, port)) co_return std::vector<socket_address>{*a};
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    if (auto a = socket_address::from_ip(std::string_view(host).substr(1, host.size() - 2), port))
      co_return std::vector<socket_address>{*a};
  if (host.empty() || host.size() > 253) co_return fail(dns_error::bad_name);
  time_point t = event_loop::current().now();
  if (auto it = cache_.find(host); it != cache_.end() && it->second.expires > t) {
    ++hits_;
    auto addrs = it->second.addrs;
    for (auto& a : addrs) a.set_port(port);
    co_return addrs;
  }
  if (!ch_) ch_ = std::make_shared<channel>(opts_);
  if (host.back() == '.' && host.size() > 1) {
    auto addrs = ch_->from_hosts_file(host);
    if (!addrs.empty()) {
      for (auto& a : addrs) a.set_port(port);
      co_return addrs;
    }
  }
  std::shared_ptr<lookup> q;
  bool record = false;  // this task caches the answer: it started the query, or took it over
  if (auto it = inflight_.find(host); it != inflight_.end() && !it->second->done.is_set()) {
    q = it->second;
  } else {
    ++queries_;
    q = ch_->start(host);
    record = true;
    if (!q->done.is_set()) inflight_[host] = q;
    else if (it != inflight_.end()) inflight_.erase(it);  // finished, its waiters all gone
  }
  if (!q->done.is_set()) co_await q->done.wait();
  // The resolver may be gone by now (its destruction ends every lookup): touch it only
  // when the lookup really finished.
  if (q->status == ARES_EDESTRUCTION) co_return fail(dns_error::cancelled);
  if (auto it = inflight_.find(host); it != inflight_.end() && it->second == q) {
    inflight_.erase(it);  // the first waiter to resume (the starter may have been cancelled)
    record = true;
  }
  if (record && q->status == ARES_SUCCESS && !q->addrs.empty() && opts_.cache_ttl > duration::zero())
    cache_[host] = {q->addrs, t + opts_.cache_ttl};
  if (q->status != ARES_SUCCESS) co_return fail(from_ares(q->status));
  if (q->addrs.empty()) co_return fail(dns_error::no_address);
  std::vector<socket_address> addrs = q->addrs;  // shared with the other waiters
  for (auto& a : addrs) a.set_port(port);
  co_return addrs;
}

}  // namespace barrage::net
