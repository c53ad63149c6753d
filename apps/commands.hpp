#pragma once
// The subcommands of the barrage program; main() only dispatches.

namespace barrage::apps {

/// `barrage [run] URL [options]`. argv[0] is the command's name.
int run_command(int argc, char** argv, const char* name);
/// `barrage serve [options]`: the built-in target server. argv[0] is "serve".
int serve_command(int argc, char** argv);
/// `barrage demo [-d D]`: the built-in target in-process and a run against it.
int demo_command(int argc, char** argv);
/// `barrage compare BASE.json NEW.json [options]`: two saved reports side by side.
int compare_command(int argc, char** argv);
/// `barrage report RUN.json -o FILE.html`: the HTML report of a saved JSON report.
int report_command(int argc, char** argv);
/// `barrage merge A.json B.json ... [--json OUT] [--threshold ...] [--allow-partial]`: shards' reports made into one.
int merge_command(int argc, char** argv);
/// `barrage k8s [run options] URL --shards N --image IMAGE`: a sharded run's Kubernetes manifests.
int k8s_command(int argc, char** argv);
/// `barrage k8s collect JOB`: the Job's shard reports through kubectl, merged. argv[0] is "collect".
int k8s_collect_command(int argc, char** argv);

}  // namespace barrage::apps
