// The HTML report: each section is on the page, nothing on it fetches anything, every value
// is escaped, and a one-hour run's page stays under 1 MB.
#include "report/html_report.hpp"

#include <gtest/gtest.h>

#include <regex>

#include "report/html_assets.hpp"
#include "report/html_text.hpp"
#include "report_fixtures.hpp"

namespace barrage::report {
namespace {

using nlohmann::json;
using testing::chart_titled;
using testing::page_charts;
using testing::sample_report;

bool has_section(const std::string& page, const std::string& id) {
  return page.find("<section id=\"" + id + "\"") != std::string::npos;
}

/// Markup or script that would load something: an external script, style sheet, image,
/// frame, a URL in CSS, or a request made from script.
void expect_no_fetch(const std::string& page) {
  static const std::regex fetching(
      R"((<script[^>]*\ssrc\s*=)|(<link\b)|(<img\b)|(<iframe\b)|(<object\b)|(<embed\b)|(\bsrc\s*=\s*["']?(https?:)?//)|)"
      R"((\bhref\s*=\s*["']?(https?:)?//)|(url\(\s*["']?(https?:)?//)|(@import)|(\bfetch\s*\()|(XMLHttpRequest)|)"
      R"((new\s+WebSocket)|(sendBeacon)|(EventSource))",
      std::regex::icase);
  std::smatch m;
  EXPECT_FALSE(std::regex_search(page, m, fetching)) << "fetches: " << m.str();
  EXPECT_NE(page.find("default-src 'none'"), std::string::npos) << "no Content-Security-Policy forbidding fetches";
}

/// The "scheme://" on the page that are neither uPlot's banner comment nor the target URL
/// (http://127.0.0.1..., shown as text).
std::vector<std::string> other_urls(const std::string& page) {
  std::vector<std::string> out;
  for (auto at = page.find("://", 9); at != std::string::npos; at = page.find("://", at + 3)) {
    const bool target = page.compare(at + 3, 9, "127.0.0.1") == 0;
    const bool banner = page.compare(at - 9, 12, "/*! https://") == 0;
    if (!target && !banner) out.push_back(page.substr(at - 9, 30));
  }
  return out;
}

TEST(HtmlReport, ClosedModelPageHasEverySection) {
  const std::string page = render_html(sample_report(false));
  for (const char* id : {"summary", "thresholds", "throughput", "latency-over-time", "spectrum", "histogram", "latency",
                         "status-codes", "errors", "accounting", "phases", "generator", "config"})
    EXPECT_TRUE(has_section(page, id)) << id;
  EXPECT_FALSE(has_section(page, "tls"));
  EXPECT_FALSE(has_section(page, "h2"));
  EXPECT_FALSE(has_section(page, "merged"));
  EXPECT_NE(page.find("FAILED: 1 of 2 thresholds"), std::string::npos);
  EXPECT_NE(page.find("status_503"), std::string::npos);  // errors by kind
  EXPECT_NE(page.find(">refused<"), std::string::npos);
  EXPECT_EQ(page_charts(page).size(), 4u);
  auto spectrum = chart_titled(page, "Latency by percentile");
  ASSERT_FALSE(spectrum.is_null());
  ASSERT_EQ(spectrum["series"].size(), 1u);  // closed model: one latency
}

TEST(HtmlReport, OpenModelSpectrumShowsCorrectedAndUncorrectedTogether) {
  const json report = sample_report(true);
  const std::string page = render_html(report);
  auto spectrum = chart_titled(page, "Latency by percentile");
  ASSERT_FALSE(spectrum.is_null());
  ASSERT_EQ(spectrum["series"].size(), 2u);
  EXPECT_EQ(spectrum["series"][0]["label"], "corrected");
  EXPECT_EQ(spectrum["series"][1]["label"], "uncorrected");
  // 1000 successes: the spectrum runs to x = 1000 (99.9 %); at x = 100, the p99 of each.
  const auto& x = spectrum["x"];
  EXPECT_EQ(x.front(), 1.0);
  EXPECT_EQ(x.back(), 1000.0);
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i] != 100.0) continue;
    // Plotted to 4 significant digits.
    EXPECT_NEAR(spectrum["series"][0]["values"][i].get<double>(), report["latency_ms"]["p99"].get<double>(), 1e-3);
    EXPECT_NEAR(spectrum["series"][1]["values"][i].get<double>(), report["latency_uncorrected_ms"]["p99"].get<double>(),
                1e-3);
  }
  EXPECT_NE(page.find("<th>uncorrected</th>"), std::string::npos);
}

