#include "report/generator_metrics.hpp"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace barrage::report {
namespace {

/// A run of five requests: three 200s, one 503 (failed by status), one timeout; two latency
/// buckets and one loop.
generator_metrics small_run() {
  generator_metrics m;
  auto& c = m.totals;
  c.started = 5;
  c.succeeded = 3;
  c.failed = 1;
  c.timed_out = 1;
  c.bad_status = 1;
  c.status[200] = 3;
  c.status[503] = 1;
  c.errors[static_cast<std::size_t>(client::error_kind::timeout)] = 1;
  c.late = 2;
  c.dropped = 1;
  c.connects = 2;
  c.bytes_in = 400;
  c.bytes_out = 300;
  m.latency_bounds_s = {0.001, 0.01};
  m.latency_buckets = {2, 1, 0};
  m.latency_sum_s = 0.0065;
  m.open_connections = 2;
  m.target_rate = 100;
  m.achieved_rate = 4.5;
  m.cpu_seconds = 1.25;
  m.rss_bytes = 1048576;
  m.open_fds = 12;
  m.lag_bounds_s = {0.0005};
  m.loops = {loop_figures{{7, 1}, 0.0025, 0.5}};
  return m;
}

const char* const small_run_page = R"(# HELP barrage_requests_started_total Requests started (counted ones: after --warmup).
# TYPE barrage_requests_started_total counter
barrage_requests_started_total 5
# HELP barrage_requests_total Requests completed, by outcome: succeeded, failed (an error or an unsuccessful status), timed_out.
# TYPE barrage_requests_total counter
barrage_requests_total{outcome="succeeded"} 3
barrage_requests_total{outcome="failed"} 1
barrage_requests_total{outcome="timed_out"} 1
# HELP barrage_requests_in_flight Requests started and not completed (started minus completed).
# TYPE barrage_requests_in_flight gauge
barrage_requests_in_flight 0
# HELP barrage_responses_total Responses by status code (the last response of a redirect chain).
# TYPE barrage_responses_total counter
barrage_responses_total{code="200"} 3
barrage_responses_total{code="503"} 1
# HELP barrage_request_errors_total Requests that ended in an error, by kind (timeouts included; unsuccessful statuses are not errors).
# TYPE barrage_request_errors_total counter
barrage_request_errors_total{kind="dns"} 0
barrage_request_errors_total{kind="refused"} 0
barrage_request_errors_total{kind="connect_timeout"} 0
barrage_request_errors_total{kind="reset"} 0
barrage_request_errors_total{kind="closed_before_response"} 0
barrage_request_errors_total{kind="truncated_body"} 0
barrage_request_errors_total{kind="parse_error"} 0
barrage_request_errors_total{kind="timeout_first_byte"} 0
barrage_request_errors_total{kind="timeout"} 1
barrage_request_errors_total{kind="too_many_open_files"} 0
barrage_request_errors_total{kind="io_error"} 0
barrage_request_errors_total{kind="tls_verify"} 0
barrage_request_errors_total{kind="tls_handshake"} 0
barrage_request_errors_total{kind="h2_refused_stream"} 0
barrage_request_errors_total{kind="h2_goaway"} 0
barrage_request_errors_total{kind="h2_stream_reset"} 0
barrage_request_errors_total{kind="h2_protocol_error"} 0
# HELP barrage_requests_late_total Open model: requests sent after their intended time.
# TYPE barrage_requests_late_total counter
barrage_requests_late_total 2
# HELP barrage_requests_dropped_total Open model: requests scheduled but never sent.
# TYPE barrage_requests_dropped_total counter
barrage_requests_dropped_total 1
# HELP barrage_request_duration_seconds Successful requests' latency (from the intended send time in the open model), as in the JSON report.
# TYPE barrage_request_duration_seconds histogram
barrage_request_duration_seconds_bucket{le="0.001"} 2
barrage_request_duration_seconds_bucket{le="0.01"} 3
barrage_request_duration_seconds_bucket{le="+Inf"} 3
barrage_request_duration_seconds_sum 0.0065
barrage_request_duration_seconds_count 3
# HELP barrage_connections_open Connections open now.
# TYPE barrage_connections_open gauge
barrage_connections_open 2
# HELP barrage_connections_opened_total Connections opened.
# TYPE barrage_connections_opened_total counter
barrage_connections_opened_total 2
# HELP barrage_bytes_received_total Response bytes received, heads included.
# TYPE barrage_bytes_received_total counter
barrage_bytes_received_total 400
# HELP barrage_bytes_sent_total Request bytes sent.
# TYPE barrage_bytes_sent_total counter
barrage_bytes_sent_total 300
# HELP barrage_target_requests_per_second Open model: the rate the schedule asks for now.
# TYPE barrage_target_requests_per_second gauge
barrage_target_requests_per_second 100
# HELP barrage_achieved_requests_per_second Requests completed in the last whole second (after the run: the run's mean).
# TYPE barrage_achieved_requests_per_second gauge
barrage_achieved_requests_per_second 4.5
# HELP barrage_generator_loop_lag_seconds How late each worker thread's 10 ms probe timer fired: time a ready request waits for its thread.
# TYPE barrage_generator_loop_lag_seconds histogram
barrage_generator_loop_lag_seconds_bucket{thread="0",le="0.0005"} 7
barrage_generator_loop_lag_seconds_bucket{thread="0",le="+Inf"} 8
barrage_generator_loop_lag_seconds_sum{thread="0"} 0.0025
barrage_generator_loop_lag_seconds_count{thread="0"} 8
# HELP barrage_generator_loop_busy_seconds_total Time each worker thread's loop spent running tasks, not waiting (near 1 s per second: saturated).
# TYPE barrage_generator_loop_busy_seconds_total counter
barrage_generator_loop_busy_seconds_total{thread="0"} 0.5
# HELP barrage_run_finished 1 once the run ended: the counters are then the report's final totals.
# TYPE barrage_run_finished gauge
barrage_run_finished 0
# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 1.25
# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 1048576
# HELP process_open_fds Number of open file descriptors.
# TYPE process_open_fds gauge
process_open_fds 12
)";

