#include "loadgen/report_text.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sample_run.hpp"

namespace barrage::loadgen {
namespace {

using testing::sample_run;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

#define EXPECT_HAS(text, part) EXPECT_TRUE(has(text, part)) << "missing: " << (part) << "\nin:\n" << (text)
#define EXPECT_LACKS(text, part) EXPECT_FALSE(has(text, part)) << "unexpected: " << (part) << "\nin:\n" << (text)

TEST(report_text, says_what_ran) {
  auto t = render_text(sample_run(false));
  EXPECT_HAS(t, "  Target            GET http://127.0.0.1:8080/  (127.0.0.1:8080)\n");
  EXPECT_HAS(t, "  Model             closed: 50 connections, 2 threads\n");
  EXPECT_HAS(t, "  Length            10.0s\n");
  EXPECT_HAS(t, "  Warm-up           2.00s (not counted)\n");

  auto open = render_text(sample_run(true));
  EXPECT_HAS(open, "  Model             open: 100 req/s on up to 50 connections, 2 threads\n");

  auto ramped = sample_run(true);
  ramped.config.rate = 1e6;
  ramped.config.threads = 1;
  ramped.config.ramp = {{std::chrono::seconds(30), 1000}, {std::chrono::minutes(1), 2500.5}};
  ramped.config.requests = 5000;
  auto t2 = render_text(ramped);
  EXPECT_HAS(t2, "  Model             open: 1000000 req/s on up to 50 connections, 1 thread\n");
  EXPECT_HAS(t2, "  Ramp              1000 req/s over 30.0s, 2500.5 req/s over 1m\n");
  EXPECT_HAS(t2, "  Length            5000 requests or 10.0s, whichever comes first\n");
}

TEST(report_text, the_summary_has_the_reference_fields_and_throughput) {
  auto t = render_text(sample_run(false));
  EXPECT_HAS(t, "  Total requests    1014\n");
  EXPECT_HAS(t, "  Successful        1000\n");
  EXPECT_HAS(t, "  Success rate      99.01% of completed\n");
  EXPECT_HAS(t, "  Average latency   501us\n");
  EXPECT_HAS(t, "  Total time        10.000s\n");
  EXPECT_HAS(t, "  Requests/s        101.0\n");
  EXPECT_HAS(t, "  Received          97.9 KiB  (9.79 KiB/s)\n");
}

TEST(report_text, percentiles_and_max_are_listed_in_one_column_in_the_closed_model) {
  auto t = render_text(sample_run(false));
  // The successful responses only: the five 503s at 2 ms are the failures' (their own line).
  EXPECT_HAS(t, "\nLatency  1000 successful responses\n");
  EXPECT_HAS(t, "  min         1.00us\n");
  EXPECT_HAS(t, "  p50          500us\n");
  EXPECT_HAS(t, "  p75          750us\n");
  EXPECT_HAS(t, "  p90          900us\n");
  EXPECT_HAS(t, "  p99          990us\n");
  EXPECT_HAS(t, "  p99.9        999us\n");
  EXPECT_HAS(t, "  p99.99      1.00ms\n");
  EXPECT_HAS(t, "  max         1.00ms\n");
  EXPECT_LACKS(t, "uncorrected");
}

TEST(report_text, the_open_model_shows_corrected_and_uncorrected_side_by_side) {
  auto t = render_text(sample_run(true));
  EXPECT_HAS(t, "corrected is measured from the intended send time, uncorrected from the actual send\n");
  EXPECT_HAS(t, "             corrected   uncorrected\n");
  EXPECT_HAS(t, "  p50            600us         500us\n");
  EXPECT_HAS(t, "  p99           1.09ms         990us\n");
  EXPECT_HAS(t, "  max           1.10ms        1.00ms\n");
  EXPECT_HAS(t, "schedule lag (how late requests were sent): p50 100us, p99 100us, max 100us\n");
  EXPECT_HAS(t, "  retried 0, re-sent 0, late 7, dropped 1; connections opened 52\n");
  EXPECT_LACKS(t, " \n");  // no trailing blanks
}

TEST(report_text, status_codes_and_errors_show_counts_and_shares) {
  auto t = render_text(sample_run(false));
  EXPECT_HAS(t, "\nStatus codes  share of responses\n");
  EXPECT_HAS(t, "  200                            1000   99.50%\n");
  EXPECT_HAS(t, "  503                               5    0.50%\n");
  EXPECT_HAS(t, "\nErrors  share of completed requests\n");
  EXPECT_HAS(t, "  refused                           2    0.20%\n");
  EXPECT_HAS(t, "  timeout                           3    0.30%\n");
  EXPECT_LACKS(t, "  reset ");
}

TEST(report_text, the_accounting_line_adds_up) {
  auto t = render_text(sample_run(false));
  EXPECT_HAS(t, "  started 1014 = succeeded 1000 + failed 7 + timed out 3 + in flight at end 4\n");
  EXPECT_HAS(t, "  failed includes 5 responses with an unsuccessful status (200-399)\n");
  EXPECT_HAS(t, "  retried 0, re-sent 0; connections opened 52\n");
  EXPECT_LACKS(t, "dropped");
  EXPECT_LACKS(t, "redirects");
}

TEST(report_text, unsuccessful_statuses_are_listed_among_the_errors_with_their_code) {
  auto t = render_text(sample_run(false));
  EXPECT_HAS(t, "  status 503                        5    0.50%\n");
}

TEST(report_text, a_run_where_every_response_is_a_500_does_not_say_errors_none) {
  run_result r;
  client::outcome o;
  o.status = 500;
  for (int i = 0; i < 4; ++i) r.stats.record(o, 1000, 1000, r.config.success);
  r.stats.count.started = 4;
  auto t = render_text(r);
  EXPECT_LACKS(t, "Errors  none");
  EXPECT_HAS(t, "\nErrors  share of completed requests\n  status 500                        4  100.00%\n");
  // Declared successful, it is no error.
  r.config.success.set_range(500, 500);
  EXPECT_HAS(render_text(r), "Errors  none");
}

TEST(report_text, requests_re_sent_after_a_close_are_shown_and_explained) {
  auto r = sample_run(false);
  r.stats.count.resent = 12;
  auto t = render_text(r);
  EXPECT_HAS(t, "  retried 0, re-sent 12; connections opened 52\n");
  EXPECT_HAS(t, "  re-sent: unanswered when their connection closed (RFC 9112 §9.3.2), sent again on a new one\n");
}

TEST(report_text, redirects_followed_are_counted_with_their_hop_times) {
  auto r = sample_run(false);
  r.config.redirects = 3;
  r.stats.count.redirects = 2;
  r.stats.count.redirect_limit = 1;
  r.stats.redirect_hops.record(1'000'000);
  r.stats.redirect_hops.record(3'000'000);
  auto t = render_text(r);
  EXPECT_HAS(t, "  redirects followed 2 (up to 3 per request), per hop p50 1.00ms, p99 3.00ms, max 3.00ms; "
                "limit reached 1, not followable 0\n");
}

TEST(report_text, unfollowed_redirects_say_how_to_follow_them) {
  auto r = sample_run(false);
  r.stats.count.status[301] = 4;
  EXPECT_HAS(render_text(r), "  redirects are not followed by default: --redirects N follows up to N\n");
  r.config.redirects = 1;
  EXPECT_LACKS(render_text(r), "not followed by default");
}

TEST(report_text, a_saturated_generator_gets_a_clear_warning) {
  auto r = sample_run(false);
  auto calm = render_text(r);
  EXPECT_HAS(calm, "  CPU 42.0% of one core (busiest thread 30.0%), max RSS 12.0 MiB\n");
  EXPECT_LACKS(calm, "WARNING");
  r.generator.saturated = true;
  r.generator.saturation_reason = "a worker thread was busy 99% of the time";
  auto hot = render_text(r);
  EXPECT_HAS(hot, "  WARNING: the load generator was saturated: a worker thread was busy 99% of the time\n");
}

TEST(report_text, thresholds_are_marked_pass_or_fail) {
  std::vector<threshold_result> ts = {{"p99<250ms", true, "995us"}, {"error_rate<0.1%", false, "0.99%"}};
  auto t = render_text(sample_run(false), ts);
  EXPECT_HAS(t, "\nThresholds  1 of 2 failed\n");
  EXPECT_HAS(t, "  ✓ pass  p99<250ms        actual 995us\n");
  EXPECT_HAS(t, "  ✗ FAIL  error_rate<0.1%  actual 0.99%\n");
  EXPECT_LACKS(render_text(sample_run(false)), "Thresholds");
}

TEST(report_text, colour_only_when_asked) {
  std::vector<threshold_result> ts = {{"p99<250ms", true, "995us"}};
  EXPECT_LACKS(render_text(sample_run(false), ts), "\x1b[");
  auto coloured = render_text(sample_run(false), ts, true);
  EXPECT_HAS(coloured, "\x1b[1mSummary\x1b[0m");
  EXPECT_HAS(coloured, "\x1b[32m✓ pass\x1b[0m");
}

TEST(report_text, a_run_without_responses_still_renders) {
  run_result r;
  r.stats.count.started = 2;
  r.stats.count.errors[static_cast<std::size_t>(client::error_kind::refused)] = 2;
  r.stats.count.failed = 2;
  auto t = render_text(r);
  EXPECT_HAS(t, "\nLatency  no successful responses\n");
  EXPECT_HAS(t, "  Average latency   n/a\n");
  EXPECT_HAS(t, "\nStatus codes  no responses\n");
  EXPECT_HAS(t, "  refused                           2  100.00%\n");
  EXPECT_LACKS(t, "histogram");
}

TEST(report_text, the_histogram_has_log_spaced_rows_that_hold_every_response) {
  auto r = sample_run(false);
  auto rows = histogram_rows(r.stats.latency);
  ASSERT_EQ(rows.size(), 10u);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    total += rows[i].count;
    EXPECT_LT(rows[i].lowest, rows[i].highest);
    if (i) {
      EXPECT_DOUBLE_EQ(rows[i].lowest, rows[i - 1].highest);
    }
    if (i > 1) {
      EXPECT_NEAR(rows[i].highest / rows[i].lowest, rows[1].highest / rows[1].lowest, 1e-9);
    }
  }
  EXPECT_EQ(total, r.stats.latency.count());
  EXPECT_DOUBLE_EQ(rows.front().lowest, 1000);
  EXPECT_DOUBLE_EQ(rows.back().highest, 1'000'000);
  // The last row is (1 µs × 1000^0.9, 1 ms] = (501.19 µs, 1 ms]: the buckets of 501 µs ... 1000 µs
  // (501 µs lands in [500.99, 501.25] µs, reported as 501.25 µs).
  EXPECT_EQ(rows.back().count, 500u);

