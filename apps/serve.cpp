// `barrage serve`: the built-in target as a standalone HTTP/1.1 server.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <system_error>

#include "base/units.hpp"
#include "net/fd_limit.hpp"
#include "runtime/spawn.hpp"
#include "server/builtin_target.hpp"
#include "server/server.hpp"
#include "server/signal_watch.hpp"

namespace barrage::apps {
namespace {

struct serve_args {
  std::string listen = "127.0.0.1:8080";
  unsigned threads = 1;
  bool quiet = false;
  std::string stall_every, stall_for;
  std::size_t max_connections = 10'000;
  std::string max_body = "1MiB", max_head = "16KiB";
  std::string head_timeout = "10s", idle_timeout = "60s", grace = "10s";
  bool no_metrics = false;
};

template <class T>
T need(const char* option, result<T, std::string> r) {
  if (!r) throw CLI::ValidationError(option, r.error());
  return std::move(*r);
}

server::server_options to_options(const serve_args& a) {
  server::server_options o;
  auto at = net::socket_address::parse(a.listen);
  if (!at)
    throw CLI::ValidationError("--listen", "\"" + a.listen + "\" is not a numeric HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080, 0.0.0.0:80)");
  o.listen = *at;
  if (a.threads == 0) throw CLI::ValidationError("--threads", "must be at least 1");
  o.threads = a.threads;
  if (a.max_connections == 0) throw CLI::ValidationError("--max-connections", "must be at least 1");
  o.max_connections = a.max_connections;
  o.max_body_bytes = need("--max-body", parse_size(a.max_body));
  o.max_head_bytes = static_cast<std::size_t>(need("--max-head", parse_size(a.max_head)));
  if (o.max_head_bytes < 1024 || o.max_head_bytes > (64u << 20)) throw CLI::ValidationError("--max-head", "must be 1KiB to 64MiB");
  o.head_timeout = need("--head-timeout", parse_duration(a.head_timeout));
  o.idle_timeout = need("--idle-timeout", parse_duration(a.idle_timeout));
  o.shutdown_grace = need("--grace", parse_duration(a.grace));
  o.expose_metrics = !a.no_metrics;
  if (a.stall_every.empty() != a.stall_for.empty())
    throw CLI::ValidationError("--stall-every and --stall-for go together");
  if (!a.stall_every.empty()) {
    o.stall.every = need("--stall-every", parse_duration(a.stall_every));
    o.stall.length = need("--stall-for", parse_duration(a.stall_for));
    if (o.stall.every <= duration::zero() || o.stall.length <= duration::zero() || o.stall.length >= o.stall.every)
      throw CLI::ValidationError("--stall-for", "must be above zero and shorter than --stall-every");
  }
  return o;
}

}  // namespace

int serve_command(int argc, char** argv) {
  serve_args a;
  CLI::App app{"The built-in target: an HTTP/1.1 server whose handlers wait asynchronously, like an API.\n"
               "Routes: GET / -> \"hello\", /delay/<duration>, /status/<code>, /bytes/<n>, POST /echo,\n"
               "/stream/<n>?interval=<d>, /jitter?median=<d>&p99=<d>, POST /login, /headers, /cookies,\n"
               "/metrics (Prometheus). Durations: 250ms, 1.5s, 2m, 500us (a bare number is seconds).\n"
               "Sizes: 512, 64k (1000s), 64KiB (1024s), 1MiB. SIGINT/SIGTERM: finish what is in flight, then\n"
               "stop (a second signal stops at once).",
               "barrage serve"};
  app.add_option("--listen,-l", a.listen, "Address to listen on (numeric; port 0 picks one)")
      ->type_name("HOST:PORT")
      ->capture_default_str();
  app.add_option("--threads,-t", a.threads, "Event loops, one thread each, sharing the port (SO_REUSEPORT)")
      ->type_name("N")
      ->capture_default_str();
  app.add_flag("--quiet,-q", a.quiet, "Print nothing but errors");
  app.add_option("--stall-every", a.stall_every,
                 "Stop answering every DURATION (with --stall-for), to show coordinated omission")
      ->type_name("DURATION");
  app.add_option("--stall-for", a.stall_for, "How long each stall lasts (requests wait, then are answered)")
      ->type_name("DURATION");
  app.add_option("--max-connections", a.max_connections, "Open connections at most (accepting pauses there)")
      ->type_name("N")
      ->capture_default_str();
  app.add_option("--max-body", a.max_body, "Largest request body; larger gets 413")
      ->type_name("SIZE")
      ->capture_default_str();
  app.add_option("--max-head", a.max_head, "Largest request head; larger gets 431")
      ->type_name("SIZE")
      ->capture_default_str();
  app.add_option("--head-timeout", a.head_timeout, "Time for a whole request head to arrive; then 408")
      ->type_name("DURATION")
      ->capture_default_str();
  app.add_option("--idle-timeout", a.idle_timeout, "Keep-alive wait for the next request")
      ->type_name("DURATION")
      ->capture_default_str();
  app.add_option("--grace", a.grace, "On SIGINT/SIGTERM, time left to requests in flight")
      ->type_name("DURATION")
      ->capture_default_str();
  app.add_flag("--no-metrics", a.no_metrics, "Do not serve GET /metrics");

  server::server_options opts;
  try {
    app.parse(argc, argv);
    opts = to_options(a);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    net::raise_fd_limit();
    server::signal_watch signals;  // before any thread starts: they inherit the blocked mask
    server::router routes;
    server::add_builtin_routes(routes);
    server::server srv(std::move(routes), opts);
    if (!a.quiet) {
      std::printf("barrage serve: listening on http://%s (%u thread%s, up to %zu connections)\n",
                  srv.local_address().to_string().c_str(), opts.threads, opts.threads == 1 ? "" : "s",
                  opts.max_connections);
      std::fflush(stdout);
    }
    const bool quiet = a.quiet;
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
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "barrage serve: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "barrage serve: %s\n", e.what());
    return 1;
  }
}

}  // namespace barrage::apps
