// barrage merge of the websocket, streams and steps/targets sections: the merge of shards
// equals the section of one run that recorded every sample, and the accounting still holds.
#include <gtest/gtest.h>

#include <random>

#include "loadgen/report_json.hpp"
#include "loadgen/report_text.hpp"
#include "loadgen/timeline.hpp"
#include "report/merge.hpp"

namespace barrage::report {
namespace {

using nlohmann::json;
using loadgen::run_result;

constexpr std::int64_t t0_us = 1'796'580'000'000'000;  // 2026-12-06T18:00:00Z

/// A run of `url` with no HTTP requests, shard `s` (none: the whole run), 2 s long.
run_result bare_run(const char* url, std::optional<loadgen::shard_spec> s) {
  run_result r;
  r.config.url = url;
  r.config.connections = 4;
  r.config.threads = 1;
  r.config.shard = s;
  r.target_address = "127.0.0.1:8080";
  r.duration_s = 2;
  r.wall_start_unix_us = t0_us;
  r.wall_end_unix_us = t0_us + 2'000'000;
  return r;
}

std::vector<std::uint64_t> samples(std::size_t n, unsigned seed, double median_log = 13.0) {
  std::mt19937_64 gen(seed);
  std::lognormal_distribution<double> d(median_log, 1.1);
  std::vector<std::uint64_t> out(n);
  for (auto& v : out) v = static_cast<std::uint64_t>(d(gen));
  return out;
}

std::vector<merge_input> inputs_of(const std::vector<run_result>& runs) {
  std::vector<merge_input> in;
  for (std::size_t i = 0; i < runs.size(); ++i) in.push_back({"s" + std::to_string(i) + ".json", loadgen::to_json(runs[i])});
  return in;
}

/// Shard `i`'s share of a WebSocket echo run, recorded into `into` (the shard's, then again
/// the whole run's): connections opened, closed, dropped, failed; messages and their latency.
void record_ws_share(loadgen::ws_stats& into, unsigned i) {
  const auto lat = samples(3000 + 1000 * i, 10 + i), hs = samples(20 + i, 20 + i, 11.0);
  into.attempts += 10 + i;
  into.failed[i ? "refused" : "http_404"] += 1;
  into.opened += 9 + i;
  into.held_at_end += 5;
  into.closed_by_peer[i ? 1001 : 1000] += 2;
  into.closed_by_us += 1;
  into.dropped["reset"] += 1 + i;
  into.reconnects += i;
  into.sent += lat.size() + 7;
  into.answered += lat.size();
  into.timed_out += 2;
  into.lost += 3;
  into.in_flight_at_end += 2;
  into.received += lat.size() + i;
  into.unmatched += i;
  into.bytes_sent += 40 * (lat.size() + 7);
  into.bytes_received += 40 * lat.size();
  into.pings += 4;
  into.pongs += 4 - i;
  for (auto v : lat) into.latency.record(v);
  for (auto v : hs) into.handshake.record(v);
  for (auto v : hs) into.ping_rtt.record(v / 2);
}

TEST(merge_sections, the_websocket_section_of_two_shards_is_the_section_of_one_run_of_all_their_samples) {
  std::vector<run_result> shards;
  run_result whole = bare_run("ws://127.0.0.1:8080/ws/echo", std::nullopt);
  whole.config.ws.enabled = true;
  whole.config.ws.ping_interval = std::chrono::seconds(1);
  for (unsigned i = 0; i < 2; ++i) {
    shards.push_back(bare_run("ws://127.0.0.1:8080/ws/echo", loadgen::shard_spec{i, 2}));
    shards.back().config.ws = whole.config.ws;
    record_ws_share(shards.back().stats.ws, i);
    record_ws_share(whole.stats.ws, i);
  }
  ASSERT_TRUE(shards[0].stats.ws.balanced() && shards[1].stats.ws.balanced());
  auto m = merge_reports(inputs_of(shards));
  ASSERT_TRUE(m) << m.error();
  const json want = loadgen::to_json(whole)["websocket"];
  const json& got = m->doc["websocket"];
  EXPECT_EQ(got, want);
  EXPECT_EQ(got["latency"]["p99"], want["latency"]["p99"]) << "from the merged histogram, not averaged";
  EXPECT_EQ(got["connections"]["dropped"]["reset"], 3);
  EXPECT_EQ(got["connections"]["closed"]["by_peer"], json({{"1000", 2}, {"1001", 2}}));
  EXPECT_EQ(got["messages"]["sent"], 3000 + 4000 + 14);
  EXPECT_TRUE(m->result.stats.ws.balanced()) << "attempts, opened and sent still add up";
  EXPECT_EQ(m->result.stats.ws.latency, whole.stats.ws.latency) << "thresholds judge the merged round trips";
  const std::string text = loadgen::render_text(m->result);
  EXPECT_NE(text.find("opened 19 = held at end 10 + closed by peer 4 + closed by us 2 + dropped 3"), std::string::npos)
      << text;
}

/// A WebSocket timeline point of `values` (ns) and counts, as the engine's builder makes one.
loadgen::ws_timeline_point ws_point(const std::vector<std::uint64_t>& values, std::uint64_t held, std::uint64_t opened) {
  histogram h, coarse;
  for (auto v : values) h.record(v);
  loadgen::coarsen(h, coarse);
  loadgen::ws_timeline_point p;
  p.counts.held = held;
  p.counts.opened = opened;
  p.counts.sent = values.size() + 1;
  p.counts.received = values.size();
  p.timed = h.count();
  p.p50_ms = static_cast<double>(h.value_at_percentile(50)) / 1e6;
  p.p99_ms = static_cast<double>(h.value_at_percentile(99)) / 1e6;
  p.max_ms = static_cast<double>(h.max()) / 1e6;
  p.coarse = coarse.serialize();
  return p;
}

TEST(merge_sections, websocket_timelines_align_by_wall_second_add_their_counts_and_take_percentiles_of_the_merged_seconds) {
  // Shard 0 runs wall seconds 0-2, shard 1 seconds 1-3 (it started a second later).
  std::vector<run_result> shards;
  std::vector<std::vector<std::uint64_t>> values[2];
  for (unsigned i = 0; i < 2; ++i) {
    shards.push_back(bare_run("ws://127.0.0.1:8080/ws/echo", loadgen::shard_spec{i, 2}));
    run_result& r = shards.back();
    r.config.ws.enabled = true;
    r.wall_start_unix_us += 1'000'000 * i;
    r.wall_end_unix_us = r.wall_start_unix_us + 3'000'000;
    r.duration_s = 3;
    for (unsigned s = 0; s < 3; ++s) {
      values[i].push_back(samples(500 + 300 * s, 50 + 10 * i + s, 12.0 + i));
      r.ws_timeline.push_back(ws_point(values[i].back(), 10 + i, s == 0 ? 10 + i : 0));
    }
  }
  auto m = merge_reports(inputs_of(shards));
  ASSERT_TRUE(m) << m.error();
  const json& t = m->doc["websocket"]["timeline"];
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0]["held"], 10) << "only shard 0 ran in the first second";
  EXPECT_EQ(t[1]["held"], 21);
  EXPECT_EQ(t[3]["held"], 11) << "shard 0 had ended";
  EXPECT_EQ(t[1]["opened"], 11);
  std::uint64_t opened = 0, received = 0;
  for (const auto& p : t) {
    opened += p["opened"].get<std::uint64_t>();
    received += p["received"].get<std::uint64_t>();
  }
  EXPECT_EQ(opened, 21u);
  EXPECT_EQ(received, 500u + 800 + 1100 + 500 + 800 + 1100) << "every column still sums to the runs' totals";
  // Second 1: shard 0's second 1 and shard 1's second 0, percentiles of their merged values.
  histogram both;
  for (auto v : values[0][1]) both.record(v);
  for (auto v : values[1][0]) both.record(v);
  EXPECT_EQ(t[1]["timed"], both.count());
  EXPECT_NEAR(t[1]["p99_ms"].get<double>(), static_cast<double>(both.value_at_percentile(99)) / 1e6,
              static_cast<double>(both.value_at_percentile(99)) / 1e6 / 64)
      << "within the 7-bit histograms' precision";
  EXPECT_DOUBLE_EQ(t[1]["max_ms"].get<double>(), static_cast<double>(both.max()) / 1e6) << "the exact maximum";
  EXPECT_NE(loadgen::render_text(m->result).find("Stability"), std::string::npos) << "the merged text report has it";
}

