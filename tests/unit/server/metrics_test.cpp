#include "server/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace barrage;
using namespace barrage::server;

namespace {

struct sample {
  std::string name, labels;  // labels without braces, "le" included
  double value;
};

/// Checks the text exposition format (0.0.4) rules we rely on; returns the samples.
std::vector<sample> check_exposition(const std::string& text) {
  std::vector<sample> out;
  std::map<std::string, std::string> types;  // family -> type
  std::set<std::string> helped;
  std::set<std::string> families_with_samples;
  static const std::regex help_re(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*)");
  static const std::regex type_re(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
  static const std::regex sample_re(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{((?:[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*",?)*)\})? (\S+))");
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n') << "the last line ends with a newline";
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, help_re)) {
      EXPECT_TRUE(helped.insert(m[1]).second) << "two HELP lines for " << m[1];
      EXPECT_FALSE(types.count(m[1])) << "HELP after TYPE for " << m[1];
      continue;
    }
    if (std::regex_match(line, m, type_re)) {
      EXPECT_TRUE(helped.count(m[1])) << "TYPE without HELP for " << m[1];
      EXPECT_TRUE(types.emplace(m[1], m[2]).second) << "two TYPE lines for " << m[1];
      EXPECT_FALSE(families_with_samples.count(m[1])) << "TYPE after samples for " << m[1];
      continue;
    }
    if (!std::regex_match(line, m, sample_re)) {
      ADD_FAILURE() << "not a sample line: " << line;
      continue;
    }
    std::string name = m[1], family = name;
    for (std::string suffix : {"_bucket", "_sum", "_count"}) {
      if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        std::string base = name.substr(0, name.size() - suffix.size());
        if (types.count(base) && types[base] == "histogram") family = base;
      }
    }
    EXPECT_TRUE(types.count(family)) << "sample before its TYPE: " << line;
    families_with_samples.insert(family);
    const std::string v = m[4];
    char* end = nullptr;
    double value = (v == "+Inf") ? HUGE_VAL : (v == "-Inf" ? -HUGE_VAL : std::strtod(v.c_str(), &end));
    if (v != "+Inf" && v != "-Inf" && v != "NaN") {
      EXPECT_TRUE(end && *end == '\0') << "bad value: " << line;
    }
    out.push_back({name, m[3], value});
  }
  // Histograms: per label set, cumulative buckets ending with +Inf, then _sum and _count.
  for (const auto& [family, type] : types) {
    if (type != "histogram") continue;
    std::map<std::string, std::vector<std::pair<std::string, double>>> buckets;  // labels w/o le
    std::map<std::string, double> sums, counts;
    for (const sample& s : out) {
      if (s.name == family + "_bucket") {
        static const std::regex le_re(R"((.*?),?le="([^"]*)\"(.*))");
        std::smatch lm;
        EXPECT_TRUE(std::regex_match(s.labels, lm, le_re)) << s.labels;
        buckets[std::string(lm[1]) + std::string(lm[3])].push_back({lm[2], s.value});
      } else if (s.name == family + "_sum") {
        sums[s.labels] = s.value;
      } else if (s.name == family + "_count") {
        counts[s.labels] = s.value;
      }
    }
    EXPECT_FALSE(buckets.empty()) << family;
    for (const auto& [labels, bs] : buckets) {
      if (bs.empty()) {
        ADD_FAILURE() << family << " has an empty bucket list";
        continue;
      }
      EXPECT_EQ(bs.back().first, "+Inf") << family << " buckets must end with +Inf";
      double prev_le = -HUGE_VAL, prev_count = 0;
      for (const auto& [le, c] : bs) {
        const double le_v = le == "+Inf" ? HUGE_VAL : std::strtod(le.c_str(), nullptr);
        EXPECT_GT(le_v, prev_le) << family << " le must increase";
        EXPECT_GE(c, prev_count) << family << " buckets must be cumulative";
        prev_le = le_v;
        prev_count = c;
      }
      EXPECT_TRUE(sums.count(labels)) << family << "{" << labels << "} has no _sum";
      if (!counts.count(labels)) {
        ADD_FAILURE() << family << "{" << labels << "} has no _count";
        continue;
      }
      EXPECT_EQ(counts[labels], bs.back().second) << family << ": _count must equal the +Inf bucket";
    }
  }
  return out;
}

double value_of(const std::vector<sample>& s, const std::string& name, const std::string& labels = "") {
  for (const auto& x : s)
    if (x.name == name && x.labels == labels) return x.value;
  ADD_FAILURE() << "no sample " << name << "{" << labels << "}";
  return -1;
}

}  // namespace

TEST(metrics, the_page_follows_the_text_format) {
  loop_metrics_snapshot a, b;
  a.lag_buckets[0] = 5;
  a.lag_buckets[3] = 2;
  a.lag_buckets.back() = 1;
  a.lag_count = 8;
  a.lag_sum_s = 1.25;
  a.slow_steps = 3;
  a.busy_s = 0.5;
  b.lag_count = 0;
  http_metrics h;
  h.record(200, std::chrono::microseconds(50));
  h.record(200, std::chrono::milliseconds(3));
  h.record(404, std::chrono::seconds(20));
  h.connection_opened();
  h.connection_opened();
  h.connection_closed();
  process_figures p{1.5, 1e6, 12, 1024};
  std::string text;
  const loop_metrics_snapshot loops[] = {a, b};
  swallowed_exceptions swallowed;
  swallowed.count(swallowed_at::connection_setup);
  swallowed.count(swallowed_at::connection_setup);
  swallowed.count(swallowed_at::stop_request);
  render_metrics(text, loops, h.read(), swallowed.read(), p);
  const auto samples = check_exposition(text);

  EXPECT_EQ(value_of(samples, "barrage_event_loop_lag_seconds_bucket", "loop=\"0\",le=\"0.0001\""), 5);
  EXPECT_EQ(value_of(samples, "barrage_event_loop_lag_seconds_bucket", "loop=\"0\",le=\"0.0025\""), 7);
  EXPECT_EQ(value_of(samples, "barrage_event_loop_lag_seconds_bucket", "loop=\"0\",le=\"+Inf\""), 8);
  EXPECT_EQ(value_of(samples, "barrage_event_loop_lag_seconds_count", "loop=\"0\""), 8);
  EXPECT_EQ(value_of(samples, "barrage_event_loop_lag_seconds_sum", "loop=\"0\""), 1.25);
  EXPECT_EQ(value_of(samples, "barrage_event_loop_lag_seconds_count", "loop=\"1\""), 0);
  EXPECT_EQ(value_of(samples, "barrage_event_loop_slow_steps_total", "loop=\"0\""), 3);
  EXPECT_EQ(value_of(samples, "barrage_event_loop_busy_seconds_total", "loop=\"0\""), 0.5);
  EXPECT_EQ(value_of(samples, "barrage_http_requests_total", "code=\"200\""), 2);
  EXPECT_EQ(value_of(samples, "barrage_http_requests_total", "code=\"404\""), 1);
  EXPECT_EQ(value_of(samples, "barrage_http_request_duration_seconds_bucket", "le=\"0.0001\""), 1);
  EXPECT_EQ(value_of(samples, "barrage_http_request_duration_seconds_bucket", "le=\"0.005\""), 2);
  EXPECT_EQ(value_of(samples, "barrage_http_request_duration_seconds_bucket", "le=\"10\""), 2);
  EXPECT_EQ(value_of(samples, "barrage_http_request_duration_seconds_bucket", "le=\"+Inf\""), 3);
  EXPECT_EQ(value_of(samples, "barrage_http_request_duration_seconds_count"), 3);
  EXPECT_NEAR(value_of(samples, "barrage_http_request_duration_seconds_sum"), 20.00305, 1e-9);
  EXPECT_EQ(value_of(samples, "barrage_connections_active"), 1);
  EXPECT_EQ(value_of(samples, "barrage_connections_accepted_total"), 2);
  EXPECT_EQ(value_of(samples, "barrage_server_swallowed_exceptions_total", "where=\"connection_setup\""), 2);
  EXPECT_EQ(value_of(samples, "barrage_server_swallowed_exceptions_total", "where=\"stop_request\""), 1);
  for (std::string_view where : swallowed_at_names) {  // every place is on the page, counted or not
    const std::string label = "where=\"" + std::string(where) + "\"";
    EXPECT_GE(value_of(samples, "barrage_server_swallowed_exceptions_total", label), 0) << where;
  }
  EXPECT_EQ(value_of(samples, "barrage_server_swallowed_exceptions_total", "where=\"accept_loop\""), 0);
  EXPECT_EQ(value_of(samples, "process_cpu_seconds_total"), 1.5);
  EXPECT_EQ(value_of(samples, "process_resident_memory_bytes"), 1e6);
  EXPECT_EQ(value_of(samples, "process_open_fds"), 12);
  EXPECT_EQ(value_of(samples, "process_max_fds"), 1024);
}

TEST(metrics, values_and_bounds_are_spelled_plainly) {
  std::string s;
  append_metric_value(s, 0.25);
  s += ' ';
  append_metric_value(s, HUGE_VAL);
  s += ' ';
  append_metric_value(s, -HUGE_VAL);
  s += ' ';
  append_metric_value(s, std::nan(""));
  s += ' ';
  append_metric_value(s, 3.0);
  EXPECT_EQ(s, "0.25 +Inf -Inf NaN 3");
  std::string text;
  exposition x(text);
  x.family("t_seconds", "histogram", "test");
  const double bounds[] = {0.0001, 0.5, 10};
  const std::uint64_t counts[] = {1, 0, 2, 4};
  x.histogram("t_seconds", "", bounds, counts, 99.5);
  EXPECT_EQ(text,
            "# HELP t_seconds test\n# TYPE t_seconds histogram\n"
            "t_seconds_bucket{le=\"0.0001\"} 1\nt_seconds_bucket{le=\"0.5\"} 1\nt_seconds_bucket{le=\"10\"} 3\n"
            "t_seconds_bucket{le=\"+Inf\"} 7\nt_seconds_sum 99.5\nt_seconds_count 7\n");
  check_exposition(text);
}

TEST(metrics, process_figures_are_plausible) {
  const process_figures p = read_process_figures();
  EXPECT_GT(p.resident_bytes, 1e5);
  EXPECT_GE(p.cpu_seconds, 0);
  EXPECT_GE(p.open_fds, 3);
  EXPECT_GE(p.max_fds, p.open_fds);
}

TEST(metrics, merged_snapshots_add_up) {
  http_metrics a, b;
  a.record(200, std::chrono::milliseconds(1));
  b.record(200, std::chrono::milliseconds(1));
  b.record(503, std::chrono::milliseconds(1));
  auto s = a.read();
  s.merge(b.read());
  EXPECT_EQ(s.requests_by_code[200], 2u);
  EXPECT_EQ(s.requests_by_code[503], 1u);
  EXPECT_EQ(s.duration_count, 3u);
}

TEST(metrics, tls_handshakes_are_counted_by_result_and_failures_by_reason_when_the_server_speaks_tls) {
  http_metrics h;
  h.tls_handshake(tls_handshake_result::full);
  h.tls_handshake(tls_handshake_result::full);
  h.tls_handshake(tls_handshake_result::resumed);
  h.tls_handshake(tls_handshake_result::timed_out);
  h.tls_handshake(tls_handshake_result::failed, net::tls_errc::client_certificate_required);
  h.tls_handshake(tls_handshake_result::failed, net::tls_errc::handshake);
  h.tls_handshake(tls_handshake_result::failed, net::tls_errc::handshake);
  const loop_metrics_snapshot loops[] = {loop_metrics_snapshot{}};
  swallowed_exceptions swallowed;

  std::string plain;
  render_metrics(plain, loops, h.read(), swallowed.read(), process_figures{});
  EXPECT_EQ(plain.find("tls"), std::string::npos) << "a plain server shows no TLS families";

  http_metrics::snapshot snap = h.read();
  snap.tls = true;
  std::string text;
  render_metrics(text, loops, snap, swallowed.read(), process_figures{});
  const auto samples = check_exposition(text);
  EXPECT_EQ(value_of(samples, "barrage_server_tls_handshakes_total", "result=\"full\""), 2);
  EXPECT_EQ(value_of(samples, "barrage_server_tls_handshakes_total", "result=\"resumed\""), 1);
  EXPECT_EQ(value_of(samples, "barrage_server_tls_handshakes_total", "result=\"failed\""), 3);
  EXPECT_EQ(value_of(samples, "barrage_server_tls_handshakes_total", "result=\"timed_out\""), 1);
  EXPECT_EQ(value_of(samples, "barrage_server_tls_handshake_failures_total", "reason=\"handshake\""), 2);
  EXPECT_EQ(value_of(samples, "barrage_server_tls_handshake_failures_total", "reason=\"client_certificate_required\""), 1);
  EXPECT_EQ(text.find("reason=\"verify\""), std::string::npos) << "reasons never seen are left out";

  http_metrics other;
  other.tls_handshake(tls_handshake_result::resumed);
  snap.merge(other.read());
  EXPECT_EQ(snap.tls_handshakes[static_cast<std::size_t>(tls_handshake_result::resumed)], 2u);
}

TEST(metrics, h2_connections_and_the_goaways_sent_are_counted_by_error_code) {
  http_metrics h;
  h.h2_connection();
  h.h2_connection();
  h.h2_goaway(0x0);
  h.h2_goaway(0xb);
  h.h2_goaway(0xb);
  h.h2_goaway(0xff);  // no code of RFC 9113: not counted
  const loop_metrics_snapshot loops[] = {loop_metrics_snapshot{}};
  swallowed_exceptions swallowed;
  http_metrics::snapshot snap = h.read();
  http_metrics other;
  other.h2_goaway(0xb);
  snap.merge(other.read());
  std::string text;
  render_metrics(text, loops, snap, swallowed.read(), process_figures{});
  const auto samples = check_exposition(text);
  EXPECT_EQ(value_of(samples, "barrage_server_h2_connections_total", ""), 2);
  EXPECT_EQ(value_of(samples, "barrage_server_h2_goaways_sent_total", "code=\"NO_ERROR\""), 1);
  EXPECT_EQ(value_of(samples, "barrage_server_h2_goaways_sent_total", "code=\"ENHANCE_YOUR_CALM\""), 3);
  EXPECT_EQ(text.find("code=\"PROTOCOL_ERROR\""), std::string::npos) << "codes never sent are left out";
}
