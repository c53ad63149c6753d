#pragma once
// What a run counts. One run_stats per worker thread, written only by that thread (no
// locks, no allocation per request); merged exactly at the end and, through snapshots,
// once a second for the live view and the timeline.
//
// The accounting identity, for every run and every merge:
//   started = succeeded + failed + timed_out + in_flight
// where failed counts non-timeout errors and unsuccessful statuses (by reason), and
// timed_out counts the timeout kinds of client::error_kind.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/outcome.hpp"
#include "loadgen/histogram.hpp"
#include "loadgen/phases.hpp"
#include "loadgen/stream_stats.hpp"
#include "loadgen/scenario_stats.hpp"
#include "loadgen/ws_stats.hpp"
#include "net/resolver.hpp"
#include "net/tls_error.hpp"

namespace barrage::net {
class tls_session;
}  // namespace barrage::net

namespace barrage::loadgen {

/// Which statuses count as success: by default 2xx and 3xx (--success-status overrides).
class success_policy {
 public:
  success_policy() { set_range(200, 399); }
  void clear() noexcept { bits_.fill(false); }
  void set_range(unsigned lo, unsigned hi) noexcept {
    for (unsigned s = lo; s <= hi && s < bits_.size(); ++s) bits_[s] = true;
  }
  bool ok(unsigned status) const noexcept { return status < bits_.size() && bits_[status]; }

 private:
  std::array<bool, 600> bits_{};
};

struct counters {
  std::uint64_t started = 0;
  std::uint64_t succeeded = 0;
  std::uint64_t failed = 0;     // errors that are not timeouts, plus unsuccessful statuses
  std::uint64_t timed_out = 0;
  std::uint64_t retried = 0;    // extra attempts made (the first try is not a retry)
  /// Requests sent again on a new connection because theirs closed before answering them
  /// (RFC 9112 §9.3.2: requests pipelined behind a close, or a reuse racing an idle close).
  /// Not attempts of the retry policy: the server never processed them.
  std::uint64_t resent = 0;
  std::uint64_t redirects = 0;       // --redirects: hops followed (a chain is one request)
  std::uint64_t redirect_limit = 0;  // requests whose last response was a redirect left unfollowed: the limit
  std::uint64_t redirect_unfollowable = 0;  // ... left unfollowed: no Location, or an invalid or non-http(s) one
  std::uint64_t late = 0;       // open model: sent after their intended time
  std::uint64_t dropped = 0;    // open model: scheduled but never sent
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t connects = 0;   // connections opened
  std::uint64_t bad_status = 0; // failed because of the status (a subset of failed)
  std::array<std::uint64_t, 600> status{};                      // by status code
  std::array<std::uint64_t, client::error_kind_count> errors{};  // by error kind
  std::array<std::uint64_t, net::dns_error_count> dns{};          // errors[dns] by reason
  std::array<std::uint64_t, net::tls_errc_count> tls{};           // errors[tls_*] by reason

  std::uint64_t completed() const noexcept { return succeeded + failed + timed_out; }
  std::uint64_t in_flight() const noexcept { return started - completed(); }
  void merge(const counters& o) noexcept;
};

/// One second of the run, for the timeline. The percentiles and max are exact (of the second's
/// successful latencies); `coarse` is the same histogram kept to 7 significant bits (64 counters
/// per power of two, within 1/128 of each value) and serialized ("h1"), so that seconds can be
/// merged across saved runs (shards) in a few hundred bytes to a few KB per second.
struct timeline_point {
  std::uint64_t requests = 0;  // completed in that second
  std::uint64_t errors = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  std::string coarse;
};

/// One address the target's name resolved to, and what connecting to it gave.
struct address_use {
  net::socket_address address;
  std::uint64_t connections = 0;  // opened
  std::uint64_t failures = 0;     // connection attempts that failed
};

/// The TLS handshakes of an https:// run (one per connection opened).
struct tls_stats {
  std::uint64_t handshakes = 0;  // completed, full and resumed
  std::uint64_t resumed = 0;
  std::string protocol;          // "TLSv1.3": the first handshake's (one context, one server)
  std::string cipher;
  histogram handshake_time;      // from the TCP connection to the handshake's end
  /// The first failure's message of each net::tls_errc kind: the reason, in words, once.
  std::array<std::string, net::tls_errc_count> reasons;

  /// A completed handshake of `s`, `ns` after the TCP connection: counted, its protocol and
  /// cipher kept when they are the run's first, its time recorded.
  void count_handshake(const net::tls_session& s, std::int64_t ns);
  /// A failed one: its reason kept in words when it is the first of its kind.
  void note_failure(const net::tls_error& e);
  void merge(const tls_stats& o);
};

/// The HTTP/2 connections of a run (--http2 where ALPN chose h2, --http2-prior-knowledge).
struct h2_stats {
  std::uint64_t connections = 0;  // opened speaking h2
  std::uint64_t goaways = 0;      // GOAWAY frames received
  /// The lowest SETTINGS_MAX_CONCURRENT_STREAMS a server announced; 0: none announced.
  std::uint32_t peer_max_streams = 0;
  /// The most streams one connection had in flight at once.
  std::uint32_t peak_streams = 0;

  void merge(const h2_stats& o) noexcept;
};

struct run_stats {
  counters count;
  tls_stats tls;
  h2_stats h2;
  std::vector<address_use> addresses;  // in the order first used; merged by address
  histogram latency;              // successful requests, from the intended send time (corrected, in the open model)
  /// Every other completed request (failed by status or error, timed out), timed the same way:
  /// kept apart so that fast failures do not make the service look faster than it is.
  histogram latency_failed;
  phase_stats phases;             // where the successful requests' time went
  histogram schedule_lag;         // open model: how late requests were sent
  histogram redirect_hops;        // --redirects: each followed hop, from its send to its response
  stream_stats streams;           // --stream: streamed responses (stream_stats.hpp)
  scenario_stats scenario;        // a scenario or --targets run: per step (target) and per iteration
  ws_stats ws;                    // ws:// and wss:// runs (loadgen/ws_stats.hpp)

  /// The open model's second histogram: from the actual send time (uncorrected); records
  /// go to both from here on. In the closed model a request is sent at its intended time, so
  /// one histogram holds both and latency_uncorrected() is latency.
  void keep_uncorrected();
  const histogram& latency_uncorrected() const noexcept { return uncorrected_ ? *uncorrected_ : latency; }
  /// Keeps `h` as the uncorrected histogram (a saved report's, read back for a merge).
  void set_uncorrected(histogram h) { uncorrected_ = std::move(h); }

  /// Records a finished request. `latency_ns` is from the intended time; `service_ns` from
  /// the actual send (recorded only when keep_uncorrected() was called). A success goes to
  /// latency (and its phases, unless o.times.first_byte is 0), anything else to latency_failed.
  void record(const client::outcome& o, std::int64_t latency_ns, std::int64_t service_ns,
              const success_policy& policy) noexcept;
  void merge(const run_stats& o);
  void reset();
  /// Counts a connection attempt to `address` (not per request: per connect).
  void count_connect(const net::socket_address& address, bool opened);

 private:
  std::optional<histogram> uncorrected_;
};

}  // namespace barrage::loadgen
