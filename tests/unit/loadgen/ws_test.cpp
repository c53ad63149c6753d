// The WebSocket generator's pure parts: its options, the open model's message ids, the
// accounting of ws_stats, the reports' websocket sections and the thresholds on them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "loadgen/report_json.hpp"
#include "loadgen/report_text.hpp"
#include "loadgen/run_options.hpp"
#include "loadgen/threshold.hpp"
#include "loadgen/ws_message.hpp"
#include "loadgen/ws_options.hpp"
#include "ws/utf8.hpp"

namespace barrage::loadgen {
namespace {

using namespace std::chrono;

struct ws_case {
  const char* name;
  std::vector<std::pair<std::string, std::string>> set;  // option -> value ("" for a flag)
  const char* error;  // nullptr: accepted
};

run_options options_for(const std::string& url, const ws_case& c) {
  run_options o;
  o.url = url;
  for (const auto& [k, v] : c.set) {
    if (k == "--message") o.ws.message = v;
    else if (k == "--message-size") o.ws.message_size = v;
    else if (k == "--message-file") o.ws.message_file = v;
    else if (k == "--message-rate") o.ws.message_rate = v;
    else if (k == "--subscribe") o.ws.subscribe = v;
    else if (k == "--ping-interval") o.ws.ping_interval = v;
    else if (k == "--binary") o.ws.binary = true;
    else if (k == "--listen") o.ws.listen = true;
    else if (k == "--reconnect") o.ws.reconnect = true;
    else if (k == "--subprotocol") o.ws.subprotocols.push_back(v);
    else if (k == "-H") o.headers.push_back(v);
    else if (k == "-r") o.rate = v;
    else if (k == "-X") o.method = v;
    else if (k == "--http2") o.http2 = true;
    else ADD_FAILURE() << "unknown option in the table: " << k;
  }
  return o;
}

const ws_case ws_cases[] = {
    {"defaults", {}, nullptr},
    {"message", {{"--message", "{\"op\":\"hi\"}"}}, nullptr},
    {"generated", {{"--message-size", "1KiB"}}, nullptr},
    {"binary generated", {{"--message-size", "64"}, {"--binary", ""}}, nullptr},
    {"open model", {{"--message-rate", "2.5k"}, {"--message-size", "100"}}, nullptr},
    {"listen with subscribe", {{"--listen", ""}, {"--subscribe", "{\"sub\":1}"}}, nullptr},
    {"pings and reconnects", {{"--ping-interval", "250ms"}, {"--reconnect", ""}}, nullptr},
    {"two payloads", {{"--message", "a"}, {"--message-size", "10"}},
     "--message, --message-file and --message-size: give one of them"},
    {"size zero", {{"--message-size", "0"}}, "--message-size: bad size \"0\": must be between 1 byte and 64MiB"},
    {"size too large", {{"--message-size", "65MiB"}}, "--message-size: bad size \"65MiB\": must be between 1 byte and 64MiB"},
    {"open model, size below the id", {{"--message-rate", "10"}, {"--message-size", "15"}},
     "--message-size: with --message-rate at least 16 bytes (the message id)"},
    {"rate zero", {{"--message-rate", "0"}}, nullptr /* checked below: parse_rate refuses it */},
    {"rate too high", {{"--message-rate", "2M"}},
     "--message-rate: bad rate \"2M\": must be at most 1M (messages per second per connection)"},
    {"subscribe without listen", {{"--subscribe", "x"}}, "--subscribe needs --listen"},
    {"listen with a message", {{"--listen", ""}, {"--message", "x"}},
     "--listen sends nothing (but --subscribe): not with --message, --message-file, --message-size, "
     "--message-rate or --binary"},
    {"text that is not UTF-8", {{"--message", "\xff\xfe"}},
     "--message, --message-file: not UTF-8, which text messages must be; add --binary"},
    {"binary that is not UTF-8", {{"--message", "\xff\xfe"}, {"--binary", ""}}, nullptr},
    {"an HTTP rate", {{"-r", "100"}}, "-r/--rate (use --message-rate) is for HTTP runs, not for ws:// and wss://"},
    {"an HTTP method", {{"-X", "POST"}}, "-X/--method is for HTTP runs, not for ws:// and wss://"},
    {"HTTP/2", {{"--http2", ""}}, "--http2 is for HTTP runs, not for ws:// and wss://"},
    {"ping interval zero", {{"--ping-interval", "0"}}, nullptr /* checked below */},
    {"two subprotocols", {{"--subprotocol", "chat.v1"}, {"--subprotocol", "chat.v2"}}, nullptr},
    {"a subprotocol in listen mode", {{"--listen", ""}, {"--subprotocol", "feed"}}, nullptr},
    {"a subprotocol with a space", {{"--subprotocol", "chat v2"}},
     "--subprotocol: bad subprotocol \"chat v2\": a token (letters, digits, !#$%&'*+-.^_`|~; no spaces, commas or "
     "quotes)"},
    {"an empty subprotocol", {{"--subprotocol", ""}},
     "--subprotocol: bad subprotocol \"\": a token (letters, digits, !#$%&'*+-.^_`|~; no spaces, commas or quotes)"},
    {"a list in one subprotocol", {{"--subprotocol", "a,b"}},
     "--subprotocol: bad subprotocol \"a,b\": a token (letters, digits, !#$%&'*+-.^_`|~; no spaces, commas or "
     "quotes)"},
    {"a subprotocol twice", {{"--subprotocol", "chat"}, {"--subprotocol", "chat"}},
     "--subprotocol: \"chat\" given twice (each is offered once)"},
    {"the field given with -H", {{"-H", "Sec-WebSocket-Protocol: chat"}},
     "-H Sec-WebSocket-Protocol: use --subprotocol NAME (repeatable), whose choice the report shows"},
};

TEST(ws_options, each_case_of_the_table_is_accepted_or_refused_with_its_line) {
  for (const auto& c : ws_cases) {
    auto made = make_run_config(options_for("ws://127.0.0.1:9000/chat", c), 2);
    if (std::string(c.name) == "rate zero" || std::string(c.name) == "ping interval zero") {
      EXPECT_FALSE(made.ok()) << c.name;
      continue;
    }
    if (c.error) {
      ASSERT_FALSE(made.ok()) << c.name;
      EXPECT_EQ(made.error(), c.error) << c.name;
    } else {
      EXPECT_TRUE(made.ok()) << c.name << ": " << made.error();
    }
  }
}

TEST(ws_options, the_url_makes_a_websocket_run_and_the_options_fill_ws_config) {
  auto c = make_run_config(options_for("wss://example.com/feed?x=1", {"", {{"--message-rate", "50"}, {"--message-size", "100"}, {"--ping-interval", "1s"}}, nullptr}), 2);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c->ws.enabled);
  EXPECT_TRUE(c->ws.secure);
  EXPECT_EQ(c->ws.mode, ws_mode::echo);
  EXPECT_EQ(c->ws.message_rate, 50.0);
  EXPECT_EQ(c->ws.message.size(), 100u - ws_message_id_chars);  // the id makes up the size
  EXPECT_EQ(c->ws.ping_interval, 1s);
  EXPECT_TRUE(c->ws.subprotocols.empty());
  auto p = make_run_config(
      options_for("ws://127.0.0.1:1/", {"", {{"--subprotocol", "chat.v2"}, {"--subprotocol", "chat.v1"}}, nullptr}), 1);
  ASSERT_TRUE(p.ok()) << p.error();
  EXPECT_EQ(p->ws.subprotocols, (std::vector<std::string>{"chat.v2", "chat.v1"}));  // the order given
  auto l = make_run_config(options_for("WS://127.0.0.1:1/", {"", {{"--listen", ""}}, nullptr}), 1);
  ASSERT_TRUE(l.ok()) << l.error();
  EXPECT_TRUE(l->ws.enabled && !l->ws.secure);
  EXPECT_EQ(l->ws.mode, ws_mode::listen);
  auto h = make_run_config(options_for("http://127.0.0.1:1/", {}), 1);
  ASSERT_TRUE(h.ok());
  EXPECT_FALSE(h->ws.enabled);
}

TEST(ws_options, websocket_options_in_an_http_run_are_refused) {
  auto c = make_run_config(options_for("http://127.0.0.1:1/", {"", {{"--listen", ""}}, nullptr}), 1);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), "--message, --listen, --ping-interval ...: need a ws:// or wss:// URL");
  auto s = make_run_config(options_for("http://127.0.0.1:1/", {"", {{"--subprotocol", "chat"}}, nullptr}), 1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error(), "--message, --listen, --ping-interval ...: need a ws:// or wss:// URL");
}

