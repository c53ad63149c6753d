#include "loadgen/threshold.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sample_run.hpp"

namespace barrage::loadgen {
namespace {

using testing::sample_run;
using m = threshold_metric;

struct valid_case {
  const char* name;
  const char* text;
  threshold_metric metric;
  double percentile;
  comparison cmp;
  double value;
};
const valid_case valid_thresholds[] = {
    {"p99_below_milliseconds", "p99<250ms", m::percentile, 99, comparison::lt, 250e6},
    {"p50_at_most", "p50<=20ms", m::percentile, 50, comparison::le, 20e6},
    {"fractional_percentile", "p99.9<1s", m::percentile, 99.9, comparison::lt, 1e9},
    {"four_nines", "p99.99<1.5s", m::percentile, 99.99, comparison::lt, 1.5e9},
    {"p100_is_allowed", "p100<2s", m::percentile, 100, comparison::lt, 2e9},
    {"microseconds", "p50<500us", m::percentile, 50, comparison::lt, 500e3},
    {"mean", "mean<100ms", m::mean, 0, comparison::lt, 100e6},
    {"min", "min>=1us", m::min, 0, comparison::ge, 1e3},
    {"max", "max<2s", m::max, 0, comparison::lt, 2e9},
    {"error_rate_percent", "error_rate<1%", m::error_rate, 0, comparison::lt, 0.01},
    {"success_rate_fraction_of_percent", "success_rate>=99.5%", m::success_rate, 0, comparison::ge, 0.995},
    {"rps_plain", "rps>1000", m::rps, 0, comparison::gt, 1000},
    {"rps_with_suffix", "rps>=2.5k", m::rps, 0, comparison::ge, 2500},
    {"rps_zero", "rps>0", m::rps, 0, comparison::gt, 0},
    {"timeouts_none", "timeouts==0", m::timeouts, 0, comparison::eq, 0},
    {"timeouts_few", "timeouts<10", m::timeouts, 0, comparison::lt, 10},
    {"dropped_none", "dropped==0", m::dropped, 0, comparison::eq, 0},
    {"errors_not_equal", "errors!=0", m::errors, 0, comparison::ne, 0},
    {"late_count_suffix", "late<1k", m::late, 0, comparison::lt, 1000},
    {"spaces_around_the_comparison", "  p99 < 250ms ", m::percentile, 99, comparison::lt, 250e6},
};

class valid_threshold : public ::testing::TestWithParam<valid_case> {};
TEST_P(valid_threshold, parses_into_metric_comparison_and_value) {
  const auto& c = GetParam();
  auto t = parse_threshold(c.text);
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->metric, c.metric);
  EXPECT_DOUBLE_EQ(t->percentile, c.percentile);
  EXPECT_EQ(t->cmp, c.cmp);
  EXPECT_DOUBLE_EQ(t->value, c.value);
  EXPECT_NE(t->expr.front(), ' ');  // trimmed, as shown in the report
  EXPECT_NE(t->expr.back(), ' ');
}
INSTANTIATE_TEST_SUITE_P(threshold, valid_threshold, ::testing::ValuesIn(valid_thresholds),
                         [](const auto& info) { return std::string(info.param.name); });

struct selector_case {
  const char* name;
  const char* text;
  threshold_metric metric;
  bool failed;  // judges latency_failed
  const char* step = "";
};
const selector_case selector_thresholds[] = {
    {"no_selector_judges_successes", "p99<250ms", m::percentile, false},
    {"failed_outcome", "p99{outcome=failed}<1s", m::percentile, true},
    {"succeeded_outcome_is_the_default_spelled_out", "p99{outcome=succeeded}<1s", m::percentile, false},
    {"spaces_inside_the_braces", "p50{ outcome = failed } <= 20ms", m::percentile, true},
    {"failed_mean", "mean{outcome=failed}<100ms", m::mean, true},
    {"failed_max", "max{outcome=failed}<2s", m::max, true},
    {"a_step", "p99{step=login}<300ms", m::percentile, false, "login"},
    {"a_step_and_an_outcome", "p50{step=login, outcome=failed}<1s", m::percentile, true, "login"},
    {"an_outcome_and_a_target", "max{outcome=failed,step=GET http://h/a}<1s", m::max, true, "GET http://h/a"},
    {"a_step_s_error_rate", "error_rate{step=login}<1%", m::error_rate, false, "login"},
    {"a_step_s_requests_per_second", "rps{step=items}>10", m::rps, false, "items"},
};

class selector_threshold : public ::testing::TestWithParam<selector_case> {};
TEST_P(selector_threshold, names_the_latency_it_judges) {
  const auto& c = GetParam();
  auto t = parse_threshold(c.text);
  ASSERT_TRUE(t.ok()) << t.error();
  EXPECT_EQ(t->metric, c.metric);
  EXPECT_EQ(t->failed, c.failed);
  EXPECT_EQ(t->step, c.step);
  EXPECT_EQ(t->expr, std::string(c.text).substr(0, t->expr.size()));  // as typed, for the report
}
INSTANTIATE_TEST_SUITE_P(threshold, selector_threshold, ::testing::ValuesIn(selector_thresholds),
                         [](const auto& info) { return std::string(info.param.name); });

struct invalid_case {
  const char* name;
  const char* text;
  const char* message;  // the whole one-line error
};
const invalid_case invalid_thresholds[] = {
    {"empty", "", "bad threshold \"\": expected <metric><comparison><value>, e.g. p99<250ms"},
    {"unknown_metric", "p99x<1s", "bad threshold \"p99x<1s\": bad percentile \"p99x\": expected p<N> such as p99 or p99.9"},
    {"unknown_name", "latency<1s",
     "bad threshold \"latency<1s\": unknown metric \"latency\" (use p50, p99.9, mean, min, max, error_rate, "
     "success_rate, rps, timeouts, errors, dropped, late)"},
    {"no_metric", "<1s",
     "bad threshold \"<1s\": expected a metric first (p50, p99.9, mean, min, max, error_rate, success_rate, rps, "
     "timeouts, errors, dropped, late), e.g. p99<250ms"},
    {"percentile_above_100", "p101<1s", "bad threshold \"p101<1s\": percentile \"p101\" must be above 0 and at most 100"},
    {"percentile_zero", "p0<1s", "bad threshold \"p0<1s\": percentile \"p0\" must be above 0 and at most 100"},
    {"no_comparison", "p99 250ms",
     "bad threshold \"p99 250ms\": expected a comparison (<, <=, >, >=, ==, !=) after \"p99\""},
    {"single_equals", "timeouts=0",
     "bad threshold \"timeouts=0\": expected a comparison (<, <=, >, >=, ==, !=) after \"timeouts\""},
    {"no_value", "p99<", "bad threshold \"p99<\": expected a value after \"p99<\""},
    {"latency_without_unit", "p99<250", "bad threshold \"p99<250\": a latency needs a unit, e.g. p99<250ms"},
    {"latency_bad_unit", "p99<250x",
     "bad threshold \"p99<250x\": bad duration \"250x\": unknown unit \"x\" (use ns, us, ms, s, m, h)"},
    {"rate_without_percent", "error_rate<1", "bad threshold \"error_rate<1\": error_rate needs a percentage, e.g. error_rate<1%"},
    {"rate_above_100", "success_rate>=101%", "bad threshold \"success_rate>=101%\": a percentage is at most 100%, not \"101%\""},
    {"rate_negative", "error_rate<-1%", "bad threshold \"error_rate<-1%\": expected a percentage such as 1% or 99.5%, not \"-1%\""},
    // Found by fuzz_threshold_parser: the input went into the message as typed, so a newline
    // or a NUL in it broke the one-line contract. User text is now quoted with \xNN escapes.
    {"newline_in_the_input_stays_escaped_on_one_line", "p99\n<1s",
     "bad threshold \"p99\\x0a<1s\": expected a comparison (<, <=, >, >=, ==, !=) after \"p99\""},
    {"quotes_in_the_input_are_escaped", "\"p99\"<1s",
     "bad threshold \"\\x22p99\\x22<1s\": expected a metric first (p50, p99.9, mean, min, max, error_rate, "
     "success_rate, rps, timeouts, errors, dropped, late), e.g. p99<250ms"},
    {"control_byte_in_a_percentage_is_escaped", "error_rate<1\x01%",
     "bad threshold \"error_rate<1\\x01%\": expected a percentage such as 1% or 99.5%, not \"1\\x01%\""},
    {"selector_on_a_rate", "error_rate{outcome=failed}<1%",
     "bad threshold \"error_rate{outcome=failed}<1%\": \"error_rate\" takes no selector: {outcome=...} applies to "
     "latencies (p<N>, mean, min, max)"},
    {"unknown_outcome", "p99{outcome=slow}<1s",
     "bad threshold \"p99{outcome=slow}<1s\": outcome must be succeeded or failed, not \"slow\""},
    {"unknown_selector_key", "p99{status=500}<1s",
     "bad threshold \"p99{status=500}<1s\": unknown selector \"{status=500}\": expected {outcome=succeeded}, "
     "{outcome=failed} or {step=<name>}"},
    {"step_without_a_name", "p99{step=}<1s", "bad threshold \"p99{step=}<1s\": expected a step name after step="},
    {"dropped_of_a_step", "dropped{step=login}==0",
     "bad threshold \"dropped{step=login}==0\": \"dropped\" counts virtual users of the whole run: it takes no "
     "{step=...}"},
    {"outcome_on_a_step_s_rate", "error_rate{step=a,outcome=failed}<1%",
     "bad threshold \"error_rate{step=a,outcome=failed}<1%\": \"error_rate\" takes no selector: {outcome=...} "
     "applies to latencies (p<N>, mean, min, max)"},
    {"selector_without_value", "p99{outcome}<1s",
     "bad threshold \"p99{outcome}<1s\": outcome must be succeeded or failed, not \"\""},
    {"unclosed_selector", "p99{outcome=failed<1s",
     "bad threshold \"p99{outcome=failed<1s\": expected } to close \"{outcome=failed<1s\""},
    {"count_fraction", "timeouts<1.5", nullptr},
    {"rps_garbage", "rps>fast", nullptr},
};

class invalid_threshold : public ::testing::TestWithParam<invalid_case> {};
TEST_P(invalid_threshold, is_rejected_with_one_clear_line) {
  const auto& c = GetParam();
  auto t = parse_threshold(c.text);
  ASSERT_FALSE(t.ok());
  const auto& e = t.error();
  EXPECT_EQ(e.find('\n'), std::string::npos);
  EXPECT_EQ(e.rfind("bad threshold \"", 0), 0u) << e;
  if (c.message) {
    EXPECT_EQ(e, c.message);
  }
}
INSTANTIATE_TEST_SUITE_P(threshold, invalid_threshold, ::testing::ValuesIn(invalid_thresholds),
                         [](const auto& info) { return std::string(info.param.name); });

threshold_result judge(const char* text, const run_result& r) {
  auto t = parse_threshold(text);
  EXPECT_TRUE(t.ok()) << t.error();
  return evaluate(*t, r);
}

TEST(threshold, latency_thresholds_judge_the_corrected_latency_of_successes_and_show_it) {
  auto r = sample_run(false);  // successes: p99 ≈ 990 µs, max 1 ms; the 503s at 2 ms are failures
  auto pass = judge("p99<1ms", r);
  EXPECT_TRUE(pass.ok);
  EXPECT_EQ(pass.expr, "p99<1ms");
  EXPECT_EQ(pass.actual, "990us");
  auto fail = judge("p99<900us", r);
  EXPECT_FALSE(fail.ok);
  EXPECT_EQ(fail.actual, "990us");
  EXPECT_TRUE(judge("max<=1ms", r).ok);
  EXPECT_FALSE(judge("max<1ms", r).ok);
  EXPECT_TRUE(judge("min==1us", r).ok);
  EXPECT_TRUE(judge("mean<600us", r).ok);

  auto open = sample_run(true);  // corrected = uncorrected + 100 µs
  EXPECT_FALSE(judge("p50<550us", open).ok);
  EXPECT_EQ(judge("p50<550us", open).actual, "600us");
}

TEST(threshold, an_outcome_failed_threshold_judges_the_failures_latency) {
  auto r = sample_run(false);  // failures: 2 at 500 µs, 5 at 2 ms, 3 at 5 ms
  auto slow = judge("p99{outcome=failed}<1s", r);
  EXPECT_TRUE(slow.ok);
  EXPECT_EQ(slow.actual, "5.00ms");
  EXPECT_FALSE(judge("p99{outcome=failed}<5ms", r).ok);
  EXPECT_EQ(judge("min{outcome=failed}>100us", r).actual, "500us");
  EXPECT_EQ(judge("p99{outcome=succeeded}<1ms", r).actual, "990us");
  auto none = judge("p99{outcome=failed}<1s", run_result{});
  EXPECT_FALSE(none.ok);
  EXPECT_EQ(none.actual, "n/a: no failed requests");
}

TEST(threshold, rate_thresholds_are_shares_of_completed_requests) {
  auto r = sample_run(false);  // 1000 of 1010 completed succeeded
  auto err = judge("error_rate<1%", r);
  EXPECT_TRUE(err.ok);
  EXPECT_EQ(err.actual, "0.99%");
  EXPECT_FALSE(judge("error_rate<0.5%", r).ok);
  EXPECT_TRUE(judge("success_rate>=99%", r).ok);
  auto strict = judge("success_rate>=99.5%", r);
  EXPECT_FALSE(strict.ok);
  EXPECT_EQ(strict.actual, "99.01%");
}

TEST(threshold, throughput_and_count_thresholds) {
  auto r = sample_run(true);  // 1010 completed in 10 s; 3 timeouts, 1 dropped, 7 late
  auto rps = judge("rps>100", r);
  EXPECT_TRUE(rps.ok);
  EXPECT_EQ(rps.actual, "101.0/s");
  EXPECT_FALSE(judge("rps>1k", r).ok);
  auto timeouts = judge("timeouts==0", r);
  EXPECT_FALSE(timeouts.ok);
  EXPECT_EQ(timeouts.actual, "3");
  EXPECT_TRUE(judge("timeouts<10", r).ok);
  EXPECT_FALSE(judge("dropped==0", r).ok);
  EXPECT_TRUE(judge("dropped<=1", r).ok);
  EXPECT_TRUE(judge("late!=0", r).ok);
  EXPECT_EQ(judge("errors<100", r).actual, "10");
}

TEST(threshold, a_metric_without_data_fails_and_says_why) {
  run_result r;
  auto lat = judge("p99<1s", r);
  EXPECT_FALSE(lat.ok);
  EXPECT_EQ(lat.actual, "n/a: no successful responses");
  auto rate = judge("error_rate<1%", r);
  EXPECT_FALSE(rate.ok);
  EXPECT_EQ(rate.actual, "n/a: no completed requests");
  EXPECT_FALSE(judge("rps>0", r).ok);
  EXPECT_TRUE(judge("timeouts==0", r).ok);  // counts are always defined
}

TEST(threshold, all_passed_needs_every_result_to_pass) {
  auto r = sample_run(false);
  std::vector<threshold> ts;
  for (const char* text : {"p99<1ms", "timeouts<10"}) ts.push_back(*parse_threshold(text));
  auto results = evaluate(ts, r);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(all_passed(results));
  ts.push_back(*parse_threshold("timeouts==0"));
  EXPECT_FALSE(all_passed(evaluate(ts, r)));
  EXPECT_TRUE(all_passed({}));
}

TEST(threshold, exit_codes_are_distinct) {
  EXPECT_EQ(exit_ok, 0);
  EXPECT_EQ(exit_runtime_error, 1);
  EXPECT_EQ(exit_usage_error, 2);
  EXPECT_EQ(exit_thresholds_failed, 3);
}

TEST(threshold, percentages_keep_enough_decimals_to_stay_honest) {
  EXPECT_EQ(format_percent(99.95), "99.95%");
  EXPECT_EQ(format_percent(0), "0.00%");
  EXPECT_EQ(format_percent(100), "100.00%");
  EXPECT_EQ(format_percent(0.0004), "0.0004%");
  EXPECT_EQ(format_percent(99.9996), "99.9996%");
}

}  // namespace
}  // namespace barrage::loadgen

