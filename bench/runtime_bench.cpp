// The runtime's costs, each beside a baseline that does the same job without it:
//
//   task create+await+complete      vs a direct (non-inlined) function call
//   spawn+join (one loop turn)      vs one loop turn (yield_now)
//   spawn 1000, join 1000           vs awaiting the same 1000 tasks one by one
//   when_all over 1000 tasks        vs awaiting the same 1000 tasks one by one
//   timer insert+cancel             vs std::multiset insert+erase (with 0 / 10k timers queued)
//   event_loop add_timer+cancel     (the same through the loop)
//   call_soon_threadsafe round trip vs a futex ping-pong between two threads
//   to_thread round trip            vs the same pool's job waited with std::future
//   bytes per suspended task        vs bytes per blocked std::thread (counters)
//
//   bench_runtime [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "runtime/runtime.hpp"
#include "runtime/timer_queue.hpp"

using namespace barrage;

namespace {

// --- task create + await + complete ---------------------------------------------------

__attribute__((noinline)) int plain_leaf(int x) {
  benchmark::DoNotOptimize(x);
  return x + 1;
}

task<int> leaf(int x) { co_return x + 1; }

void BM_direct_call(benchmark::State& st) {
  int x = 0;
  for (auto _ : st) x = plain_leaf(x);
  benchmark::DoNotOptimize(x);
}
BENCHMARK(BM_direct_call);

void BM_task_create_await_complete(benchmark::State& st) {
  auto body = [](benchmark::State& st) -> task<void> {
    int x = 0;
    for (auto _ : st) x = co_await leaf(x);
    benchmark::DoNotOptimize(x);
  };
  sync_wait(body(st));
}
BENCHMARK(BM_task_create_await_complete);

// --- spawn + join -----------------------------------------------------------------------

void BM_loop_turn_yield(benchmark::State& st) {
  auto body = [](benchmark::State& st) -> task<void> {
    for (auto _ : st) co_await yield_now{};
  };
  sync_wait(body(st));
}
BENCHMARK(BM_loop_turn_yield);

void BM_spawn_join(benchmark::State& st) {
  auto body = [](benchmark::State& st) -> task<void> {
    for (auto _ : st) {
      int v = co_await spawn(leaf(1));
      benchmark::DoNotOptimize(v);
    }
  };
  sync_wait(body(st));
}
BENCHMARK(BM_spawn_join);

void BM_spawn_join_batch(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0));
  auto body = [](benchmark::State& st, int n) -> task<void> {
    std::vector<join_handle<int>> hs;
    hs.reserve(static_cast<std::size_t>(n));
    for (auto _ : st) {
      for (int i = 0; i < n; ++i) hs.push_back(spawn(leaf(i)));
      int sum = 0;
      for (auto& h : hs) sum += co_await h;
      hs.clear();
      benchmark::DoNotOptimize(sum);
    }
  };
  sync_wait(body(st, n));
  st.SetItemsProcessed(st.iterations() * n);
}
BENCHMARK(BM_spawn_join_batch)->Arg(1000);

// --- when_all over 1000 tasks -------------------------------------------------------

void BM_sequential_await(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0));
  auto body = [](benchmark::State& st, int n) -> task<void> {
    for (auto _ : st) {
      std::vector<task<int>> ts;
      ts.reserve(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) ts.push_back(leaf(i));
      int sum = 0;
      for (auto& t : ts) sum += co_await t;
      benchmark::DoNotOptimize(sum);
    }
  };
  sync_wait(body(st, n));
  st.SetItemsProcessed(st.iterations() * n);
}
BENCHMARK(BM_sequential_await)->Arg(1000);

void BM_when_all(benchmark::State& st) {
  const int n = static_cast<int>(st.range(0));
  auto body = [](benchmark::State& st, int n) -> task<void> {
    for (auto _ : st) {
      std::vector<task<int>> ts;
      ts.reserve(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) ts.push_back(leaf(i));
      auto v = co_await when_all(std::move(ts));
      benchmark::DoNotOptimize(v.data());
    }
  };
  sync_wait(body(st, n));
  st.SetItemsProcessed(st.iterations() * n);
}
BENCHMARK(BM_when_all)->Arg(1000);