TEST(ws_options, a_bad_websocket_url_is_quoted_as_typed) {
  auto c = make_run_config(options_for("ws://127.0.0.1:99999/", {}), 1);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().find("bad URL \"ws://127.0.0.1:99999/\""), 0u) << c.error();
}

TEST(ws_options, generated_payloads_have_the_size_and_text_ones_are_utf8) {
  EXPECT_EQ(generated_payload(1000, false).size(), 1000u);
  EXPECT_TRUE(ws::valid_utf8(generated_payload(1000, false)));
  const std::string b = generated_payload(256, true);
  EXPECT_EQ(b.size(), 256u);
  EXPECT_FALSE(ws::valid_utf8(b));  // binary payloads use every byte value
}

TEST(ws_message, ids_round_trip_and_a_reply_without_one_has_none) {
  char buf[ws_message_id_chars];
  for (std::uint64_t id : {0ull, 1ull, 0xdeadbeefull, ~0ull}) {
    write_message_id(buf, id);
    std::string reply(buf, sizeof buf);
    reply += "payload";
    EXPECT_EQ(read_message_id(reply), id);
  }
  EXPECT_EQ(read_message_id("short"), std::nullopt);
  EXPECT_EQ(read_message_id("000000000000000G rest"), std::nullopt);
  EXPECT_EQ(read_message_id("000000000000000A rest"), std::nullopt);  // lower-case only
}