TEST(HtmlReport, TlsHttp2AndMergeSectionsAppearWhenTheReportHasThem) {
  json report = sample_report(false);
  report["tls"] = {{"handshakes", 52}, {"resumed", 40}, {"protocol", "TLSv1.3"}, {"cipher", "TLS_AES_128_GCM_SHA256"},
                   {"handshake_ms", {{"p50", 1.2}, {"p99", 3.4}, {"max", 5.0}}}};
  report["h2"] = {{"connections", 4}, {"streams_per_connection", 10}, {"server_max_concurrent_streams", 100},
                  {"peak_streams", 10}, {"goaways", 0}};
  report["merged"] = {{"inputs", 3}, {"partial", true}, {"start_spread_ms", 12.5},
                      {"shards", json::array({{{"index", 0}, {"start", "2026-12-06T17:40:00Z"}, {"end", "x"}}})}};
  report["generator"]["saturated"] = true;
  report["generator"]["saturation_reason"] = "a worker thread was busy 99 % of the time";
  const std::string page = render_html(report);
  EXPECT_TRUE(has_section(page, "tls"));
  EXPECT_NE(page.find("TLS_AES_128_GCM_SHA256"), std::string::npos);
  EXPECT_TRUE(has_section(page, "h2"));
  EXPECT_TRUE(has_section(page, "merged"));
  EXPECT_NE(page.find("partial merge"), std::string::npos);
  EXPECT_NE(page.find("the generator was saturated (a worker thread was busy 99 % of the time)"), std::string::npos);
}

