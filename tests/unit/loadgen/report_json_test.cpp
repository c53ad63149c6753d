#include "loadgen/report_json.hpp"
#include "loadgen/body_summary.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "loadgen/report_text.hpp"
#include "sample_run.hpp"

namespace barrage::loadgen {
namespace {

using nlohmann::json;
using testing::sample_run;

// A validator for the subset of JSON Schema 2020-12 that docs/report.schema.json uses: type,
// required, properties, additionalProperties (false or a schema), items, enum, const, minimum,
// maximum, $ref to "#/$defs/...", anyOf, not, if/then/else. Anything else in the schema (such
// as "format") is ignored, so this is a check of keys, types and bounds, not a full validator.
class mini_validator {
 public:
  explicit mini_validator(json schema) : root_(std::move(schema)) {}

  /// Appends "<path>: <problem>" for each violation.
  void check(const json& v, const json& s, const std::string& path, std::vector<std::string>& out) const {
    if (s.is_boolean()) {
      if (!s.get<bool>()) out.push_back(path + ": not allowed");
      return;
    }
    if (s.contains("$ref")) {
      auto ref = s["$ref"].get<std::string>();
      const std::string prefix = "#/$defs/";
      if (ref.rfind(prefix, 0) != 0) {
        out.push_back(path + ": unsupported $ref " + ref);
        return;
      }
      check(v, root_["$defs"][ref.substr(prefix.size())], path, out);
    }
    if (s.contains("type") && !type_ok(v, s["type"])) out.push_back(path + ": wrong type, want " + s["type"].dump());
    if (s.contains("const") && v != s["const"]) out.push_back(path + ": want " + s["const"].dump());
    if (s.contains("enum")) {
      bool any = false;
      for (const auto& e : s["enum"]) any = any || v == e;
      if (!any) out.push_back(path + ": not one of " + s["enum"].dump());
    }
    if (v.is_number()) {
      if (s.contains("minimum") && v.get<double>() < s["minimum"].get<double>()) out.push_back(path + ": below minimum");
      if (s.contains("maximum") && v.get<double>() > s["maximum"].get<double>()) out.push_back(path + ": above maximum");
    }
    if (v.is_object()) {
      if (s.contains("required"))
        for (const auto& k : s["required"])
          if (!v.contains(k.get<std::string>())) out.push_back(path + ": missing " + k.get<std::string>());
      for (const auto& [k, child] : v.items()) {
        if (s.contains("properties") && s["properties"].contains(k))
          check(child, s["properties"][k], path + "." + k, out);
        else if (s.contains("additionalProperties"))
          check(child, s["additionalProperties"], path + "." + k, out);
      }
    }
    if (v.is_array() && s.contains("items"))
      for (std::size_t i = 0; i < v.size(); ++i) check(v[i], s["items"], path + "[" + std::to_string(i) + "]", out);
    if (s.contains("anyOf")) {
      bool any = false;
      for (const auto& sub : s["anyOf"]) any = any || valid(v, sub);
      if (!any) out.push_back(path + ": matches none of anyOf");
    }
    if (s.contains("not") && valid(v, s["not"])) out.push_back(path + ": matches a \"not\" schema");
    if (s.contains("if")) {
      if (valid(v, s["if"])) {
        if (s.contains("then")) check(v, s["then"], path, out);
      } else if (s.contains("else")) {
        check(v, s["else"], path, out);
      }
    }
  }
  std::vector<std::string> problems(const json& v) const {
    std::vector<std::string> out;
    check(v, root_, "$", out);
    return out;
  }

