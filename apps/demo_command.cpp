// `barrage demo`: the built-in target in-process on an ephemeral loopback port, and a run
// against it: the whole product with no setup.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <thread>

#include "apps/commands.hpp"
#include "base/units.hpp"
#include "loadgen/engine.hpp"
#include "loadgen/report_text.hpp"
#include "loadgen/threshold.hpp"
#include "runtime/spawn.hpp"
#include "server/builtin_target.hpp"
#include "server/server.hpp"

namespace barrage::apps {

int demo_command(int argc, char** argv) {
  CLI::App app("barrage demo: starts the built-in target on 127.0.0.1 (an ephemeral port) and load-tests it.",
               "barrage demo");
  std::string length = "5s", path = "/delay/20ms";
  unsigned connections = 500, threads = 0;
  app.add_option("-d,--duration", length, "Run time")->default_val("5s");
  app.add_option("-c,--connections", connections, "Concurrent connections")->default_val(500);
  app.add_option("-t,--threads", threads, "Generator threads; default: the number of cores");
  app.add_option("--path", path, "Path on the built-in target, e.g. /delay/20ms, /jitter?median=5ms&p99=50ms")
      ->default_val("/delay/20ms");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  auto run_time = parse_duration(length);
  if (!run_time) {
    std::fprintf(stderr, "barrage: %s\n", run_time.error().c_str());
    return loadgen::exit_usage_error;
  }

  server::router routes;
  server::add_builtin_routes(routes);
  server::server_options so;
  so.listen = *net::socket_address::parse("127.0.0.1:0");
  so.max_connections = connections + 64;
  std::unique_ptr<server::server> target;
  try {
    target = std::make_unique<server::server>(std::move(routes), so);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "barrage: %s\n", e.what());
    return loadgen::exit_runtime_error;
  }
  std::thread serving([&] { sync_wait(target->serve()); });

  loadgen::run_config cfg;
  cfg.url = "http://" + target->local_address().to_string() + path;
  cfg.connections = connections;
  cfg.run_time = *run_time;
  cfg.has_duration = true;
  cfg.threads = threads ? threads : std::max(1u, std::thread::hardware_concurrency());
  std::printf("barrage demo: built-in target on %s, %u connections for %s against %s\n\n",
              target->local_address().to_string().c_str(), connections, format_duration(*run_time).c_str(),
              path.c_str());
  std::fflush(stdout);
  auto r = loadgen::run_load(cfg);
  target->stop();
  serving.join();
  if (!r) {
    std::fprintf(stderr, "barrage: %s\n", r.error().c_str());
    return loadgen::exit_runtime_error;
  }
  std::fputs(loadgen::render_text(*r).c_str(), stdout);
  return loadgen::exit_ok;
}

}  // namespace barrage::apps
