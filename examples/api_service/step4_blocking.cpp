// Step 4 of docs/library.md: blocking work belongs on a thread, and /metrics shows when it
// is not. GET /reports/{id} runs a "database query" that blocks its thread for 50 ms (a
// synchronous driver): through to_thread by default, or on the loop itself with --block-loop,
// the mistake. GET /ping answers at once; under --block-loop it waits behind every query.
// GET /metrics (the server's own page) has barrage_event_loop_lag_seconds and
// barrage_event_loop_slow_steps_total: watch them move with --block-loop.
//
//   step4_blocking [--block-loop] [ADDR:PORT]
#include <cstdio>
#include <string_view>
#include <thread>

#include "runtime/runtime.hpp"
#include "server/server.hpp"
#include "server/signal_watch.hpp"

using namespace barrage;

namespace {

/// The driver's call: blocks the calling thread.
std::string query_database(std::string id) {
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return "{\"id\": \"" + id + "\", \"rows\": 42}";
}

task<server::response> report(bool block_loop, server::request& r) {
  std::string id(r.param("id"));
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    co_return server::response(400, "{\"error\": \"invalid id\"}", server::application_json);
  std::string rows;
  if (block_loop) {
    rows = query_database(id);  // WRONG: the loop stops for 50 ms; every other request waits
  } else {
    auto query = [id] { return query_database(id); };  // named before co_await (GCC 12)
    rows = co_await to_thread(query);  // right: a pool thread blocks; the loop goes on
  }
  co_return server::response(200, std::move(rows), server::application_json);
}

}  // namespace

int main(int argc, char** argv) {
  bool block_loop = false;
  const char* where = "127.0.0.1:8080";
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--block-loop") block_loop = true;
    else where = argv[i];
  }
  auto listen = net::socket_address::parse(where);
  if (!listen) {
    std::fprintf(stderr, "usage: %s [--block-loop] [ADDR:PORT]\n", argv[0]);
    return 2;
  }
  server::signal_watch signals;
  server::router routes;
  routes.get("/reports/{id}", [block_loop](server::request& r) { return report(block_loop, r); });
  routes.get("/ping", [](server::request&) -> task<server::response> { co_return server::response(200, "pong\n"); });
  server::server_options opts;
  opts.listen = *listen;
  opts.expose_metrics = true;  // the default: GET /metrics
  server::server srv(std::move(routes), opts);
  std::fprintf(stderr, "listening on http://%s%s\n", srv.local_address().to_string().c_str(),
               block_loop ? " (blocking the loop)" : "");
  auto main_task = [&]() -> task<void> {
    auto watcher = spawn(server::stop_on_signals(srv, signals));
    co_await srv.serve();
    watcher.cancel();
  };
  sync_wait(main_task());
  return 0;
}
