#include "report/compare_render.hpp"

#include <fmt/format.h>

#include <cmath>

#include "base/units.hpp"

namespace barrage::report {
namespace {

using nlohmann::json;

std::string format_value(figure_unit unit, double v) {
  switch (unit) {
    case figure_unit::nanoseconds: return format_duration(duration(std::llround(v)));
    case figure_unit::per_second: return fmt::format("{:.1f}/s", v);
    case figure_unit::count: return fmt::format("{:.0f}", v);
    case figure_unit::fraction: return v == 0 ? "0%" : fmt::format("{:.3g}%", v * 100);
  }
  return "";
}

std::string format_side(const compared_figure& f, const std::optional<double>& v,
                        const std::optional<std::uint64_t>& count) {
  if (!v) return count ? fmt::format("({})", *count) : "-";
  std::string s = format_value(f.unit, *v);
  if (count) s += fmt::format(" ({})", *count);
  return s;
}

std::string format_change(const compared_figure& f) {
  if (f.judged.change_pct) return fmt::format("{:+.2f}%", *f.judged.change_pct);
  if (f.base && f.next) return *f.base == *f.next ? "0%" : "from 0";
  return "";
}

std::string format_verdict(const compared_figure& f, double max_regression) {
  switch (f.judged.v) {
    case verdict::better: return "better";
    case verdict::same: return "same";
    case verdict::tolerated: return fmt::format("worse, within {:g}%", max_regression);
    case verdict::worse: return fmt::format("WORSE, beyond {:g}%", max_regression);
    case verdict::not_comparable: return "not comparable: " + f.reason;
  }
  return "";
}

/// A config value on one line, at most 60 characters.
std::string short_json(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string figure_label(const compared_figure& f) {
  return f.section.empty() ? f.name : f.section + " " + f.name;
}

std::string config_block(const comparison& c) {
  if (c.config_differences.empty()) return "Settings: the same in both runs\n";
  std::string out = "Settings that differ (the figures may differ for these reasons too):\n";
  for (const auto& d : c.config_differences)
    out += fmt::format("  {:<24} {}  ->  {}\n", d.field, short_json(d.base), short_json(d.next));
  return out;
}

std::string verdict_line(const comparison& c) {
  std::string worse;
  for (const auto& f : c.figures)
    if (f.judged.v == verdict::worse) worse += (worse.empty() ? "" : ", ") + figure_label(f);
  const double m = c.max_regression_pct;
  std::string line = c.regressed() ? fmt::format("Verdict: REGRESSED: {} worse beyond {:g}% ({})", c.count(verdict::worse), m, worse)
                                   : fmt::format("Verdict: no figure worse beyond {:g}%", m);
  return line + fmt::format("; {} better, {} same, {} worse within {:g}%, {} not comparable\n", c.count(verdict::better),
                            c.count(verdict::same), c.count(verdict::tolerated), m, c.count(verdict::not_comparable));
}

const char* unit_name(figure_unit u) {
  switch (u) {
    case figure_unit::nanoseconds: return "ms";
    case figure_unit::per_second: return "requests/s";
    case figure_unit::count: return "count";
    case figure_unit::fraction: return "fraction";
  }
  return "";
}

/// A figure's value in the JSON output: latency in milliseconds, as in the report.
json json_value(figure_unit u, const std::optional<double>& v) {
  if (!v) return nullptr;
  return u == figure_unit::nanoseconds ? *v / 1e6 : *v;
}

json figure_json(const compared_figure& f) {
  json j = {{"section", f.section},
            {"name", f.name},
            {"unit", unit_name(f.unit)},
            {"better", f.better == better_when::lower ? "lower" : "higher"},
            {"base", json_value(f.unit, f.base)},
            {"new", json_value(f.unit, f.next)},
            {"change_pct", f.judged.change_pct ? json(*f.judged.change_pct) : json(nullptr)},
            {"verdict", to_string(f.judged.v)},
            {"reason", f.reason.empty() ? json(nullptr) : json(f.reason)}};
  if (f.base_count) j["base_count"] = *f.base_count;
  if (f.next_count) j["new_count"] = *f.next_count;
  return j;
}

}  // namespace

std::string render_comparison_text(const comparison& c, std::string_view base_name, std::string_view next_name) {
  std::string out = fmt::format("barrage compare: base {}, new {}; a figure fails when worse by more than {:g}%\n",
                                base_name, next_name, c.max_regression_pct);
  if (c.secrets_shown)
    out += "WARNING: --show-secrets: a report was recorded with --show-secrets; the settings below may show "
           "credentials\n";
  out += "\n" + config_block(c) + "\n";
  std::string section = "\x01";  // no section yet
  for (const auto& f : c.figures) {
    if (f.section != section) {
      section = f.section;
      if (!section.empty()) out += "\n" + section + "\n";
      out += fmt::format("  {:<22} {:>16} {:>16} {:>10}  {}\n", "", "base", "new", "change", "verdict");
    }
    out += fmt::format("  {:<22} {:>16} {:>16} {:>10}  {}\n", f.name, format_side(f, f.base, f.base_count),
                       format_side(f, f.next, f.next_count), format_change(f), format_verdict(f, c.max_regression_pct));
  }
  return out + "\n" + verdict_line(c);
}

nlohmann::json comparison_to_json(const comparison& c, std::string_view base_name, std::string_view next_name) {
  json counts = json::object();
  for (auto v : {verdict::better, verdict::same, verdict::tolerated, verdict::worse, verdict::not_comparable})
    counts[std::string(to_string(v))] = c.count(v);
  json differences = json::array();
  for (const auto& d : c.config_differences) differences.push_back({{"field", d.field}, {"base", d.base}, {"new", d.next}});
  json figures = json::array();
  for (const auto& f : c.figures) figures.push_back(figure_json(f));
  return {{"comparison_schema_version", comparison_schema_version},
          {"base", {{"file", base_name}}},
          {"new", {{"file", next_name}}},
          {"max_regression_pct", c.max_regression_pct},
          {"secrets_shown", c.secrets_shown},
          {"regressed", c.regressed()},
          {"counts", counts},
          {"config_differences", differences},
          {"figures", figures}};
}

std::string render_comparison_json(const comparison& c, std::string_view base_name, std::string_view next_name) {
  return comparison_to_json(c, base_name, next_name).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace barrage::report
