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

}  // namespace barrage::apps
