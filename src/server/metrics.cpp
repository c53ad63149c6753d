#include "server/metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdio>

#include "h2/error_code.hpp"
#include "net/fd_limit.hpp"

namespace barrage::server {

void http_metrics::record(int status, duration d) noexcept {
  if (status < 0 || status > max_code) status = 0;
  bump(by_code_[static_cast<std::size_t>(status)], 1);
  const auto ns = static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_ns(d)));
  const double s = static_cast<double>(ns) * 1e-9;
  std::size_t i = 0;
  while (i < duration_bounds_s.size() && s > duration_bounds_s[i]) ++i;
  bump(buckets_[i], 1);
  bump(count_, 1);
  bump(sum_ns_, ns);
}

http_metrics::snapshot http_metrics::read() const noexcept {
  snapshot s;
  for (std::size_t i = 0; i < by_code_.size(); ++i) s.requests_by_code[i] = by_code_[i].load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < buckets_.size(); ++i) s.duration_buckets[i] = buckets_[i].load(std::memory_order_relaxed);
  s.duration_count = count_.load(std::memory_order_relaxed);
  s.duration_sum_s = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) * 1e-9;
  s.connections_active = active_.load(std::memory_order_relaxed);
  s.connections_accepted = accepted_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < s.tls_handshakes.size(); ++i)
    s.tls_handshakes[i] = tls_handshakes_[i].load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < s.tls_failures.size(); ++i)
    s.tls_failures[i] = tls_failures_[i].load(std::memory_order_relaxed);
  s.h2_connections = h2_connections_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < s.h2_goaways.size(); ++i) s.h2_goaways[i] = h2_goaways_[i].load(std::memory_order_relaxed);
  return s;
}

void http_metrics::snapshot::merge(const snapshot& o) noexcept {
  for (std::size_t i = 0; i < requests_by_code.size(); ++i) requests_by_code[i] += o.requests_by_code[i];
  for (std::size_t i = 0; i < duration_buckets.size(); ++i) duration_buckets[i] += o.duration_buckets[i];
  duration_count += o.duration_count;
  duration_sum_s += o.duration_sum_s;
  connections_active += o.connections_active;
  connections_accepted += o.connections_accepted;
  for (std::size_t i = 0; i < tls_handshakes.size(); ++i) tls_handshakes[i] += o.tls_handshakes[i];
  for (std::size_t i = 0; i < tls_failures.size(); ++i) tls_failures[i] += o.tls_failures[i];
  tls = tls || o.tls;
  h2_connections += o.h2_connections;
  for (std::size_t i = 0; i < h2_goaways.size(); ++i) h2_goaways[i] += o.h2_goaways[i];
}

swallowed_counts swallowed_exceptions::read() const noexcept {
  swallowed_counts c{};
  for (std::size_t i = 0; i < c.size(); ++i) c[i] = counts_[i].load(std::memory_order_relaxed);
  return c;
}

process_figures read_process_figures() noexcept {
  process_figures p;
  rusage ru{};
  if (::getrusage(RUSAGE_SELF, &ru) == 0) {
    p.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                    static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
  }
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    unsigned long size = 0, resident = 0;
    if (std::fscanf(f, "%lu %lu", &size, &resident) == 2)
      p.resident_bytes = static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE));
    std::fclose(f);
  }
  p.open_fds = static_cast<double>(net::open_fd_count());
  p.max_fds = static_cast<double>(net::current_fd_limits().soft);
  return p;
}