  auto t = render_text(r);
  EXPECT_HAS(t, "\nLatency histogram\n");
  EXPECT_HAS(t, "  ≤   1.00ms        500   50.00%  ████████████████████████████████████████\n");
}

TEST(report_text, empty_histogram_rows_have_no_bar_and_no_trailing_blanks) {
  run_result r;
  client::outcome ok;
  ok.status = 200;
  r.stats.record(ok, 1'000, 1'000, r.config.success);
  r.stats.record(ok, 1'000'000, 1'000'000, r.config.success);
  r.stats.count.started = 2;
  auto t = render_text(r);
  EXPECT_HAS(t, "\n  ≤   3.98us          0    0.00%\n  ≤   7.94us");  // no bar, no trailing blanks
}

TEST(report_text, the_phase_table_has_p50_p90_p99_and_max_of_each_phase_that_happened) {
  auto t = render_text(sample_run(false));
  EXPECT_HAS(t, "\nPhases  per connection: dns, connect, tls; per successful request: queue to receive\n");
  EXPECT_HAS(t, "               count       p50       p90       p99       max\n");
  EXPECT_HAS(t, "  dns             52       0ns       0ns    1.00ms    1.00ms  (50 cached)\n");
  EXPECT_HAS(t, "  connect         52     100us     100us     100us     100us\n");
  EXPECT_HAS(t, "  write         1000       0ns       0ns       0ns       0ns\n");
  EXPECT_HAS(t, "  wait          1000     450us     810us     891us     900us\n");
  EXPECT_HAS(t, "  receive       1000    50.0us    90.0us    99.0us     100us\n");
  EXPECT_LACKS(t, "  tls ");    // a plain-HTTP run made no handshake
  EXPECT_LACKS(t, "  queue ");  // the closed model has no schedule to be late on
  EXPECT_HAS(render_text(sample_run(true)), "  queue         1000     100us     100us     100us     100us\n");
  EXPECT_LACKS(render_text(run_result{}), "Phases");
}

TEST(report_text, the_failures_latency_is_a_line_beside_the_errors) {
  auto t = render_text(sample_run(false));
  EXPECT_HAS(t, "  status 503                        5    0.50%\n"
                "  latency of these 10: p50 2.00ms, p90 5.00ms, p99 5.00ms, max 5.00ms\n");
  EXPECT_LACKS(render_text(run_result{}), "latency of these");
}

TEST(report_text, a_histogram_with_one_value_has_one_row) {
  histogram h;
  for (int i = 0; i < 3; ++i) h.record(std::uint64_t{5000});
  auto rows = histogram_rows(h);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].count, 3u);
  EXPECT_TRUE(histogram_rows(histogram{}).empty());
}

TEST(report_text, a_urls_password_and_secret_parameters_are_redacted_unless_secrets_are_shown) {
  auto r = sample_run(false);
  r.config.url = "http://alice:pa55@127.0.0.1:8080/?token=abc";
  auto t = render_text(r);
  EXPECT_HAS(t, "GET http://alice:<redacted, 4 bytes, sha256:");
  EXPECT_HAS(t, "?token=<redacted, 3 bytes, sha256:ba7816bf>  (127.0.0.1:8080)\n");
  EXPECT_LACKS(t, "pa55");
  EXPECT_LACKS(t, "WARNING: --show-secrets");
  r.config.secrets.show_secrets = true;
  t = render_text(r);
  EXPECT_TRUE(t.starts_with(secrets_shown_notice) && t[secrets_shown_notice.size()] == '\n') << t;
  EXPECT_HAS(t, "GET http://alice:pa55@127.0.0.1:8080/?token=abc  (127.0.0.1:8080)\n");
}

}  // namespace
}  // namespace barrage::loadgen
