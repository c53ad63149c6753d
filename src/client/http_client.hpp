#pragma once
// http_client: requests by URL on the current loop, through a pool, with timeouts for
// connect, first byte and total, and retries with exponential backoff and jitter. Every
// outcome is a value: check response.result.ok() and response.result.status.
//
//   client::http_client c;
//   auto r = co_await c.request("GET", "http://127.0.0.1:8080/");
//   if (r.result.ok()) use(r.result.status, r.data.body);
#include <span>
#include <string>
#include <vector>

#include "client/pool.hpp"
#include "client/retry.hpp"
#include "http/message.hpp"
#include "net/resolver.hpp"

namespace barrage::client {

struct client_options {
  pool_options pool;
  duration first_byte_timeout = duration::max();
  duration total_timeout = std::chrono::minutes(5);
  retry_policy retry;
  duration dns_ttl = std::chrono::seconds(10);
  std::string dns_servers;  // "ip:port,..." instead of /etc/resolv.conf (tests)
};

struct response {
  outcome result;
  response_data data;
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
  std::uint64_t retries_ = 0;
};

}  // namespace barrage::client