ws_stats sample_ws_stats() {
  ws_stats s;
  s.attempts = 12;
  s.opened = 10;
  s.failed = {{"http_404", 1}, {"refused", 1}};
  s.held_at_end = 6;
  s.closed_by_peer = {{1000, 1}, {4001, 1}};
  s.closed_by_us = 1;
  s.dropped = {{"eof", 1}};
  s.reconnects = 2;
  s.sent = 100;
  s.answered = 90;
  s.timed_out = 3;
  s.lost = 2;
  s.in_flight_at_end = 5;
  s.received = 91;
  s.unmatched = 1;
  for (int i = 1; i <= 90; ++i) s.latency.record(static_cast<std::uint64_t>(i) * 1'000'000);
  return s;
}

TEST(ws_stats, the_accounting_balances_and_survives_a_merge) {
  ws_stats a = sample_ws_stats(), b = sample_ws_stats();
  EXPECT_TRUE(a.balanced());
  a.merge(b);
  EXPECT_TRUE(a.balanced());
  EXPECT_EQ(a.failed.at("http_404"), 2u);
  EXPECT_EQ(a.closed_by_peer.at(4001), 2u);
  EXPECT_EQ(a.latency.count(), 180u);
  a.lost += 1;  // a message counted nowhere else: the identity must catch it
  EXPECT_FALSE(a.balanced());
  a.reset();
  EXPECT_TRUE(a.balanced());
  EXPECT_EQ(a.attempts, 0u);
}

run_result ws_run() {
  run_result r;
  r.config.url = "ws://127.0.0.1:9000/chat";
  r.config.ws.enabled = true;
  r.config.connections = 10;
  r.duration_s = 2.0;
  r.stats.ws = sample_ws_stats();
  return r;
}

