// render_comparison_html: two runs' JSON reports side by side.
#include <algorithm>
#include <cmath>

#include "report/html_report.hpp"
#include "report/html_sections.hpp"
#include "report/html_text.hpp"
#include "report/latency_series.hpp"
#include "report/timeline_series.hpp"

namespace barrage::report {
namespace {

using nlohmann::json;

/// Within this change (percent) a figure counts as unchanged; barrage compare's default
/// --max-regression.
constexpr double noise_percent = 5.0;

struct figure {
  std::string label;
  std::optional<double> base, next;
  bool higher_is_worse = true;
  bool latency = false;  // formatted as a duration
};

/// A run's latency percentile from its serialized histogram when present, else from latency_ms.
std::optional<double> percentile_ms(const json& r, const std::optional<histogram>& h, double p, const char* key) {
  if (h) return h->count() ? std::optional(static_cast<double>(h->value_at_percentile(p)) / 1e6) : std::nullopt;
  const json* s = field(r, "latency_ms");
  return s ? number(*s, key) : std::nullopt;
}

std::optional<double> nested(const json& r, std::string_view object, std::string_view key) {
  const json* o = field(r, object);
  return o ? number(*o, key) : std::nullopt;
}

std::vector<figure> figures(const json& base, const json& next) {
  const auto hb = report_histogram(base, "histogram"), hn = report_histogram(next, "histogram");
  std::vector<figure> out;
  out.push_back({"requests/s", nested(base, "throughput", "requests_per_second"),
                 nested(next, "throughput", "requests_per_second"), false});
  const std::tuple<const char*, double, const char*> ps[] = {{"p50", 50, "p50"},      {"p90", 90, "p90"},
                                                            {"p99", 99, "p99"},      {"p99.9", 99.9, "p999"},
                                                            {"p99.99", 99.99, "p9999"}, {"max", 100, "max"}};
  for (const auto& [label, p, key] : ps)
    out.push_back({label, percentile_ms(base, hb, p, key), percentile_ms(next, hn, p, key), true, true});
  auto mean = [](const json& r, const std::optional<histogram>& h) {
    return h && h->count() ? std::optional(h->mean() / 1e6) : nested(r, "latency_ms", "mean");
  };
  out.push_back({"mean", mean(base, hb), mean(next, hn), true, true});
  auto percent = [](std::optional<double> v) { return v ? std::optional(*v * 100) : v; };
  out.push_back({"error rate (%)", percent(nested(base, "rates", "error")), percent(nested(next, "rates", "error"))});
  auto errors = [](const json& r) -> std::optional<double> {
    auto f = nested(r, "requests", "failed"), t = nested(r, "requests", "timed_out");
    if (!f && !t) return std::nullopt;
    return f.value_or(0) + t.value_or(0);
  };
  out.push_back({"errors (failed + timed out)", errors(base), errors(next)});
  out.push_back({"timed out", nested(base, "requests", "timed_out"), nested(next, "requests", "timed_out")});
  auto completed = [&](const json& r) -> std::optional<double> {
    auto ok = nested(r, "requests", "succeeded");
    if (!ok) return std::nullopt;
    return *ok + errors(r).value_or(0);
  };
  out.push_back({"requests completed", completed(base), completed(next), false});
  return out;
}

std::string change_cell(const figure& f) {
  if (!f.base || !f.next) return "<td>–</td>";
  if (*f.base == 0) return *f.next == 0 ? "<td>0 %</td>" : "<td class=\"worse\">new</td>";
  const double change = (*f.next - *f.base) / std::fabs(*f.base) * 100;
  const bool worse = f.higher_is_worse ? change > noise_percent : change < -noise_percent;
  const bool better = f.higher_is_worse ? change < -noise_percent : change > noise_percent;
  const char* cls = worse ? "worse" : better ? "better" : "same";
  return "<td class=\"" + std::string(cls) + "\">" + (change > 0 ? "+" : "") + escape_html(format_number(round_significant(change, 3))) +
         " %</td>";
}

std::string figures_table(const json& base, const json& next) {
  std::string out = open_section("comparison", "Side by side");
  out += "<table class=\"figures\">\n" + table_row({"", "base", "new", "change"}, "th");
  for (const auto& f : figures(base, next)) {
    auto show = [&](std::optional<double> v) { return escape_html(f.latency ? format_ms(v) : format_number(v)); };
    out += "<tr><th>" + escape_html(f.label) + "</th><td>" + show(f.base) + "</td><td>" + show(f.next) + "</td>" +
           change_cell(f) + "</tr>\n";
  }
  return out + "</table>\n<p class=\"muted\">Latency of the successful requests (corrected in the open model), from "
               "the serialized histograms. Red: worse by more than 5 %; green: better by more than 5 %.</p>\n</section>\n";
}

void spectra_chart(const json& base, const json& next, html_page& page) {
  const auto hb = report_histogram(base, "histogram"), hn = report_histogram(next, "histogram");
  if ((!hb || !hb->count()) && (!hn || !hn->count())) return;
  chart c;
  c.kind = chart_kind::spectrum;
  c.title = "Latency by percentile: base and new";
  c.y_label = "ms";
  const auto grid = spectrum_grid(std::max(hb ? hb->count() : 0, hn ? hn->count() : 0));
  c.x = grid;
  const histogram empty;
  c.series.push_back({"base", json_values(spectrum_values(hb ? *hb : empty, grid))});
  c.series.push_back({"new", json_values(spectrum_values(hn ? *hn : empty, grid))});
  const auto ub = report_histogram(base, "histogram_uncorrected"), un = report_histogram(next, "histogram_uncorrected");
  if (ub) c.series.push_back({"base uncorrected", json_values(spectrum_values(*ub, grid))});
  if (un) c.series.push_back({"new uncorrected", json_values(spectrum_values(*un, grid))});
  c.note = "Each run's percentiles from its serialized histogram, 0 % to 99.999 % on a log axis.";
  page.add(open_section("spectra", "Percentile spectra"));
  page.add(c);
  page.add("</section>\n");
}

void throughput_chart(const json& base, const json& next, html_page& page) {
  const json* tb = field(base, "timeline");
  const json* tn = field(next, "timeline");
  const std::size_t longest = std::max(tb && tb->is_array() ? tb->size() : 0, tn && tn->is_array() ? tn->size() : 0);
  if (longest == 0) return;
  const unsigned step = static_cast<unsigned>((longest + 3599) / 3600);
  const auto sb = group_timeline(tb ? *tb : json(), step), sn = group_timeline(tn ? *tn : json(), step);
  const std::size_t points = std::max(sb.size(), sn.size());
  json x = json::array(), vb = json::array(), vn = json::array();
  for (std::size_t i = 0; i < points; ++i) {
    x.push_back(static_cast<double>(i) * step);
    vb.push_back(i < sb.size() ? json(sb.requests_per_s[i]) : json(nullptr));
    vn.push_back(i < sn.size() ? json(sn.requests_per_s[i]) : json(nullptr));
  }
  chart c;
  c.title = "Requests per second: base and new";
  c.y_label = "requests/s";
  c.x = x;
  c.series.push_back({"base", vb});
  c.series.push_back({"new", vn});
  c.note = "Completed requests per second since each run's start.";
  page.add(open_section("throughput", "Throughput"));
  page.add(c);
  page.add("</section>\n");
}

}  // namespace

std::string render_comparison_html(const json& base, const json& next) {
  html_page page("barrage: comparison");
  page.add("<header>\n<h1>barrage comparison</h1>\n<p class=\"target\">base: " + target_line(base) +
           "</p>\n<p class=\"target\">new: " + target_line(next) + "</p>\n</header>\n");
  if (flag(base, "secrets_shown") || flag(next, "secrets_shown"))
    page.add("<p class=\"warning\">WARNING: --show-secrets: a report compared here shows header values, URL "
             "passwords and secret query parameters unredacted.</p>\n");
  page.add(figures_table(base, next));
  spectra_chart(base, next, page);
  throughput_chart(base, next, page);
  return page.finish();
}

}  // namespace barrage::report