namespace {

void render_h2(exposition& x, const http_metrics::snapshot& http) {
  x.family("barrage_server_h2_connections_total", "counter", "Connections that spoke HTTP/2 (h2 by ALPN, or h2c).");
  x.sample("barrage_server_h2_connections_total", {}, http.h2_connections);
  x.family("barrage_server_h2_goaways_sent_total", "counter",
           "HTTP/2 GOAWAY frames sent, by error code (ENHANCE_YOUR_CALM: a flood or a stalled window; docs/server.md).");
  for (std::size_t i = 0; i < http.h2_goaways.size(); ++i) {
    if (http.h2_goaways[i] == 0) continue;
    x.sample("barrage_server_h2_goaways_sent_total",
             "code=\"" + std::string(h2::name(static_cast<h2::error_code>(i))) + "\"", http.h2_goaways[i]);
  }
}

void render_tls_handshakes(exposition& x, const http_metrics::snapshot& http) {
  x.family("barrage_server_tls_handshakes_total", "counter",
           "TLS handshakes of accepted connections, by how they ended (timed_out: --tls-handshake-timeout).");
  for (std::size_t i = 0; i < http.tls_handshakes.size(); ++i)
    x.sample("barrage_server_tls_handshakes_total",
             "result=\"" + std::string(tls_handshake_result_names[i]) + "\"", http.tls_handshakes[i]);
  x.family("barrage_server_tls_handshake_failures_total", "counter",
           "Failed TLS handshakes by reason (client_certificate_required, no_shared_version, handshake, ...).");
  for (std::size_t i = 0; i < http.tls_failures.size(); ++i) {
    if (http.tls_failures[i] == 0) continue;
    x.sample("barrage_server_tls_handshake_failures_total",
             "reason=\"" + std::string(net::to_string(static_cast<net::tls_errc>(i))) + "\"", http.tls_failures[i]);
  }
}

}  // namespace

void render_metrics(std::string& out, std::span<const loop_metrics_snapshot> loops, const http_metrics::snapshot& http,
                    const swallowed_counts& swallowed, const process_figures& proc) {
  exposition x(out);
  auto loop_label = [](std::size_t i) { return "loop=\"" + std::to_string(i) + "\""; };

  x.family("barrage_event_loop_lag_seconds", "histogram",
           "How late the loop's 10 ms probe timer fired: time a ready task waits for its loop.");
  for (std::size_t i = 0; i < loops.size(); ++i)
    x.histogram("barrage_event_loop_lag_seconds", loop_label(i), loop_metrics_snapshot::lag_bounds_s,
                loops[i].lag_buckets, loops[i].lag_sum_s);
  x.family("barrage_event_loop_slow_steps_total", "counter",
           "Task steps that held the loop longer than the slow-step threshold (20 ms).");
  for (std::size_t i = 0; i < loops.size(); ++i)
    x.sample("barrage_event_loop_slow_steps_total", loop_label(i), loops[i].slow_steps);
  x.family("barrage_event_loop_busy_seconds_total", "counter", "Time the loop spent running tasks, not waiting.");
  for (std::size_t i = 0; i < loops.size(); ++i)
    x.sample("barrage_event_loop_busy_seconds_total", loop_label(i), loops[i].busy_s);

  x.family("barrage_http_requests_total", "counter", "HTTP requests answered, by status code.");
  for (std::size_t code = 100; code < http.requests_by_code.size(); ++code) {
    if (http.requests_by_code[code] == 0) continue;
    x.sample("barrage_http_requests_total", "code=\"" + std::to_string(code) + "\"", http.requests_by_code[code]);
  }
  x.family("barrage_http_request_duration_seconds", "histogram",
           "Time from a request's complete head to its response being rendered.");
  x.histogram("barrage_http_request_duration_seconds", {}, http_metrics::duration_bounds_s, http.duration_buckets,
              http.duration_sum_s);
  x.family("barrage_connections_active", "gauge", "Client connections open now.");
  x.sample("barrage_connections_active", {}, http.connections_active);
  x.family("barrage_connections_accepted_total", "counter", "Client connections accepted.");
  x.sample("barrage_connections_accepted_total", {}, http.connections_accepted);
  if (http.tls) render_tls_handshakes(x, http);
  render_h2(x, http);
  x.family("barrage_server_swallowed_exceptions_total", "counter",
           "Exceptions the server caught and went on from, by where (src/server/metrics.hpp says what each costs).");
  for (std::size_t i = 0; i < swallowed.size(); ++i)
    x.sample("barrage_server_swallowed_exceptions_total", "where=\"" + std::string(swallowed_at_names[i]) + "\"",
             swallowed[i]);

  x.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
  x.sample("process_cpu_seconds_total", {}, proc.cpu_seconds);
  x.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  x.sample("process_resident_memory_bytes", {}, proc.resident_bytes);
  x.family("process_open_fds", "gauge", "Number of open file descriptors.");
  x.sample("process_open_fds", {}, proc.open_fds);
  x.family("process_max_fds", "gauge", "Maximum number of open file descriptors.");
  x.sample("process_max_fds", {}, proc.max_fds);
}

}  // namespace barrage::server
