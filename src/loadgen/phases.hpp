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

class phase_stats {
 public:
  histogram dns;
  std::uint64_t dns_cached = 0;  // lookups the cache answered (recorded as 0 in dns)
  histogram connect;

  /// A successful request's phases. `t.connect` is when its connection was ready (0: it was
  /// open already), `t.written` when the request was written (0: at once, by the first write
  /// call; then the write phase counts 0 and the call's few microseconds fall into wait).
  /// The usual zeros (written at once, received in one read) are counted, not recorded: one
  /// histogram record per request on the hot path instead of three.
  void record_request(const client::phase_times& t) noexcept {
    const std::int64_t written = t.written > t.connect ? t.written : t.connect;
    if (written == t.connect) ++write_zeros_;
    else write_.record(static_cast<std::uint64_t>(written - t.connect));
    wait_.record(static_cast<std::uint64_t>(t.first_byte > written ? t.first_byte - written : 0));
    if (t.complete <= t.first_byte) ++receive_zeros_;
    else receive_.record(static_cast<std::uint64_t>(t.complete - t.first_byte));
  }
  /// The per-request phases, zeros included (copies: for reports, not for the hot path).
  histogram write() const { return with_zeros(write_, write_zeros_); }
  const histogram& wait() const noexcept { return wait_; }
  histogram receive() const { return with_zeros(receive_, receive_zeros_); }

  void merge(const phase_stats& o) {
    dns.merge(o.dns);
    dns_cached += o.dns_cached;
    connect.merge(o.connect);
    write_.merge(o.write_);
    write_zeros_ += o.write_zeros_;
    wait_.merge(o.wait_);
    receive_.merge(o.receive_);
    receive_zeros_ += o.receive_zeros_;
  }
  void reset() {
    dns.reset();
    dns_cached = 0;
    connect.reset();
    write_.reset();
    write_zeros_ = 0;
    wait_.reset();
    receive_.reset();
    receive_zeros_ = 0;
  }

 private:
  static histogram with_zeros(const histogram& h, std::uint64_t zeros) {
    histogram out = h;
    out.record_n(0, zeros);
    return out;
  }

  histogram write_;
  std::uint64_t write_zeros_ = 0;
  histogram wait_;
  histogram receive_;
  std::uint64_t receive_zeros_ = 0;
};

}  // namespace barrage::loadgen
