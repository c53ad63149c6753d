#pragma once
// Asynchronous name resolution with c-ares, driven by the loop (no thread blocks), and a
// cache that honours a TTL (default 10 s, as aiohttp's ttl_dns_cache; zero disables it).
// Numeric hosts never touch c-ares. Failures are values.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "net/address.hpp"
#include "runtime/task.hpp"

namespace barrage::net {

enum class dns_error { not_found, timed_out, refused, bad_name, failed };
const char* to_string(dns_error e) noexcept;

class resolver {
 public:
  struct options {
    duration cache_ttl = std::chrono::seconds(10);
    duration query_timeout = std::chrono::seconds(2);
    int tries = 2;
    std::string servers;  // "127.0.0.1:5353,..." overrides /etc/resolv.conf (tests)
  };
  /// Lives on one loop; create it on that loop's thread.
  explicit resolver(options opts);
  resolver() : resolver(options{}) {}
  ~resolver();
  resolver(const resolver&) = delete;
  resolver& operator=(const resolver&) = delete;

  /// Addresses of host (IPv4 first), each with `port`.
  task<result<std::vector<socket_address>, dns_error>> resolve(std::string host, std::uint16_t port);

  std::uint64_t cache_hits() const noexcept { return hits_; }
  std::uint64_t queries() const noexcept { return queries_; }

 private:
  struct channel;
  struct cached {
    std::vector<socket_address> addrs;
    time_point expires;
  };
  options opts_;
  std::unique_ptr<channel> ch_;
  std::unordered_map<std::string, cached> cache_;
  std::uint64_t hits_ = 0, queries_ = 0;
};

}  // namespace barrage::net
