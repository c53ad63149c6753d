// `barrage merge A.json B.json ...`: the shards' reports made into one (report/merge.hpp).
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>

#include <fmt/format.h>

#include "apps/cli_errors.hpp"
#include "apps/commands.hpp"
#include "apps/html_output.hpp"
#include "base/quote_text.hpp"
#include "loadgen/options.hpp"
#include "loadgen/report_text.hpp"
#include "loadgen/threshold.hpp"
#include "report/merge.hpp"

namespace barrage::apps {
namespace {

/// One line above the text report: what was merged.
std::string merged_line(const nlohmann::json& merged) {
  const auto& shards = merged["shards"];
  std::string line = fmt::format("Merged {} report{}", merged["inputs"].get<std::size_t>(),
                                 merged["inputs"].get<std::size_t>() == 1 ? "" : "s");
  if (!shards.empty() && !shards[0]["index"].is_null()) {
    std::string list;
    for (const auto& s : shards) list += (list.empty() ? "" : ",") + std::to_string(s["index"].get<unsigned>());
    line += fmt::format(" (shards {})", list);
  }
  line += fmt::format(", start spread {:.3f} ms", merged["start_spread_ms"].get<double>());
  if (merged["partial"].get<bool>()) line += "; PARTIAL: shards are missing (--allow-partial)";
  return line +
         "\nPhases and failed requests' latency: counts, min, mean and max merged; their percentiles are in each "
         "shard's report\n";
}

}  // namespace

int merge_command(int argc, char** argv) {
  CLI::App app("barrage merge: the JSON reports of a run's shards (--shard I/N, --shards N) made into one, exactly: "
               "counts add, histograms merge (percentiles of all the samples), timelines align by wall-clock "
               "second. Refuses reports of different runs, a shard given twice, or missing shards.",
               "barrage merge");
  std::vector<std::string> files, threshold_texts;
  std::optional<std::string> json_out, html_out;
  bool allow_partial = false, quiet = false, color = false;
  app.add_option("reports", files, "The shards' JSON reports (barrage --json FILE)")->required()->type_name("FILE");
  text_option(app, "--json", json_out, "Write the merged report as JSON to FILE (- for stdout: then the text goes "
                                       "to stderr)")
      ->type_name("FILE");
  text_option(app, "--html", html_out, "Write the merged report as one self-contained HTML page to FILE (- for "
                                       "stdout; as barrage report draws it)")
      ->type_name("FILE");
  app.add_option("--threshold", threshold_texts,
                 "Pass/fail gate on the merged result (repeatable, as for a run: p99<250ms, error_rate<1%); a failure "
                 "exits with status 3. Not {outcome=failed}: reports hold no histogram of failed requests");
  app.add_flag("--allow-partial", allow_partial, "Merge even when shards are missing (the report says so)");
  app.add_flag("-q,--quiet", quiet, "No text report (use with --json)");
  app.add_flag("--color", color, "Colour the text report");
  app.footer("Exit status: 0 ok, 1 the output could not be written, 2 bad command line or reports that do not "
             "merge (one line on stderr), 3 a --threshold failed.");
  if (auto status = parse_command_line(app, argc, argv, "barrage merge")) return *status;
  std::vector<loadgen::threshold> thresholds;
  for (const auto& text : threshold_texts) {
    auto t = loadgen::parse_threshold(text);
    if (!t) return usage_error("barrage merge", "--threshold: " + t.error());
    if (t->failed)
      return usage_error("barrage merge", "--threshold " + quote_text(text) +
                                              ": {outcome=failed} is not judged on a merge (the reports hold no "
                                              "histogram of failed requests' latency)");
    thresholds.push_back(std::move(*t));
  }
  if (json_out)
    if (auto path = loadgen::parse_report_path(*json_out); !path) return usage_error("barrage merge", "--json: " + path.error());
  if (html_out) {
    auto path = loadgen::parse_report_path(*html_out);
    if (!path) return usage_error("barrage merge", "--html: " + path.error());
    if (*path == "-" && json_out && *json_out == "-") return usage_error("barrage merge", "--html - and --json - both want stdout");
    if (!html_path_writable(*path, "barrage merge")) return loadgen::exit_runtime_error;
  }
  std::vector<report::merge_input> inputs;
  for (const auto& file : files) {
    std::ifstream f(file, std::ios::binary);
    if (!f) return usage_error("barrage merge", "cannot read " + quote_text(file) + ": " + std::strerror(errno));
    std::string text(std::istreambuf_iterator<char>(f), {});
    auto doc = report::parse_report(text, file);
    if (!doc) return usage_error("barrage merge", doc.error());
    inputs.push_back({file, std::move(*doc)});
  }
  auto merged = report::merge_reports(inputs, allow_partial);
  if (!merged) return usage_error("barrage merge", merged.error());
  auto verdicts = loadgen::evaluate(thresholds, merged->result);
  const bool json_to_stdout = json_out && *json_out == "-";
  if (!quiet) {
    std::FILE* text_out = json_to_stdout || (html_out && *html_out == "-") ? stderr : stdout;
    std::fputs(merged_line(merged->doc["merged"]).c_str(), text_out);
    std::fputs(loadgen::render_text(merged->result, verdicts, color).c_str(), text_out);
  }
  const nlohmann::json final_doc = report::with_thresholds(std::move(merged->doc), verdicts);
  if (html_out && !write_html_report(final_doc, *html_out, "barrage merge")) return loadgen::exit_runtime_error;
  if (json_out) {
    const std::string doc = final_doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    if (json_to_stdout) {
      std::fputs(doc.c_str(), stdout);
    } else if (std::ofstream f(*json_out, std::ios::binary | std::ios::trunc); !(f << doc)) {
      std::fprintf(stderr, "barrage merge: cannot write %s\n", quote_text(*json_out).c_str());
      return loadgen::exit_runtime_error;
    }
  }
  return loadgen::all_passed(verdicts) ? loadgen::exit_ok : loadgen::exit_thresholds_failed;
}

}  // namespace barrage::apps
