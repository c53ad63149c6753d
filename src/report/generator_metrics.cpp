#include "report/generator_metrics.hpp"

#include <charconv>
#include <cmath>
#include <span>

namespace barrage::report {
namespace {

/// Shortest round-trip decimal; "+Inf", "-Inf", "NaN" as the format spells them.
void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<std::size_t>(r.ptr - buf));
  }
}

/// A bucket bound as plain decimals ("0.0005", not "5e-04"): what people type in queries.
std::string bound_text(double b) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, b, std::chars_format::fixed);
  return std::string(buf, static_cast<std::size_t>(r.ptr - buf));
}

class page {
 public:
  explicit page(std::string& out) : out_(out) {}
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  }
  /// `labels` without braces (`code="200"`), empty for none.
  void sample(std::string_view name, std::string_view labels, std::uint64_t v) {
    begin(name, labels);
    out_ += std::to_string(v);
    out_ += '\n';
  }
  void sample(std::string_view name, std::string_view labels, double v) {
    begin(name, labels);
    append_value(out_, v);
    out_ += '\n';
  }
  /// The _bucket lines (cumulative, ending with le="+Inf"), _sum and _count.
  void histogram(std::string_view name, std::string_view labels, std::span<const double> bounds,
                 std::span<const std::uint64_t> counts, double sum) {
    const std::string bucket = std::string(name) + "_bucket";
    const std::string lead = labels.empty() ? std::string() : std::string(labels) + ",";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
      cumulative += i < counts.size() ? counts[i] : 0;
      sample(bucket, lead + "le=\"" + (i < bounds.size() ? bound_text(bounds[i]) : "+Inf") + "\"", cumulative);
    }
    sample(std::string(name) + "_sum", labels, sum);
    sample(std::string(name) + "_count", labels, cumulative);
  }

 private:
  void begin(std::string_view name, std::string_view labels) {
    out_.append(name);
    if (!labels.empty()) out_.append("{").append(labels).append("}");
    out_ += ' ';
  }
  std::string& out_;
};

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
