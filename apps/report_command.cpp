// `barrage report RUN.json -o FILE.html`: the HTML report of a saved JSON report (a run's
// --json, or a merged one), drawn by the same renderer as a run's --html.
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>

#include "apps/cli_errors.hpp"
#include "apps/commands.hpp"
#include "apps/html_output.hpp"
#include "base/quote_text.hpp"
#include "loadgen/options.hpp"
#include "loadgen/threshold.hpp"
#include "report/html_report.hpp"

namespace barrage::apps {

bool write_html_report(const nlohmann::json& doc, const std::string& path, const char* command) {
  return write_html_page(report::render_html(doc), path, command);
}

bool write_html_page(const std::string& page, const std::string& path, const char* command) {
  if (path == "-") {
    if (std::fwrite(page.data(), 1, page.size(), stdout) == page.size() && std::fflush(stdout) == 0) return true;
    std::fprintf(stderr, "%s: cannot write the HTML report to stdout\n", command);
    return false;
  }
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (f << page && f.flush()) return true;
  std::fprintf(stderr, "%s: cannot write the HTML report to %s\n", command, quote_text(path).c_str());
  return false;
}

bool html_path_writable(const std::string& path, const char* command) {
  if (path == "-" || std::ofstream(path, std::ios::app)) return true;
  std::fprintf(stderr, "%s: cannot write the --html file %s: %s\n", command, quote_text(path).c_str(), std::strerror(errno));
  return false;
}

namespace {

/// The JSON report in `path`, or one line saying why not.
result<nlohmann::json, std::string> read_report(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read " + quote_text(path) + ": " + std::strerror(errno));
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded()) return fail(quote_text(path) + " is not JSON");
  if (auto why = report::not_a_report(doc)) return fail(quote_text(path) + ": " + *why);
  return doc;
}

}  // namespace

int report_command(int argc, char** argv) {
  CLI::App app("barrage report: the HTML report of a saved JSON report (barrage URL --json FILE, or a merged "
               "report): one self-contained page with its charts, readable offline (docs/report.md, The HTML "
               "report).",
               "barrage report");
  std::string input;
  std::optional<std::string> output;
  app.add_option("json", input, "The JSON report to draw (- for stdin)")->required()->type_name("RUN.json");
  text_option(app, "-o,--output", output, "Where to write the page (- for stdout)")->required()->type_name("FILE.html");
  app.footer("Exit status: 0 ok, 1 the page could not be written, 2 bad command line or input (a file that\n"
             "cannot be read, is not JSON or is not a barrage report: one line on stderr says which).");
  if (auto status = parse_command_line(app, argc, argv, "barrage report")) return *status;
  if (auto path = loadgen::parse_report_path(*output); !path)
    return usage_error("barrage report", "--output: " + path.error());
  auto doc = input == "-" ? read_report("/dev/stdin") : read_report(input);
  if (!doc) return usage_error("barrage report", doc.error());
  return write_html_report(*doc, *output, "barrage report") ? loadgen::exit_ok : loadgen::exit_runtime_error;
}

}  // namespace barrage::apps
