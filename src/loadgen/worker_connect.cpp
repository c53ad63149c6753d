// The worker's connections: where the next one goes (the resolver, the addresses taken in
// turn), opening it (TCP, then TLS where the URL is https) with the connect timeout, and the
// failures of each step as the outcome's error kind.
#include "loadgen/worker.hpp"

#include "loadgen/run_resolver.hpp"
#include "loadgen/stream_recorder.hpp"
#include "net/tcp.hpp"
#include "net/tls_session.hpp"
#include "runtime/with_timeout.hpp"

namespace barrage::loadgen {
namespace {

/// While a connect is in flight the loop does not hold I/O (event_loop::options::hold_io): its
/// completion has no receive stamp, and the connect phase and the first request's latency are
/// timed by the clock, which a hold would make up to twice the timer slack late.
class connect_unheld {
 public:
  connect_unheld(bool holding, unsigned& connecting) noexcept : connecting_(holding ? &connecting : nullptr) {
    if (connecting_ && (*connecting_)++ == 0) event_loop::current().set_hold_io(false);
  }
  connect_unheld(const connect_unheld&) = delete;
  connect_unheld& operator=(const connect_unheld&) = delete;
  ~connect_unheld() {
    if (connecting_ && --*connecting_ == 0) event_loop::current().set_hold_io(true);
  }

