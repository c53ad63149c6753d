#include "report/generator_metrics.hpp"

#include <span>

#include "base/prometheus_text.hpp"

namespace barrage::report {
namespace {

/// The page's writer: the text format `barrage serve`'s /metrics is written with too.
using page = exposition;

std::string label(std::string_view name, std::string_view value) {
  return std::string(name) + "=\"" + std::string(value) + "\"";
}

void render_requests(page& p, const loadgen::counters& c) {
  p.family("barrage_requests_started_total", "counter", "Requests started (counted ones: after --warmup).");
  p.sample("barrage_requests_started_total", {}, c.started);
  p.family("barrage_requests_total", "counter",
           "Requests completed, by outcome: succeeded, failed (an error or an unsuccessful status), timed_out.");
  p.sample("barrage_requests_total", label("outcome", "succeeded"), c.succeeded);
  p.sample("barrage_requests_total", label("outcome", "failed"), c.failed);
  p.sample("barrage_requests_total", label("outcome", "timed_out"), c.timed_out);
  p.family("barrage_requests_in_flight", "gauge", "Requests started and not completed (started minus completed).");
  p.sample("barrage_requests_in_flight", {}, c.in_flight());
  p.family("barrage_responses_total", "counter", "Responses by status code (the last response of a redirect chain).");
  for (std::size_t code = 100; code < c.status.size(); ++code)
    if (c.status[code]) p.sample("barrage_responses_total", label("code", std::to_string(code)), c.status[code]);
  p.family("barrage_request_errors_total", "counter",
           "Requests that ended in an error, by kind (timeouts included; unsuccessful statuses are not errors).");
  for (std::size_t k = 1; k < c.errors.size(); ++k)  // client::error_kind, through loadgen/stats.hpp
    p.sample("barrage_request_errors_total", label("kind", client::to_string(static_cast<client::error_kind>(k))),
             c.errors[k]);
  p.family("barrage_requests_late_total", "counter", "Open model: requests sent after their intended time.");
  p.sample("barrage_requests_late_total", {}, c.late);
  p.family("barrage_requests_dropped_total", "counter", "Open model: requests scheduled but never sent.");
  p.sample("barrage_requests_dropped_total", {}, c.dropped);
}

void render_connections(page& p, const generator_metrics& m) {
  p.family("barrage_connections_open", "gauge", "Connections open now.");
  p.sample("barrage_connections_open", {}, m.open_connections);
  p.family("barrage_connections_opened_total", "counter", "Connections opened.");
  p.sample("barrage_connections_opened_total", {}, m.totals.connects);
  p.family("barrage_bytes_received_total", "counter", "Response bytes received, heads included.");
  p.sample("barrage_bytes_received_total", {}, m.totals.bytes_in);
  p.family("barrage_bytes_sent_total", "counter", "Request bytes sent.");
  p.sample("barrage_bytes_sent_total", {}, m.totals.bytes_out);
}

void render_generator(page& p, const generator_metrics& m) {
  if (m.target_rate) {
    p.family("barrage_target_requests_per_second", "gauge", "Open model: the rate the schedule asks for now.");
    p.sample("barrage_target_requests_per_second", {}, *m.target_rate);
  }
  p.family("barrage_achieved_requests_per_second", "gauge",
           "Requests completed in the last whole second (after the run: the run's mean).");
  p.sample("barrage_achieved_requests_per_second", {}, m.achieved_rate);
  auto thread = [](std::size_t i) { return label("thread", std::to_string(i)); };
  p.family("barrage_generator_loop_lag_seconds", "histogram",
           "How late each worker thread's 10 ms probe timer fired: time a ready request waits for its thread.");
  for (std::size_t i = 0; i < m.loops.size(); ++i)
    p.histogram("barrage_generator_loop_lag_seconds", thread(i), m.lag_bounds_s, m.loops[i].lag_buckets,
                m.loops[i].lag_sum_s);
  p.family("barrage_generator_loop_busy_seconds_total", "counter",
           "Time each worker thread's loop spent running tasks, not waiting (near 1 s per second: saturated).");
  for (std::size_t i = 0; i < m.loops.size(); ++i)
    p.sample("barrage_generator_loop_busy_seconds_total", thread(i), m.loops[i].busy_s);
  p.family("barrage_run_finished", "gauge", "1 once the run ended: the counters are then the report's final totals.");
  p.sample("barrage_run_finished", {}, std::uint64_t{m.finished ? 1u : 0u});
  p.family("process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
  p.sample("process_cpu_seconds_total", {}, m.cpu_seconds);
  p.family("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  p.sample("process_resident_memory_bytes", {}, m.rss_bytes);
  p.family("process_open_fds", "gauge", "Number of open file descriptors.");
  p.sample("process_open_fds", {}, m.open_fds);
}

}  // namespace

std::string render_prometheus(const generator_metrics& m) {
  std::string out;
  page p(out);
  render_requests(p, m.totals);
  p.family("barrage_request_duration_seconds", "histogram",
           "Successful requests' latency (from the intended send time in the open model), as in the JSON report.");
  p.histogram("barrage_request_duration_seconds", {}, m.latency_bounds_s, m.latency_buckets, m.latency_sum_s);
  render_connections(p, m);
  render_generator(p, m);
  return out;
}

}  // namespace barrage::report
