// worker: following redirects (--redirects). A chain is one request in the accounting: its
// latency runs from the first send to the last response, and each hop is timed on its own
// (run_stats::redirect_hops).
#include "http/message.hpp"
#include "http/redirect.hpp"
#include "http/request_template.hpp"
#include "loadgen/worker.hpp"
#include "net/tcp.hpp"
#include "runtime/with_timeout.hpp"

namespace barrage::loadgen {
namespace {

/// Fields a client does not carry to another origin (curl drops them too).
bool origin_bound(std::string_view name) { return http::iequals(name, "Authorization") || http::iequals(name, "Cookie"); }

}  // namespace

task<client::outcome> worker::follow_redirects(std::optional<client::connection>& conn, client::outcome o,
                                               std::string location, time_point start, bool counted,
                                               const redirect_source* source) {
  const redirect_source plans{&plan_.url, plan_.config.method, plan_.fields, plan_.config.body, nullptr, 0};
  const redirect_source& from = source ? *source : plans;
  const time_point deadline = start + plan_.config.timeout;  // the chain's, as for one request
  http::url at = *from.url;
  std::string method(from.method);
  bool with_body = true;
  std::uint64_t bytes_in = o.bytes_in;
  const std::uint8_t attempts = o.attempts;  // of the first request, by the retry policy
  unsigned hops = 0;
  std::vector<http::header> fields;
  while (follows(o)) {
    if (hops == plan_.config.redirects) {
      if (counted) ++stats_.count.redirect_limit;
      break;
    }
    auto next = http::resolve_location(at, location);
    if (!next) {  // none, or not an http:// or https:// URL
      if (counted) ++stats_.count.redirect_unfollowable;
      break;
    }
    if (!http::redirect_keeps_method(o.status)) {
      if (method != "HEAD") method = "GET";
      with_body = false;
    }
    const bool home = http::same_origin(*next, *from.url);
    fields.clear();
    for (const auto& f : from.fields)
      if (home || !origin_bound(f.name)) fields.push_back(f);
    const std::string target = next->target(), host = next->host_header();
    auto request =
        http::request_template::make({method, target, host, fields, with_body ? from.body : std::string_view()});
    if (!request) {  // parse_url validated the target and host; the rest was sent already
      if (counted) ++stats_.count.redirect_unfollowable;
      break;
    }
    if (from.keep) from.keep->body.clear();  // the last hop's response is the one kept
    o = co_await redirect_hop(conn, *next, request->bytes(), method == "HEAD", deadline, location, counted, from);
    ++hops;
    bytes_in += o.bytes_in;
    at = std::move(*next);
  }
  o.bytes_in = bytes_in;
  o.attempts = attempts;
  o.times.complete = to_ns(mono_clock::now() - start);
  co_return o;
}

task<bool> worker::connect_elsewhere(std::optional<client::connection>& conn, const http::url& to,
                                      client::outcome& o) {
  std::optional<net::socket_address> addr;
  if (const net::resolve_override* pinned = net::find_override(plan_.config.resolves, to.host, to.port)) {
    const net::socket_address* a = next_of(pinned->addresses);
    addr = a ? *a : pinned->addresses.front();
  } else {
    addr = net::socket_address::from_ip(to.host, to.port);
  }
  if (!addr) {
    auto found = co_await with_timeout(plan_.config.connect_timeout, resolver().resolve(to.host, to.port));
    if (!found || !*found) {
      o.error = client::error_kind::dns;
      o.dns_detail = static_cast<std::uint8_t>(found ? found->error() : net::dns_error::timed_out);
      co_return false;
    }
    addr = (*found)->front();
  }
  net::connect_options opts;
  opts.timeout = plan_.config.connect_timeout;
  const time_point connect_start = mono_clock::now();
  auto s = co_await net::tcp_connect(*addr, opts);
  if (!s) {
    o.error = connect_error(s.error());
    co_return false;
  }
  std::optional<net::transport> t;
  if (to.scheme == http::url_scheme::https) {
    // prepare() made the run's TLS context when redirects may lead to https.
    t = co_await secure(std::move(*s), connect_start + plan_.config.connect_timeout, o, to.host, to.port);
    if (!t) co_return false;
  } else {
    t.emplace(std::move(*s));
  }
  conn.emplace(std::move(*t), http::response_limits{}, field_slots_);
  conn->keep_location(true);
  ++stats_.count.connects;
  co_return true;
}

task<client::outcome> worker::redirect_hop(std::optional<client::connection>& conn, const http::url& to,
                                           std::string_view request, bool head, time_point deadline,
                                           std::string& location, bool counted, const redirect_source& from) {
  const time_point hop_start = mono_clock::now();
  client::outcome o;
  // The target's origin goes over the request's own connection; another one over a
  // connection of its own, closed after the hop.
  const bool home = http::same_origin(to, *from.url);
  std::optional<client::connection> other;
  if (home) {
    const bool connected = co_await ensure_connected(conn, o, from.origin);
    if (!connected) co_return o;
  } else {
    const bool connected = co_await connect_elsewhere(other, to, o);
    if (!connected) co_return o;
  }
  client::connection& c = home ? *conn : *other;
  const std::uint64_t sent_before = c.bytes_sent();
  const client::error_kind sent = co_await c.send(request, deadline);
  if (counted) stats_.count.bytes_out += c.bytes_sent() - sent_before;
  if (sent != client::error_kind::none) {
    o.error = sent;
  } else {
    o = co_await c.receive(hop_start, {deadline, time_point::max()}, head, from.keep);
    if (follows(o)) location = c.location();
  }
  if (!plan_.config.keepalive) c.close();
  if (home) drop_if_closed(conn);
  if (counted) {
    ++stats_.count.redirects;
    stats_.redirect_hops.record(static_cast<std::uint64_t>(to_ns(mono_clock::now() - hop_start)));
  }
  co_return o;
}

}  // namespace barrage::loadgen
