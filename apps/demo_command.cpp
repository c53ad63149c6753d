// `barrage demo`: the built-in target in-process on an ephemeral loopback port, and a run
// against it: the whole product with no setup.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>

#include "apps/cli_errors.hpp"
#include "apps/commands.hpp"
#include "base/option_values.hpp"
#include "base/units.hpp"
#include "loadgen/options.hpp"
#include "loadgen/engine.hpp"
#include "loadgen/report_text.hpp"
#include "loadgen/scenario_file.hpp"
#include "loadgen/threshold.hpp"
#include "net/tls_context.hpp"
#include "runtime/spawn.hpp"
#include "server/builtin_target.hpp"
#include "server/server.hpp"

namespace barrage::apps {
namespace {

/// The self-signed certificate's PEM in a temporary file (the generator's --cacert takes a
/// file), removed with the object.
class temp_pem {
 public:
  explicit temp_pem(const std::string& pem) {
    char name[] = "/tmp/barrage-demo-cert-XXXXXX";
    const int fd = ::mkstemp(name);
    if (fd < 0) return;
    path_ = name;
    std::size_t off = 0;
    while (off < pem.size()) {
      const ssize_t n = ::write(fd, pem.data() + off, pem.size() - off);
      if (n <= 0) break;
      off += static_cast<std::size_t>(n);
    }
    ::close(fd);
    if (off != pem.size()) path_.clear();
  }
  ~temp_pem() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  temp_pem(const temp_pem&) = delete;
  temp_pem& operator=(const temp_pem&) = delete;
  /// Empty when it could not be written.
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

/// --tls: the target serves a self-signed certificate (for 127.0.0.1 too) that `trusted` holds
/// in a file for the generator's --cacert. False, with the reason printed, when either fails.
bool serve_self_signed(server::server_options& so, std::optional<temp_pem>& trusted) {
  auto ctx = net::tls_context::server(net::tls_server_options{});
  if (ctx) trusted.emplace(ctx->certificate_pem());
  if (!ctx || trusted->path().empty()) {
    std::fprintf(stderr, "barrage: %s\n", ctx ? "cannot write the certificate to /tmp" : ctx.error().c_str());
    return false;
  }
  so.tls = std::move(*ctx);
  return true;
}

/// --scenario: examples/scenarios/login_then_api.yaml's flow against the target at `base_url`:
/// POST /login, then the API with the captured token.
result<std::shared_ptr<const loadgen::scenario>, std::string> login_scenario(const std::string& base_url) {
  const std::string text = "base_url: " + base_url + R"(
flows:
  - name: login_then_api
    steps:
      - name: login
        method: POST
        path: /login
        body:
          json: {user: "user{{user}}", password: "secret"}
        capture:
          token: {json: /token}
        expect: {status: 200, captures: [token]}
      - name: items
        path: /api/items
        headers: {Authorization: "Bearer {{token}}"}
        capture:
          first_id: {json: /items/0/id}
        expect: {status: 200, captures: [first_id]}
      - name: item
        path: /api/items/{{first_id}}
        headers: {Authorization: "Bearer {{token}}"}
        expect: {status: 200}
)";
  auto no_files = [](const std::string& path) -> result<std::string, std::string> { return fail("no file " + path); };
  auto s = loadgen::parse_scenario(text, "demo", loadgen::scenario_syntax::yaml, no_files);
  if (!s) return fail(s.error().to_string());
  return std::make_shared<const loadgen::scenario>(std::move(*s));
}

// What `barrage demo` was asked for, after its command line is checked.
struct demo_options {
  duration run_time = std::chrono::seconds(5);
  unsigned connections = 500;
  unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, loadgen::max_threads);
  std::string path = "/delay/20ms";
  bool scenario = false;
  bool tls = false;
};

// The command line into `o`; an exit status when the program must stop (--help, a usage error).
std::optional<int> read_demo_options(int argc, char** argv, demo_options& o) {
  CLI::App app("barrage demo: starts the built-in target on 127.0.0.1 (an ephemeral port) and load-tests it.",
               "barrage demo");
  std::optional<std::string> length_text, connections_text, threads_text, path_text;
  text_option(app, "-d,--duration", length_text, "Run time above 0")->default_str("5s")
      ->type_name("DURATION");
  text_option(app, "-c,--connections", connections_text, "Concurrent connections, 1-10M")->default_str("500")
      ->type_name("N");
  text_option(app, "-t,--threads", threads_text, "Generator threads, 1-1024; default: the number of cores")
      ->type_name("N");
  text_option(app, "--path", path_text, "Path on the built-in target, e.g. /delay/20ms, /jitter?median=5ms&p99=50ms")
      ->default_str("/delay/20ms")
      ->type_name("PATH");
  app.add_flag("--scenario", o.scenario,
               "Run the login flow instead of --path: each virtual user POSTs /login, then calls /api/items and "
               "/api/items/{id} with the token it captured (examples/scenarios/login_then_api.yaml)");
  app.add_flag("--tls", o.tls,
               "Over HTTPS: the target serves a self-signed certificate made at start, which the generator "
               "trusts (as --cacert), not -k");
  app.footer("Exit status: 0 ok, 1 the run could not be carried out, 2 bad command line.");
  if (auto status = parse_command_line(app, argc, argv, "barrage demo")) return status;
  option_reader in;
  in.read("--duration", length_text, loadgen::parse_run_time, o.run_time);
  in.read("--connections", connections_text, loadgen::parse_connections, o.connections);
  in.read("--threads", threads_text, loadgen::parse_threads, o.threads);
  in.read("--path", path_text, loadgen::parse_request_path, o.path);
  if (in.error()) return usage_error("barrage demo", *in.error());
  return std::nullopt;
}

// Starts the built-in target on its own thread, runs the load against it, prints the report.
int run_demo(const demo_options& o) {
  server::router routes;
  server::add_builtin_routes(routes);
  server::server_options so;
  so.listen = *net::socket_address::parse("127.0.0.1:0");
  so.max_connections = o.connections + 64;
  std::optional<temp_pem> trusted;
  if (o.tls && !serve_self_signed(so, trusted)) return loadgen::exit_runtime_error;
  std::unique_ptr<server::server> target;
  try {
    target = std::make_unique<server::server>(std::move(routes), so);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "barrage: %s\n", e.what());
    return loadgen::exit_runtime_error;
  }
  std::thread serving([&] { sync_wait(target->serve()); });

