#pragma once
// Asynchronous name resolution with c-ares, driven by the loop (no thread blocks), and a
// cache that honours a TTL (default 10 s, as aiohttp's ttl_dns_cache; zero disables it).
// Numeric hosts never touch c-ares. Failures are values, with the reason in plain words.
//
// The c-ares sockets are watched by tasks on the loop: a reader per socket, a writer while
// c-ares has something to send (a TCP query after a truncated UDP answer), and one driver
// while any query is pending, which processes ready sockets and c-ares' own timeouts. They
// share the channel's state, so a resolver may be destroyed with those tasks still queued.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "net/address.hpp"
#include "runtime/task.hpp"

namespace barrage::net {

enum class dns_error : std::uint8_t {
  not_found,     // NXDOMAIN: no such name
  no_address,    // the name exists but has no A or AAAA record
  servfail,      // the server failed (SERVFAIL)
  refused,       // the server refused the query (REFUSED)
  unreachable,   // no DNS server at the address (connection refused)
  timed_out,     // no answer within the query timeout and its retries
  bad_response,  // a malformed or truncated answer
  bad_name,      // not a valid host name
  cancelled,     // the resolver was destroyed while the query was pending
  failed,        // anything else c-ares reports
};
inline constexpr std::size_t dns_error_count = 10;
/// The reason in plain words, e.g. "no such name (NXDOMAIN)".
const char* to_string(dns_error e) noexcept;
/// A stable snake_case key for reports, e.g. "not_found".
const char* to_key(dns_error e) noexcept;

/// A --dns-server value: ADDR[:PORT] items separated by commas (IPv6 as [::1] or [::1]:53;
/// the port defaults to 53), in the canonical form resolver::options::servers takes
/// ("127.0.0.1:53,[::1]:5353"). The error is one line naming the bad item.
result<std::string, std::string> parse_dns_servers(std::string_view text);

class resolver {
 public:
  struct options {
    duration cache_ttl = std::chrono::seconds(10);
    duration query_timeout = std::chrono::seconds(2);
    int tries = 2;
    /// "ADDR[:PORT],..." (IPv6 as [::1]:53): these servers instead of /etc/resolv.conf's;
    /// the hosts file is still read first. Empty: the system's configuration.
    std::string servers;
  };
  /// Lives on one loop; create it on that loop's thread. Throws std::runtime_error when
  /// c-ares cannot start or `servers` is not a valid server list (a setup failure).
  explicit resolver(options opts);
  resolver() : resolver(options{}) {}
  ~resolver();
  resolver(const resolver&) = delete;
  resolver& operator=(const resolver&) = delete;

  /// Addresses of host (IPv4 first, in the order the server gave them), each with `port`.
  /// Lookups of a name already being looked up wait for that one query (a thousand
  /// connections opening at once send one query, and see the addresses in one order).
  /// Cancelling the calling task abandons its wait; the query goes on for the others.
  task<result<std::vector<socket_address>, dns_error>> resolve(std::string host, std::uint16_t port);

  std::uint64_t cache_hits() const noexcept { return hits_; }
  std::uint64_t queries() const noexcept { return queries_; }

 private:
  struct channel;
  struct lookup;
  struct cached {
    std::vector<socket_address> addrs;
    time_point expires;
  };
  options opts_;
  std::shared_ptr<channel> ch_;  // shared with the tasks that watch its sockets
  std::unordered_map<std::string, cached> cache_;
  std::unordered_map<std::string, std::shared_ptr<lookup>> inflight_;  // by name
  std::uint64_t hits_ = 0, queries_ = 0;
};

}  // namespace barrage::net