TEST(ws_report, the_json_object_carries_the_accounting) {
  const auto j = to_json(ws_run());
  ASSERT_TRUE(j.contains("websocket"));
  const auto& w = j["websocket"];
  EXPECT_EQ(w["mode"], "echo");
  EXPECT_EQ(w["connections"]["failed"], nlohmann::json({{"http_404", 1}, {"refused", 1}}));
  EXPECT_EQ(w["connections"]["closed"]["by_peer"], nlohmann::json({{"1000", 1}, {"4001", 1}}));
  EXPECT_EQ(w["messages"]["in_flight_at_end"], 5);
  EXPECT_EQ(w["messages"]["sent_per_second"], 50.0);
  EXPECT_EQ(w["latency"]["count"], 90);
  EXPECT_NEAR(w["latency"]["max"].get<double>(), 90.0, 0.1);
  EXPECT_FALSE(to_json(run_result{}).contains("websocket"));
}

TEST(ws_stats, the_chosen_subprotocol_is_the_one_most_connections_got) {
  ws_stats s = sample_ws_stats();  // 10 opened
  EXPECT_EQ(s.chosen_subprotocol(), "");
  s.subprotocols = {{"chat.v2", 10}};
  EXPECT_EQ(s.chosen_subprotocol(), "chat.v2");
  s.subprotocols = {{"chat.v1", 3}, {"chat.v2", 4}};  // and 3 got none
  EXPECT_EQ(s.chosen_subprotocol(), "chat.v2");
  s.subprotocols = {{"chat.v2", 5}};  // a tie with none goes to none
  EXPECT_EQ(s.chosen_subprotocol(), "");
  ws_stats t = sample_ws_stats();
  t.subprotocols = {{"chat.v2", 5}};
  s.merge(t);
  EXPECT_EQ(s.subprotocols.at("chat.v2"), 10u);
}

TEST(ws_report, the_subprotocol_the_server_chose_is_in_both_reports_and_none_is_null) {
  run_result r = ws_run();
  r.config.ws.subprotocols = {"chat.v1", "chat.v2"};
  EXPECT_EQ(to_json(r)["websocket"]["subprotocol"], nullptr);
  EXPECT_EQ(to_json(r)["websocket"]["config"]["subprotocols"], nlohmann::json({"chat.v1", "chat.v2"}));
  EXPECT_NE(render_text(r).find("Subprotocol       none (offered chat.v1, chat.v2)"), std::string::npos)
      << render_text(r);
  r.stats.ws.subprotocols = {{"chat.v2", 10}};
  const auto j = to_json(r)["websocket"];
  EXPECT_EQ(j["subprotocol"], "chat.v2");
  EXPECT_EQ(j["connections"]["by_subprotocol"], nlohmann::json({{"chat.v2", 10}}));
  EXPECT_NE(render_text(r).find("Subprotocol       chat.v2 (offered chat.v1, chat.v2)"), std::string::npos);
  r.stats.ws.subprotocols = {{"chat.v2", 8}};
  EXPECT_NE(render_text(r).find("Subprotocol       chat.v2; none on 2 (offered"), std::string::npos) << render_text(r);
  EXPECT_EQ(render_text(ws_run()).find("Subprotocol"), std::string::npos);  // nothing offered, nothing chosen
}

run_result ws_run_with_timeline() {
  run_result r = ws_run();
  r.config.ramp = {{seconds(1), 10}};
  r.wall_start_unix_us = 1'700'000'000'400'000;
  const std::uint64_t held[] = {6, 10, 9, 10};
  const double p99[] = {1.5, 2.0, 8.25, 3.0};
  for (int i = 0; i < 4; ++i) {
    ws_timeline_point p;
    p.counts.held = held[i];
    p.counts.received = 20;
    p.timed = i == 3 ? 0 : 20;
    p.p50_ms = 1.0;
    p.p99_ms = p99[i];
    p.max_ms = 9.0;
    r.ws_timeline.push_back(p);
  }
  return r;
}

