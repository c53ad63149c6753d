#pragma once
// What to run: everything the command line decides, as plain values.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "client/outcome.hpp"
#include "client/retry.hpp"
#include "loadgen/h2_settings.hpp"
#include "loadgen/metrics_options.hpp"
#include "loadgen/redact.hpp"
#include "loadgen/scenario.hpp"
#include "loadgen/stats.hpp"
#include "loadgen/ws_config.hpp"
#include "net/address.hpp"
#include "net/resolve_override.hpp"
#include "net/tls_context.hpp"

namespace barrage::loadgen {

/// --timeout 0 and --connect-timeout 0: no limit. A hundred years, not duration::max(), so
/// that deadlines computed as now + limit stay in range.
inline constexpr duration no_time_limit = std::chrono::hours(24 * 365 * 100);
/// The grace period at the end when there is no request timeout to default to.
inline constexpr duration grace_without_timeout = std::chrono::seconds(10);

/// One stage of --ramp: reach `target` (a rate, or a connection count) linearly over `length`.
struct ramp_stage {
  duration length{};
  double target = 0;
};

/// --retries: the backoff doubles per retry up to this many times --retry-backoff.
inline constexpr unsigned max_backoff_factor = 1024;

/// The generator's policy without --retries: one try, nothing listed to retry on.
inline client::retry_policy no_retries() {
  client::retry_policy p;
  p.statuses.clear();
  p.errors.clear();
  p.max_backoff = p.backoff * max_backoff_factor;
  return p;
}

/// Which HTTP the connections speak: --http1.1 (the default), --http2 (https:// offering ALPN
/// "h2, http/1.1": h2 when the server picks it), --http2-prior-knowledge (h2c on http://).
enum class http_choice { http1_1, h2_alpn, h2_prior_knowledge };

/// --shard I/N (or --shards N and JOB_COMPLETION_INDEX): this process runs part `index` of
/// `count` of the load (loadgen/shard.hpp says how each setting splits).
struct shard_spec {
  unsigned index = 0;  // from 0
  unsigned count = 1;
  bool operator==(const shard_spec&) const = default;
};

struct run_config {
  std::string url;
  http_choice http = http_choice::http1_1;
  /// -m/--streams: HTTP/2 requests in flight per connection, within the server's
  /// SETTINGS_MAX_CONCURRENT_STREAMS.
  unsigned streams = 1;
  std::string method = "GET";
  std::vector<std::string> headers;  // "Name: value"
  std::string body;

  unsigned connections = 50;
  std::optional<std::uint64_t> requests;  // -n
  duration run_time = std::chrono::seconds(10);  // -d (ignored when only -n is given)
  bool has_duration = false;
  unsigned threads = 1;
  std::optional<double> rate;  // -r: requests per second, the open model
  std::vector<ramp_stage> ramp;
  duration warmup{};

  duration timeout = std::chrono::seconds(10);           // no_time_limit: none
  duration connect_timeout = std::chrono::seconds(5);    // no_time_limit: none
  std::optional<duration> grace;  // for requests in flight at the end; default: timeout, or
                                  // grace_without_timeout when there is none
  client::retry_policy retry = no_retries();
  unsigned pipeline = 1;
  /// --redirects: 3xx responses followed per request (a chain is one request); 0: none, the
  /// 3xx is the response, as in wrk and ab.
  unsigned redirects = 0;
  bool keepalive = true;
  /// --source: local addresses new connections bind to, taken round-robin one connection
  /// after the other (over all threads); empty: the kernel picks (one address).
  std::vector<net::socket_address> sources;
  /// --resolve HOST:PORT:ADDR: connections to HOST:PORT (the target's, a redirect's) go to
  /// these addresses, round-robin, with no DNS query; Host, SNI and verification keep HOST.
  std::vector<net::resolve_override> resolves;
  duration dns_ttl = std::chrono::seconds(10);
  /// --dns-server: "ADDR:PORT,..." in c-ares' form (net::parse_dns_servers); empty: the
  /// system's resolver configuration.
  std::string dns_servers;
  /// https:// targets: verification, CA file, client certificate, versions, ciphers,
  /// resumption (-k, --cacert, --cert/--key, --tls-min/--tls-max, --ciphers, --tls13-ciphers,
  /// --no-tls-resume). ALPN offers http/1.1.
  net::tls_client_options tls = [] {
    net::tls_client_options t;
    t.alpn = {"http/1.1"};
    return t;
  }();
  success_policy success;
  std::string success_spec = "200-399";
  /// --show-secrets, --redact-header: what the outputs show of headers, the URL's password and
  /// the body (redact.hpp); the requests themselves are sent as given.
  redaction_policy secrets;
  /// --metrics-listen, --linger, --metrics-buckets: the live Prometheus endpoint (served by the
  /// program; the workers then also sample their loops' lag). None: no endpoint.
  std::optional<metrics_endpoint_config> metrics;

  /// Shards (loadgen/shard.hpp): the settings above are already this shard's share.
  std::optional<shard_spec> shard;
  /// --start-at: the wall-clock instant (ns since the Unix epoch) the run starts at
  /// (loadgen/wall_clock.hpp); nullopt: at once.
  std::optional<std::int64_t> start_at_unix_ns;
  /// --h2-window, --h2-connection-window: the HTTP/2 receive windows.
  h2_settings h2_windows;

  /// --stream, --stall: record how streamed response bodies arrive (stream_stats.hpp); a
  /// stream whose largest gap is above `stall` counts as stalled.
  bool stream = false;
  duration stall = std::chrono::seconds(1);
  /// In the open model, each response is timed by the kernel's receive stamp and the loop
  /// holds I/O until its next arrival batch (fewer wake-ups; docs/performance.md, session 12).
  /// Plain HTTP/1.1 only (not TLS, h2, --redirects, --stream, --pipeline); elsewhere it does
  /// nothing. --no-response-hold: off (each response read, and timed, when it wakes the loop).
  bool response_hold = true;
  /// `barrage run FILE.yaml|FILE.json` (loadgen/scenario_file.hpp) or --targets FILE
  /// (loadgen/targets_file.hpp): what the workers run instead of `url`; at most one of them.
  /// --iterations K: each virtual user runs its flow K times, then stops.
  std::shared_ptr<const loadgen::scenario> scenario;
  std::shared_ptr<const loadgen::targets_list> targets;
  std::optional<std::uint64_t> iterations;
  /// ws:// and wss:// runs (loadgen/ws_config.hpp).
  ws_config ws;

  bool open_model() const noexcept { return rate.has_value(); }
  duration grace_period() const noexcept {
    return grace.value_or(timeout >= no_time_limit ? grace_without_timeout : timeout);
  }
};

}  // namespace barrage::loadgen
