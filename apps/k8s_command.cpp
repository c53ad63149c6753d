// `barrage k8s [run options] URL --shards N --image IMAGE ...`: prints the Kubernetes manifests
// of a sharded run (report/k8s_manifest.hpp); `barrage k8s collect JOB`: k8s_collect_command.cpp.
#include <fcntl.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "apps/cli_errors.hpp"
#include "apps/commands.hpp"
#include "apps/run_line.hpp"
#include "base/quote_text.hpp"
#include "loadgen/options.hpp"
#include "report/k8s_manifest.hpp"
#include "report/yaml_text.hpp"

namespace barrage::apps {
namespace {

constexpr const char* command = "barrage k8s";

struct k8s_options {
  std::optional<std::string> shards, image, namespace_name, cpu, memory, name, secret_from, secret_out, start_at, shard;
};

void add_k8s_options(CLI::App& app, k8s_options& k) {
  text_option(app, "--shards", k.shards, "Pods, each running its share of the load (1-1000); required")
      ->type_name("N");
  text_option(app, "--image", k.image, "The container image with barrage on its PATH (packaging/Dockerfile); required")
      ->type_name("IMAGE");
  text_option(app, "--namespace", k.namespace_name, "The manifests' namespace; default: kubectl's current one")
      ->type_name("NS");
  text_option(app, "--cpu", k.cpu,
              "CPU per pod, requested and limited (2, 1.5, 500m); default: -t, or 1 core (and -t 1) when -t is absent; "
              "-t defaults to the whole cores of --cpu")
      ->type_name("CORES");
  text_option(app, "--memory", k.memory, "Memory per pod, requested and limited (512Mi, 1Gi, 2G; 32Mi-1Pi)")
      ->default_str("512Mi")
      ->type_name("BYTES");
  text_option(app, "--name", k.name,
              "The Job's name (lower-case letters, digits, '-'; at most 50); its ConfigMap is NAME-files, its "
              "Secret NAME-secrets")
      ->default_str("barrage")
      ->type_name("NAME");
  text_option(app, "--start-at", k.start_at,
              "When every shard starts: +DURATION from now (time to apply and pull the image) or an RFC 3339 time")
      ->default_str("+2m")
      ->type_name("TIME");
  text_option(app, "--secret-from", k.secret_from,
              "Take the credentials from this existing Secret (its keys: listed on stderr) and print none")
      ->type_name("NAME");
  text_option(app, "--secret-out", k.secret_out,
              "Write the Secret's manifest to FILE (mode 0600) instead of stdout, so that stdout can be committed")
      ->type_name("FILE");
  text_option(app, "--shard", k.shard, "Not here: the pods take their index from the Job (--shards)")->group("");
  app.footer(
      "Run options: every option of `barrage --help` but --json, --html, --hdr-log, --threshold and --shard (give --json, "
      "--html and --threshold to\n`barrage k8s collect`, which merges the shards and judges thresholds on the merged result).\n"
      "Prints YAML: the ConfigMap of the files the run reads (--body-file, --cacert, --cert, --key), the Secret of\n"
      "its credentials (credential-bearing -H values, the URL's password, secret query parameters, -b, --body-file,\n"
      "--key; unless --secret-from or --secret-out), and an Indexed Job of N pods, each running\n"
      "`barrage RUN-OPTIONS URL --shards N --start-at TIME --quiet --no-progress --json - --json-compact`:\n"
      "the last line of each pod's log is its JSON report. Credentials never appear in the ConfigMap or the Job:\n"
      "the pods receive them as environment variables, $(KEY) in the arguments. Apply with kubectl apply -f -;\n"
      "then `barrage k8s collect NAME`. docs/distributed.md, Kubernetes.\n"
      "Exit status: 0 printed, 2 bad command line (one line on stderr), 1 a file could not be read or written.");
}

// Reads a file the pods need; the error names the option.
result<std::string, std::string> read_file(const report::k8s_file& f) {
  std::ifstream in(f.local_path, std::ios::binary);
  std::ostringstream text;
  if (!(in && text << in.rdbuf()) && !in.eof())
    return fail(f.option + ": cannot read " + quote_text(f.local_path));
  return text.str();
}

// Fails when a secret would still be written in the Job: the container's arguments, with each
// $(KEY) expanded to a marker, parsed as barrage in the pod will parse them, must hold no
// secret value but those markers (a combined "-kH 'Authorization: ...'" would).
result<void, std::string> check_no_secret_left(const std::vector<std::string>& args, const loadgen::redaction_policy& policy) {
  std::vector<std::string> marked;
  for (const auto& a : args)
    marked.push_back(report::k8s_expand(a, [](std::string_view key) {
      return std::optional<std::string>("BARRAGE_SECRET_MARKER_" + std::string(key));
    }));
  auto line = parse_run_line(marked);
  if (!line) return fail(line.error());
  for (const auto& slot : report::secret_slots(line->run, policy)) {
    if (slot.value.rfind("BARRAGE_SECRET_MARKER_", 0) == 0 &&
        slot.value.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == std::string::npos)
      continue;
    return fail("cannot take the value of " + slot.what +
                " off the command line (give each -H and -b as its own argument, e.g. -H 'Name: value'): a manifest "
                "never holds a credential");
  }
  return {};
}

// The pod's CPU and threads: -t, --cpu, or both; neither: 1 core, 1 thread.
result<std::string, std::string> cpu_and_threads(const k8s_options& k, loadgen::run_options& run,
                                                 std::vector<std::string>& args) {
  if (k.cpu) {
    auto milli = report::parse_k8s_cpu(*k.cpu);
    if (!milli) return fail("--cpu: " + milli.error());
    if (!run.threads) {
      run.threads = std::to_string(std::max<std::uint64_t>(1, *milli / 1000));
      args.insert(args.end(), {"--threads", *run.threads});
    }
    return *k.cpu;
  }
  if (!run.threads) {
    run.threads = "1";
    args.insert(args.end(), {"--threads", "1"});
  }
  auto threads = loadgen::parse_threads(*run.threads);
  if (!threads) return fail("-t: " + threads.error());
  return std::to_string(*threads);
}

// Everything but the run: the Job's own settings.
result<report::k8s_job_spec, std::string> job_settings(const k8s_options& k) {
  report::k8s_job_spec spec;
  if (k.secret_from && k.secret_out)
    return fail("--secret-out: not with --secret-from (the Secret exists: there is none to write)");
  if (k.shard) return fail("--shard: not with barrage k8s: each pod takes its index from the Job (--shards N)");
  if (!k.shards) return fail("--shards N is required");
  const auto shards = loadgen::parse_connections(*k.shards);
  if (!shards || *shards > 1000) return fail("--shards: bad count " + quote_text(*k.shards) + ": must be between 1 and 1000");
  spec.shards = *shards;
  if (!k.image || k.image->empty() || k.image->find_first_of(" \t\r\n") != std::string::npos)
    return fail("--image IMAGE is required (a container image reference, no spaces)");
  spec.image = *k.image;
  if (k.name) {
    auto n = report::parse_k8s_name(*k.name, 50);
    if (!n) return fail("--name: " + n.error());
    spec.name = *n;
  }
  for (auto [opt, value, into] : {std::tuple{"--namespace", &k.namespace_name, &spec.namespace_name},
                                  std::tuple{"--secret-from", &k.secret_from, &spec.secret_from}}) {
    if (!*value) continue;
    auto n = report::parse_k8s_name(**value, opt == std::string_view("--namespace") ? 63 : 253);
    if (!n) return fail(std::string(opt) + ": " + n.error());
    *into = *n;
  }
  if (k.memory) {
    auto m = report::parse_k8s_memory(*k.memory);
    if (!m) return fail("--memory: " + m.error());
    spec.memory = *k.memory;
  }
  auto start = report::k8s_start_time(k.start_at.value_or("+2m"), std::chrono::system_clock::now());
  if (!start) return fail(start.error());
  spec.start_at = *start;
  return spec;
}

// The run's part of the Job: its arguments with the secrets and files moved off them.
result<report::k8s_job_spec, std::string> plan(const k8s_options& k, std::vector<std::string> args) {
  auto spec = job_settings(k);
  if (!spec) return spec;
  auto line = parse_run_line(args);
  if (!line) return fail(line.error());
  if (line->json) return fail("--json: not with barrage k8s: each pod prints its report; barrage k8s collect --json OUT");
  if (line->hdr_log) return fail("--hdr-log: not with barrage k8s: a pod's files are lost when it ends");
  if (line->html) return fail("--html: not with barrage k8s: a pod's files are lost when it ends; barrage k8s collect --html OUT");
  if (!line->thresholds.empty())
    return fail("--threshold: give it to barrage k8s collect, which judges it on the merged result");
  auto cpu = cpu_and_threads(k, line->run, args);
  if (!cpu) return fail(cpu.error());
  spec->cpu = *cpu;
  // The run as the pods will make it, checked here so that a bad value fails now, not in N pods.
  auto cfg = loadgen::make_run_config(line->run, 1);
  if (!cfg) return fail(cfg.error());
  const loadgen::redaction_policy policy{false, line->run.redact_headers};
  auto moved = report::move_secrets_off(args, line->run.url, policy);
  auto clean = check_no_secret_left(moved.args, policy);
  if (!clean) return fail(clean.error());
  spec->target = policy.url(line->run.url);
  spec->run_args = std::move(moved.args);
  spec->env = std::move(moved.env);
  spec->files = std::move(moved.files);
  return spec;
}

bool write_secret_file(const std::string& path, const std::string& yaml) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::FILE* f = fd < 0 ? nullptr : ::fdopen(fd, "w");
  const bool ok = f && std::fputs(yaml.c_str(), f) >= 0;
  if (f && std::fclose(f) != 0) return false;
  return ok;
}

}  // namespace

