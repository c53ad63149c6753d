// `barrage serve`: the built-in target as a standalone HTTP/1.1 server.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>

#include "apps/cli_errors.hpp"
#include "apps/commands.hpp"
#include "net/fd_limit.hpp"
#include "runtime/spawn.hpp"
#include "server/builtin_target.hpp"
#include "server/serve_options.hpp"
#include "server/serve_tls_options.hpp"
#include "server/server.hpp"
#include "server/signal_watch.hpp"
#include "server/ws_options.hpp"

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

/// The WebSocket routes' limits (/ws/echo, /ws/feed).
void add_ws_options(CLI::App& app, server::ws_serve_settings& w) {
  text_option(app, "--ws-max-message", w.max_message,
              "WebSocket: largest message (fragments joined), 125 bytes-64MiB; larger closes with 1009")
      ->type_name("SIZE")
      ->default_str("1MiB");
  text_option(app, "--ws-ping-interval", w.ping_interval,
              "WebSocket: ping a client after this long without a frame from it")
      ->type_name("DURATION")
      ->default_str("30s");
  text_option(app, "--ws-ping-timeout", w.ping_timeout,
              "WebSocket: close (1001) a client that sends nothing for this long after a ping")
      ->type_name("DURATION")
      ->default_str("10s");
}

/// HTTPS: --tls-cert/--tls-key, or a self-signed certificate made now.
void add_tls_options(CLI::App& app, server::serve_tls_settings& t) {
  text_option(app, "--tls-cert", t.cert, "Serve HTTPS with this certificate (PEM, may hold the chain); with --tls-key")
      ->type_name("FILE");
  text_option(app, "--tls-key", t.key, "The private key of --tls-cert (PEM)")->type_name("FILE");
  app.add_flag("--tls-self-signed", t.self_signed,
               "Serve HTTPS with a certificate made in memory at start (ECDSA P-256); its SHA-256 fingerprint is "
               "printed");
  app.add_option("--tls-name", t.names,
                 "A name of the --tls-self-signed certificate (host name or IP address), repeatable; default "
                 "localhost, 127.0.0.1, ::1")
      ->type_name("NAME")
      ->allow_extra_args(false);
  text_option(app, "--tls-cert-out", t.cert_out,
              "Write the --tls-self-signed certificate (PEM) here, for a client's --cacert")
      ->type_name("FILE");
  text_option(app, "--tls-client-ca", t.client_ca,
              "HTTPS: require a client certificate signed by a CA of this PEM file (mutual TLS)")
      ->type_name("FILE");
  text_option(app, "--tls-min", t.min, "HTTPS: the lowest TLS version accepted, 1.2 or 1.3")
      ->default_str("1.2")
      ->type_name("VERSION");
  text_option(app, "--tls-max", t.max, "HTTPS: the highest TLS version accepted, 1.2 or 1.3")
      ->default_str("1.3")
      ->type_name("VERSION");
  text_option(app, "--ciphers", t.ciphers, "HTTPS: TLS 1.2 ciphers, OpenSSL's list syntax; default OpenSSL's")
      ->type_name("LIST");
  text_option(app, "--tls13-ciphers", t.tls13_ciphers,
              "HTTPS: TLS 1.3 cipher suites, e.g. TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256")
      ->type_name("LIST");
  text_option(app, "--tls-handshake-timeout", t.handshake_timeout,
              "HTTPS: time for a client's TLS handshake (counted in /metrics when it fails or runs out)")
      ->type_name("DURATION")
      ->default_str("10s");
}

/// The server's TLS context from the plan (and the self-signed certificate written out): the
/// lines to print at start, or the error (a setup failure).
result<std::string, std::string> set_up_tls(const server::serve_tls_plan& plan, server::server_options& opts) {
  auto ctx = net::tls_context::server(plan.options);
  if (!ctx) return fail(ctx.error());
  std::string lines;
  if (plan.self_signed) {
    std::string names;
    for (const auto& n : plan.options.self_signed_names) names += (names.empty() ? "" : ", ") + n;
    lines += "barrage serve: TLS certificate self-signed for " + names + "\n";
  } else {
    lines += "barrage serve: TLS certificate " + plan.options.cert_file + "\n";
  }
  lines += "barrage serve: SHA-256 fingerprint " + ctx->fingerprint() + "\n";
  if (!plan.cert_out.empty()) {
    std::FILE* f = std::fopen(plan.cert_out.c_str(), "w");
    const std::string& pem = ctx->certificate_pem();
    bool written = f != nullptr && std::fwrite(pem.data(), 1, pem.size(), f) == pem.size();
    int err = errno;
    if (f != nullptr && std::fclose(f) != 0 && written) {
      written = false;
      err = errno;
    }
    if (!written) return fail("cannot write --tls-cert-out \"" + plan.cert_out + "\": " + std::strerror(err));
    lines += "barrage serve: certificate written to " + plan.cert_out + " (for a client's --cacert)\n";
  }
  if (!plan.options.client_ca_file.empty())
    lines += "barrage serve: clients must present a certificate signed by " + plan.options.client_ca_file + "\n";
  opts.tls = std::move(*ctx);
  opts.tls_handshake_timeout = plan.handshake_timeout;
  return lines;
}

/// Serves until SIGINT/SIGTERM (a second one stops at once); the exit status.
int serve(server::server_options opts, const std::optional<server::serve_tls_plan>& tls, bool quiet) {
  try {
    std::string tls_lines;
    if (tls) {
      auto made = set_up_tls(*tls, opts);
      if (!made) {
        std::fprintf(stderr, "barrage serve: %s\n", made.error().c_str());
        return 1;
      }
      tls_lines = std::move(*made);
    }
    net::raise_fd_limit();
    server::signal_watch signals;  // before any thread starts: they inherit the blocked mask
    server::router routes;
    server::add_builtin_routes(routes);
    server::server srv(std::move(routes), opts);
    if (!quiet) {
      std::printf("barrage serve: listening on %s://%s (%u thread%s, up to %zu connections)\n%s",
                  opts.tls ? "https" : "http", srv.local_address().to_string().c_str(), opts.threads,
                  opts.threads == 1 ? "" : "s", opts.max_connections, tls_lines.c_str());
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
               "WebSocket /ws/echo and /ws/feed?interval=<d>&size=<n> (ws:// and wss://), /metrics (Prometheus).\n"
               "Durations: 250ms, 1.5s, 2m, 500us (a bare number is seconds).\n"
               "Sizes: 512, 64k (1000s), 64KiB (1024s), 1MiB. SIGINT/SIGTERM: finish what is in flight, then\n"
               "stop (a second signal stops at once). HTTPS (ALPN http/1.1, session tickets): --tls-cert and\n"
               "--tls-key, or --tls-self-signed.",
               "barrage serve"};
  add_serve_options(app, a, quiet);
  server::serve_tls_settings t;
  add_tls_options(app, t);
  server::ws_serve_settings ws;
  add_ws_options(app, ws);
  server::server_options opts;
  if (auto status = parse_command_line(app, argc, argv, "barrage serve")) return *status;
  auto made = server::make_server_options(a);
  if (!made) return usage_error("barrage serve", made.error());
  opts = std::move(*made);
  auto ws_limits = server::make_ws_limits(ws);
  if (!ws_limits) return usage_error("barrage serve", ws_limits.error());
  opts.ws = *ws_limits;
  auto tls = server::make_tls_plan(t);
  if (!tls) return usage_error("barrage serve", tls.error());
  return serve(std::move(opts), *tls, quiet);
}

}  // namespace barrage::apps