// --- timers ----------------------------------------------------------------------------
// Arg 0: timers already queued. Arg 1: 0 = the new deadline is the latest (a timeout, the
// common case), 1 = a random deadline among the queued ones.

std::vector<std::int64_t> random_offsets(std::size_t n, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<std::int64_t> v(n);
  for (auto& x : v) x = static_cast<std::int64_t>(rng() % 10'000'000);  // up to 10 ms
  return v;
}

void BM_multiset_insert_erase(benchmark::State& st) {
  const auto queued = static_cast<std::size_t>(st.range(0));
  const bool random = st.range(1) != 0;
  std::multiset<std::pair<time_point, const void*>> s;
  auto bg = random_offsets(queued, 1);
  std::vector<char> owners(queued);
  time_point base = now();
  for (std::size_t i = 0; i < queued; ++i) s.emplace(base + std::chrono::nanoseconds(bg[i]), &owners[i]);
  auto offs = random_offsets(4096, 2);
  std::size_t i = 0;
  char me = 0;
  for (auto _ : st) {
    time_point d = random ? base + std::chrono::nanoseconds(offs[i++ & 4095]) : base + 30s;
    auto it = s.emplace(d, &me);
    s.erase(it);
  }
}
BENCHMARK(BM_multiset_insert_erase)->Args({0, 0})->Args({10000, 0})->Args({10000, 1});

void BM_timer_queue_insert_cancel(benchmark::State& st) {
  const auto queued = static_cast<std::size_t>(st.range(0));
  const bool random = st.range(1) != 0;
  timer_queue q;
  std::vector<timer_node> bg(queued);
  auto bgo = random_offsets(queued, 1);
  time_point base = now();
  for (std::size_t i = 0; i < queued; ++i) {
    bg[i].deadline = base + std::chrono::nanoseconds(bgo[i]);
    q.insert(bg[i]);
  }
  auto offs = random_offsets(4096, 2);
  std::size_t i = 0;
  timer_node t;
  for (auto _ : st) {
    t.deadline = random ? base + std::chrono::nanoseconds(offs[i++ & 4095]) : base + 30s;
    q.insert(t);
    q.cancel(t);
  }
}
BENCHMARK(BM_timer_queue_insert_cancel)->Args({0, 0})->Args({10000, 0})->Args({10000, 1});

void BM_event_loop_add_cancel_timer(benchmark::State& st) {
  const auto queued = static_cast<std::size_t>(st.range(0));
  event_loop loop;
  std::vector<timer_node> bg(queued);
  auto bgo = random_offsets(queued, 1);
  time_point base = loop.now() + 1h;  // never due while measuring
  for (std::size_t i = 0; i < queued; ++i) loop.add_timer(bg[i], base + std::chrono::nanoseconds(bgo[i]));
  timer_node t;
  for (auto _ : st) {
    loop.add_timer(t, base + 2h);
    loop.cancel_timer(t);
  }
  for (auto& n : bg) loop.cancel_timer(n);
}
BENCHMARK(BM_event_loop_add_cancel_timer)->Arg(0)->Arg(10000);

// --- cross-thread wake -------------------------------------------------------------------

/// A loop running on its own thread until stopped.
class loop_thread {
 public:
  loop_thread() {
    thread_ = std::thread([this] {
      event_loop loop;
      loop_.store(&loop);
      while (!stop_.load()) loop.run_once();
      loop_.store(nullptr);
    });
    while (!loop_.load()) std::this_thread::yield();
  }
  ~loop_thread() {
    stop_.store(true);
    loop_.load()->call_soon_threadsafe([] {});
    thread_.join();
  }
  event_loop& loop() { return *loop_.load(); }

