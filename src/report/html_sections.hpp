#pragma once
// The sections of the HTML report, one function each: a section reads the JSON report and
// adds its markup and charts to the page, or nothing when the report lacks its fields.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "loadgen/histogram.hpp"
#include "report/html_page.hpp"

namespace barrage::report {

using section = void (*)(const nlohmann::json& report, html_page& page);

// Top of the page (html_sections_top.cpp).
void header_section(const nlohmann::json& r, html_page& p);
void summary_section(const nlohmann::json& r, html_page& p);
void verdict_section(const nlohmann::json& r, html_page& p);
void throughput_section(const nlohmann::json& r, html_page& p);
void latency_timeline_section(const nlohmann::json& r, html_page& p);
void spectrum_section(const nlohmann::json& r, html_page& p);
void histogram_section(const nlohmann::json& r, html_page& p);

// Tables (html_sections_tables.cpp).
void latency_table_section(const nlohmann::json& r, html_page& p);
void status_codes_section(const nlohmann::json& r, html_page& p);
void errors_section(const nlohmann::json& r, html_page& p);
void accounting_section(const nlohmann::json& r, html_page& p);
void phases_section(const nlohmann::json& r, html_page& p);
void generator_section(const nlohmann::json& r, html_page& p);
void tls_section(const nlohmann::json& r, html_page& p);
void h2_section(const nlohmann::json& r, html_page& p);
void merged_section(const nlohmann::json& r, html_page& p);
void config_section(const nlohmann::json& r, html_page& p);

// The optional sections' tables (html_sections_protocols.cpp): nothing without the section.
void websocket_section(const nlohmann::json& r, html_page& p);
void streams_section(const nlohmann::json& r, html_page& p);
/// "steps" or "targets", and "iterations".
void scenario_section(const nlohmann::json& r, html_page& p);

// Shared by the sections and the comparison page.

/// `<section id="id"><h2>title</h2>` (title escaped); close with "</section>\n".
std::string open_section(std::string_view id, std::string_view title);
/// One table row of cells that are markup already; `tag` "td" or "th".
std::string table_row(std::initializer_list<std::string> cells, std::string_view tag = "td");
/// The report's histogram under `key` ("histogram", "histogram_uncorrected"), when present and
/// readable.
std::optional<histogram> report_histogram(const nlohmann::json& r, std::string_view key);
/// "GET http://host/path" from the config (escaped).
std::string target_line(const nlohmann::json& r);
/// A series' values as JSON numbers, null where absent.
nlohmann::json json_values(const std::vector<std::optional<double>>& v);

}  // namespace barrage::report
