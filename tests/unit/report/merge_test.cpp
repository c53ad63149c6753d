// barrage merge: exact against one histogram of all the samples; timelines by wall second;
// refusals of reports that do not belong together.
#include "report/merge.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "loadgen/report_json.hpp"
#include "loadgen/timeline.hpp"
#include "report/saved_report.hpp"

namespace barrage::report {
namespace {

using nlohmann::json;
using loadgen::run_result;

constexpr std::int64_t start_us = 1'796'580'000'000'000;  // 2026-12-06T18:00:00Z

/// A run's result with the given successful latencies (ns), `errors` refused requests, and a
/// timeline of `seconds` seconds whose second i holds the latencies with index % seconds == i.
run_result shard_run(const std::vector<std::int64_t>& latencies, std::uint64_t errors, std::optional<loadgen::shard_spec> s,
                     std::int64_t start_offset_us, bool open = false, unsigned seconds = 3) {
  run_result r;
  r.config.url = "http://127.0.0.1:8080/";
  r.config.connections = 10;
  r.config.requests = latencies.size() + errors;
  r.config.threads = 1;
  if (open) r.config.rate = 500.0;
  r.config.shard = s;
  r.target_address = "127.0.0.1:8080";
  if (open) r.stats.keep_uncorrected();
  loadgen::success_policy policy;
  client::outcome ok;
  ok.status = 200;
  ok.bytes_in = 100;
  std::vector<histogram> per_second(seconds);
  for (std::size_t i = 0; i < latencies.size(); ++i) {
    ++r.stats.count.started;
    r.stats.record(ok, latencies[i], latencies[i] / 2, policy);
    per_second[i % seconds].record(static_cast<std::uint64_t>(latencies[i]));
  }
  client::outcome refused;
  refused.error = client::error_kind::refused;
  for (std::uint64_t i = 0; i < errors; ++i) {
    ++r.stats.count.started;
    r.stats.record(refused, 1000, 1000, policy);
  }
  histogram coarse;
  for (const auto& h : per_second) {
    loadgen::coarsen(h, coarse);
    r.timeline.push_back({h.count(), 0, static_cast<double>(h.value_at_percentile(50)) / 1e6,
                          static_cast<double>(h.value_at_percentile(90)) / 1e6,
                          static_cast<double>(h.value_at_percentile(99)) / 1e6, static_cast<double>(h.max()) / 1e6,
                          coarse.serialize()});
  }
  r.duration_s = seconds;
  r.wall_start_unix_us = start_us + start_offset_us;
  r.wall_end_unix_us = r.wall_start_unix_us + seconds * 1'000'000;
  return r;
}

std::vector<std::int64_t> random_latencies(std::size_t n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::lognormal_distribution<double> d(13.0, 1.2);  // a median near 0.44 ms, a long tail
  std::vector<std::int64_t> out(n);
  for (auto& v : out) v = static_cast<std::int64_t>(d(gen));
  return out;
}

std::vector<merge_input> inputs_of(const std::vector<run_result>& runs) {
  std::vector<merge_input> in;
  for (std::size_t i = 0; i < runs.size(); ++i) in.push_back({"s" + std::to_string(i) + ".json", loadgen::to_json(runs[i])});
  return in;
}

TEST(merge, the_percentiles_of_a_merge_are_those_of_one_histogram_of_all_the_samples) {
  for (bool open : {false, true}) {
    const auto all = random_latencies(20'000, 7);
    std::vector<run_result> shards;
    std::size_t from = 0;
    const std::size_t sizes[] = {6000, 5000, 5000, 4000};  // unequal shares, unequal shapes
    for (unsigned i = 0; i < 4; ++i) {
      std::vector<std::int64_t> part(all.begin() + from, all.begin() + from + sizes[i]);
      shards.push_back(shard_run(part, i, loadgen::shard_spec{i, 4}, i * 100, open));
      from += sizes[i];
    }
    const run_result whole = shard_run(all, 6, std::nullopt, 0, open);
    auto merged = merge_reports(inputs_of(shards));
    ASSERT_TRUE(merged) << merged.error();
    const json want = loadgen::to_json(whole);
    const json& got = merged->doc;
    EXPECT_EQ(got["latency_ms"], want["latency_ms"]) << "open " << open;
    EXPECT_EQ(got["histogram"], want["histogram"]);
    EXPECT_EQ(got["requests"], want["requests"]);
    EXPECT_EQ(got["status_codes"], want["status_codes"]);
    EXPECT_EQ(got["errors"], want["errors"]);
    EXPECT_EQ(got["bytes"], want["bytes"]);
    EXPECT_EQ(got["rates"], want["rates"]);
    if (open) {
      EXPECT_EQ(got["latency_uncorrected_ms"], want["latency_uncorrected_ms"]);
      EXPECT_EQ(got["histogram_uncorrected"], want["histogram_uncorrected"]);
      EXPECT_DOUBLE_EQ(got["config"]["rate"].get<double>(), 2000.0);
    }
    // A mean of the shards' p99s is not the p99 of all: the merge must not be that.
    double mean_of_p99 = 0;
    for (const auto& s : shards) mean_of_p99 += loadgen::to_json(s)["latency_ms"]["p99"].get<double>() / 4;
    EXPECT_NE(got["latency_ms"]["p99"].get<double>(), mean_of_p99);
    EXPECT_EQ(got["config"]["connections"], 40);
    EXPECT_EQ(got["config"]["requests"], 20'006);
    EXPECT_EQ(got["shard"], nullptr);
    EXPECT_EQ(merged->result.stats.latency, whole.stats.latency) << "the thresholds judge the same histogram";
  }
}

TEST(merge, timelines_align_by_wall_second_and_each_seconds_percentiles_come_from_the_merged_coarse_histograms) {
  const auto a = random_latencies(3000, 1), b = random_latencies(3000, 2);
  // b starts 1.2 s after a: its second 0 is a's second 1.
  std::vector<run_result> runs = {shard_run(a, 0, loadgen::shard_spec{0, 2}, 0),
                                  shard_run(b, 0, loadgen::shard_spec{1, 2}, 1'200'000)};
  auto merged = merge_reports(inputs_of(runs));
  ASSERT_TRUE(merged) << merged.error();
  const json& t = merged->doc["timeline"];
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0]["wall_second"], 1'796'580'000);
  EXPECT_EQ(t[3]["wall_second"], 1'796'580'003);
  EXPECT_EQ(t[0]["requests"], 1000);
  EXPECT_EQ(t[1]["requests"], 2000);
  EXPECT_EQ(t[3]["requests"], 1000);
  histogram second1;  // a's second 1 and b's second 0, coarse
  for (std::size_t i = 1; i < a.size(); i += 3) second1.record(static_cast<std::uint64_t>(a[i]));
  for (std::size_t i = 0; i < b.size(); i += 3) second1.record(static_cast<std::uint64_t>(b[i]));
  histogram coarse;
  loadgen::coarsen(second1, coarse);
  EXPECT_EQ(t[1]["p99_ms"].get<double>(), static_cast<double>(coarse.value_at_percentile(99)) / 1e6);
  EXPECT_EQ(t[1]["max_ms"].get<double>(), static_cast<double>(second1.max()) / 1e6) << "max stays exact";
  EXPECT_EQ(t[1]["histogram"], coarse.serialize());
  EXPECT_DOUBLE_EQ(merged->doc["duration_s"].get<double>(), 4.2);
  EXPECT_DOUBLE_EQ(merged->doc["merged"]["start_spread_ms"].get<double>(), 1200.0);
  EXPECT_EQ(merged->doc["wall_clock"]["start"], "2026-12-06T18:00:00.000000Z");
  EXPECT_EQ(merged->doc["wall_clock"]["end"], "2026-12-06T18:00:04.200000Z");
}

TEST(merge, latency_summaries_without_histograms_merge_count_extremes_mean_and_stdev_exactly) {
  const json a = {{"count", 2}, {"min", 1.0}, {"mean", 2.0}, {"stdev", 1.0}, {"max", 3.0}, {"p50", 1.0}, {"p75", 3.0},
                  {"p90", 3.0}, {"p99", 3.0}, {"p999", 3.0}, {"p9999", 3.0}, {"cached", 5}};
  const json b = {{"count", 2}, {"min", 5.0}, {"mean", 6.0}, {"stdev", 1.0}, {"max", 7.0}, {"p50", 5.0}, {"p75", 7.0},
                  {"p90", 7.0}, {"p99", 7.0}, {"p999", 7.0}, {"p9999", 7.0}, {"cached", 1}};
  const json m = merge_summaries({&a, &b});  // the samples 1, 3, 5, 7
  EXPECT_EQ(m["count"], 4);
  EXPECT_EQ(m["min"], 1.0);
  EXPECT_EQ(m["max"], 7.0);
  EXPECT_DOUBLE_EQ(m["mean"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(m["stdev"].get<double>(), std::sqrt(5.0));
  EXPECT_EQ(m["p99"], nullptr) << "not knowable from two summaries";
  EXPECT_EQ(m["cached"], 6);
  json empty = a;
  empty["count"] = 0;
  EXPECT_EQ(merge_summaries({&empty, &b})["p99"], 7.0) << "one input holds every sample: its percentiles are exact";
}

TEST(merge, a_saturated_shard_marks_the_merge_saturated_and_is_named) {
  std::vector<run_result> runs = {shard_run(random_latencies(10, 1), 0, loadgen::shard_spec{0, 2}, 0),
                                  shard_run(random_latencies(10, 2), 0, loadgen::shard_spec{1, 2}, 0)};
  runs[1].generator.saturated = true;
  runs[1].generator.saturation_reason = "a worker thread was busy 99% of the time";
  runs[0].generator.cpu_seconds = 1.5;
  runs[1].generator.cpu_seconds = 2.0;
  auto merged = merge_reports(inputs_of(runs));
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->doc["generator"]["saturated"], true);
  EXPECT_EQ(merged->doc["generator"]["saturation_reason"], "s1.json: a worker thread was busy 99% of the time");
  EXPECT_DOUBLE_EQ(merged->doc["generator"]["cpu_seconds"].get<double>(), 3.5);
}

struct refusal {
  const char* name;
  std::vector<std::optional<loadgen::shard_spec>> shards;
  std::function<void(std::vector<merge_input>&)> change;
  const char* message;
};

TEST(merge, reports_that_do_not_belong_together_are_refused_with_one_line) {
  using s = loadgen::shard_spec;
  const refusal cases[] = {
      {"a shard twice", {s{0, 3}, s{1, 3}, s{1, 3}}, {}, "shard 1 of 3 is given twice (s1.json and s2.json)"},
      {"a missing shard", {s{0, 4}, s{1, 4}, s{3, 4}}, {}, "3 of 4 shards: missing 2 (--allow-partial merges anyway)"},
      {"different counts", {s{0, 2}, s{1, 3}}, {}, "s0.json is shard 0 of 2 but s1.json is shard 1 of 3: different runs"},
      {"sharded and not", {s{0, 2}, std::nullopt}, {}, "s0.json is a shard but s1.json is not: merge the shards of one run"},
      {"different targets",
       {s{0, 2}, s{1, 2}},
       [](auto& in) { in[1].doc["config"]["url"] = "http://127.0.0.1:9090/"; },
       "s0.json and s1.json are from different runs: config.url differs: \"http://127.0.0.1:8080/\" vs "
       "\"http://127.0.0.1:9090/\""},
      {"a different method",
       {s{0, 2}, s{1, 2}},
       [](auto& in) { in[1].doc["config"]["method"] = "POST"; },
       "s0.json and s1.json are from different runs: config.method differs: \"GET\" vs \"POST\""},
      {"another schema",
       {s{0, 2}, s{1, 2}},
       [](auto& in) { in[1].doc["schema_version"] = 4; },
       "s0.json has schema_version 5 but s1.json has 4: made by different barrage versions"},
      {"not a report", {s{0, 2}, s{1, 2}}, [](auto& in) { in[1].doc = json::array(); },
       "s1.json: not a barrage JSON report (no schema_version or config)"},
      {"a broken histogram",
       {s{0, 2}, s{1, 2}},
       [](auto& in) { in[1].doc["histogram"]["data"] = "h1 x"; },
       "not a barrage report as expected: bad histogram data"},
  };
  for (const auto& c : cases) {
    std::vector<run_result> runs;
    for (const auto& sh : c.shards) runs.push_back(shard_run({1000, 2000}, 0, sh, 0));
    auto in = inputs_of(runs);
    if (c.change) c.change(in);
    auto m = merge_reports(in);
    ASSERT_FALSE(m) << c.name;
    EXPECT_EQ(m.error().rfind(c.message, 0), 0u) << c.name << ": " << m.error();
    EXPECT_EQ(m.error().find('\n'), std::string::npos) << c.name;
  }
}

TEST(merge, the_shares_of_a_run_may_differ_and_allow_partial_merges_what_is_there_and_says_so) {
  using s = loadgen::shard_spec;
  std::vector<run_result> runs = {shard_run({1000}, 0, s{2, 4}, 50), shard_run({2000}, 0, s{0, 4}, 0),
                                  shard_run({3000}, 0, s{1, 4}, 30)};
  runs[0].config.connections = 7;  // shares differ: not a difference of configuration
  auto m = merge_reports(inputs_of(runs), true);
  ASSERT_TRUE(m) << m.error();
  const json& merged = m->doc["merged"];
  EXPECT_EQ(merged["inputs"], 3);
  EXPECT_EQ(merged["partial"], true);
  ASSERT_EQ(merged["shards"].size(), 3u);
  EXPECT_EQ(merged["shards"][0]["index"], 0) << "in index order";
  EXPECT_EQ(merged["shards"][2]["index"], 2);
  EXPECT_EQ(merged["shards"][2]["start"], "2026-12-06T18:00:00.000050Z");
  EXPECT_DOUBLE_EQ(merged["start_spread_ms"].get<double>(), 0.05);
  EXPECT_EQ(m->doc["config"]["connections"], 27);
  EXPECT_EQ(m->doc["requests"]["started"], 3);
}

TEST(merge, the_merged_report_has_the_keys_of_the_published_schema_and_the_merged_section) {
  std::ifstream f(std::filesystem::path(BARRAGE_SOURCE_DIR) / "docs/report.schema.json");
  const json schema = json::parse(f);
  std::vector<run_result> runs = {shard_run({1000}, 1, loadgen::shard_spec{0, 2}, 0, true),
                                  shard_run({2000}, 0, loadgen::shard_spec{1, 2}, 0, true)};
  auto m = merge_reports(inputs_of(runs));
  ASSERT_TRUE(m);
  const json doc = with_thresholds(m->doc, {});
  for (const auto& k : schema["required"]) EXPECT_TRUE(doc.contains(k.get<std::string>())) << k;
  for (const auto& [k, v] : doc.items()) EXPECT_TRUE(schema["properties"].contains(k)) << k;
  for (const auto& k : schema["properties"]["merged"]["required"]) EXPECT_TRUE(doc["merged"].contains(k.get<std::string>())) << k;
  for (const auto& [k, v] : doc["config"].items()) EXPECT_TRUE(schema["$defs"]["config"]["properties"].contains(k)) << k;
  for (const auto& [k, v] : doc["timeline"][0].items())
    EXPECT_TRUE(schema["properties"]["timeline"]["items"]["properties"].contains(k)) << k;
  EXPECT_TRUE(parse_report("{", "x.json") ? false : true);
  EXPECT_EQ(parse_report("{", "x.json").error(), "\"x.json\": not JSON (a barrage --json report)");
}

}  // namespace
}  // namespace barrage::report
