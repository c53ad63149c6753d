// blocking: the loop's slow-step detector catches a blocking call made inside a task, and
// the application names the culprit through set_slow_step_hook. Then the same work moves
// to to_thread, and the loop stays responsive: no slow step.
//
// The reference document's pitfall: time.sleep() or requests.get() inside a coroutine
// freezes every other coroutine on the loop.
#include <algorithm>
#include <cstdio>
#include <thread>

#include "runtime/runtime.hpp"

using namespace barrage;

namespace {

/// Ticks every 10 ms and records the longest gap between ticks: what every other task on
/// the loop experiences.
task<double> heartbeat(const bool& stop) {
  double worst = 0;
  auto last = now();
  while (!stop) {
    co_await sleep_for(10ms);
    auto t = now();
    worst = std::max(worst, to_seconds(t - last));
    last = t;
  }
  co_return worst;
}

/// "Generating a report": 100 ms of blocking work, done wrongly on the loop's thread.
task<void> report_blocking() {
  co_await sleep_for(20ms);
  std::this_thread::sleep_for(100ms);  // a blocking call: the loop can do nothing else
}

/// The same work, done right: on the thread pool.
task<void> report_to_thread() {
  co_await sleep_for(20ms);
  co_await to_thread([] { std::this_thread::sleep_for(100ms); });
}

struct outcome {
  std::uint64_t slow_steps;
  double worst_gap;
  double max_lag;
};

outcome run(const char* title, task<void> (*report)()) {
  event_loop loop;
  loop.set_slow_step_hook([](const char* task_name, duration held) {
    std::printf("  slow step: task \"%s\" held the loop for %.0f ms (threshold 20 ms)\n", task_name,
                to_seconds(held) * 1e3);
  });
  std::printf("%s\n", title);
  auto main = [](task<void> (*report)()) -> task<double> {
    bool stop = false;
    auto beat = spawn(heartbeat(stop), "heartbeat");
    co_await spawn(report(), "report-generator");
    co_await sleep_for(20ms);
    stop = true;
    co_return co_await beat;
  };
  double worst = loop.run(main(report));
  auto m = loop.metrics().snapshot();
  std::printf("  slow steps: %llu; longest heartbeat gap: %.0f ms; max loop lag: %.0f ms\n",
              static_cast<unsigned long long>(m.slow_steps), worst * 1e3, m.lag_max_s * 1e3);
  return {m.slow_steps, worst, m.lag_max_s};
}

}  // namespace

int main() {
  outcome bad = run("1. blocking call inside a task:", &report_blocking);
  outcome good = run("2. the same work through to_thread:", &report_to_thread);
  std::printf("summary: blocking %llu slow step(s), to_thread %llu slow step(s)\n",
              static_cast<unsigned long long>(bad.slow_steps), static_cast<unsigned long long>(good.slow_steps));
  return 0;
}