namespace barrage::loadgen {
namespace {

TEST(threshold, a_step_threshold_judges_that_step_only) {
  run_result r = testing::sample_run(false);
  r.stats.scenario.init({"login", "items"}, false);
  client::outcome ok;
  ok.status = 200;
  client::outcome refused;
  refused.error = client::error_kind::refused;
  for (int i = 0; i < 99; ++i) r.stats.scenario.record(0, ok, true, 200'000'000);  // login: 200 ms
  r.stats.scenario.record(0, refused, false, 1'000'000);
  for (int i = 0; i < 10; ++i) r.stats.scenario.record(1, ok, true, 5'000'000);  // items: 5 ms
  auto login = judge("p99{step=login}<300ms", r);
  EXPECT_TRUE(login.ok);
  EXPECT_EQ(login.actual, "200ms");
  EXPECT_FALSE(judge("p99{step=login}<100ms", r).ok);
  EXPECT_EQ(judge("p50{step=items}<10ms", r).actual, "5.00ms");
  EXPECT_EQ(judge("error_rate{step=login}<2%", r).actual, "1.00%");
  EXPECT_EQ(judge("errors{step=items}==0", r).actual, "0");
  EXPECT_EQ(judge("max{step=login,outcome=failed}<2ms", r).actual, "1.00ms");
  EXPECT_TRUE(judge("p99<1ms", r).ok);  // the run's own latency is unaffected
  auto missing = judge("p99{step=logout}<1s", r);
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.actual, "n/a: the run has no step \"logout\"");
}

}  // namespace
}  // namespace barrage::loadgen