  const std::string origin = (o.tls ? "https://" : "http://") + target->local_address().to_string();
  loadgen::run_config cfg;
  cfg.url = origin + o.path;
  if (o.tls) cfg.tls.ca_file = trusted->path();
  if (o.scenario) {
    cfg.url.clear();
    auto s = login_scenario(origin);
    if (!s) {
      std::fprintf(stderr, "barrage: %s\n", s.error().c_str());
      target->stop();
      serving.join();
      return loadgen::exit_runtime_error;
    }
    cfg.scenario = std::move(*s);
  }
  cfg.connections = o.connections;
  cfg.run_time = o.run_time;
  cfg.has_duration = true;
  cfg.threads = o.threads;
  std::printf("barrage demo: built-in target on %s, %u connections for %s against %s\n",
              target->local_address().to_string().c_str(), o.connections, format_duration(o.run_time).c_str(),
              o.scenario ? "the login flow (POST /login, GET /api/items, GET /api/items/{id})" : o.path.c_str());
  if (o.tls)
    std::printf("barrage demo: over HTTPS, self-signed certificate (SHA-256 %s) trusted by the generator\n",
                so.tls->fingerprint().c_str());
  std::printf("\n");
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

}  // namespace

int demo_command(int argc, char** argv) {
  demo_options o;
  if (auto status = read_demo_options(argc, argv, o)) return *status;
  return run_demo(o);
}

}  // namespace barrage::apps