TEST(ws_report, the_json_timeline_has_a_point_per_second_and_null_percentiles_without_values) {
  const auto t = to_json(ws_run_with_timeline())["websocket"]["timeline"];
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0]["second"], 0);
  EXPECT_EQ(t[0]["wall_second"], 1'700'000'000);
  EXPECT_EQ(t[1]["wall_second"], 1'700'000'001);
  EXPECT_EQ(t[1]["held"], 10);
  EXPECT_EQ(t[2]["p99_ms"], 8.25);
  EXPECT_EQ(t[3]["timed"], 0);
  EXPECT_EQ(t[3]["p99_ms"], nullptr);
  for (const char* key :
       {"opened", "failed", "closed", "dropped", "reconnected", "sent", "received", "p50_ms", "max_ms"})
    EXPECT_TRUE(t[0].contains(key)) << key;
}

TEST(ws_report, the_text_report_sums_the_timeline_up_in_one_stability_line) {
  run_result r = ws_run_with_timeline();
  std::string t = render_text(r);
  // Second 0 is the ramp's (--ramp 1s:10): held 6 then is not counted as unstable.
  EXPECT_NE(t.find("Stability         seconds 1-3: held 9 to 10 connections (after the ramp); worst second's p99 "
                   "8.25ms (second 2)"),
            std::string::npos)
      << t;
  r.config.ramp.clear();
  r.config.ws.mode = ws_mode::listen;
  t = render_text(r);
  EXPECT_NE(t.find("Stability         seconds 0-3: held 6 to 10 connections; worst second's gap p99 8.25ms (second 2)"),
            std::string::npos)
      << t;
  for (auto& p : r.ws_timeline) p.timed = 0;
  EXPECT_NE(render_text(r).find("held 6 to 10 connections; no gaps"), std::string::npos);
  EXPECT_EQ(render_text(ws_run()).find("Stability"), std::string::npos);  // no timeline, no line
}

TEST(ws_report, the_text_report_shows_the_equations_in_place_of_the_request_sections) {
  const std::string t = render_text(ws_run());
  EXPECT_NE(t.find("attempted 12 = opened 10 + failed 2"), std::string::npos) << t;
  EXPECT_NE(t.find("opened 10 = held at end 6 + closed by peer 2 + closed by us 1 + dropped 1"), std::string::npos) << t;
  EXPECT_NE(t.find("sent 100 = answered 90 + timed out 3 + lost 2 + in flight at end 5"), std::string::npos) << t;
  EXPECT_NE(t.find("code 1000 1, 4001 1"), std::string::npos) << t;
  EXPECT_NE(t.find("Message latency"), std::string::npos) << t;
  EXPECT_EQ(t.find("Status codes"), std::string::npos) << t;
  EXPECT_EQ(t.find("Total requests"), std::string::npos) << t;
}

TEST(ws_report, latency_thresholds_judge_the_message_round_trip_and_the_others_have_no_data) {
  const run_result r = ws_run();
  auto verdict = [&](const char* expr) {
    auto t = parse_threshold(expr);
    EXPECT_TRUE(t.ok()) << expr;
    return evaluate(*t, r);
  };
  EXPECT_TRUE(verdict("p99<100ms").ok);
  EXPECT_FALSE(verdict("p50<10ms").ok);
  EXPECT_EQ(verdict("max<=90ms").actual, "90.0ms");
  const auto errors = verdict("errors==0");
  EXPECT_FALSE(errors.ok);
  EXPECT_EQ(errors.actual.rfind("n/a: not measured in WebSocket runs", 0), 0u) << errors.actual;
  run_result none = r;
  none.stats.ws.latency.reset();
  EXPECT_EQ(evaluate(*parse_threshold("p99<1s"), none).actual, "n/a: no answered messages");
}

}  // namespace
}  // namespace barrage::loadgen