 private:
  std::atomic<event_loop*> loop_{nullptr};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

void BM_futex_ping_pong(benchmark::State& st) {
  std::atomic<int> ping{0}, pong{0};
  std::atomic<bool> stop{false};
  std::thread other([&] {
    int seen = 0;
    for (;;) {
      ping.wait(seen);
      seen = ping.load();
      if (stop.load()) return;
      pong.store(seen);
      pong.notify_one();
    }
  });
  int n = 0;
  for (auto _ : st) {
    ping.store(++n);
    ping.notify_one();
    while (pong.load() != n) pong.wait(n - 1);
  }
  stop.store(true);
  ping.store(-1);
  ping.notify_one();
  other.join();
}
BENCHMARK(BM_futex_ping_pong)->UseRealTime();

void BM_call_soon_threadsafe_round_trip(benchmark::State& st) {
  loop_thread lt;
  std::atomic<int> done{0};
  int n = 0;
  for (auto _ : st) {
    ++n;
    lt.loop().call_soon_threadsafe([&done, n] {
      done.store(n);
      done.notify_one();
    });
    while (done.load() != n) done.wait(n - 1);
  }
}
BENCHMARK(BM_call_soon_threadsafe_round_trip)->UseRealTime();

void BM_pool_job_with_future(benchmark::State& st) {
  thread_pool& pool = thread_pool::shared();
  for (auto _ : st) {
    std::promise<int> p;
    auto f = p.get_future();
    pool.submit([&p] { p.set_value(1); });
    benchmark::DoNotOptimize(f.get());
  }
}
BENCHMARK(BM_pool_job_with_future)->UseRealTime();

void BM_to_thread_round_trip(benchmark::State& st) {
  auto body = [](benchmark::State& st) -> task<void> {
    for (auto _ : st) {
      int v = co_await to_thread([] { return 1; });
      benchmark::DoNotOptimize(v);
    }
  };
  sync_wait(body(st));
}
BENCHMARK(BM_to_thread_round_trip)->UseRealTime();

// --- memory per suspended task ---------------------------------------------------------

long rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * ::sysconf(_SC_PAGESIZE);
}
long heap_bytes() {
  struct mallinfo2 m = ::mallinfo2();
  return static_cast<long>(m.uordblks + m.hblkhd);
}

task<void> sleeper() { co_await sleep_for(1h); }

/// Arg: tasks suspended at once. Runs on a fresh thread, so no frame is recycled from an
/// earlier benchmark's cache.
void BM_bytes_per_suspended_task(benchmark::State& st) {
  const long n = st.range(0);
  double heap_per = 0, rss_per = 0;
  for (auto _ : st) {
    std::thread([&] {
      event_loop loop;
      long heap0 = heap_bytes(), rss0 = rss_bytes();
      for (long i = 0; i < n; ++i) spawn(loop, sleeper()).detach();
      loop.run_once(0ms);  // every task runs to its sleep
      heap_per = static_cast<double>(heap_bytes() - heap0) / static_cast<double>(n);
      rss_per = static_cast<double>(rss_bytes() - rss0) / static_cast<double>(n);
      loop.cancel_all_and_drain(10s);
    }).join();
  }
  st.counters["heap_B_per_task"] = heap_per;
  st.counters["rss_B_per_task"] = rss_per;
}
BENCHMARK(BM_bytes_per_suspended_task)->Arg(100'000)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

/// The baseline: one OS thread per concurrent job, blocked on a condition variable.
void BM_bytes_per_blocked_thread(benchmark::State& st) {
  const long n = st.range(0);
  double rss_per = 0;
  for (auto _ : st) {
    std::mutex m;
    std::condition_variable cv;
    bool go = false;
    std::atomic<long> waiting{0};
    long rss0 = rss_bytes();
    std::vector<std::thread> ts;
    ts.reserve(static_cast<std::size_t>(n));
    for (long i = 0; i < n; ++i)
      ts.emplace_back([&] {
        std::unique_lock lock(m);
        waiting.fetch_add(1);
        cv.wait(lock, [&] { return go; });
      });
    while (waiting.load() < n) std::this_thread::yield();
    rss_per = static_cast<double>(rss_bytes() - rss0) / static_cast<double>(n);
    {
      std::lock_guard lock(m);
      go = true;
    }
    cv.notify_all();
    for (auto& t : ts) t.join();
  }
  st.counters["rss_B_per_thread"] = rss_per;
}
BENCHMARK(BM_bytes_per_blocked_thread)->Arg(1000)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
