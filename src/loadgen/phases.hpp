#pragma once
// Where a request's time went, phase by phase (docs/report.md has the picture).
//
// Per connection, timed once when it opens: the name's lookup (dns; 0 and counted in
// dns_cached when the resolver's cache answered; not timed when the URL's host is an address)
// and the TCP connect. The TLS handshake is tls_stats::handshake_time and the open model's
// queueing is run_stats::schedule_lag: each kept once, reported here too.
// Per successful request, from the instants in client::phase_times (all from the attempt's
// start): write (from the connection being ready to the request written), wait (to the
// response's first byte) and receive (to its last byte). The three add up to the attempt's
// time after its connection was ready.
#include <cstdint>

#include "client/outcome.hpp"
#include "loadgen/histogram.hpp"

namespace barrage::loadgen {

struct phase_stats {
  histogram dns;
  std::uint64_t dns_cached = 0;  // lookups the cache answered (recorded as 0 in dns)
  histogram connect;
  histogram write;
  histogram wait;
  histogram receive;

  /// A successful request's phases. `t.connect` is when its connection was ready (0: it was
  /// open already), `t.written` when the request was written (0: at once, by the first write
  /// call; then the write phase counts 0 and the call's few microseconds fall into wait).
  void record_request(const client::phase_times& t) noexcept {
    const std::int64_t written = t.written > t.connect ? t.written : t.connect;
    write.record(static_cast<std::uint64_t>(written - t.connect));
    wait.record(static_cast<std::uint64_t>(t.first_byte > written ? t.first_byte - written : 0));
    receive.record(static_cast<std::uint64_t>(t.complete > t.first_byte ? t.complete - t.first_byte : 0));
  }
  void merge(const phase_stats& o) {
    dns.merge(o.dns);
    dns_cached += o.dns_cached;
    connect.merge(o.connect);
    write.merge(o.write);
    wait.merge(o.wait);
    receive.merge(o.receive);
  }
  void reset() {
    dns.reset();
    dns_cached = 0;
    connect.reset();
    write.reset();
    wait.reset();
    receive.reset();
  }
};

}  // namespace barrage::loadgen
