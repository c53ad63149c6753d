#include "report/compare_render.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace barrage::report {
namespace {

using nlohmann::json;

compared_figure figure(std::string section, std::string name, figure_unit unit, double base, double next, verdict v,
                       std::optional<double> change) {
  compared_figure f;
  f.section = std::move(section);
  f.name = std::move(name);
  f.unit = unit;
  f.base = base;
  f.next = next;
  f.judged = {change, v};
  return f;
}

comparison sample() {
  comparison c;
  c.max_regression_pct = 5;
  c.config_differences.push_back({"config.connections", 50, 100});
  c.figures.push_back(figure("", "throughput", figure_unit::per_second, 1000, 1100, verdict::better, 10.0));
  c.figures.push_back(figure("", "p50", figure_unit::nanoseconds, 10e6, 12e6, verdict::worse, 20.0));
  c.figures.push_back(figure("", "p90", figure_unit::nanoseconds, 10e6, 10.3e6, verdict::tolerated, 3.0));
  auto missing = figure("", "p99", figure_unit::nanoseconds, 10e6, 0, verdict::not_comparable, std::nullopt);
  missing.next.reset();
  missing.reason = "no histogram in new";
  c.figures.push_back(missing);
  auto errors = figure("step login", "errors timeout", figure_unit::fraction, 0, 0.01, verdict::worse, std::nullopt);
  errors.base_count = 0;
  errors.next_count = 3;
  c.figures.push_back(errors);
  return c;
}

/// The text's line that starts (after indentation) with `name` followed by a space.
std::string line_of(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.rfind("  " + name + " ", 0) == 0) return line;
  return "";
}

TEST(compare_text, each_figure_is_one_line_with_both_values_the_change_and_the_verdict) {
  const std::string t = render_comparison_text(sample(), "a.json", "b.json");
  EXPECT_NE(t.find("base a.json, new b.json"), std::string::npos) << t;
  const auto p50 = line_of(t, "p50");
  EXPECT_NE(p50.find("10.0ms"), std::string::npos) << p50;
  EXPECT_NE(p50.find("12.0ms"), std::string::npos) << p50;
  EXPECT_NE(p50.find("+20.00%"), std::string::npos) << p50;
  EXPECT_NE(p50.find("WORSE, beyond 5%"), std::string::npos) << p50;
  EXPECT_NE(line_of(t, "p90").find("worse, within 5%"), std::string::npos);
  EXPECT_NE(line_of(t, "throughput").find("better"), std::string::npos);
  EXPECT_NE(line_of(t, "p99").find("not comparable: no histogram in new"), std::string::npos);
  const auto errors = line_of(t, "errors timeout");
  EXPECT_NE(errors.find("0% (0)"), std::string::npos) << errors;
  EXPECT_NE(errors.find("1% (3)"), std::string::npos) << errors;
  EXPECT_NE(errors.find("from 0"), std::string::npos) << errors;
}

TEST(compare_text, sections_have_headings_and_the_settings_that_differ_come_first) {
  const std::string t = render_comparison_text(sample(), "a.json", "b.json");
  EXPECT_NE(t.find("\nstep login\n"), std::string::npos) << t;
  EXPECT_LT(t.find("config.connections"), t.find("throughput"));
  EXPECT_NE(line_of(t, "config.connections").find("50  ->  100"), std::string::npos) << t;
}

TEST(compare_text, the_verdict_line_names_every_regressed_figure) {
  const std::string t = render_comparison_text(sample(), "a.json", "b.json");
  EXPECT_NE(t.find("Verdict: REGRESSED: 2 worse beyond 5% (p50, step login errors timeout); 1 better, 0 same, 1 "
                   "worse within 5%, 1 not comparable\n"),
            std::string::npos)
      << t;
  comparison fine;
  fine.figures.push_back(figure("", "p50", figure_unit::nanoseconds, 1e6, 1e6, verdict::same, 0.0));
  const std::string ok = render_comparison_text(fine, "a", "b");
  EXPECT_NE(ok.find("Verdict: no figure worse beyond 5%"), std::string::npos) << ok;
  EXPECT_NE(ok.find("Settings: the same in both runs"), std::string::npos) << ok;
}

TEST(compare_text, warns_at_the_top_when_a_report_shows_secrets) {
  comparison c = sample();
  EXPECT_EQ(render_comparison_text(c, "a", "b").find("WARNING"), std::string::npos);
  c.secrets_shown = true;
  const std::string t = render_comparison_text(c, "a", "b");
  EXPECT_LT(t.find("WARNING: --show-secrets"), t.find("config.connections"));
}

TEST(compare_json, holds_every_figure_in_the_reports_units_and_the_counts) {
  const json j = json::parse(render_comparison_json(sample(), "a.json", "b.json"));
  EXPECT_EQ(j["comparison_schema_version"], comparison_schema_version);
  EXPECT_EQ(j["base"]["file"], "a.json");
  EXPECT_EQ(j["new"]["file"], "b.json");
  EXPECT_EQ(j["regressed"], true);
  EXPECT_EQ(j["max_regression_pct"], 5.0);
  EXPECT_EQ(j["counts"]["worse"], 2);
  EXPECT_EQ(j["counts"]["tolerated"], 1);
  EXPECT_EQ(j["config_differences"][0]["field"], "config.connections");
  EXPECT_EQ(j["config_differences"][0]["new"], 100);
  const json& p50 = j["figures"][1];
  EXPECT_EQ(p50["name"], "p50");
  EXPECT_EQ(p50["unit"], "ms");
  EXPECT_EQ(p50["better"], "lower");
  EXPECT_DOUBLE_EQ(p50["base"].get<double>(), 10.0);
  EXPECT_DOUBLE_EQ(p50["new"].get<double>(), 12.0);
  EXPECT_DOUBLE_EQ(p50["change_pct"].get<double>(), 20.0);
  EXPECT_EQ(p50["verdict"], "worse");
  EXPECT_TRUE(p50["reason"].is_null());
  EXPECT_TRUE(j["figures"][3]["new"].is_null());
  EXPECT_EQ(j["figures"][3]["reason"], "no histogram in new");
  const json& errors = j["figures"][4];
  EXPECT_EQ(errors["section"], "step login");
  EXPECT_EQ(errors["new_count"], 3);
  EXPECT_TRUE(errors["change_pct"].is_null());
}

}  // namespace
}  // namespace barrage::report
