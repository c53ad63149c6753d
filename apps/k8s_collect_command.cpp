// `barrage k8s collect JOB`: each shard's report from its pod's log (through kubectl), saved as
// files, then merged by `barrage merge` (this same program).
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "apps/cli_errors.hpp"
#include "apps/commands.hpp"
#include "apps/subprocess.hpp"
#include "base/quote_text.hpp"
#include "report/k8s_collect.hpp"

namespace barrage::apps {
namespace {

constexpr const char* command = "barrage k8s collect";

struct collect_options {
  std::string job;
  std::optional<std::string> namespace_name, json, html, dir;
  std::vector<std::string> thresholds;
  std::string kubectl = "kubectl";
  bool allow_partial = false;
};

void add_collect_options(CLI::App& app, collect_options& c) {
  app.add_option("job", c.job, "The Job's name (barrage k8s --name; default barrage)")->required()->type_name("JOB");
  app.add_option("--namespace", c.namespace_name, "The Job's namespace; default: kubectl's current one")
      ->type_name("NS");
  app.add_option("--json", c.json, "The merged report as JSON to FILE (- for stdout)")->type_name("FILE");
  app.add_option("--html", c.html, "The merged report as HTML to FILE")->type_name("FILE");
  app.add_option("--threshold", c.thresholds, "Pass/fail gate judged on the merged result (as barrage --threshold; "
                                             "a failure exits with status 3)");
  app.add_option("--dir", c.dir,
                 "Keep each shard's report in DIR as shard-I.json (created if missing); default: a temporary "
                 "directory, removed after the merge")
      ->type_name("DIR");
  app.add_flag("--allow-partial", c.allow_partial,
               "Merge the shards that have a report when some have none (each named on stderr; the merged report "
               "says it is partial)");
  app.add_option("--kubectl", c.kubectl, "The kubectl program to run")->default_str("kubectl")->type_name("PROGRAM");
  app.footer("Reads the Job's completions, lists its pods by completion index, takes the last line of each pod's\n"
             "log (kubectl logs) as that shard's JSON report, and runs `barrage merge` on them. The Job must have\n"
             "finished (kubectl wait --for=condition=complete job/JOB, or failed: a shard whose thresholds failed\n"
             "still has its report). Exit status: merge's (0, 3 thresholds failed), 1 kubectl or a shard's log\n"
             "failed (one line on stderr), 2 bad command line.");
}

// kubectl with the namespace and a bounded wait for the API server.
result<std::string, std::string> kubectl(const collect_options& c, std::vector<std::string> args) {
  std::vector<std::string> argv{c.kubectl, "--request-timeout=60s"};
  if (c.namespace_name) argv.insert(argv.end(), {"--namespace", *c.namespace_name});
  argv.insert(argv.end(), args.begin(), args.end());
  std::string shown = "kubectl";
  for (const auto& a : args) shown += " " + (a.size() > 40 ? a.substr(0, 37) + "..." : a);
  auto r = run_program(argv);
  if (!r) return fail(r.error() + " (barrage k8s collect reads the pods' logs through kubectl)");
  if (r->status != 0) {
    std::string first = r->err.substr(0, r->err.find('\n'));
    return fail(shown + ": exit status " + std::to_string(r->status) + (first.empty() ? "" : ": " + first));
  }
  return std::move(r->out);
}

result<unsigned, std::string> completions(const collect_options& c) {
  auto out = kubectl(c, {"get", "job", c.job, "-o", "jsonpath={.spec.completions}"});
  if (!out) return fail(out.error());
  try {
    std::size_t used = 0;
    const unsigned long n = std::stoul(*out, &used);
    if (used == out->size() && n > 0 && n <= 100000) return static_cast<unsigned>(n);
  } catch (const std::exception&) {
  }
  return fail("job " + c.job + ": kubectl gave no completion count (" + quote_text(*out, 40) + ")");
}

// Each index's report, written to dir/shard-I.json; the files in index order.
result<std::vector<std::string>, std::string> collect_reports(const collect_options& c, const std::string& dir) {
  auto shards = completions(c);
  if (!shards) return fail(shards.error());
  auto listing = kubectl(c, {"get", "pods", "-l", "job-name=" + c.job, "-o",
                             "jsonpath=" + std::string(report::k8s_pod_list_jsonpath)});
  if (!listing) return fail(listing.error());
  auto pods = report::parse_k8s_pod_list(*listing);
  if (!pods) return fail(pods.error());
  auto picked = report::pick_k8s_pods(*pods, *shards);
  if (!picked) return fail(picked.error());
  std::vector<std::string> files;
  for (unsigned i = 0; i < *shards; ++i) {
    const std::string where = "index " + std::to_string(i) + " of job " + c.job;
    result<std::string, std::string> doc = fail(where + ": no pod (deleted, or never scheduled)");
    if (const auto& pod = (*picked)[i]) {
      auto log = kubectl(c, {"logs", pod->name});
      if (!log) {
        doc = fail(log.error());
      } else {
        doc = report::k8s_shard_report(*log, i);
        if (!doc) doc = fail("pod " + pod->name + " (" + where + "): " + doc.error());
      }
    }
    if (!doc) {
      if (!c.allow_partial) return fail(doc.error() + " (--allow-partial merges the others)");
      std::fprintf(stderr, "%s: note: left out: %s\n", command, doc.error().c_str());
      continue;
    }
    const std::string path = dir + "/shard-" + std::to_string(i) + ".json";
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (!(f << *doc) || !f.flush()) return fail("cannot write " + quote_text(path));
    files.push_back(path);
  }
  if (files.empty()) return fail("job " + c.job + ": no shard has a report");
  return files;
}

// Where the shard files go: --dir, or a new temporary directory (`temporary` set).
result<std::string, std::string> shard_dir(const collect_options& c, bool& temporary) {
  temporary = !c.dir;
  if (c.dir) {
    std::error_code ec;
    std::filesystem::create_directories(*c.dir, ec);
    if (ec) return fail("--dir: cannot create " + quote_text(*c.dir) + ": " + ec.message());
    return *c.dir;
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/barrage-collect-XXXXXX";
  if (!::mkdtemp(templ.data())) return fail("cannot make a temporary directory in " + quote_text(templ));
  return templ;
}

std::vector<std::string> merge_command(const collect_options& c, const std::vector<std::string>& files) {
  std::error_code ec;
  std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  std::vector<std::string> argv{ec ? "/proc/self/exe" : self, "merge"};
  argv.insert(argv.end(), files.begin(), files.end());
  if (c.json) argv.insert(argv.end(), {"--json", *c.json});
  if (c.html) argv.insert(argv.end(), {"--html", *c.html});
  for (const auto& t : c.thresholds) argv.insert(argv.end(), {"--threshold", t});
  if (c.allow_partial) argv.push_back("--allow-partial");
  return argv;
}

}  // namespace

int k8s_collect_command(int argc, char** argv) {
  CLI::App app("barrage k8s collect: the reports of a barrage k8s Job's pods, merged into one.\n"
               "Usage: barrage k8s collect JOB [--namespace NS] [--json OUT] [--html OUT] [--threshold T]...",
               command);
  collect_options c;
  add_collect_options(app, c);
  if (auto status = parse_command_line(app, argc, argv, command)) return *status;
  bool temporary = false;
  auto dir = shard_dir(c, temporary);
  if (!dir) return usage_error(command, dir.error());
  auto files = collect_reports(c, *dir);
  int status = 1;
  if (!files) {
    std::fprintf(stderr, "%s: %s\n", command, one_line(files.error()).c_str());
  } else if (auto merged = run_program_attached(merge_command(c, *files)); !merged) {
    std::fprintf(stderr, "%s: %s\n", command, merged.error().c_str());
  } else {
    status = *merged;
  }
  if (temporary) {
    std::error_code ec;
    std::filesystem::remove_all(*dir, ec);
  }
  return status;
}

}  // namespace barrage::apps
