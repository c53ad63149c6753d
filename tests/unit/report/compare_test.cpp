#include "report/compare.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "../loadgen/sample_run.hpp"
#include "loadgen/histogram.hpp"
#include "loadgen/report_json.hpp"
#include "report/compare_render.hpp"

namespace barrage::report {
namespace {

using nlohmann::json;

/// `n` latencies of `ns` each, serialized as a report's "histogram" member.
json histogram_of(std::uint64_t ns, std::uint64_t n = 100) {
  histogram h;
  h.record_n(ns, n);
  return {{"unit", "ns"}, {"format", "h1"}, {"count", h.count()}, {"data", h.serialize()}};
}

/// The members compare reads, in the report's shape: `n` successes at `ns`, `rps` requests/s,
/// `timeouts` timeouts.
json section(std::uint64_t ns, double rps = 1000, std::uint64_t n = 100, std::uint64_t timeouts = 0) {
  const double completed = static_cast<double>(n + timeouts);
  return {{"requests", {{"succeeded", n}, {"failed", 0}, {"timed_out", timeouts}}},
          {"rates", {{"error", completed > 0 ? json(static_cast<double>(timeouts) / completed) : json(nullptr)}}},
          {"errors", {{"timeout", timeouts}, {"refused", 0}}},
          {"throughput", {{"requests_per_second", rps}}},
          {"histogram", histogram_of(ns, n)}};
}

json report(json body, const char* model = "closed") {
  body["schema_version"] = 5;
  body["barrage_version"] = "test";
  body["config"] = {{"model", model}, {"connections", 50}, {"url", "http://127.0.0.1:1/"}};
  return body;
}

json open_report(std::uint64_t corrected_ns, std::uint64_t uncorrected_ns) {
  json r = report(section(corrected_ns), "open");
  r["histogram_uncorrected"] = histogram_of(uncorrected_ns);
  return r;
}

const compared_figure* find(const comparison& c, const std::string& name, const std::string& sec = "") {
  for (const auto& f : c.figures)
    if (f.name == name && f.section == sec) return &f;
  return nullptr;
}

constexpr std::uint64_t ms10 = 10'000'000;
constexpr std::uint64_t bucket_at_10ms = 8192;  // 2^23 ≤ 10 ms < 2^24: buckets of 2^(23-10) ns

/// A WebSocket run's report, as the writer makes it: 1000 answered messages at `rtt_ns`,
/// `received` messages in 10 s, `dropped` connections reset; listen mode: gaps, no latency.
json ws_report(std::uint64_t rtt_ns, std::uint64_t received = 10'000, std::uint64_t dropped = 0, bool listen = false) {
  loadgen::run_result r;
  r.config.url = "ws://127.0.0.1:1/ws/echo";
  r.config.ws.enabled = true;
  r.config.ws.mode = listen ? loadgen::ws_mode::listen : loadgen::ws_mode::echo;
  r.duration_s = 10;
  auto& w = r.stats.ws;
  w.attempts = w.opened = 10;
  w.held_at_end = 10 - dropped;
  if (dropped) w.dropped["reset"] = dropped;
  w.received = received;
  if (listen) {
    w.gap.record_n(rtt_ns, 1000);
  } else {
    w.sent = w.answered = 1000;
    w.latency.record_n(rtt_ns, 1000);
  }
  return loadgen::to_json(r);
}

/// A --stream run's report: 100 streams with a first byte at `ttfb_ns`, gaps of `gap_ns`,
/// `events_per_second` each.
json streams_report(std::uint64_t ttfb_ns, std::uint64_t gap_ns = ms10, double events_per_second = 20) {
  loadgen::run_result r = loadgen::testing::sample_run(false);
  r.config.stream = true;
  r.stats.streams.responses = 100;
  auto& f = r.stats.streams.figures();
  f.ttfb.record_n(ttfb_ns, 100);
  f.gap.record_n(gap_ns, 1000);
  f.events.record_n(11, 100);
  f.events_per_second_milli.record_n(static_cast<std::uint64_t>(events_per_second * 1000), 100);
  f.length_bytes.record_n(500, 100);
  return loadgen::to_json(r);
}

/// A scenario run's report (report_scenario.cpp's step shape): step "login" with 100
/// successes at `login_ns`.
json steps_report(std::uint64_t login_ns) {
  loadgen::run_result r = loadgen::testing::sample_run(false);
  r.stats.scenario.init({"login"}, false);
  client::outcome ok;
  ok.status = 200;
  r.stats.scenario.steps[0].started = 100;
  for (int i = 0; i < 100; ++i) r.stats.scenario.record(0, ok, true, login_ns);
  return loadgen::to_json(r);
}

struct expected_line {
  const char* section;
  const char* name;
  verdict v;
};

struct compare_case {
  const char* name;
  std::function<json()> base, next;
  double max_regression;
  std::vector<expected_line> lines;
  bool regressed;
};
void PrintTo(const compare_case& c, std::ostream* os) { *os << c.name; }

const compare_case compare_cases[] = {
    {"p50_twenty_percent_slower_is_a_regression", [] { return report(section(ms10)); },
     [] { return report(section(12'000'000)); }, 5,
     {{"", "p50", verdict::worse}, {"", "p99", verdict::worse}, {"", "mean", verdict::worse},
      {"", "throughput", verdict::same}}, true},
    {"faster_latency_is_an_improvement", [] { return report(section(ms10)); },
     [] { return report(section(8'000'000)); }, 5, {{"", "p50", verdict::better}, {"", "max", verdict::better}}, false},
    {"three_percent_slower_is_within_five", [] { return report(section(ms10)); },
     [] { return report(section(10'300'000)); }, 5, {{"", "p50", verdict::tolerated}}, false},
    {"three_percent_slower_fails_a_two_percent_gate", [] { return report(section(ms10)); },
     [] { return report(section(10'300'000)); }, 2, {{"", "p50", verdict::worse}}, true},
    {"one_bucket_apart_is_the_same", [] { return report(section(ms10)); },
     [] { return report(section(ms10 + bucket_at_10ms)); }, 0,
     {{"", "p50", verdict::same}, {"", "p99.99", verdict::same}, {"", "mean", verdict::same}}, false},
    {"two_buckets_apart_fails_a_zero_gate", [] { return report(section(ms10)); },
     [] { return report(section(ms10 + 2 * bucket_at_10ms)); }, 0, {{"", "p50", verdict::worse}}, true},
    {"throughput_drop_beyond_the_threshold", [] { return report(section(ms10, 1000)); },
     [] { return report(section(ms10, 900)); }, 5, {{"", "throughput", verdict::worse}}, true},
    {"throughput_rise_is_better", [] { return report(section(ms10, 1000)); },
     [] { return report(section(ms10, 1100)); }, 5, {{"", "throughput", verdict::better}}, false},
    {"errors_from_a_zero_base_regress_whatever_the_threshold", [] { return report(section(ms10)); },
     [] { return report(section(ms10, 1000, 100, 1)); }, 1000,
     {{"", "error rate", verdict::worse}, {"", "errors timeout", verdict::worse}}, true},
    {"fewer_errors_is_better", [] { return report(section(ms10, 1000, 100, 10)); },
     [] { return report(section(ms10, 1000, 100, 2)); }, 5,
     {{"", "error rate", verdict::better}, {"", "errors timeout", verdict::better}}, false},
    {"zero_errors_on_both_sides_is_the_same", [] { return report(section(ms10)); },
     [] { return report(section(ms10)); }, 5, {{"", "error rate", verdict::same}}, false},
    {"a_missing_figure_is_not_comparable_and_does_not_fail",
     [] { return report(section(ms10)); },
     [] {
       json r = report(section(ms10, 10));
       r.erase("throughput");
       return r;
     },
     5, {{"", "throughput", verdict::not_comparable}, {"", "p50", verdict::same}}, false},
    {"no_successes_in_new_leaves_latency_not_comparable", [] { return report(section(ms10)); },
     [] { return report(section(ms10, 1000, 0, 5)); }, 5,
     {{"", "p50", verdict::not_comparable}, {"", "succeeded", verdict::worse}, {"", "error rate", verdict::worse}},
     true},
    {"open_against_closed_compares_latency_from_the_send", [] { return report(section(ms10)); },
     [] { return open_report(50'000'000, ms10); }, 5,
     {{"", "p50", verdict::not_comparable}, {"", "uncorrected p50", verdict::same}}, false},
    {"both_open_compares_corrected_and_uncorrected", [] { return open_report(ms10, ms10); },
     [] { return open_report(20'000'000, ms10); }, 5,
     {{"", "p50", verdict::worse}, {"", "uncorrected p50", verdict::same}}, true},
    {"steps_are_compared_step_by_step",
     [] {
       json r = report(section(ms10));
       r["steps"] = {{"login", section(ms10)}, {"search", section(ms10)}};
       return r;
     },
     [] {
       json r = report(section(ms10));
       r["steps"] = {{"login", section(ms10)}, {"search", section(30'000'000)}};
       return r;
     },
     5, {{"step login", "p50", verdict::same}, {"step search", "p50", verdict::worse}, {"", "p50", verdict::same}},
     true},
    {"targets_as_an_array_by_name",
     [] {
       json r = report(section(ms10));
       json t = section(ms10, 500);
       t["name"] = "api";
       r["targets"] = json::array({t});
       return r;
     },
     [] {
       json r = report(section(ms10));
       json t = section(ms10, 600);
       t["name"] = "api";
       r["targets"] = json::array({t});
       return r;
     },
     5, {{"target api", "throughput", verdict::better}, {"target api", "p99", verdict::same}}, false},
    {"a_step_only_in_the_new_run_is_not_comparable",
     [] { return report(section(ms10)); },
     [] {
       json r = report(section(ms10));
       r["steps"] = {{"checkout", section(ms10)}};
       return r;
     },
     5, {{"step checkout", "p50", verdict::not_comparable}, {"step checkout", "throughput", verdict::not_comparable}},
     false},
    {"a_real_step_is_compared_at_its_own_histogram_and_rps", [] { return steps_report(ms10); },
     [] { return steps_report(20'000'000); }, 5,
     {{"step login", "p50", verdict::worse}, {"step login", "throughput", verdict::same},
      {"step login", "succeeded", verdict::same}, {"", "p50", verdict::same}},
     true},
    {"websocket_message_round_trip_twenty_percent_slower_is_a_regression", [] { return ws_report(ms10); },
     [] { return ws_report(12'000'000); }, 5,
     {{"websocket", "message p50", verdict::worse}, {"websocket", "message p99", verdict::worse},
      {"websocket", "messages/s", verdict::same}, {"websocket", "dropped connections", verdict::same}},
     true},
    {"websocket_round_trip_one_bucket_apart_is_the_same", [] { return ws_report(ms10); },
     [] { return ws_report(ms10 + bucket_at_10ms); }, 0, {{"websocket", "message p99", verdict::same}}, false},
    {"websocket_fewer_messages_per_second_beyond_the_threshold", [] { return ws_report(ms10, 10'000); },
     [] { return ws_report(ms10, 9'000); }, 5, {{"websocket", "messages/s", verdict::worse}}, true},
    {"websocket_more_messages_per_second_is_better", [] { return ws_report(ms10, 10'000); },
     [] { return ws_report(ms10, 10'400); }, 5, {{"websocket", "messages/s", verdict::better}}, false},
    {"websocket_dropped_connections_from_zero_regress", [] { return ws_report(ms10); },
     [] { return ws_report(ms10, 10'000, 2); }, 1000, {{"websocket", "dropped connections", verdict::worse}}, true},
    {"websocket_listen_mode_compares_the_gap", [] { return ws_report(ms10, 10'000, 0, true); },
     [] { return ws_report(8'000'000, 10'000, 0, true); }, 5, {{"websocket", "message gap p99", verdict::better}},
     false},
    {"websocket_without_histograms_reads_the_summaries",
     [] {
       json r = ws_report(ms10);
       r["websocket"].erase("histograms");
       return r;
     },
     [] {
       json r = ws_report(11'000'000);
       r["websocket"].erase("histograms");
       return r;
     },
     5, {{"websocket", "message p99", verdict::worse}}, true},
    {"websocket_against_an_http_run_is_not_comparable", [] { return report(section(ms10)); },
     [] { return ws_report(ms10); }, 5, {{"websocket", "message p50", verdict::not_comparable}}, true},
    {"streams_slower_first_byte_is_a_regression", [] { return streams_report(ms10); },
     [] { return streams_report(15'000'000); }, 5,
     {{"streams", "ttfb p50", verdict::worse}, {"streams", "ttfb p99", verdict::worse}, {"streams", "gap p99", verdict::same},
      {"streams", "events/s p50", verdict::same}},
     true},
    {"streams_shorter_gaps_and_more_events_per_second_are_better", [] { return streams_report(ms10, ms10, 20); },
     [] { return streams_report(ms10, 5'000'000, 40); }, 5,
     {{"streams", "gap p99", verdict::better}, {"streams", "events/s p50", verdict::better}}, false},
    {"streams_fewer_events_per_second_beyond_the_threshold", [] { return streams_report(ms10, ms10, 20); },
     [] { return streams_report(ms10, ms10, 18); }, 5, {{"streams", "events/s p50", verdict::worse}}, true},
};

class compare_table : public ::testing::TestWithParam<compare_case> {};
TEST_P(compare_table, judges_each_named_figure) {
  const auto& k = GetParam();
  auto c = compare_reports(k.base(), k.next(), {k.max_regression});
  ASSERT_TRUE(c.ok()) << c.error();
  for (const auto& l : k.lines) {
    const auto* f = find(*c, l.name, l.section);
    ASSERT_NE(f, nullptr) << l.section << " " << l.name;
    EXPECT_EQ(to_string(f->judged.v), to_string(l.v)) << l.section << " " << l.name << ": " << f->reason;
  }
  EXPECT_EQ(c->regressed(), k.regressed);
}
INSTANTIATE_TEST_SUITE_P(compare, compare_table, ::testing::ValuesIn(compare_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(compare, the_change_is_a_signed_percentage_of_the_base) {
  auto c = compare_reports(report(section(ms10, 1000)), report(section(ms10, 900)));
  ASSERT_TRUE(c.ok());
  const auto* f = find(*c, "throughput");
  ASSERT_TRUE(f && f->judged.change_pct);
  EXPECT_DOUBLE_EQ(*f->judged.change_pct, -10.0);
}

TEST(compare, percentiles_come_from_the_histogram_not_the_rounded_latency_ms) {
  json base = report(section(ms10)), next = report(section(ms10));
  base["latency_ms"] = {{"p50", 1.0}};  // disagrees with the histogram: ignored
  next["latency_ms"] = {{"p50", 99.0}};
  auto c = compare_reports(base, next);
  ASSERT_TRUE(c.ok());
  const auto* p50 = find(*c, "p50");
  ASSERT_TRUE(p50 && p50->base);
  EXPECT_NEAR(*p50->base, 10e6, 10e6 / 1024);
  EXPECT_EQ(p50->judged.v, verdict::same);
}

TEST(compare, errors_by_kind_are_shares_of_completed_requests_with_their_counts) {
  auto c = compare_reports(report(section(ms10, 1000, 90, 10)), report(section(ms10, 1000, 190, 10)));
  ASSERT_TRUE(c.ok());
  const auto* f = find(*c, "errors timeout");
  ASSERT_TRUE(f && f->base && f->next);
  EXPECT_DOUBLE_EQ(*f->base, 0.10);
  EXPECT_DOUBLE_EQ(*f->next, 0.05);
  EXPECT_EQ(*f->base_count, 10u);
  EXPECT_EQ(*f->next_count, 10u);
  EXPECT_EQ(f->judged.v, verdict::better);
  EXPECT_EQ(find(*c, "errors refused"), nullptr);  // zero in both: no line
}

TEST(compare, an_error_kind_with_json_pointer_characters_is_an_ordinary_key) {
  json base = report(section(ms10)), next = report(section(ms10));
  next["errors"]["a~b/c"] = 2;
  auto c = compare_reports(base, next);
  ASSERT_TRUE(c.ok());
  const auto* f = find(*c, "errors a~b/c");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(*f->next_count, 2u);
  EXPECT_EQ(f->judged.v, verdict::worse);
}

TEST(compare, the_settings_that_differ_are_listed_with_both_values) {
  json base = report(section(ms10)), next = report(section(ms10));
  next["config"]["connections"] = 100;
  next["barrage_version"] = "other";
  auto c = compare_reports(base, next);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->config_differences.size(), 2u);
  EXPECT_EQ(c->config_differences[0].field, "barrage_version");
  EXPECT_EQ(c->config_differences[1].field, "config.connections");
  EXPECT_EQ(c->config_differences[1].base, 50);
  EXPECT_EQ(c->config_differences[1].next, 100);
}

TEST(compare, a_real_report_against_itself_is_the_same_everywhere) {
  for (bool open : {false, true}) {
    const json r = loadgen::to_json(loadgen::testing::sample_run(open));
    auto c = compare_reports(r, r);
    ASSERT_TRUE(c.ok()) << c.error();
    EXPECT_EQ(c->count(verdict::same), c->figures.size());
    EXPECT_FALSE(c->regressed());
    EXPECT_NE(find(*c, "errors timeout"), nullptr);
    EXPECT_NE(find(*c, "errors status_503"), nullptr);
    EXPECT_EQ(find(*c, "uncorrected p50") != nullptr, open);
    EXPECT_TRUE(c->config_differences.empty());
  }
}

TEST(compare, real_closed_against_real_open_compares_uncorrected_to_closed_latency) {
  auto c = compare_reports(loadgen::to_json(loadgen::testing::sample_run(false)),
                           loadgen::to_json(loadgen::testing::sample_run(true)));
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(find(*c, "p50")->judged.v, verdict::not_comparable);
  EXPECT_EQ(find(*c, "uncorrected p50")->judged.v, verdict::same);  // the same latencies from the send
  ASSERT_FALSE(c->config_differences.empty());
}

struct bad_pair_case {
  const char* name;
  std::function<json()> next;
  const char* error_part;
};
void PrintTo(const bad_pair_case& c, std::ostream* os) { *os << c.name; }
const bad_pair_case bad_pairs[] = {
    {"different_schema_versions",
     [] {
       json r = report(section(ms10));
       r["schema_version"] = 4;
       return r;
     },
     "different schema versions (base 5, new 4)"},
    {"undecodable_histogram",
     [] {
       json r = report(section(ms10));
       r["histogram"]["data"] = "h1 garbage";
       return r;
     },
     "new report's histogram: "},
    {"histogram_without_data",
     [] {
       json r = report(section(ms10));
       r["histogram"] = 5;
       return r;
     },
     "new report's histogram: not a serialized histogram"},
    {"undecodable_step_histogram",
     [] {
       json r = report(section(ms10));
       r["steps"] = {{"login", {{"histogram_uncorrected", {{"data", "x"}}}}}};
       return r;
     },
     "step login: new report's histogram_uncorrected: "},
    {"undecodable_websocket_histogram",
     [] {
       json r = report(section(ms10));
       r["websocket"] = {{"histograms", {{"latency", {{"data", "h1 x"}}}}}};
       return r;
     },
     "new report's websocket/histograms/latency: "},
};
class bad_pair : public ::testing::TestWithParam<bad_pair_case> {};
TEST_P(bad_pair, is_refused_with_one_line_naming_the_reason) {
  auto c = compare_reports(report(section(ms10)), GetParam().next());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().find(GetParam().error_part), std::string::npos) << c.error();
  EXPECT_EQ(c.error().find('\n'), std::string::npos);
}
INSTANTIATE_TEST_SUITE_P(compare, bad_pair, ::testing::ValuesIn(bad_pairs),
                         [](const auto& info) { return std::string(info.param.name); });

struct input_case {
  const char* name;
  const char* text;
  const char* error_part;  // nullptr: accepted
};
void PrintTo(const input_case& c, std::ostream* os) { *os << c.name; }
const input_case inputs[] = {
    {"minimal_report", R"({"schema_version":5,"barrage_version":"1.0"})", nullptr},
    {"not_json", "p50 10ms", "not JSON"},
    {"empty", "", "not JSON"},
    {"truncated", R"({"schema_version":5,"barrage_ver)", "not JSON"},
    {"an_array", "[1,2]", "not a JSON object"},
    {"no_schema_version", R"({"barrage_version":"1.0"})", "schema_version"},
    {"schema_version_as_text", R"({"schema_version":"5","barrage_version":"1.0"})", "schema_version"},
    {"no_barrage_version", R"({"schema_version":5})", "barrage_version"},
    {"brackets_inside_strings_do_not_nest", R"({"schema_version":5,"barrage_version":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"{{"})", nullptr},
    {"nested_too_deep", "DEEP", "nested deeper than 64 levels"},
};
class saved_report_input : public ::testing::TestWithParam<input_case> {};
TEST_P(saved_report_input, is_accepted_or_refused_with_its_reason) {
  const auto& k = GetParam();
  const std::string deep = R"({"schema_version":5,"barrage_version":"1","config":{"x":)" + std::string(100'000, '[') +
                           std::string(100'000, ']') + "}}";
  auto r = parse_saved_report(std::string_view(k.text) == "DEEP" ? std::string_view(deep) : std::string_view(k.text));
  if (!k.error_part) {
    EXPECT_TRUE(r.ok()) << r.error();
    return;
  }
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find(k.error_part), std::string::npos) << r.error();
}
INSTANTIATE_TEST_SUITE_P(compare, saved_report_input, ::testing::ValuesIn(inputs),
                         [](const auto& info) { return std::string(info.param.name); });

struct percentage_case {
  const char* name;
  const char* text;
  double value;  // < 0: refused
};
void PrintTo(const percentage_case& c, std::ostream* os) { *os << c.name; }
const percentage_case percentages[] = {
    {"whole", "5", 5},         {"fraction", "2.5", 2.5},   {"percent_sign", "10%", 10}, {"zero", "0", 0},
    {"negative", "-1", -1},    {"empty", "", -1},          {"garbage", "5x", -1},       {"only_sign", "%", -1},
    {"infinite", "inf", -1},   {"not_a_number", "nan", -1}, {"space_before_sign", "5 %", 5},
};
class max_regression_text : public ::testing::TestWithParam<percentage_case> {};
TEST_P(max_regression_text, parses_as_a_percentage_or_is_refused) {
  const auto& k = GetParam();
  auto r = parse_max_regression(k.text);
  if (k.value < 0) {
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().find(std::string("\"") + k.text + "\""), std::string::npos) << r.error();
  } else {
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_DOUBLE_EQ(*r, k.value);
  }
}
INSTANTIATE_TEST_SUITE_P(compare, max_regression_text, ::testing::ValuesIn(percentages),
                         [](const auto& info) { return std::string(info.param.name); });

struct judge_case {
  const char* name;
  double base, next;
  better_when better;
  double noise;
  verdict v;
  bool has_change;
};
void PrintTo(const judge_case& c, std::ostream* os) { *os << c.name; }
const judge_case judge_cases[] = {
    {"zero_to_zero_is_the_same", 0, 0, better_when::lower, 0, verdict::same, false},
    {"zero_to_some_lower_better_is_worse", 0, 1, better_when::lower, 0, verdict::worse, false},
    {"zero_to_some_higher_better_is_better", 0, 5, better_when::higher, 0, verdict::better, false},
    {"some_to_zero_higher_better_is_worse", 10, 0, better_when::higher, 0, verdict::worse, true},
    {"some_to_zero_lower_better_is_better", 10, 0, better_when::lower, 0, verdict::better, true},
    {"exactly_at_the_threshold_is_tolerated", 100, 105, better_when::lower, 0, verdict::tolerated, true},
    {"just_beyond_the_threshold_is_worse", 100, 105.01, better_when::lower, 0, verdict::worse, true},
    {"within_the_noise_is_the_same", 100, 103, better_when::lower, 3, verdict::same, true},
};
class judge_table : public ::testing::TestWithParam<judge_case> {};
TEST_P(judge_table, follows_the_verdict_rule) {
  const auto& k = GetParam();
  const auto j = judge(k.base, k.next, k.better, k.noise, 5);
  EXPECT_EQ(to_string(j.v), to_string(k.v));
  EXPECT_EQ(j.change_pct.has_value(), k.has_change);
}
INSTANTIATE_TEST_SUITE_P(compare, judge_table, ::testing::ValuesIn(judge_cases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace barrage::report
