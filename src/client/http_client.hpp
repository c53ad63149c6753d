#pragma once
// http_client: requests by URL (http:// and https://) on the current loop, through a pool,
// with timeouts for connect, first byte and total, and retries with exponential backoff and
// jitter. Every outcome is a value: check response.result.ok() and response.result.status.
//
//   client::http_client c;
//   auto r = co_await c.request("GET", "https://example.com/");
//   if (r.result.ok()) use(r.result.status, r.data.body);
//   else if (!r.error_message.empty()) why(r.error_message);  // e.g. certificate verify failed: ...
//
// https: the server's certificate is verified against the system trust store and its name
// against the URL's host unless client_options::tls says otherwise (a CA file, no
// verification, a client certificate, versions, ciphers); the handshake counts against the
// pool's connect timeout; a reconnect resumes the last session of the same host:port. The
// TLS context is made on the first https request: a setting it cannot apply (a CA file that
// does not load) fails that request as tls_handshake, with attempts 0 and the reason.
#include <span>
#include <string>
#include <vector>

#include "client/pool.hpp"
#include "client/retry.hpp"
#include "http/message.hpp"
#include "net/resolver.hpp"
#include "net/tls_context.hpp"

namespace barrage::client {

struct client_options {
  pool_options pool;
  duration first_byte_timeout = duration::max();
  duration total_timeout = std::chrono::minutes(5);
  retry_policy retry;
  duration dns_ttl = std::chrono::seconds(10);
  std::string dns_servers;  // "ip:port,..." instead of /etc/resolv.conf (tests)
  /// https:// requests: verification on against the system trust store by default; ALPN
  /// offers http/1.1.
  net::tls_client_options tls = [] {
    net::tls_client_options t;
    t.alpn = {"http/1.1"};
    return t;
  }();
};

struct response {
  outcome result;
  response_data data;
  /// For tls_verify and tls_handshake: the reason in one line, with the fix.
  std::string error_message;
  /// The first header of that name (case-insensitive), or empty.
  std::string_view header(std::string_view name) const noexcept;
};

class http_client {
 public:
  explicit http_client(client_options opts = {});

  /// Bad URLs and requests come back as error_kind::parse_error with no attempt made.
  task<response> request(std::string method, std::string url, std::vector<http::header> headers = {},
                         std::string body = {});
  task<response> get(std::string url) { return request("GET", std::move(url)); }

  pool& connections() noexcept { return pool_; }
  /// Extra attempts made: policy retries plus keep-alive race re-sends.
  std::uint64_t retries() const noexcept { return retries_; }

 private:
  client_options opts_;
  pool pool_;
  net::resolver resolver_;
  std::optional<net::tls_context> tls_;  // made on the first https request
  std::uint64_t retries_ = 0;
};

}  // namespace barrage::client