TEST(HtmlReport, AWebSocketRunHasItsConnectionsMessagesAndLatencyTable) {
  auto r = loadgen::testing::sample_run(false);
  r.config.url = "ws://127.0.0.1:8080/ws/echo";
  r.config.ws.enabled = true;
  auto& w = r.stats.ws;
  w.attempts = 12;
  w.opened = 10;
  w.failed["http_404"] = 1;
  w.failed["<b>refused</b>"] = 1;  // reasons are the generator's words, escaped all the same
  w.held_at_end = 6;
  w.closed_by_peer[1001] = 2;
  w.closed_by_us = 1;
  w.dropped["reset"] = 1;
  w.sent = 500;
  w.answered = 490;
  w.lost = 4;
  w.timed_out = 3;
  w.in_flight_at_end = 3;
  w.received = 490;
  w.latency.record_n(2'000'000, 490);
  w.handshake.record_n(300'000, 10);
  const std::string page = render_html(loadgen::to_json(r));
  EXPECT_TRUE(has_section(page, "websocket"));
  EXPECT_FALSE(has_section(page, "streams"));
  EXPECT_NE(page.find("attempted 12 = opened 10 + failed 2"), std::string::npos);
  EXPECT_NE(page.find("opened 10 = held at end 6 + closed by peer 2 + closed by us 1 + dropped 1"), std::string::npos);
  EXPECT_NE(page.find("messages sent 500 = answered 490 + timed out 3 + lost 4 + in flight at end 3"), std::string::npos);
  EXPECT_NE(page.find("<td>message round trip</td><td>490</td><td>2.00ms</td>"), std::string::npos);
  EXPECT_NE(page.find("<td>handshake</td><td>10</td><td>300us</td>"), std::string::npos);
  EXPECT_NE(page.find("<td>closed by peer (code)</td><td>1001 2</td>"), std::string::npos) << page.substr(page.find("<section id=\"websocket\""), 2500);
  EXPECT_EQ(page.find("<b>refused"), std::string::npos);
  EXPECT_NE(page.find("&lt;b&gt;refused&lt;/b&gt; 1"), std::string::npos);
  expect_no_fetch(page);
}

TEST(HtmlReport, AStreamRunHasItsFirstByteGapAndEventsTable) {
  auto r = loadgen::testing::sample_run(false);
  r.config.stream = true;
  r.stats.streams.responses = 40;
  r.stats.streams.event_streams = 40;
  r.stats.streams.stalled = 2;
  auto& f = r.stats.streams.figures();
  f.ttfb.record_n(3'000'000, 40);
  f.gap.record_n(100'000'000, 400);
  f.events.record_n(11, 40);
  f.events_per_second_milli.record_n(10'000, 40);
  f.length_bytes.record_n(2048, 40);
  const std::string page = render_html(loadgen::to_json(r));
  EXPECT_TRUE(has_section(page, "streams"));
  EXPECT_NE(page.find("40 streamed responses (40 text/event-stream); 2 stalled"), std::string::npos);
  EXPECT_NE(page.find("<td>time to first byte</td><td>40</td><td>3.00ms</td>"), std::string::npos);
  EXPECT_NE(page.find("<td>gap between events</td><td>400</td><td>100ms</td>"), std::string::npos);
  EXPECT_NE(page.find("<td>events per second</td><td>40</td><td>10</td>"), std::string::npos);
  EXPECT_NE(page.find("<td>length</td><td>40</td><td>2.00 KiB</td>"), std::string::npos)
      << page.substr(page.find("<section id=\"streams\""), 1500);
}

TEST(HtmlReport, StepsAndTargetsHaveATableRowEachWithTheirNamesEscaped) {
  for (bool targets : {false, true}) {
    auto r = loadgen::testing::sample_run(false);
    r.stats.scenario.init({"login", "GET http://127.0.0.1/<img src=x>"}, targets);
    client::outcome ok, refused;
    ok.status = 200;
    refused.error = client::error_kind::refused;
    r.stats.scenario.steps[0].started = 21;
    for (int i = 0; i < 20; ++i) r.stats.scenario.record(0, ok, true, 4'000'000);
    r.stats.scenario.record(0, refused, false, 1000);
    r.stats.scenario.iterations.started = 20;
    r.stats.scenario.iterations.completed = 19;
    r.stats.scenario.abort(0, loadgen::abort_reason::request_failed);
    const std::string page = render_html(loadgen::to_json(r));
    EXPECT_TRUE(has_section(page, targets ? "targets" : "steps"));
    EXPECT_NE(page.find("<td>login</td><td>21</td><td>20</td><td>1</td><td>0</td><td>0</td><td>2.1</td><td>4.00ms</td>"),
              std::string::npos);
    EXPECT_NE(page.find("refused 1; 200 20"), std::string::npos);
    EXPECT_EQ(page.find("<img src=x"), std::string::npos);
    EXPECT_NE(page.find("&lt;img src=x&gt;"), std::string::npos);
    EXPECT_EQ(page.find("<h3>Iterations</h3>") != std::string::npos, !targets);
  }
}

TEST(HtmlReport, AThousandsOfTargetsRunShowsTheFirstThousandAndSaysSo) {
  json report = sample_report(false);
  json targets = json::object();
  for (int i = 0; i < 1500; ++i)
    targets["GET http://127.0.0.1/" + std::to_string(10000 + i)] = {{"requests", 1}, {"succeeded", 1}};
  report["targets"] = targets;
  const std::string page = render_html(report);
  EXPECT_NE(page.find("/10999<"), std::string::npos);
  EXPECT_EQ(page.find("/11000<"), std::string::npos);
  EXPECT_NE(page.find("The first 1000 of 1500 (by name)"), std::string::npos);
}

TEST(HtmlReport, PageFetchesNothing) {
  for (bool open : {false, true}) {
    const std::string page = render_html(sample_report(open));
    expect_no_fetch(page);
    EXPECT_EQ(other_urls(page), std::vector<std::string>{});
  }
  EXPECT_EQ(assets::uplot_js.find("</script"), std::string_view::npos);
  EXPECT_EQ(assets::page_js.find("</script"), std::string_view::npos);
  EXPECT_EQ(assets::uplot_css.find("</style"), std::string_view::npos);
}

TEST(HtmlReport, ValuesAreEscapedSoAUrlCannotInjectMarkup) {
  json report = sample_report(false);
  const std::string evil = "http://127.0.0.1/<script>alert(1)</script>?q=\"'&x=</script><img src=x onerror=alert(2)>";
  report["config"]["url"] = evil;
  report["config"]["headers"] = json::array({"X-Test: <b>bold</b>"});
  report["errors"]["<svg onload=alert(3)>"] = 1;
  report["thresholds"][0]["expr"] = "</script><script>alert(4)</script>";
  report["generator"]["saturated"] = true;
  report["generator"]["saturation_reason"] = "<i>";
  const std::string page = render_html(report);
  for (const char* raw : {"<script>alert", "<img src=x", "<b>bold", "<svg onload", "<i>"})
    EXPECT_EQ(page.find(raw), std::string::npos) << raw;
  EXPECT_NE(page.find("http://127.0.0.1/&lt;script&gt;alert(1)&lt;/script&gt;?q=&quot;&#39;&amp;x="), std::string::npos);
  // Exactly the page's own three script elements.
  std::size_t scripts = 0;
  for (auto at = page.find("<script"); at != std::string::npos; at = page.find("<script", at + 1)) ++scripts;
  EXPECT_EQ(scripts, 3u);
}

TEST(HtmlReport, ChartDataIsSafeInsideItsScriptElement) {
  json j = {{"title", "</script><!-- \u2028 & >"}};
  const std::string s = script_json(j);
  EXPECT_EQ(s.find('<'), std::string::npos);
  EXPECT_EQ(s.find('>'), std::string::npos);
  EXPECT_EQ(s.find('&'), std::string::npos);
  EXPECT_EQ(s.find("\u2028"), std::string::npos);
  EXPECT_EQ(json::parse(s), j);
}

TEST(HtmlReport, OneHourRunStaysUnderOneMegabyteWithoutItsPerSecondHistograms) {
  json report = sample_report(true);
  report["timeline"] = testing::synthesized_timeline(3600, 2000);
  report["duration_s"] = 3600.0;
  const std::size_t json_size = report.dump().size();
  const std::string page = render_html(report);
  EXPECT_LT(page.size(), 1'000'000u) << "the JSON report is " << json_size << " bytes";
  EXPECT_GT(json_size, page.size());  // the per-second histograms are left out
  const std::string one_second = report["timeline"][1800]["histogram"].get<std::string>();
  EXPECT_EQ(page.find(one_second.substr(0, 60)), std::string::npos);
  auto throughput = chart_titled(page, "Requests and errors per second");
  ASSERT_FALSE(throughput.is_null());
  EXPECT_EQ(throughput["x"].size(), 3600u);  // an hour at one point per second
  expect_no_fetch(page);
}

TEST(HtmlReport, ALastPartialSecondIsScaledToItsLengthOrLeftOutOfTheThroughputChart) {
  json report = sample_report(false);  // 10 seconds of 101 requests, 1 error
  report["duration_s"] = 9.6;
  auto c = chart_titled(render_html(report), "Requests and errors per second");
  ASSERT_EQ(c["x"].size(), 10u);
  EXPECT_NEAR(c["series"][0]["values"][9].get<double>(), 101 / 0.6, 0.1);
  EXPECT_NEAR(c["series"][1]["values"][9].get<double>(), 1 / 0.6, 0.01);
  EXPECT_EQ(c["series"][0]["values"][8].get<double>(), 101.0);
  report["duration_s"] = 9.2;
  c = chart_titled(render_html(report), "Requests and errors per second");
  EXPECT_EQ(c["x"].size(), 9u);
  // The latency chart keeps every second.
  EXPECT_EQ(chart_titled(render_html(report), "Latency per second")["x"].size(), 10u);
}

TEST(HtmlReport, ToleratesReportsWithMissingOrOddFields) {
  for (const json& doc : {json::object(), json{{"schema_version", 5}}, json{{"config", 3}, {"timeline", "x"}},
                          json{{"histogram", {{"data", "not h1"}}}, {"latency_ms", nullptr}},
                          json{{"timeline", json::array({1, "a", nullptr, json::object()})}},
                          json{{"shard", 3}, {"generator", json::array({1})}, {"merged", {{"shards", json::array({1})}}},
                               {"thresholds", json::array({1, {{"ok", "yes"}}})}, {"requests", "x"}, {"errors", {{"a", "b"}}},
                               {"phases", {{"dns", 1}}}, {"tls", 1}, {"h2", json::array()}, {"status_codes", {{"200", -1}}}},
                          json{{"websocket", {{"connections", 1}, {"messages", "x"}, {"latency", json::array()}}},
                               {"streams", {{"ttfb", 2}}}, {"steps", {{"a", 1}, {"b", {{"latency", "x"}}}}}},
                          json{{"websocket", 3}, {"streams", json::array()}, {"targets", "x"}, {"iterations", 1}}}) {
    const std::string page = render_html(doc);
    EXPECT_NE(page.find("</html>"), std::string::npos) << doc.dump();
  }
}

TEST(HtmlReport, NotAReportNamesWhy) {
  struct bad_case {
    const char* name;
    json doc;
  };
  const bad_case cases[] = {{"an array", json::array()}, {"a number", 3}, {"no schema_version", json::object()},
                            {"schema_version as text", json{{"schema_version", "5"}}}};
  for (const auto& c : cases) EXPECT_TRUE(not_a_report(c.doc).has_value()) << c.name;
  EXPECT_FALSE(not_a_report(sample_report(false)).has_value());
}

TEST(HtmlComparison, PutsBothSpectraOnOneChartAndTheFiguresSideBySide) {
  json base = sample_report(false), next = sample_report(true);
  next["throughput"]["requests_per_second"] = 50.0;
  const std::string page = render_comparison_html(base, next);
  auto spectra = chart_titled(page, "Latency by percentile: base and new");
  ASSERT_FALSE(spectra.is_null());
  ASSERT_GE(spectra["series"].size(), 2u);
  EXPECT_EQ(spectra["series"][0]["label"], "base");
  EXPECT_EQ(spectra["series"][1]["label"], "new");
  EXPECT_EQ(spectra["series"][2]["label"], "new uncorrected");  // next is open-model
  EXPECT_FALSE(chart_titled(page, "Requests per second: base and new").is_null());
  EXPECT_TRUE(has_section(page, "comparison"));
  // base 101 req/s (1010 completed in 10 s) to 50: -50.5 %, worse.
  EXPECT_NE(page.find("<td class=\"worse\">-50.5 %</td>"), std::string::npos);
  // p50 from the histograms: 500 us in base, 600 us (100 us of schedule lag) in next: +20 %.
  EXPECT_NE(page.find("<th>p50</th><td>500us</td><td>600us</td><td class=\"worse\">+20 %</td>"), std::string::npos);
  expect_no_fetch(page);
}

TEST(HtmlComparison, EscapesBothReportsAndStaysSmallForLongRuns) {
  json base = sample_report(false), next = sample_report(false);
  base["config"]["url"] = "http://127.0.0.1/<script>alert(1)</script>";
  next["timeline"] = testing::synthesized_timeline(3600, 500);
  const std::string page = render_comparison_html(base, next);
  EXPECT_EQ(page.find("<script>alert"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)"), std::string::npos);
  EXPECT_LT(page.size(), 1'000'000u);
  expect_no_fetch(page);
}

}  // namespace
}  // namespace barrage::report
