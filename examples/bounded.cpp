// bounded: a million tasks through an async_semaphore of 1000, then a million tasks
// sleeping at once, with what they cost in memory.
//
// The reference document's pitfall: an unbounded number of tasks (about 1 KB each in
// Python) exhausts memory; bound the concurrency instead. Part 1 bounds it the asyncio way
// (a semaphore taken before each task starts, so at most 1000 exist at a time). Part 2
// measures what a suspended task costs here by holding a million of them at once.
//
//   example_bounded [--quick] [--tasks N]     (--quick: 100,000 tasks)
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "runtime/runtime.hpp"

using namespace barrage;

namespace {

double peak_rss_mb() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) * 1024.0 / 1e6;  // ru_maxrss is in KiB on Linux
}

long current_rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}

struct stats {
  long done = 0;
  int in_flight = 0;
  int peak_in_flight = 0;
};

task<void> job(async_semaphore& sem, stats& s) {
  ++s.in_flight;
  s.peak_in_flight = std::max(s.peak_in_flight, s.in_flight);
  co_await sleep_for(1ms);  // the "request"
  --s.in_flight;
  ++s.done;
  sem.release();
}

/// Part 1: n tasks, at most `limit` alive at any moment.
task<void> bounded(long n, std::size_t limit) {
  async_semaphore sem(limit);
  stats s;
  auto t0 = now();
  for (long i = 0; i < n; ++i) {
    co_await sem.acquire();  // back-pressure: wait for a free slot before creating a task
    spawn(job(sem, s)).detach();
  }
  for (std::size_t i = 0; i < limit; ++i) co_await sem.acquire();  // the last ones finish
  double elapsed = to_seconds(now() - t0);
  std::printf("part 1: %ld tasks through a semaphore of %zu: completed %ld, peak in flight %d, %.2f s (%.0f tasks/s)\n",
              n, limit, s.done, s.peak_in_flight, elapsed, static_cast<double>(s.done) / elapsed);
  std::printf("part 1: peak RSS %.1f MB\n", peak_rss_mb());
}

/// What every sleeper shares, passed by one reference: each parameter is copied into every
/// one of the million frames.
struct wake_plan {
  time_point until;
  long woke = 0;
};

task<void> sleeper(wake_plan& plan) {
  co_await sleep_until(plan.until);
  ++plan.woke;
}

/// Part 2: n tasks suspended at the same time.
void all_at_once(long n) {
  event_loop loop;
  wake_plan plan;
  long before = current_rss_bytes();
  auto t0 = now();
  time_point until = t0 + 1s + std::chrono::microseconds(n);  // long enough to start them all
  plan.until = until;
  for (long i = 0; i < n; ++i) spawn(loop, sleeper(plan)).detach();
  loop.run_once(0ms);  // every task runs to its sleep and suspends there
  double spawn_s = to_seconds(now() - t0);
  long suspended = static_cast<long>(loop.live_tasks());
  long after = current_rss_bytes();
  double per_task = static_cast<double>(after - before) / static_cast<double>(n);
  std::printf("part 2: %ld tasks sleeping at once (spawned and suspended in %.2f s)\n", suspended, spawn_s);
  std::printf("part 2: RSS %.1f MB (+%.1f MB), %.0f bytes per suspended task\n", after / 1e6,
              (after - before) / 1e6, per_task);
  while (loop.live_tasks() > 0) loop.run_once();
  std::printf("part 2: %ld woke, all done after %.2f s; peak RSS %.1f MB\n", plan.woke, to_seconds(now() - t0),
              peak_rss_mb());
}

}  // namespace

int main(int argc, char** argv) {
  long n = 1'000'000;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) {
      n = 100'000;
    } else if (!std::strcmp(argv[i], "--tasks") && i + 1 < argc) {
      n = std::atol(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--quick] [--tasks N]\n", argv[0]);
      return 2;
    }
  }
  sync_wait(bounded(n, 1000));
  all_at_once(n);
  return 0;
}