/// Shard `i`'s streams: `n` responses, each with a first byte, gaps, events and a length.
void record_stream_share(loadgen::stream_stats& into, unsigned i) {
  const auto ttfb = samples(200 + 100 * i, 30 + i), gaps = samples(2000, 40 + i, 15.0);
  auto& f = into.figures();
  into.responses += ttfb.size();
  into.event_streams += ttfb.size() - i;
  into.stalled += 1 + i;
  into.cut += i;
  for (std::size_t k = 0; k < ttfb.size(); ++k) {
    f.ttfb.record(ttfb[k]);
    f.events.record(10 + k % 7);
    f.length_bytes.record(1000 + 13 * k);
    f.events_per_second_milli.record(20'000 + 997 * (k % 11));
  }
  for (auto g : gaps) f.gap.record(g);
}

TEST(merge_sections, the_streams_section_of_two_shards_is_the_section_of_one_run_of_all_their_streams) {
  std::vector<run_result> shards;
  run_result whole = bare_run("http://127.0.0.1:8080/sse", std::nullopt);
  whole.config.stream = true;
  whole.config.stall = std::chrono::milliseconds(250);
  for (unsigned i = 0; i < 2; ++i) {
    shards.push_back(bare_run("http://127.0.0.1:8080/sse", loadgen::shard_spec{i, 2}));
    shards.back().config.stream = true;
    shards.back().config.stall = whole.config.stall;
    record_stream_share(shards.back().stats.streams, i);
    record_stream_share(whole.stats.streams, i);
  }
  auto m = merge_reports(inputs_of(shards));
  ASSERT_TRUE(m) << m.error();
  const json want = loadgen::to_json(whole)["streams"];
  EXPECT_EQ(m->doc["streams"], want);
  EXPECT_EQ(m->doc["streams"]["responses"], 500);
  EXPECT_EQ(m->doc["streams"]["stall_s"], 0.25);
  EXPECT_NE(loadgen::render_text(m->result).find("500 streamed"), std::string::npos);
}

/// Shard `i`'s scenario: its own slot order (the merge matches steps by name), successes,
/// failures, a timeout, aborted and completed iterations.
void record_steps_share(loadgen::scenario_stats& into, unsigned i, bool targets) {
  const std::vector<std::string> names = i == 0 ? std::vector<std::string>{"login", "search"}
                                                : std::vector<std::string>{"search", "login", "checkout"};
  loadgen::scenario_stats shard;
  shard.init(names, targets);
  client::outcome ok, not_found, timeout;
  ok.status = 200;
  not_found.status = 404;
  timeout.error = client::error_kind::timeout;
  for (std::size_t slot = 0; slot < names.size(); ++slot) {
    const auto lat = samples(500 + 200 * slot + 100 * i, 50 + i * 7 + static_cast<unsigned>(slot));
    auto& s = shard.steps[slot];
    s.started = lat.size() + 3;
    for (auto v : lat) shard.record(static_cast<unsigned>(slot), ok, true, v);
    shard.record(static_cast<unsigned>(slot), not_found, false, 900'000);
    shard.record(static_cast<unsigned>(slot), timeout, false, 5'000'000);
    if (!targets) shard.abort(static_cast<unsigned>(slot), loadgen::abort_reason::unexpected_status);
  }
  if (!targets) {
    shard.iterations.started = 400 + i;
    shard.iterations.completed = 380;
    for (auto v : samples(380, 90 + i, 16.0)) shard.iterations.duration.record(v);
  }
  into.merge(shard);
}

TEST(merge_sections, steps_and_targets_merge_by_name_into_the_tables_of_one_run_of_all_their_requests) {
  for (bool targets : {false, true}) {
    std::vector<run_result> shards;
    run_result whole = bare_run("http://127.0.0.1:8080/", std::nullopt);
    for (unsigned i = 0; i < 2; ++i) {
      shards.push_back(bare_run("http://127.0.0.1:8080/", loadgen::shard_spec{i, 2}));
      record_steps_share(shards.back().stats.scenario, i, targets);
      record_steps_share(whole.stats.scenario, i, targets);
    }
    auto m = merge_reports(inputs_of(shards));
    ASSERT_TRUE(m) << m.error();
    const json want = loadgen::to_json(whole);
    const char* group = targets ? "targets" : "steps";
    EXPECT_EQ(m->doc[group], want[group]) << group;
    EXPECT_EQ(m->doc[group]["login"]["requests"], 503 + 803);
    EXPECT_EQ(m->doc[group]["checkout"]["requests"], 1003) << "a step only one shard ran";
    EXPECT_EQ(m->doc[group]["search"]["statuses"]["404"], 2);
    EXPECT_EQ(m->doc[group]["search"]["errors"]["timeout"], 2);
    EXPECT_EQ(m->doc.contains("iterations"), !targets);
    if (!targets) {
      EXPECT_EQ(m->doc["iterations"], want["iterations"]);
      EXPECT_EQ(m->doc["iterations"]["started"], 801);
      EXPECT_EQ(m->doc["iterations"]["in_flight_at_end"], 801 - 760 - 5) << "started = completed + aborted + in flight";
    }
    EXPECT_NE(loadgen::render_text(m->result).find(targets ? "Targets" : "Steps"), std::string::npos);
  }
}

TEST(merge_sections, sections_that_do_not_belong_together_are_refused_with_one_line) {
  struct refusal {
    const char* name;
    std::function<void(std::vector<merge_input>&)> change;
    const char* message;
  };
  const refusal cases[] = {
      {"a websocket section in one input only", [](auto& in) { in[1].doc.erase("websocket"); },
       "not a barrage report as expected: s1.json has no \"websocket\" section but s0.json has one: different runs"},
      {"another message rate", [](auto& in) { in[1].doc["websocket"]["config"]["message_rate"] = 50.0; },
       "not a barrage report as expected: s0.json and s1.json are from different runs: websocket.config differs"},
      {"no histograms (an older report)", [](auto& in) { in[0].doc["websocket"].erase("histograms"); },
       "not a barrage report as expected: s0.json: its websocket section has no serialized latency histogram"},
      {"a broken section histogram",
       [](auto& in) { in[1].doc["websocket"]["histograms"]["gap"]["data"] = "h1 x"; },
       "not a barrage report as expected: bad histogram data"},
  };
  for (const auto& c : cases) {
    std::vector<run_result> runs;
    for (unsigned i = 0; i < 2; ++i) {
      runs.push_back(bare_run("ws://127.0.0.1:8080/ws/echo", loadgen::shard_spec{i, 2}));
      runs.back().config.ws.enabled = true;
      runs.back().config.ws.message_rate = 10.0;
      record_ws_share(runs.back().stats.ws, i);
    }
    auto in = inputs_of(runs);
    c.change(in);
    auto m = merge_reports(in);
    ASSERT_FALSE(m) << c.name;
    EXPECT_EQ(m.error().rfind(c.message, 0), 0u) << c.name << ": " << m.error();
    EXPECT_EQ(m.error().find('\n'), std::string::npos) << c.name;
  }
}

}  // namespace
}  // namespace barrage::report
