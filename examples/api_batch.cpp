// api_batch: 100 "requests" of 1 s each — 0.8 s waiting on I/O (sleep_for) and 0.2 s of
// real CPU work sent to a thread pool with to_thread. The waits overlap completely; the CPU
// work is shared by the pool's threads (no more of them run at once than there are cores).
// So the batch takes about 0.8 s + 100 x 0.2 s / min(pool threads, cores).
//
//   example_api_batch [--quick] [--requests N] [--io-ms MS] [--cpu-ms MS]
//   --quick: 20 requests of 200 ms I/O + 20 ms CPU (for the integration test)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "runtime/runtime.hpp"

using namespace barrage;

namespace {

/// A CPU-bound loop the optimiser cannot remove.
std::uint64_t burn(std::uint64_t iterations) {
  std::uint64_t x = 88172645463325252ull;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    asm volatile("" : "+r"(x));
  }
  return x;
}

/// Iterations of burn() that take `target` on this machine (best of a few tries).
std::uint64_t calibrate(duration target) {
  constexpr std::uint64_t probe = 2'000'000;
  double best = 1e9;
  for (int i = 0; i < 5; ++i) {
    auto t0 = now();
    burn(probe);
    best = std::min(best, to_seconds(now() - t0));
  }
  return static_cast<std::uint64_t>(static_cast<double>(probe) * to_seconds(target) / best);
}

struct config {
  int requests = 100;
  duration io = 800ms;
  duration cpu = 200ms;
};

task<double> request(duration io, std::uint64_t cpu_iterations) {
  auto t0 = now();
  co_await sleep_for(io);                                            // waiting on the network
  co_await to_thread([cpu_iterations] { return burn(cpu_iterations); });  // parsing, hashing...
  co_return to_seconds(now() - t0);
}

task<double> batch(const config& c, std::uint64_t cpu_iterations) {
  std::vector<task<double>> ts;
  for (int i = 0; i < c.requests; ++i) ts.push_back(request(c.io, cpu_iterations));
  auto t0 = now();
  auto each = co_await when_all(std::move(ts));
  double elapsed = to_seconds(now() - t0);
  auto [lo, hi] = std::minmax_element(each.begin(), each.end());
  std::printf("fastest request %.3f s, slowest %.3f s\n", *lo, *hi);
  co_return elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  config c;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) {
      c.requests = 20;
      c.io = 200ms;
      c.cpu = 20ms;
    } else if (!std::strcmp(argv[i], "--requests") && i + 1 < argc) {
      c.requests = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--io-ms") && i + 1 < argc) {
      c.io = std::chrono::milliseconds(std::atoi(argv[++i]));
    } else if (!std::strcmp(argv[i], "--cpu-ms") && i + 1 < argc) {
      c.cpu = std::chrono::milliseconds(std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--requests N] [--io-ms MS] [--cpu-ms MS]\n", argv[0]);
      return 2;
    }
  }
  std::uint64_t iterations = calibrate(c.cpu);
  auto t0 = now();
  burn(iterations);
  double cpu_s = to_seconds(now() - t0);

  std::size_t threads = thread_pool::shared().size();
  std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
  std::size_t parallel = std::min(threads, cores);
  double io_s = to_seconds(c.io);
  double expected = io_s + c.requests * cpu_s / static_cast<double>(parallel);

  std::printf("%d requests, each %.3f s I/O wait + %.3f s CPU (calibrated: %llu iterations)\n", c.requests, io_s,
              cpu_s, static_cast<unsigned long long>(iterations));
  std::printf("to_thread pool: %zu threads on %zu cores\n", threads, cores);
  double elapsed = sync_wait(batch(c, iterations));
  std::printf("elapsed %.3f s, expected %.3f s (= %.3f + %d x %.3f / %zu); one after another: %.1f s\n", elapsed,
              expected, io_s, c.requests, cpu_s, parallel, c.requests * (io_s + cpu_s));
  return 0;
}
