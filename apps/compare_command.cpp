// `barrage compare BASE.json NEW.json`: two saved reports side by side, for a person (text)
// and for a CI gate (exit status 3 when a figure regressed). The logic is report/compare.hpp.
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "apps/cli_errors.hpp"
#include "apps/commands.hpp"
#include "apps/html_output.hpp"
#include "base/quote_text.hpp"
#include "loadgen/options.hpp"
#include "loadgen/threshold.hpp"
#include "report/compare.hpp"
#include "report/compare_render.hpp"
#include "report/html_report.hpp"

namespace barrage::apps {
namespace {

constexpr const char* command = "barrage compare";

/// The report in `path`, parsed; the error names the file.
result<nlohmann::json, std::string> read_report(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf()) || in.bad())
    return fail("cannot read " + quote_text(path, 200) + ": " + std::strerror(errno ? errno : EIO));
  auto report = report::parse_saved_report(text.str());
  if (!report) return fail(quote_text(path, 200) + ": " + report.error());
  return report;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  return static_cast<bool>(f << text);
}

}  // namespace

int compare_command(int argc, char** argv) {
  CLI::App app("barrage compare: two saved JSON reports (--json FILE) side by side: throughput, succeeded "
               "requests, each latency percentile (from the reports' histograms), error rate and errors by kind, "
               "per step and target when the reports have them; the change in percent and a verdict per line "
               "(better, same, worse within the threshold, WORSE beyond it, not comparable), and the run "
               "settings that differ. docs/report.md, \"Comparing runs\".",
               command);
  std::string base_path, next_path;
  std::optional<std::string> max_text, json_text, html_text;
  app.add_option("base", base_path, "The reference report (e.g. the last release's run)")->required()->type_name("BASE.json");
  app.add_option("new", next_path, "The report judged against it")->required()->type_name("NEW.json");
  text_option(app, "--max-regression", max_text,
              "Percent (5, 2.5 or 5%) by which a figure may get worse before the comparison fails (exit status 3); 0: any "
              "change for the worse beyond the histogram's resolution fails")
      ->default_str("5")
      ->type_name("PCT");
  text_option(app, "--json", json_text, "Write the comparison as JSON to FILE (- for stdout: then the text goes to stderr)")
      ->type_name("FILE");
  text_option(app, "--html", html_text,
              "Write the comparison as one self-contained HTML page to FILE (- for stdout: then the text goes to "
              "stderr): both runs' percentile spectra on one chart, their requests/s, and the figures side by side")
      ->type_name("FILE");
  app.footer("Exit status: 0 no figure worse beyond --max-regression, 1 the --json or --html file could not be written,\n"
             "2 bad command line or input (unreadable file, not a barrage report, different schema versions),\n"
             "3 at least one figure worse beyond --max-regression.\n"
             "Lower is better for latency and errors, higher for throughput and succeeded requests. A latency\n"
             "difference within the histogram's resolution (one bucket, < 0.1 %) is \"same\". From a zero base\n"
             "there is no percentage: 0 -> more errors is worse, whatever the threshold.");
  if (auto status = parse_command_line(app, argc, argv, command)) return *status;
  report::compare_options options;
  if (max_text) {
    auto pct = report::parse_max_regression(*max_text);
    if (!pct) return usage_error(command, "--max-regression: " + pct.error());
    options.max_regression_pct = *pct;
  }
  if (json_text) {
    auto path = loadgen::parse_report_path(*json_text);
    if (!path) return usage_error(command, "--json: " + path.error());
  }
  if (html_text) {
    auto path = loadgen::parse_report_path(*html_text);
    if (!path) return usage_error(command, "--html: " + path.error());
    if (*path == "-" && json_text && *json_text == "-") return usage_error(command, "--html - and --json - both want stdout");
    if (!html_path_writable(*path, command)) return loadgen::exit_runtime_error;
  }
  auto base = read_report(base_path);
  if (!base) return usage_error(command, base.error());
  auto next = read_report(next_path);
  if (!next) return usage_error(command, next.error());
  auto c = report::compare_reports(*base, *next, options);
  if (!c) return usage_error(command, c.error());

  const bool json_to_stdout = json_text && *json_text == "-";
  const bool stdout_taken = json_to_stdout || (html_text && *html_text == "-");
  std::fputs(report::render_comparison_text(*c, base_path, next_path).c_str(), stdout_taken ? stderr : stdout);
  if (json_text) {
    const std::string doc = report::render_comparison_json(*c, base_path, next_path);
    if (json_to_stdout) {
      std::fputs(doc.c_str(), stdout);
    } else if (!write_file(*json_text, doc)) {
      std::fprintf(stderr, "%s: cannot write %s\n", command, quote_text(*json_text, 200).c_str());
      return loadgen::exit_runtime_error;
    }
  }
  if (html_text && !write_html_page(report::render_comparison_html(*base, *next), *html_text, command))
    return loadgen::exit_runtime_error;
  return c->regressed() ? loadgen::exit_thresholds_failed : loadgen::exit_ok;
}

}  // namespace barrage::apps
