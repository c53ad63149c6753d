// `barrage serve`: the built-in target as a standalone HTTP/1.1 server.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <system_error>

#include "apps/cli_errors.hpp"
#include "apps/commands.hpp"
#include "net/fd_limit.hpp"
#include "runtime/spawn.hpp"
#include "server/builtin_target.hpp"
#include "server/serve_options.hpp"
#include "server/server.hpp"
#include "server/signal_watch.hpp"

namespace barrage::apps {

namespace {

void add_serve_options(CLI::App& app, server::serve_settings& a, bool& quiet) {
  text_option(app, "--listen,-l", a.listen, "Address to listen on (numeric; port 0-65535, 0 picks one)")
      ->type_name("HOST:PORT")
      ->default_str("127.0.0.1:8080");
  text_option(app, "--threads,-t", a.threads, "Event loops, 1-1024, one thread each, sharing the port (SO_REUSEPORT)")
      ->type_name("N")
      ->default_str("1");
  app.add_flag("--quiet,-q", quiet, "Print nothing but errors");
  text_option(app, "--stall-every", a.stall_every,
              "Stop answering every DURATION (with --stall-for), to show coordinated omission")
      ->type_name("DURATION");
  text_option(app, "--stall-for", a.stall_for,
              "How long each stall lasts, shorter than --stall-every (requests wait, then are answered)")
      ->type_name("DURATION");
  text_option(app, "--max-connections", a.max_connections, "Open connections at most, 1-10M (accepting pauses there)")
      ->type_name("N")
      ->default_str("10000");
  text_option(app, "--max-body", a.max_body, "Largest request body; larger gets 413")
      ->type_name("SIZE")
      ->default_str("1MiB");
  text_option(app, "--max-head", a.max_head, "Largest request head, 1KiB-64MiB; larger gets 431")
      ->type_name("SIZE")
      ->default_str("16KiB");
  text_option(app, "--head-timeout", a.head_timeout, "Time for a whole request head to arrive; then 408")
      ->type_name("DURATION")
      ->default_str("10s");
  text_option(app, "--idle-timeout", a.idle_timeout, "Keep-alive wait for the next request")
      ->type_name("DURATION")
      ->default_str("60s");
  text_option(app, "--grace", a.grace, "On SIGINT/SIGTERM, time left to requests in flight")
      ->type_name("DURATION")
      ->default_str("10s");
  app.add_flag("--no-metrics", a.no_metrics, "Do not serve GET /metrics");
  app.footer("Exit status: 0 stopped by a signal, 1 could not serve (e.g. the port is taken), 2 bad command line.");
}

/// Serves until SIGINT/SIGTERM (a second one stops at once); the exit status.
int serve(const server::server_options& opts, bool quiet) {
  try {
    net::raise_fd_limit();
    server::signal_watch signals;  // before any thread starts: they inherit the blocked mask
    server::router routes;
    server::add_builtin_routes(routes);
    server::server srv(std::move(routes), opts);
    if (!quiet) {
      std::printf("barrage serve: listening on http://%s (%u thread%s, up to %zu connections)\n",
                  srv.local_address().to_string().c_str(), opts.threads, opts.threads == 1 ? "" : "s",
                  opts.max_connections);
      std::fflush(stdout);
    }
    // Named closures: a coroutine lambda's captures live in the closure, which must outlive it.
    auto watch = [&]() -> task<void> {
      co_await signals.next();
      if (!quiet) std::fprintf(stderr, "barrage serve: stopping (finishing the requests in flight)\n");
      srv.stop();
      co_await signals.next();
      srv.stop_now();
    };
    auto main_task = [&]() -> task<void> {
      auto watcher = spawn(watch(), "signals");
      co_await srv.serve();
      watcher.cancel();
    };
    event_loop loop;
    loop.run(main_task());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "barrage serve: %s\n", e.what());
    return 1;
  }
}

}  // namespace

int serve_command(int argc, char** argv) {
  server::serve_settings a;
  bool quiet = false;
  CLI::App app{"The built-in target: an HTTP/1.1 server whose handlers wait asynchronously, like an API.\n"
               "Routes: GET / -> \"hello\", /delay/<duration>, /status/<code>, /bytes/<n>, POST /echo,\n"
               "/stream/<n>?interval=<d>, /jitter?median=<d>&p99=<d>, POST /login, /headers, /cookies,\n"
               "/metrics (Prometheus). Durations: 250ms, 1.5s, 2m, 500us (a bare number is seconds).\n"
               "Sizes: 512, 64k (1000s), 64KiB (1024s), 1MiB. SIGINT/SIGTERM: finish what is in flight, then\n"
               "stop (a second signal stops at once).",
               "barrage serve"};
  add_serve_options(app, a, quiet);
  server::server_options opts;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error("barrage serve", e.what());
  }
  auto made = server::make_server_options(a);
  if (!made) return usage_error("barrage serve", made.error());
  opts = std::move(*made);
  return serve(opts, quiet);
}

}  // namespace barrage::apps
