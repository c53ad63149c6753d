// Step 1 of docs/library.md: an HTTP server that says hello, until SIGTERM or Ctrl-C.
//
//   step1_hello [ADDR:PORT]      (default 127.0.0.1:8080; port 0 picks a free one)
#include <cstdio>

#include "runtime/runtime.hpp"
#include "server/server.hpp"
#include "server/signal_watch.hpp"

using namespace barrage;

int main(int argc, char** argv) {
  server::signal_watch signals;  // SIGINT and SIGTERM become values read on the loop

  server::router routes;
  // A handler is a coroutine: it gets the request and returns the response.
  routes.get("/", [](server::request&) -> task<server::response> { co_return server::response(200, "hello\n"); });

  server::server_options opts;
  auto listen = net::socket_address::parse(argc > 1 ? argv[1] : "127.0.0.1:8080");
  if (!listen || argc > 2) {
    std::fprintf(stderr, "usage: %s [ADDR:PORT]\n", argv[0]);
    return 2;
  }
  opts.listen = *listen;
  server::server srv(std::move(routes), opts);  // listens now (a taken port throws here)
  std::fprintf(stderr, "listening on http://%s\n", srv.local_address().to_string().c_str());

  auto main_task = [&]() -> task<void> {
    auto watcher = spawn(server::stop_on_signals(srv, signals));  // the first signal: stop()
    co_await srv.serve();  // returns once stopped and the requests in flight are answered
    watcher.cancel();
  };
  sync_wait(main_task());
  return 0;
}