 private:
  unsigned* connecting_;
};

}  // namespace

client::error_kind connect_error(std::errc e) noexcept {
  switch (e) {
    case std::errc::connection_refused: return client::error_kind::refused;
    case std::errc::timed_out: return client::error_kind::connect_timeout;
    case std::errc::too_many_files_open:
    case std::errc::too_many_files_open_in_system: return client::error_kind::too_many_open_files;
    case std::errc::connection_reset: return client::error_kind::reset;
    default: return client::error_kind::io_error;
  }
}

void worker::drop_if_closed(std::optional<client::connection>& conn) noexcept {
  if (conn && !conn->is_open()) {
    conn.reset();
    open_.fetch_sub(1, std::memory_order_relaxed);
  }
}

task<bool> worker::ensure_connected(std::optional<client::connection>& conn, client::outcome& o, unsigned origin) {
  drop_if_closed(conn);
  if (conn) co_return true;
  auto t = co_await open_transport(o, origin);
  if (!t) co_return false;
  if (t->protocol() == "h2") {  // --http2: this worker's HTTP/1.1 loop cannot speak it
    o.error = client::error_kind::h2_protocol_error;
    co_return false;
  }
  conn.emplace(std::move(*t), http::response_limits{}, field_slots_);
  if (hold_responses_) conn->enable_receive_stamps();  // false only for TLS, which hold_responses_ excludes
  if (plan_.config.pipeline > 1) conn->keep_grown_buffer();
  if (plan_.config.redirects > 0) conn->keep_location(true);
  if (plan_.config.stream) conn->set_watch(std::make_unique<stream_recorder>(stats_.streams, plan_.counted_from, plan_.config.stall));
  ++stats_.count.connects;
  open_.fetch_add(1, std::memory_order_relaxed);
  co_return true;
}

task<std::optional<net::transport>> worker::open_transport(client::outcome& o, unsigned origin) {
  const origin_route& r = plan_.origins[origin];
  unsigned& failures = connect_failures_[origin];
  if (failures > 0) {  // back off while the origin refuses: 10 ms doubling to 1 s
    auto wait = std::chrono::milliseconds(10) * (1u << std::min(failures - 1, 7u));
    co_await sleep_for(std::min<duration>(wait, std::chrono::seconds(1)));
  }
  net::connect_options opts;
  opts.timeout = plan_.config.connect_timeout;
  const auto& sources = plan_.config.sources;
  if (!sources.empty()) {
    opts.source = &sources[next_source_];
    next_source_ = next_source_ + 1 == sources.size() ? 0 : next_source_ + 1;
  }
  net::socket_address to;
  const bool found = co_await next_target(to, o, r);
  if (!found) {
    ++failures;
    co_return std::nullopt;
  }
  const time_point connect_start = mono_clock::now();
  std::optional<connect_unheld> unheld(std::in_place, hold_responses_, connecting_);
  auto c = co_await net::tcp_connect(to, opts);
  unheld.reset();
  stats_.count_connect(to, c.ok());
  if (!c) {
    ++failures;
    o.error = connect_error(c.error());
    co_return std::nullopt;
  }
  ready_at_ = mono_clock::now();
  stats_.phases.connect.record(static_cast<std::uint64_t>(to_ns(ready_at_ - connect_start)));
  std::optional<net::transport> t;
  if (r.url.scheme == http::url_scheme::https) {
    // The handshake shares --connect-timeout with the TCP connect.
    t = co_await secure(std::move(*c), connect_start + plan_.config.connect_timeout, o, r.url.host, r.url.port);
    if (!t) {
      ++failures;
      co_return std::nullopt;
    }
    ready_at_ = mono_clock::now();
  } else {
    t.emplace(std::move(*c));
  }
  failures = 0;
  co_return t;
}

task<std::optional<net::transport>> worker::secure(net::tcp_stream plain, time_point deadline, client::outcome& o,
                                                    const std::string& host, std::uint16_t port) {
  auto fail_with = [&](client::error_kind kind, const net::tls_error& e) {
    o.error = kind;
    o.tls_detail = static_cast<std::uint8_t>(e.kind);
    stats_.tls.note_failure(e);
  };
  const time_point start = mono_clock::now();
  auto session = net::tls_session::client(*plan_.tls, host, port);
  if (!session) {
    fail_with(client::error_kind::tls_handshake, session.error());
    co_return std::nullopt;
  }
  std::optional<net::transport> t;
  t.emplace(std::move(plain), std::move(*session));
  auto done = co_await t->handshake(deadline);
  if (!done) {
    if (done.error().timed_out) o.error = client::error_kind::connect_timeout;
    else
      fail_with(net::is_certificate_failure(done.error().error.kind) ? client::error_kind::tls_verify
                                                                      : client::error_kind::tls_handshake,
                done.error().error);
    co_return std::nullopt;
  }
  stats_.tls.count_handshake(*t->tls(), to_ns(mono_clock::now() - start));
  co_return std::move(t);
}

void worker::note_tls_failure(client::outcome& o, const client::connection& conn) {
  const net::tls_error* e = conn.tls_failure();
  if (!e) return;
  o.tls_detail = static_cast<std::uint8_t>(e->kind);
  stats_.tls.note_failure(*e);
}

net::resolver& worker::resolver() { return run_resolver(resolver_, plan_.config); }

const net::socket_address* worker::next_of(const std::vector<net::socket_address>& addrs) noexcept {
  const auto& sources = plan_.config.sources;
  const int family = sources.empty() ? AF_UNSPEC : sources.front().family();
  for (std::size_t tried = 0; tried < addrs.size(); ++tried) {
    const auto& a = addrs[next_address_++ % addrs.size()];
    if (family == AF_UNSPEC || a.family() == family) return &a;
  }
  return nullptr;
}

task<bool> worker::next_target(net::socket_address& to, client::outcome& o, const origin_route& r) {
  if (!r.pinned.empty()) {  // prepare() checked that one is of the --source family
    to = *next_of(r.pinned);
    co_return true;
  }
  if (!r.resolve) {
    to = r.target;
    co_return true;
  }
  // The lookup is part of the connection phase: --connect-timeout bounds it, as in curl.
  const std::uint64_t hits = resolver().cache_hits();
  const time_point lookup_start = mono_clock::now();
  auto looked_up = co_await with_timeout(plan_.config.connect_timeout, resolver().resolve(r.url.host, r.url.port));
  if (!looked_up || !*looked_up) {
    o.error = client::error_kind::dns;
    o.dns_detail = static_cast<std::uint8_t>(looked_up ? looked_up->error() : net::dns_error::timed_out);
    co_return false;
  }
  if (resolver().cache_hits() != hits) {  // answered from the cache: no lookup, 0 by definition
    stats_.phases.dns.record(0);
    ++stats_.phases.dns_cached;
  } else {
    stats_.phases.dns.record(static_cast<std::uint64_t>(to_ns(mono_clock::now() - lookup_start)));
  }
  if (const net::socket_address* a = next_of(**looked_up)) {
    to = *a;
    co_return true;
  }
  o.error = client::error_kind::dns;  // the name has no address of the --source family
  o.dns_detail = static_cast<std::uint8_t>(net::dns_error::no_address);
  co_return false;
}

}  // namespace barrage::loadgen
