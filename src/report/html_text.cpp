#include "report/html_text.hpp"

#include <cmath>
#include <fmt/format.h>

#include "base/units.hpp"

namespace barrage::report {

using nlohmann::json;

std::string escape_html(std::string_view in) {
  std::string out;
  out.reserve(in.size() + in.size() / 8);
  for (char c : in) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string script_json(const json& j) {
  const std::string text = j.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    // These bytes only occur inside JSON strings, where a \u escape means the same.
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xe2' && i + 2 < text.size() && text[i + 1] == '\x80' &&
               (text[i + 2] == '\xa8' || text[i + 2] == '\xa9')) {
      out += text[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

double round_significant(double v, int digits) {
  if (v == 0 || !std::isfinite(v)) return v;
  const double scale = std::pow(10.0, digits - 1 - static_cast<int>(std::floor(std::log10(std::fabs(v)))));
  return std::round(v * scale) / scale;
}

std::string format_ms(std::optional<double> ms) {
  if (!ms || !std::isfinite(*ms)) return "–";
  if (std::fabs(*ms) > 1e12) return fmt::format("{:.3g}ms", *ms);  // beyond an int64 of nanoseconds
  return format_duration(duration(static_cast<std::int64_t>(std::llround(*ms * 1e6))));
}

std::string format_number(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return "–";
  if (*v >= 0 && *v == std::floor(*v) && *v < 1.8e19) return format_count(static_cast<std::uint64_t>(*v));
  if (std::fabs(*v) >= 1000) return format_count(static_cast<std::uint64_t>(std::llround(std::fabs(*v))));
  return fmt::format("{:.3g}", *v);
}

std::string format_percent(std::optional<double> fraction) {
  if (!fraction || !std::isfinite(*fraction)) return "–";
  std::string s = fmt::format("{:.3f}", *fraction * 100);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s + " %";
}

const json* field(const json& report, std::string_view key) {
  if (!report.is_object()) return nullptr;
  auto it = report.find(key);
  if (it == report.end() || it->is_null()) return nullptr;
  return &*it;
}

const json& member(const json& report, std::string_view key) {
  static const json null_value;
  const json* v = field(report, key);
  return v ? *v : null_value;
}

bool flag(const json& report, std::string_view key) {
  const json* v = field(report, key);
  return v && v->is_boolean() && v->get<bool>();
}

std::optional<double> number(const json& report, std::string_view key) {
  const json* v = field(report, key);
  if (!v || !v->is_number()) return std::nullopt;
  return v->get<double>();
}

std::string text(const json& report, std::string_view key) {
  const json* v = field(report, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

std::string display_value(const json& v) {
  if (v.is_null()) return "–";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (v.is_number()) return v.dump();
  std::string out;
  if (v.is_array()) {
    for (const auto& item : v) out += (out.empty() ? "" : ", ") + display_value(item);
    return out.empty() ? "–" : out;
  }
  for (const auto& [k, item] : v.items()) out += (out.empty() ? "" : "; ") + k + ": " + display_value(item);
  return out.empty() ? "–" : out;
}

}  // namespace barrage::report
