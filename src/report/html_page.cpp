#include "report/html_page.hpp"

#include "base/version.hpp"
#include "report/html_assets.hpp"
#include "report/html_text.hpp"

namespace barrage::report {
namespace {

const char* kind_name(chart_kind k) {
  switch (k) {
    case chart_kind::spectrum: return "spectrum";
    case chart_kind::histogram: return "histogram";
    case chart_kind::time: break;
  }
  return "time";
}

// No network access of any kind: scripts and styles are inline, nothing else may load.
constexpr std::string_view content_security_policy =
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'";

}  // namespace

html_page::html_page(std::string title) : title_(std::move(title)) {}

void html_page::add(const chart& c) {
  const std::string id = "chart-" + std::to_string(charts_.size());
  nlohmann::json series = nlohmann::json::array();
  for (const auto& s : c.series)
    series.push_back({{"label", s.label}, {"values", s.values}, {"right", s.right_axis}});
  charts_.push_back({{"id", id},
                     {"kind", kind_name(c.kind)},
                     {"title", c.title},
                     {"y_label", c.y_label},
                     {"right_y_label", c.right_y_label},
                     {"x", c.x},
                     {"series", series}});
  body_ += "<figure class=\"chart\"><div id=\"" + id + "\" class=\"plot\"></div>";
  if (!c.note.empty()) body_ += "<figcaption>" + escape_html(c.note) + "</figcaption>";
  body_ += "</figure>\n";
}

std::string html_page::finish() const {
  std::string out;
  out.reserve(body_.size() + 80'000);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta http-equiv=\"Content-Security-Policy\" content=\"";
  out += content_security_policy;
  out += "\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<meta name=\"generator\" content=\"barrage " + escape_html(version_string) + "\">\n";
  out += "<title>" + escape_html(title_) + "</title>\n<style>\n";
  out += assets::uplot_css;
  out += "\n";
  out += assets::page_css;
  out += "</style>\n</head>\n<body>\n<main>\n";
  out += body_;
  out += "</main>\n<script type=\"application/json\" id=\"barrage-charts\">";
  out += script_json(charts_);
  out += "</script>\n<script>\n";
  out += assets::uplot_js;
  out += "\n</script>\n<script>\n";
  out += assets::page_js;
  out += "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace barrage::report
