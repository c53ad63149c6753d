// The HTTP/2 wrapper's cost per request, in memory: a client session and a server session
// exchanging GETs and small responses (nginx-like fields, a 12-byte body), `streams` at a
// time (h2load's -m). Both sides are timed together: what one request costs the generator and
// the server's codec, before any I/O. items/s are requests.
#include <benchmark/benchmark.h>

#include <string>
#include <variant>

#include "h2/client_session.hpp"
#include "h2/server_session.hpp"

namespace {

using namespace barrage::h2;

const field request_fields[] = {{"user-agent", "barrage/0.1"}, {"accept", "application/json"},
                                {"accept-encoding", "gzip, deflate"}};
const field response_fields[] = {{"server", "nginx/1.22.1"}, {"date", "Tue, 25 Nov 2025 17:39:00 GMT"},
                                 {"content-type", "text/html"}, {"content-length", "12"},
                                 {"last-modified", "Mon, 24 Nov 2025 10:00:00 GMT"}, {"etag", "\"6740f0e0-c\""},
                                 {"accept-ranges", "bytes"}};

bool drain_output(client_session& c, server_session& s) {
  bool moved = false;
  for (;;) {
    auto out = c.take_output();
    if (!out.ok() || out->empty()) break;
    moved = true;
    if (!s.feed(*out).ok()) return false;
  }
  for (const event& e : s.events())
    if (const auto* end = std::get_if<stream_end>(&e))
      (void)s.respond(end->stream, {.status = 200, .fields = response_fields, .body = "hello world\n"});
  s.clear_events();
  for (;;) {
    auto out = s.take_output();
    if (!out.ok() || out->empty()) break;
    moved = true;
    if (!c.feed(*out).ok()) return false;
  }
  return moved;
}

void exchange(benchmark::State& state) {
  const auto streams = static_cast<int>(state.range(0));
  client_session c({.keep_data_bytes = false});
  server_session s({.max_concurrent_streams = 1000});
  std::size_t done = 0;
  for (auto _ : state) {
    for (int i = 0; i < streams; ++i)
      if (!c.submit({.authority = "example.com:8080", .path = "/api/items?page=2", .fields = request_fields}).ok()) {
        state.SkipWithError("submit failed");
        return;
      }
    while (c.open_streams() > 0)
      if (!drain_output(c, s)) break;
    for (const event& e : c.events()) done += std::holds_alternative<stream_closed>(e);
    c.clear_events();
    // Stream ids run out after 2^30 requests: a new connection, as a generator would open.
    if (done > (1u << 29)) {
      c = client_session({.keep_data_bytes = false});
      s = server_session({.max_concurrent_streams = 1000});
      done = 0;
    }
  }
  state.SetItemsProcessed(state.iterations() * streams);
}

}  // namespace

BENCHMARK(exchange)->Arg(1)->Arg(10)->Arg(100);

BENCHMARK_MAIN();