TEST(generator_metrics, a_small_run_renders_exactly_this_page) {
  EXPECT_EQ(render_prometheus(small_run()), small_run_page);
}

/// What a family looks like on the page: its type and the samples under its # TYPE line.
struct family {
  std::string type;
  std::vector<std::string> samples;  // whole lines
};

std::map<std::string, family> families_of(const std::string& page) {
  std::map<std::string, family> out;
  std::istringstream in(page);
  std::string line, current;
  while (std::getline(in, line)) {
    if (line.starts_with("# TYPE ")) {
      std::istringstream t(line.substr(7));
      t >> current;
      t >> out[current].type;
    } else if (!line.starts_with("# HELP ")) {
      out[current].samples.push_back(line);
    }
  }
  return out;
}

TEST(generator_metrics, names_and_labels_follow_the_prometheus_data_model_and_conventions) {
  const std::regex metric_name("[a-zA-Z_:][a-zA-Z0-9_:]*");
  // name{label="value",...} value: label names per the data model, values as this page allows.
  const std::regex sample(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")(,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*\})? (\S+))");
  auto m = small_run();
  m.finished = true;
  for (const auto& [name, f] : families_of(render_prometheus(m))) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(std::regex_match(name, metric_name));
    EXPECT_TRUE(name.starts_with("barrage_") || name.starts_with("process_"));
    EXPECT_TRUE(f.type == "counter" || f.type == "gauge" || f.type == "histogram") << f.type;
    EXPECT_EQ(f.type == "counter", name.ends_with("_total"));  // and no gauge ends in _total
    for (const auto& line : f.samples) {
      std::smatch parts;
      ASSERT_TRUE(std::regex_match(line, parts, sample)) << line;
      const std::string sample_name = parts[1];
      if (f.type == "histogram")
        EXPECT_TRUE(sample_name == name + "_bucket" || sample_name == name + "_sum" || sample_name == name + "_count")
            << line;
      else
        EXPECT_EQ(sample_name, name);
      EXPECT_NO_THROW((void)std::stod(parts[5].str() == "+Inf" ? "inf" : parts[5].str())) << line;
    }
  }
}

TEST(generator_metrics, label_values_are_only_outcomes_codes_kinds_threads_and_bounds) {
  const std::regex label(R"re(([a-z_]+)="([^"]*)")re");
  const std::set<std::string> names{"outcome", "code", "kind", "thread", "le"};
  const std::regex code("[1-5][0-9][0-9]"), kind("[a-z0-9_]+"), number("[0-9]+"), bound(R"(\+Inf|[0-9.]+)");
  const std::string page = render_prometheus(small_run());
  for (auto it = std::sregex_iterator(page.begin(), page.end(), label); it != std::sregex_iterator(); ++it) {
    const std::string n = (*it)[1], v = (*it)[2];
    ASSERT_TRUE(names.count(n)) << n;
    const std::regex& shape = n == "code" ? code : n == "thread" ? number : n == "le" ? bound : kind;
    EXPECT_TRUE(std::regex_match(v, shape)) << n << "=" << v;
  }
}

TEST(generator_metrics, the_target_rate_is_left_out_of_a_closed_model_run) {
  auto m = small_run();
  m.target_rate.reset();
  EXPECT_EQ(render_prometheus(m).find("barrage_target_requests_per_second"), std::string::npos);
}

TEST(generator_metrics, unseen_status_codes_get_no_series_and_a_finished_run_says_so) {
  auto m = small_run();
  m.finished = true;
  const std::string page = render_prometheus(m);
  EXPECT_EQ(page.find("code=\"404\""), std::string::npos);
  EXPECT_NE(page.find("\nbarrage_run_finished 1\n"), std::string::npos);
}

}  // namespace
}  // namespace barrage::report
