// The top of the HTML report: what ran, the verdict, the summary and the charts.
#include <cmath>

#include "report/html_sections.hpp"
#include "report/html_text.hpp"
#include "report/latency_series.hpp"
#include "report/timeline_series.hpp"

namespace barrage::report {

using nlohmann::json;

std::string open_section(std::string_view id, std::string_view title) {
  return "<section id=\"" + escape_html(id) + "\"><h2>" + escape_html(title) + "</h2>\n";
}

std::string table_row(std::initializer_list<std::string> cells, std::string_view tag) {
  std::string out = "<tr>";
  for (const auto& c : cells) out += "<" + std::string(tag) + ">" + c + "</" + std::string(tag) + ">";
  return out + "</tr>\n";
}

std::optional<histogram> report_histogram(const json& r, std::string_view key) {
  const json* h = field(r, key);
  if (!h) return std::nullopt;
  auto parsed = histogram::deserialize(text(*h, "data"));
  if (!parsed) return std::nullopt;
  return std::move(*parsed);
}

std::string target_line(const json& r) {
  const json* config = field(r, "config");
  if (!config) return "";
  return escape_html(text(*config, "method") + " " + text(*config, "url"));
}

json json_values(const std::vector<std::optional<double>>& v) {
  json out = json::array();
  for (const auto& x : v) out.push_back(x ? json(round_significant(*x)) : json(nullptr));
  return out;
}

namespace {

bool open_model(const json& r) {
  const json* config = field(r, "config");
  return config && text(*config, "model") == "open";
}

/// "3 of 4 thresholds passed" and its class, or nothing without thresholds.
std::pair<std::string, std::string> verdict(const json& r) {
  const json* ts = field(r, "thresholds");
  if (!ts || !ts->is_array() || ts->empty()) return {"", ""};
  std::size_t failed = 0;
  for (const auto& t : *ts)
    if (!flag(t, "ok")) ++failed;
  if (failed == 0) return {"PASSED: all " + std::to_string(ts->size()) + " thresholds held", "pass"};
  return {"FAILED: " + std::to_string(failed) + " of " + std::to_string(ts->size()) + " thresholds", "fail"};
}

std::string card(std::string_view label, const std::string& value) {
  return "<div class=\"card\"><div class=\"value\">" + escape_html(value) + "</div><div class=\"label\">" +
         escape_html(label) + "</div></div>";
}

std::string warning(const std::string& text) { return "<p class=\"warning\">" + escape_html(text) + "</p>\n"; }

}  // namespace

void header_section(const json& r, html_page& p) {
  std::string out = "<header>\n<h1>barrage report</h1>\n<p class=\"target\">" + target_line(r) + "</p>\n<p class=\"meta\">";
  std::string meta = "barrage " + text(r, "barrage_version");
  if (auto start = field(r, "wall_clock"); start && !text(*start, "start").empty()) meta += " · started " + text(*start, "start");
  if (auto d = number(r, "duration_s")) meta += " · " + format_ms(*d * 1000);
  if (auto addr = text(r, "target_address"); !addr.empty()) meta += " · connected to " + addr;
  if (auto proto = text(r, "protocol"); !proto.empty()) meta += " · " + proto;
  if (const json* shard = field(r, "shard"))
    meta += " · shard " + display_value(member(*shard, "index")) + " of " + display_value(member(*shard, "count"));
  out += escape_html(meta) + "</p>\n";
  if (auto [text_, cls] = verdict(r); !text_.empty())
    out += "<p class=\"verdict " + cls + "\"><a href=\"#thresholds\">" + escape_html(text_) + "</a></p>\n";
  out += "</header>\n";
  if (flag(r, "secrets_shown"))
    out += warning("WARNING: --show-secrets: this report shows header values, URL passwords and secret query "
                   "parameters unredacted.");
  if (const json* g = field(r, "generator"); g && flag(*g, "saturated"))
    out += warning("WARNING: the generator was saturated (" + text(*g, "saturation_reason") +
                   "): these figures describe the generator as much as the target.");
  if (const json* m = field(r, "merged"); m && flag(*m, "partial"))
    out += warning("WARNING: partial merge: some shards' reports are missing (see Merged from).");
  p.add(out);
}

void summary_section(const json& r, html_page& p) {
  const json* req = field(r, "requests");
  const json* lat = field(r, "latency_ms");
  const json* tp = field(r, "throughput");
  const json* rates = field(r, "rates");
  std::string out = "<section id=\"summary\" class=\"cards\">";
  if (req) {
    out += card("requests started", format_number(number(*req, "started")));
    out += card("succeeded", format_number(number(*req, "succeeded")));
    out += card("failed + timed out",
                format_number(number(*req, "failed").value_or(0) + number(*req, "timed_out").value_or(0)));
  }
  if (rates) out += card("success rate", format_percent(number(*rates, "success")));
  if (tp) out += card("requests/s", format_number(number(*tp, "requests_per_second")));
  if (lat) {
    out += card(open_model(r) ? "p50 (corrected)" : "p50", format_ms(number(*lat, "p50")));
    out += card(open_model(r) ? "p99 (corrected)" : "p99", format_ms(number(*lat, "p99")));
    out += card("max", format_ms(number(*lat, "max")));
  }
  p.add(out + "</section>\n");
}

void verdict_section(const json& r, html_page& p) {
  std::string out = open_section("thresholds", "Thresholds");
  const json* ts = field(r, "thresholds");
  if (!ts || !ts->is_array() || ts->empty()) {
    p.add(out + "<p class=\"muted\">No thresholds were set (--threshold).</p>\n</section>\n");
    return;
  }
  out += "<table class=\"figures\">\n" + table_row({"", "threshold", "measured"}, "th");
  for (const auto& t : *ts) {
    const bool ok = flag(t, "ok");
    out += table_row({ok ? "<span class=\"pass\">✓ pass</span>" : "<span class=\"fail\">✗ FAIL</span>",
                      escape_html(display_value(member(t, "expr"))),
                      escape_html(display_value(member(t, "actual")))});
  }
  p.add(out + "</table>\n</section>\n");
}

namespace {

/// The last point may cover less than its seconds: a run of 15.02 s has a last second of 20 ms.
/// Its rates are scaled to the time it covered, or, under half a second, it is left out of the
/// chart (its requests stay in every total): a drop to nearly zero at the end would be noise.
void fit_last_point(timeline_series& s, std::size_t timeline_seconds, std::optional<double> duration_s) {
  if (s.size() == 0 || !duration_s) return;
  const double seconds = static_cast<double>(timeline_seconds - (s.size() - 1) * s.step_s);
  const double covered = *duration_s - s.second.back();
  if (!(covered > 0) || covered >= seconds) return;
  if (covered < 0.5) {
    s.second.pop_back();
    s.requests_per_s.pop_back();
    s.errors_per_s.pop_back();
    return;
  }
  s.requests_per_s.back() = round_significant(s.requests_per_s.back() * seconds / covered);
  s.errors_per_s.back() = round_significant(s.errors_per_s.back() * seconds / covered);
}

}  // namespace

void throughput_section(const json& r, html_page& p) {
  const json* tl = field(r, "timeline");
  auto s = make_timeline_series(tl ? *tl : json());
  if (s.size() == 0) return;
  fit_last_point(s, tl->size(), number(r, "duration_s"));
  chart c;
  c.title = "Requests and errors per second";
  c.y_label = "requests/s";
  c.right_y_label = "errors/s";
  c.x = s.second;
  c.series.push_back({"requests/s", s.requests_per_s, false});
  c.series.push_back({"errors/s", s.errors_per_s, true});
  c.note = "Completed requests (successes, failures and timeouts) and errors (failures and timeouts) per second"
           " of the run" + std::string(s.step_s > 1 ? ", averaged over " + std::to_string(s.step_s) + " s per point" : "") +
           "; a last, partial second is scaled to its length (left out under 0.5 s).";
  p.add(open_section("throughput", "Throughput"));
  p.add(c);
  p.add("</section>\n");
}

void latency_timeline_section(const json& r, html_page& p) {
  const json* tl = field(r, "timeline");
  auto s = make_timeline_series(tl ? *tl : json());
  if (s.size() == 0) return;
  chart c;
  c.title = "Latency per second (successful requests)";
  c.y_label = "ms";
  c.x = s.second;
  c.series.push_back({"p50", json_values(s.p50)});
  c.series.push_back({"p90", json_values(s.p90)});
  c.series.push_back({"p99", json_values(s.p99)});
  c.series.push_back({"max", json_values(s.max)});
  c.note = std::string(open_model(r) ? "Corrected latency (from the intended send time). " : "") +
           (s.step_s > 1 ? "Each point covers " + std::to_string(s.step_s) +
                               " s: its percentiles are those of the seconds' histograms merged (7 significant bits), "
                               "its max the exact one."
                         : "Exact percentiles and max of each second; a gap is a second without a successful response.");
  p.add(open_section("latency-over-time", "Latency over time"));
  p.add(c);
  p.add("</section>\n");
}

void spectrum_section(const json& r, html_page& p) {
  auto corrected = report_histogram(r, "histogram");
  if (!corrected || corrected->count() == 0) return;
  auto uncorrected = report_histogram(r, "histogram_uncorrected");
  chart c;
  c.kind = chart_kind::spectrum;
  c.title = "Latency by percentile (successful requests)";
  c.y_label = "ms";
  const auto grid = spectrum_grid(corrected->count());
  c.x = grid;
  c.series.push_back({uncorrected ? "corrected" : "latency", json_values(spectrum_values(*corrected, grid))});
  if (uncorrected) c.series.push_back({"uncorrected", json_values(spectrum_values(*uncorrected, grid))});
  c.note = "Each percentile of the whole run, from the serialized histogram (0 % to 99.999 %, or as far as "
           "the request count allows), on a log axis as HdrHistogram plots it." +
           std::string(uncorrected ? " Corrected: from each request's intended send time; uncorrected: from its "
                                     "actual send (what a closed loop measures). The gap is queueing."
                                   : "");
  p.add(open_section("spectrum", "Percentile spectrum"));
  p.add(c);
  p.add("</section>\n");
}

void histogram_section(const json& r, html_page& p) {
  auto h = report_histogram(r, "histogram");
  if (!h || h->count() == 0) return;
  chart c;
  c.kind = chart_kind::histogram;
  c.title = "Latency histogram (successful requests)";
  c.y_label = "requests";
  json x = json::array(), counts = json::array();
  for (const auto& b : latency_bins(*h)) {
    x.push_back(round_significant(b.upper_ms));
    counts.push_back(b.count);
  }
  c.x = x;
  c.series.push_back({"requests", counts});
  c.note = "Log-spaced bins from the min to the max; each bar counts the requests up to its latency"
           " (a second hump to the right is a second population: retries, GC pauses, a slow backend).";
  p.add(open_section("histogram", "Latency histogram"));
  p.add(c);
  p.add("</section>\n");
}

}  // namespace barrage::report
