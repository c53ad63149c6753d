// barrage: the program. main() only picks the subcommand.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "apps/commands.hpp"
#include "base/version.hpp"

int main(int argc, char** argv) {
  using namespace barrage::apps;
  std::string_view first = argc > 1 ? argv[1] : "";
  if (first == "--version" || first == "version") {
    std::printf("barrage %s\n", barrage::version_string);
    return 0;
  }
  if (first == "serve") return serve_command(argc - 1, argv + 1);
  if (first == "demo") return demo_command(argc - 1, argv + 1);
  if (first == "compare") return compare_command(argc - 1, argv + 1);
  if (first == "run") return run_command(argc - 1, argv + 1, "barrage run");
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: barrage [run] URL [options]   load test URL (see barrage --help)\n"
                 "       barrage serve [options]       the built-in target server\n"
                 "       barrage demo [-d D]           a whole test against the built-in target\n"
                 "       barrage compare BASE NEW      two saved JSON reports side by side\n");
    return 2;
  }
  return run_command(argc, argv, "barrage");
}