 private:
  bool valid(const json& v, const json& s) const {
    std::vector<std::string> out;
    check(v, s, "", out);
    return out.empty();
  }
  static bool type_ok(const json& v, const json& type) {
    if (type.is_array()) {
      for (const auto& t : type)
        if (type_ok(v, t)) return true;
      return false;
    }
    auto t = type.get<std::string>();
    if (t == "object") return v.is_object();
    if (t == "array") return v.is_array();
    if (t == "string") return v.is_string();
    if (t == "boolean") return v.is_boolean();
    if (t == "null") return v.is_null();
    if (t == "integer") return v.is_number_integer();
    if (t == "number") return v.is_number();
    return false;
  }
  json root_;
};

json load_schema() {
  // The source tree comes from CMake: __FILE__ is relative when ccache rewrites paths (base_dir).
  auto path = std::filesystem::path(BARRAGE_SOURCE_DIR) / "docs/report.schema.json";
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot open " << path;
  return json::parse(in);
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

TEST(report_json, the_accounting_identity_holds_in_the_requests_object) {
  auto j = to_json(sample_run(false));
  const auto& q = j["requests"];
  EXPECT_EQ(q["started"], 1014u);
  EXPECT_EQ(q["succeeded"], 1000u);
  EXPECT_EQ(q["failed"], 7u);
  EXPECT_EQ(q["timed_out"], 3u);
  EXPECT_EQ(q["in_flight_at_end"], 4u);
  EXPECT_EQ(q["bad_status"], 5u);
  EXPECT_EQ(q["started"].get<std::uint64_t>(), q["succeeded"].get<std::uint64_t>() + q["failed"].get<std::uint64_t>() +
                                                   q["timed_out"].get<std::uint64_t>() +
                                                   q["in_flight_at_end"].get<std::uint64_t>());
}

TEST(report_json, latency_figures_are_milliseconds_within_the_histogram_precision) {
  auto l = to_json(sample_run(false))["latency_ms"];
  // 1000 successful responses: 1 µs ... 1000 µs (the five 503s at 2 ms are failures).
  EXPECT_EQ(l["count"], 1000u);
  EXPECT_DOUBLE_EQ(l["min"].get<double>(), 0.001);
  EXPECT_DOUBLE_EQ(l["max"].get<double>(), 1.0);
  EXPECT_NEAR(l["mean"].get<double>(), 500.5 / 1000, 1e-9);
  EXPECT_NEAR(l["p50"].get<double>(), 0.500, 0.500 * 0.001);  // rank 500
  EXPECT_NEAR(l["p75"].get<double>(), 0.750, 0.750 * 0.001);  // rank 750
  EXPECT_NEAR(l["p90"].get<double>(), 0.900, 0.900 * 0.001);  // rank 900
  EXPECT_NEAR(l["p99"].get<double>(), 0.990, 0.990 * 0.001);  // rank 990
  EXPECT_NEAR(l["p999"].get<double>(), 0.999, 0.999 * 0.001);
  EXPECT_DOUBLE_EQ(l["p9999"].get<double>(), 1.0);
  EXPECT_GE(l["p50"].get<double>(), 0.500);  // never below the exact order statistic
}

TEST(report_json, failed_requests_have_their_own_latency_figures) {
  auto f = to_json(sample_run(false))["latency_failed_ms"];
  // 2 refused at 0.5 ms, 5 responses 503 at 2 ms, 3 timeouts at 5 ms.
  EXPECT_EQ(f["count"], 10u);
  EXPECT_DOUBLE_EQ(f["min"].get<double>(), 0.5);
  EXPECT_NEAR(f["p50"].get<double>(), 2.0, 2.0 * 0.001);
  EXPECT_DOUBLE_EQ(f["max"].get<double>(), 5.0);
  EXPECT_NEAR(f["mean"].get<double>(), (2 * 0.5 + 5 * 2.0 + 3 * 5.0) / 10, 1e-9);
  auto none = to_json(run_result{})["latency_failed_ms"];
  EXPECT_EQ(none["count"], 0u);
  EXPECT_TRUE(none["p99"].is_null());
}

TEST(report_json, phases_have_the_shape_of_latency_ms_and_count_cached_lookups) {
  auto j = to_json(sample_run(false));
  const auto& p = j["phases"];
  for (const char* name : {"dns", "connect", "tls", "queue", "write", "wait", "receive"}) {
    ASSERT_TRUE(p.contains(name)) << name;
    for (const auto& [k, v] : j["latency_ms"].items()) EXPECT_TRUE(p[name].contains(k)) << name << "." << k;
  }
  EXPECT_EQ(p["dns"]["count"], 52u);
  EXPECT_EQ(p["dns"]["cached"], 50u);
  EXPECT_DOUBLE_EQ(p["dns"]["max"].get<double>(), 1.0);
  EXPECT_EQ(p["connect"]["count"], 52u);
  EXPECT_EQ(p["tls"]["count"], 0u);
  EXPECT_TRUE(p["tls"]["p50"].is_null());
  EXPECT_EQ(p["queue"]["count"], 0u);  // closed model
  EXPECT_EQ(p["wait"]["count"], 1000u);
  EXPECT_NEAR(p["wait"]["max"].get<double>(), 0.9, 0.9 * 0.001);
  EXPECT_NEAR(p["receive"]["max"].get<double>(), 0.1, 0.1 * 0.001);
  EXPECT_DOUBLE_EQ(p["write"]["max"].get<double>(), 0.0);
  EXPECT_EQ(to_json(sample_run(true))["phases"]["queue"]["count"], 1000u);
}

TEST(report_json, status_codes_and_errors_are_counted_by_name) {
  auto j = to_json(sample_run(false));
  EXPECT_EQ(j["status_codes"], json({{"200", 1000}, {"503", 5}}));
  EXPECT_EQ(j["errors"]["timeout"], 3u);
  EXPECT_EQ(j["errors"]["refused"], 2u);
  EXPECT_EQ(j["errors"]["reset"], 0u);
  EXPECT_EQ(j["errors"].size(), client::error_kind_count - 1 + 1);  // every kind but none, and status_503
  EXPECT_FALSE(j["errors"].contains("none"));
}

TEST(report_json, throughput_rates_and_duration_come_from_the_counts) {
  auto j = to_json(sample_run(false));
  EXPECT_DOUBLE_EQ(j["duration_s"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(j["throughput"]["requests_per_second"].get<double>(), 101.0);  // 1010 completed
  EXPECT_DOUBLE_EQ(j["throughput"]["bytes_per_second"].get<double>(), (1000 * 100 + 5 * 50) / 10.0);
  EXPECT_DOUBLE_EQ(j["rates"]["success"].get<double>(), 1000.0 / 1010.0);
  EXPECT_DOUBLE_EQ(j["rates"]["error"].get<double>(), 10.0 / 1010.0);
}

TEST(report_json, the_config_has_every_setting_with_durations_in_seconds) {
  auto c = to_json(sample_run(false))["config"];
  EXPECT_EQ(c["url"], "http://127.0.0.1:8080/");
  EXPECT_EQ(c["model"], "closed");
  EXPECT_EQ(c["connections"], 50u);
  EXPECT_EQ(c["threads"], 2u);
  EXPECT_DOUBLE_EQ(c["run_time_s"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(c["warmup_s"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(c["timeout_s"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(c["grace_s"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(c["retry"]["backoff_s"].get<double>(), 0.1);
  EXPECT_TRUE(c["rate"].is_null());
  EXPECT_TRUE(c["requests"].is_null());
}

TEST(report_json, the_histogram_is_serialized_losslessly_in_nanoseconds) {
  auto r = sample_run(false);
  auto h = to_json(r)["histogram"];
  EXPECT_EQ(h["unit"], "ns");
  EXPECT_EQ(h["count"], 1000u);
  auto back = histogram::deserialize(h["data"].get<std::string>());
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_TRUE(*back == r.stats.latency);
}

TEST(report_json, open_model_fields_appear_only_in_the_open_model) {
  auto closed = to_json(sample_run(false));
  EXPECT_FALSE(closed.contains("latency_uncorrected_ms"));
  EXPECT_FALSE(closed.contains("histogram_uncorrected"));
  EXPECT_FALSE(closed.contains("schedule_lag_ms"));

  auto open = to_json(sample_run(true));
  ASSERT_TRUE(open.contains("latency_uncorrected_ms"));
  ASSERT_TRUE(open.contains("histogram_uncorrected"));
  EXPECT_EQ(open["config"]["model"], "open");
  EXPECT_DOUBLE_EQ(open["config"]["rate"].get<double>(), 100.0);
  // Corrected latency includes the 100 µs of schedule lag; uncorrected does not.
  EXPECT_NEAR(open["latency_ms"]["p50"].get<double>(), 0.600, 0.600 * 0.001);
  EXPECT_NEAR(open["latency_uncorrected_ms"]["p50"].get<double>(), 0.500, 0.500 * 0.001);
  EXPECT_DOUBLE_EQ(open["schedule_lag_ms"]["max"].get<double>(), 0.1);
  EXPECT_EQ(open["requests"]["late"], 7u);
  EXPECT_EQ(open["requests"]["dropped"], 1u);
}

TEST(report_json, the_timeline_has_one_entry_per_second) {
  auto t = to_json(sample_run(false))["timeline"];
  ASSERT_EQ(t.size(), 10u);
  EXPECT_EQ(t[0], json({{"second", 0},
                        {"wall_second", 0},
                        {"requests", 101},
                        {"errors", 1},
                        {"p50_ms", 0.5},
                        {"p90_ms", 0.9},
                        {"p99_ms", 0.99},
                        {"max_ms", 1.5},
                        {"histogram", "h1 500000 1500000 60000000 0 500000:100 1000000"}}));
  EXPECT_EQ(t[9]["second"], 9);
}

TEST(report_json, thresholds_and_versions_are_reported) {
  std::vector<threshold_result> ts = {{"p99<250ms", true, "995us"}, {"error_rate<0.1%", false, "0.99%"}};
  auto j = to_json(sample_run(false), ts);
  EXPECT_EQ(j["schema_version"], report_schema_version);
  EXPECT_FALSE(j["barrage_version"].get<std::string>().empty());
  ASSERT_EQ(j["thresholds"].size(), 2u);
  EXPECT_EQ(j["thresholds"][1], json({{"expr", "error_rate<0.1%"}, {"ok", false}, {"actual", "0.99%"}}));
}

TEST(report_json, a_run_without_responses_gives_null_latencies) {
  run_result r;
  r.stats.count.started = 3;
  r.stats.count.timed_out = 3;
  auto j = to_json(r);
  EXPECT_EQ(j["latency_ms"]["count"], 0u);
  EXPECT_TRUE(j["latency_ms"]["p99"].is_null());
  EXPECT_TRUE(j["rates"]["success"].get<double>() == 0.0);
  EXPECT_DOUBLE_EQ(j["throughput"]["requests_per_second"].get<double>(), 0.0);
}

TEST(report_json, the_body_is_summarized_by_size_digest_and_an_escaped_prefix_not_copied) {
  auto r = sample_run(false);
  r.config.body = "\xff\xfe binary\\\n";
  r.config.body += std::string(1 << 20, 'x');  // 1 MiB more: the report stays small
  r.config.secrets.show_secrets = true;          // the prefix is shown only then
  auto text = render_json(r);
  EXPECT_LT(text.size(), 20'000u);
  auto c = json::parse(text)["config"];
  EXPECT_FALSE(c.contains("body"));
  EXPECT_EQ(c["body_bytes"], r.config.body.size());
  EXPECT_EQ(c["body_sha256"], sha256_hex(r.config.body));
  EXPECT_EQ(c["body_prefix"], "\\xff\\xfe binary\\\\\\x0a" + std::string(64 - 11, 'x'));
  auto none = to_json(sample_run(false))["config"];
  EXPECT_EQ(none["body_bytes"], 0u);
  EXPECT_EQ(none["body_sha256"], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(none["body_prefix"], "");
}

TEST(report_json, unsuccessful_statuses_are_errors_keyed_by_code_adding_up_to_the_failures) {
  auto j = to_json(sample_run(false));
  EXPECT_EQ(j["errors"]["status_503"], 5u);
  EXPECT_FALSE(j["errors"].contains("status_200"));
  std::uint64_t sum = 0;
  for (const auto& [k, v] : j["errors"].items()) sum += v.get<std::uint64_t>();
  EXPECT_EQ(sum, j["requests"]["failed"].get<std::uint64_t>() + j["requests"]["timed_out"].get<std::uint64_t>());
}

TEST(report_json, re_sent_requests_and_redirects_are_reported) {
  auto r = sample_run(false);
  r.stats.count.resent = 9;
  r.config.redirects = 2;
  r.stats.count.redirects = 3;
  r.stats.count.redirect_limit = 1;
  r.stats.count.redirect_unfollowable = 2;
  r.stats.redirect_hops.record(2'000'000);
  auto j = to_json(r);
  EXPECT_EQ(j["requests"]["resent"], 9u);
  EXPECT_EQ(j["config"]["redirects"], 2u);
  EXPECT_EQ(j["redirects"]["followed"], 3u);
  EXPECT_EQ(j["redirects"]["limit_reached"], 1u);
  EXPECT_EQ(j["redirects"]["not_followable"], 2u);
  EXPECT_EQ(j["redirects"]["hop_ms"]["count"], 1u);
  EXPECT_NEAR(j["redirects"]["hop_ms"]["max"].get<double>(), 2.0, 0.01);
}

TEST(report_json, closed_and_open_reports_match_the_published_schema) {
  mini_validator schema(load_schema());
  std::vector<threshold_result> ts = {{"p99<250ms", true, "995us"}};
  for (bool open : {false, true}) {
    auto j = json::parse(render_json(sample_run(open), ts));
    EXPECT_EQ(joined(schema.problems(j)), "") << (open ? "open" : "closed");
  }
  EXPECT_EQ(joined(schema.problems(json::parse(render_json(run_result{})))), "") << "empty run";
}

TEST(report_json, a_websocket_report_with_its_subprotocol_and_timeline_matches_the_schema) {
  mini_validator schema(load_schema());
  run_result r;
  r.config.url = "ws://127.0.0.1:9000/chat";
  r.config.ws.enabled = true;
  r.config.ws.subprotocols = {"chat.v1", "chat.v2"};
  r.duration_s = 2.0;
  r.stats.ws.attempts = r.stats.ws.opened = r.stats.ws.held_at_end = 2;
  r.stats.ws.subprotocols = {{"chat.v2", 2}};
  r.stats.ws.sent = r.stats.ws.answered = r.stats.ws.received = 1;
  r.stats.ws.latency.record(1'000'000);
  ws_timeline_point answered;
  answered.counts.held = 2;
  answered.counts.received = 1;
  answered.timed = 1;
  answered.p50_ms = answered.p99_ms = answered.max_ms = 1.0;
  r.ws_timeline = {answered, ws_timeline_point{}};
  const json j = json::parse(render_json(r));
  EXPECT_EQ(j["websocket"]["subprotocol"], "chat.v2");
  EXPECT_EQ(joined(schema.problems(j)), "");
  r.stats.ws.subprotocols.clear();
  EXPECT_EQ(joined(schema.problems(json::parse(render_json(r)))), "") << "no subprotocol chosen";
  auto bad = j;
  bad["websocket"]["timeline"][0]["held"] = -1;
  EXPECT_NE(joined(schema.problems(bad)), "");
}

TEST(report_json, an_h2_report_names_its_protocol_and_streams_and_matches_the_schema) {
  mini_validator schema(load_schema());
  auto r = sample_run(false);
  EXPECT_EQ(to_json(r)["protocol"], "http/1.1");
  EXPECT_FALSE(to_json(r).contains("h2"));
  r.config.streams = 10;
  r.stats.h2 = {.connections = 2, .goaways = 1, .peer_max_streams = 4, .peak_streams = 4};
  r.stats.count.errors[static_cast<std::size_t>(client::error_kind::h2_goaway)] = 0;
  auto j = to_json(r);
  EXPECT_EQ(j["protocol"], "h2");
  EXPECT_EQ(j["config"]["streams"], 10);
  EXPECT_EQ(j["h2"], json({{"connections", 2}, {"streams_per_connection", 10}, {"server_max_concurrent_streams", 4},
                           {"peak_streams", 4}, {"goaways", 1}}));
  for (auto k : {"h2_refused_stream", "h2_goaway", "h2_stream_reset", "h2_protocol_error"})
    EXPECT_TRUE(j["errors"].contains(k)) << k;
  EXPECT_EQ(joined(schema.problems(j)), "");
}

TEST(report_json, the_schema_check_catches_a_missing_key_and_a_wrong_type) {
  mini_validator schema(load_schema());
  auto j = to_json(sample_run(false));
  j["requests"].erase("dropped");
  j["duration_s"] = "10";
  j["histogram_uncorrected"] = j["histogram"];  // open-model only
  auto problems = joined(schema.problems(j));
  EXPECT_NE(problems.find("$.requests: missing dropped"), std::string::npos) << problems;
  EXPECT_NE(problems.find("$.duration_s: wrong type"), std::string::npos) << problems;
  EXPECT_NE(problems.find("matches a \"not\" schema"), std::string::npos) << problems;
}

TEST(report_json, credentials_in_config_are_redacted_unless_secrets_are_shown) {
  auto r = sample_run(false);
  r.config.url = "http://alice:pa55@127.0.0.1:8080/?api_key=k";
  r.config.headers = {"Authorization: Bearer s3cr3t-token", "Cookie: sid=abc123", "X-Custom: v", "Accept: */*"};
  r.config.secrets.extra_headers = {"x-custom"};
  r.config.body = "password=hunter2";
  auto j = to_json(r);
  EXPECT_EQ(j["secrets_shown"], false);
  const auto& c = j["config"];
  EXPECT_EQ(c["url"], "http://alice:" + redacted("pa55") + "@127.0.0.1:8080/?api_key=" + redacted("k"));
  EXPECT_EQ(c["headers"], json({"Authorization: " + redacted("Bearer s3cr3t-token"), "Cookie: " + redacted("sid=abc123"),
                                "X-Custom: " + redacted("v"), "Accept: */*"}));
  EXPECT_EQ(c["body_prefix"], redacted("password=hunter2"));
  EXPECT_EQ(c["body_sha256"], sha256_hex("password=hunter2"));
  const std::string text = render_json(r);
  for (const char* secret : {"pa55", "s3cr3t-token", "abc123", "hunter2"})
    EXPECT_EQ(text.find(secret), std::string::npos) << secret;

  r.config.secrets.show_secrets = true;
  j = to_json(r);
  EXPECT_EQ(j["secrets_shown"], true);
  EXPECT_EQ(j["config"]["url"], r.config.url);
  EXPECT_EQ(j["config"]["headers"], json(r.config.headers));
  EXPECT_EQ(j["config"]["body_prefix"], "password=hunter2");
  mini_validator schema(load_schema());
  EXPECT_EQ(joined(schema.problems(j)), "");
}

}  // namespace
}  // namespace barrage::loadgen

namespace barrage::loadgen {
namespace {

TEST(report_json, a_shard_reports_its_index_and_count_and_every_run_its_wall_clock_start_and_end) {
  auto r = testing::sample_run(false);
  EXPECT_EQ(to_json(r)["shard"], nullptr);
  r.config.shard = shard_spec{2, 4};
  r.wall_start_unix_us = 1'796'580'000'000'000 - 400;  // 2026-12-06T17:59:59.999600Z
  r.wall_end_unix_us = r.wall_start_unix_us + 10'000'000;
  auto j = to_json(r);
  EXPECT_EQ(j["shard"], json({{"index", 2}, {"count", 4}}));
  EXPECT_EQ(j["wall_clock"], json({{"start", "2026-12-06T17:59:59.999600Z"},
                                   {"end", "2026-12-06T18:00:09.999600Z"},
                                   {"start_unix_us", 1'796'579'999'999'600},
                                   {"end_unix_us", 1'796'580'009'999'600}}));
  // A start 0.4 ms before a whole second belongs to that second: shards jittering around
  // a --start-at on a whole second agree.
  EXPECT_EQ(j["timeline"][0]["wall_second"], 1'796'580'000);
  EXPECT_EQ(j["timeline"][9]["wall_second"], 1'796'580'009);
  EXPECT_EQ(joined(mini_validator(load_schema()).problems(j)), "");
}

TEST(report_json, a_stream_report_has_its_streams_section_and_matches_the_schema) {
  mini_validator schema(load_schema());
  auto r = sample_run(false);
  EXPECT_FALSE(to_json(r).contains("streams"));
  r.config.stream = true;
  EXPECT_EQ(joined(schema.problems(to_json(r))), "") << "no stream recorded";
  auto& s = r.stats.streams;
  s.responses = 2;
  s.stalled = 1;
  s.figures().ttfb.record(3'000'000);
  s.figures().gap.record(1'500'000'000);
  s.figures().events.record(4);
  s.figures().events_per_second_milli.record(2'500);
  s.figures().length_bytes.record(120);
  auto j = to_json(r);
  EXPECT_EQ(j["streams"]["responses"], 2);
  EXPECT_EQ(j["streams"]["stall_s"], 1.0);
  EXPECT_NEAR(j["streams"]["gap"]["max"].get<double>(), 1500.0, 1.0);
  EXPECT_NEAR(j["streams"]["ttfb"]["p50"].get<double>(), 3.0, 0.01);
  EXPECT_EQ(j["streams"]["events"]["max"], 4.0);
  EXPECT_EQ(j["streams"]["events_per_second"]["max"], 2.5);
  EXPECT_EQ(j["streams"]["length_bytes"]["max"], 120.0);
  EXPECT_EQ(joined(schema.problems(j)), "");
  j["streams"].erase("stalled");
  EXPECT_NE(joined(schema.problems(j)), "");
}

TEST(report_json, scenario_steps_targets_and_iterations_are_reported_and_match_the_schema) {
  mini_validator schema(load_schema());
  auto r = sample_run(false);
  EXPECT_FALSE(to_json(r).contains("steps"));
  EXPECT_FALSE(to_json(r).contains("iterations"));
  r.stats.scenario.init({"login", "items"}, false);
  client::outcome ok;
  ok.status = 200;
  client::outcome refused;
  refused.error = client::error_kind::refused;
  r.stats.scenario.steps[0].started = 3;
  r.stats.scenario.record(0, ok, true, 2'000'000);
  r.stats.scenario.record(0, refused, false, 1'000);
  r.stats.scenario.iterations.started = 2;
  r.stats.scenario.abort(0, abort_reason::request_failed);
  auto j = to_json(r);
  EXPECT_EQ(j["steps"]["login"]["requests"], 3u);
  EXPECT_EQ(j["steps"]["login"]["in_flight_at_end"], 1u);
  EXPECT_EQ(j["steps"]["login"]["statuses"], json({{"200", 1}}));
  EXPECT_EQ(j["steps"]["login"]["errors"], json({{"refused", 1}}));
  EXPECT_EQ(j["steps"]["login"]["aborted"], json({{"request_failed", 1}}));
  EXPECT_NEAR(j["steps"]["login"]["latency"]["p50"].get<double>(), 2.0, 0.01);
  EXPECT_EQ(j["steps"]["items"]["latency"]["p50"], nullptr);
  EXPECT_EQ(j["iterations"]["in_flight_at_end"], 1u);
  EXPECT_EQ(joined(schema.problems(j)), "");
  r.stats.scenario.targets = true;
  j = to_json(r);
  EXPECT_TRUE(j.contains("targets") && !j.contains("steps") && !j.contains("iterations"));
  EXPECT_EQ(joined(schema.problems(j)), "");
}

TEST(report_json, the_origins_of_a_scenario_or_targets_run_are_in_its_config_and_the_text_report) {
  mini_validator schema(load_schema());
  auto r = sample_run(false);
  EXPECT_FALSE(to_json(r)["config"].contains("scenario"));
  auto sc = std::make_shared<scenario>();
  sc->file = "flows/login.yaml";
  r.config.scenario = sc;
  r.origins = {"http://127.0.0.1:8080", "https://api.example"};
  r.stats.scenario.init({"login", "items"}, false);
  auto j = to_json(r);
  EXPECT_EQ(j["config"]["scenario"],
            json({{"file", "flows/login.yaml"}, {"origins", {"http://127.0.0.1:8080", "https://api.example"}}}));
  EXPECT_TRUE(j.contains("tls")) << "an https origin: the TLS section, even with no handshake";
  EXPECT_EQ(joined(schema.problems(j)), "");
  EXPECT_NE(render_text(r).find("  Origins           http://127.0.0.1:8080, https://api.example\n"), std::string::npos)
      << render_text(r);
  r.origins.pop_back();  // one origin: the Target line says it
  EXPECT_EQ(render_text(r).find("Origins"), std::string::npos);

  r.config.scenario.reset();
  auto tl = std::make_shared<targets_list>();
  tl->file = "targets.txt";
  r.config.targets = tl;
  j = to_json(r);
  EXPECT_EQ(j["config"]["targets"], json({{"file", "targets.txt"}, {"origins", {"http://127.0.0.1:8080"}}}));
  EXPECT_FALSE(j["config"].contains("scenario"));
  EXPECT_EQ(joined(schema.problems(j)), "");
}

}  // namespace
TEST(report_json, a_websocket_report_matches_the_published_schema) {
  mini_validator schema(load_schema());
  run_result r;
  r.config.url = "wss://127.0.0.1:9000/chat";
  r.config.ws.enabled = true;
  r.config.ws.message_rate = 10.0;
  r.stats.ws.attempts = 3;
  r.stats.ws.opened = 2;
  r.stats.ws.failed["http_404"] = 1;
  r.stats.ws.held_at_end = 1;
  r.stats.ws.closed_by_peer[1001] = 1;
  r.stats.ws.sent = 4;
  r.stats.ws.answered = 3;
  r.stats.ws.in_flight_at_end = 1;
  r.stats.ws.latency.record(1'000'000);
  auto j = to_json(r);
  EXPECT_EQ(joined(schema.problems(j)), "");
  j["websocket"]["messages"].erase("lost");
  EXPECT_NE(joined(schema.problems(j)).find("missing lost"), std::string::npos);
}

}  // namespace barrage::loadgen
