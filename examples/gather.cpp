// gather: ten concurrent "API requests", each 0.5 s of simulated I/O, finish in about
// 0.5 s rather than 5 s — the asyncio.gather example of the reference document, in C++.
//
//   $ example_gather
//   request 0: 200 OK after 0.500 s
//   ...
//   10 requests x 0.5 s of I/O: elapsed 0.501 s (one after another: 5.0 s)
#include <cstdio>
#include <string>
#include <vector>

#include "runtime/runtime.hpp"

using namespace barrage;

namespace {

struct response {
  int id;
  int status;
  double seconds;
};

/// One "API request": the server takes 0.5 s to answer (sleep_for stands in for the I/O).
task<response> fetch(int id, duration io) {
  auto t0 = now();
  co_await sleep_for(io);
  co_return response{id, 200, to_seconds(now() - t0)};
}

task<double> run(int n, duration io) {
  std::vector<task<response>> requests;
  for (int i = 0; i < n; ++i) requests.push_back(fetch(i, io));
  auto t0 = now();
  std::vector<response> responses = co_await gather(std::move(requests));
  double elapsed = to_seconds(now() - t0);
  for (const response& r : responses) std::printf("request %d: %d OK after %.3f s\n", r.id, r.status, r.seconds);
  co_return elapsed;
}

}  // namespace

int main() {
  constexpr int n = 10;
  constexpr auto io = 500ms;
  double elapsed = sync_wait(run(n, io));
  std::printf("%d requests x %.1f s of I/O: elapsed %.3f s (one after another: %.1f s)\n", n, to_seconds(io), elapsed,
              n * to_seconds(io));
  return 0;
}
