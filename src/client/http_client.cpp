#include "client/http_client.hpp"

#include <algorithm>

#include "http/request_template.hpp"
#include "http/url.hpp"
#include "runtime/sleep.hpp"

namespace barrage::client {
namespace {

net::resolver::options resolver_options(const client_options& c) {
  net::resolver::options o;
  o.cache_ttl = c.dns_ttl;
  o.servers = c.dns_servers;
  o.query_timeout = std::chrono::milliseconds(500);
  return o;
}

}  // namespace

std::string_view response::header(std::string_view name) const noexcept {
  for (const auto& [n, v] : data.headers)
    if (http::iequals(n, name)) return v;
  return {};
}

http_client::http_client(client_options opts)
    : opts_(std::move(opts)), pool_(opts_.pool), resolver_(resolver_options(opts_)) {}

task<response> http_client::request(std::string method, std::string url, std::vector<http::header> headers,
                                    std::string body) {
  response res;
  auto u = http::parse_url(url);
  if (!u) {
    res.result.error = error_kind::parse_error;
    res.result.attempts = 0;
    co_return res;
  }
  std::optional<tls_peer> peer;
  if (u->scheme == http::url_scheme::https) {
    if (!tls_) {
      auto ctx = net::tls_context::client(opts_.tls);
      if (!ctx) {
        res.result.error = error_kind::tls_handshake;
        res.result.attempts = 0;
        res.error_message = "TLS: " + ctx.error();
        co_return res;
      }
      tls_ = std::move(*ctx);
    }
    peer.emplace(tls_peer{*tls_, u->host, u->port});
  }
  std::string target = u->target(), host = u->host_header();
  auto tmpl = http::request_template::make({method, target, host, headers, body});
  if (!tmpl) {
    res.result.error = error_kind::parse_error;
    res.result.attempts = 0;
    co_return res;
  }
  const time_point start = mono_clock::now();
  auto addrs = co_await resolver_.resolve(u->host, u->port);
  if (!addrs) {
    res.result.error = error_kind::dns;
    co_return res;
  }
  const std::int64_t dns_ns = to_ns(mono_clock::now() - start);
  const std::string key = (peer ? "https://" : "http://") + u->host + ":" + std::to_string(u->port);
  retry_state tries(opts_.retry, may_resend(is_idempotent(method), opts_.retry));
  for (;;) {
    exchange_deadlines dl;
    dl.total = opts_.total_timeout == duration::max() ? time_point::max() : start + opts_.total_timeout;
    if (opts_.first_byte_timeout != duration::max()) dl.first_byte = mono_clock::now() + opts_.first_byte_timeout;
    res.data = {};  // what a retried try answered is not part of the answer returned
    auto l = co_await pool_.acquire(key, addrs->front(), peer ? &*peer : nullptr);
    bool reused = false;
    if (!l) {
      res.result = outcome{};
      res.result.error = l.error().kind;
      if (!l.error().tls.message.empty()) {
        res.result.tls_detail = static_cast<std::uint8_t>(l.error().tls.kind);
        res.error_message = l.error().tls.message;
      }
    } else {
      res.error_message.clear();
      const std::int64_t connected = to_ns(mono_clock::now() - start);
      res.result = co_await (*l)->exchange(tmpl->bytes(), start, dl, method == "HEAD", &res.data);
      reused = l->reused();
      res.result.reused_connection = reused;
      res.result.times.connect = connected;
      l->release();
    }
    const retry_step step = tries.after(res.result, reused);
    if (step == retry_step::done) break;
    ++retries_;
    if (step == retry_step::retry) co_await sleep_for(backoff_before(opts_.retry, tries.attempts(), jitter_draw()));
  }
  res.result.attempts = static_cast<std::uint8_t>(std::min(tries.attempts() + (tries.resent() ? 1u : 0u), 255u));
  res.result.times.dns = dns_ns;
  co_return res;
}

}  // namespace barrage::client
