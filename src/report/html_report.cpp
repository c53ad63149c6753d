#include "report/html_report.hpp"

#include "report/html_sections.hpp"
#include "report/html_text.hpp"

namespace barrage::report {

using nlohmann::json;

std::string render_html(const json& report) {
  // The page, top to bottom.
  static constexpr section sections[] = {
      header_section,      summary_section,      verdict_section,   throughput_section, latency_timeline_section,
      spectrum_section,    histogram_section,    latency_table_section, websocket_section, streams_section,
      scenario_section,    status_codes_section, errors_section,    accounting_section, phases_section,
      generator_section,   tls_section,          h2_section,        merged_section,     config_section,
  };
  const json* config = field(report, "config");
  html_page page("barrage: " + (config ? text(*config, "method") + " " + text(*config, "url") : std::string("report")));
  for (section s : sections) s(report, page);
  return page.finish();
}

std::optional<std::string> not_a_report(const json& doc) {
  if (!doc.is_object()) return "not a barrage JSON report (expected an object)";
  if (!number(doc, "schema_version")) return "not a barrage JSON report (no schema_version)";
  return std::nullopt;
}

}  // namespace barrage::report
