#pragma once
// What the HTML report writes into its page: text escaped for HTML, JSON made safe inside a
// <script> element, figures in the text report's units, and tolerant reads of a saved report
// (a field that is missing or null reads as absent, never as an exception).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace barrage::report {

/// `text` with & < > " ' as character references: safe in element content and in quoted
/// attribute values.
std::string escape_html(std::string_view text);

/// `j` as JSON text that can stand inside <script type="application/json">: every < > & and
/// U+2028/U+2029 written as a \u escape (so no "</script>" or "<!--" can end or bend the
/// element), invalid UTF-8 replaced by U+FFFD.
std::string script_json(const nlohmann::json& j);

/// `v` rounded to `digits` significant digits: the page's series stay short as JSON text.
double round_significant(double v, int digits = 4);

/// A latency in milliseconds in the text report's units ("850us", "1.20ms", "2.50s"); "–"
/// when absent.
std::string format_ms(std::optional<double> ms);
/// "12.3k" (format_count), "0.25" for fractions, "–" when absent.
std::string format_number(std::optional<double> v);
/// A fraction as a percentage with up to 3 decimals ("99.5 %"); "–" when absent.
std::string format_percent(std::optional<double> fraction);

/// report[key] when `report` is an object that has it and it is not null.
const nlohmann::json* field(const nlohmann::json& report, std::string_view key);
/// report[key], or a null value when `report` lacks it (or is not an object).
const nlohmann::json& member(const nlohmann::json& report, std::string_view key);
/// report[key] is the boolean true.
bool flag(const nlohmann::json& report, std::string_view key);
/// report[key] as a number, when it is one.
std::optional<double> number(const nlohmann::json& report, std::string_view key);
/// report[key] as a string ("" when it is not one).
std::string text(const nlohmann::json& report, std::string_view key);
/// Any JSON value as short text for a table cell (strings as they are, arrays joined by ", ",
/// objects as "key: value" pairs, null as "–"); not escaped.
std::string display_value(const nlohmann::json& v);

}  // namespace barrage::report