int k8s_command(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "collect") return k8s_collect_command(argc - 1, argv + 1);
  CLI::App app("barrage k8s: prints the Kubernetes manifests of a run split into N shards, one pod each.\n"
               "Usage: barrage k8s [run options] URL --shards N --image IMAGE [options]\n"
               "       barrage k8s collect JOB [--namespace NS] [--json OUT] [--html OUT] (barrage k8s collect --help)",
               command);
  k8s_options k;
  add_k8s_options(app, k);
  app.allow_extras();
  if (auto status = parse_command_line(app, argc, argv, command)) return *status;
  auto spec = plan(k, app.remaining());
  if (!spec) return usage_error(command, spec.error());
  for (auto& f : spec->files) {
    auto content = read_file(f);
    if (!content) {
      std::fprintf(stderr, "%s: %s\n", command, content.error().c_str());
      return 1;
    }
    f.content = std::move(*content);
  }
  auto made = report::make_k8s_manifests(*spec);
  if (!made) return usage_error(command, made.error());
  std::string out = "# barrage k8s: " + std::to_string(spec->shards) + " shards against " + spec->target +
                    ", starting at " + spec->start_at + ".\n# Apply: kubectl apply -f FILE; then: barrage k8s collect " + spec->name +
                    (spec->namespace_name ? " --namespace " + *spec->namespace_name : "") + "\n";
  if (made->secret && !k.secret_out) {
    out += "# The Secret below holds credentials: do not commit this output (--secret-out FILE keeps it apart).\n";
    made->documents.insert(made->documents.begin(), *made->secret);
  }
  out += report::to_yaml_stream(made->documents);
  if (made->secret && k.secret_out) {
    const nlohmann::ordered_json docs[] = {*made->secret};
    if (!write_secret_file(*k.secret_out, report::to_yaml_stream(docs))) {
      std::fprintf(stderr, "%s: cannot write the --secret-out file %s\n", command, quote_text(*k.secret_out).c_str());
      return 1;
    }
  }
  if (k.secret_out && !made->secret)
    std::fprintf(stderr, "%s: note: the run has no credentials: no Secret, %s not written\n", command,
                 quote_text(*k.secret_out).c_str());
  if (spec->secret_from && !made->secret_keys.empty()) {
    std::string keys;
    for (const auto& key : made->secret_keys) keys += (keys.empty() ? "" : ", ") + key;
    std::fprintf(stderr, "%s: note: the Secret %s must hold the keys %s\n", command, spec->secret_from->c_str(),
                 keys.c_str());
  }
  std::fputs(out.c_str(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace barrage::apps
