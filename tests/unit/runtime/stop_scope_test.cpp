// Cancellation: stop_scope, and how a stop request reaches the suspension points.
#include "runtime/stop_scope.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "runtime/async_event.hpp"
#include "runtime/epoll_backend.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"
#include "runtime/when_all.hpp"

using namespace barrage;

namespace {

/// epoll underneath; records each wait the loop asks for and never blocks, so a test can
/// see whether the loop still has a timer (a finite wait) or none (a negative one).
class recording_backend final : public io_backend {
 public:
  explicit recording_backend(std::vector<duration>& waits) : waits_(&waits) {}
  const char* name() const noexcept override { return "recording"; }
  void attach(io_handle& h) override { inner_.attach(h); }
  void detach(io_handle& h) noexcept override { inner_.detach(h); }
  bool start(io_handle& h, io_op& op) noexcept override { return inner_.start(h, op); }
  void cancel(io_handle& h, io_op& op) noexcept override { inner_.cancel(h, op); }
  void poll(duration timeout, io_sink& sink) override {
    waits_->push_back(timeout);
    inner_.poll(duration::zero(), sink);
  }
  void wake() noexcept override { inner_.wake(); }

 private:
  epoll_backend inner_;
  std::vector<duration>* waits_;
};

event_loop::options quiet() {
  event_loop::options o;
  o.monitor_lag = false;
  return o;
}

enum class ending { none, value, cancelled };

task<void> sleep_recording(duration d, ending& how) {
  try {
    co_await sleep_for(d);
    how = ending::value;
  } catch (const operation_cancelled&) {
    how = ending::cancelled;
    throw;
  }
}

}  // namespace

// --- stop_scope on its own ---------------------------------------------------------------

TEST(stop_scope, a_request_with_nothing_armed_stays_pending_until_taken) {
  stop_scope s("x");
  EXPECT_FALSE(s.stop_pending());
  s.request_stop();
  s.request_stop();
  EXPECT_TRUE(s.stop_pending());
  EXPECT_TRUE(s.take_pending());
  EXPECT_FALSE(s.take_pending());
}

TEST(stop_scope, an_armed_wait_is_aborted_once) {
  stop_scope s;
  int aborts = 0;
  s.arm([](void* p) noexcept { ++*static_cast<int*>(p); }, &aborts);
  s.request_stop();
  EXPECT_EQ(aborts, 1);
  EXPECT_FALSE(s.stop_pending()) << "the request was delivered, not left pending";
}

TEST(stop_scope, a_disarmed_wait_is_not_aborted) {
  stop_scope s;
  int aborts = 0;
  s.arm([](void* p) noexcept { ++*static_cast<int*>(p); }, &aborts);
  s.disarm();
  s.request_stop();
  EXPECT_EQ(aborts, 0);
  EXPECT_TRUE(s.stop_pending());
}

TEST(stop_scope, a_parents_request_goes_to_every_child_instead) {
  stop_scope parent("root");
  child_stop_scope a(&parent), b(&parent);
  parent.request_stop();
  EXPECT_TRUE(a.stop_pending());
  EXPECT_TRUE(b.stop_pending());
  EXPECT_FALSE(parent.stop_pending());
}

TEST(stop_scope, a_child_leaves_its_parent_when_destroyed) {
  stop_scope parent;
  { child_stop_scope child(&parent); }
  parent.request_stop();
  EXPECT_TRUE(parent.stop_pending());
}

TEST(stop_scope, a_child_takes_the_name_of_the_nearest_named_ancestor) {
  stop_scope root("fetcher");
  child_stop_scope mid(&root);
  child_stop_scope leaf(&mid);
  EXPECT_STREQ(leaf.name(), "fetcher");
  stop_scope anonymous;
  EXPECT_STREQ(anonymous.name(), "task");
}

TEST(stop_scope, a_child_outliving_its_parent_is_detached) {
  auto parent = std::make_unique<stop_scope>("p");
  child_stop_scope child(parent.get());
  parent.reset();
  EXPECT_STREQ(child.name(), "task");
  child.request_stop();  // no parent to touch (ASan)
  EXPECT_TRUE(child.stop_pending());
}

// --- cancellation of tasks -----------------------------------------------------------------

TEST(cancellation, a_cancelled_sleeping_task_resumes_at_once_and_its_timer_is_gone) {
  std::vector<duration> waits;
  event_loop loop(quiet(), std::make_unique<recording_backend>(waits));
  ending how = ending::none;
  auto h = spawn(loop, sleep_recording(1h, how));
  loop.run_once();
  ASSERT_FALSE(h.done());
  ASSERT_EQ(how, ending::none);
  loop.run_once();
  EXPECT_GT(waits.back(), 59min) << "the sleep's timer is the loop's next deadline";

  h.cancel();
  EXPECT_EQ(how, ending::none) << "cancel only schedules the task";
  const std::size_t polls = waits.size();
  loop.run_once();
  EXPECT_TRUE(waits.size() == polls || waits.back() == duration::zero()) << "the task was ready: no wait";
  EXPECT_EQ(how, ending::cancelled);
  EXPECT_TRUE(h.done());
  loop.run_once();
  EXPECT_LT(waits.back(), duration::zero()) << "no timer left: the loop would wait without limit";
  EXPECT_THROW(h.take(), operation_cancelled);
}

TEST(cancellation, a_task_cancelled_before_it_starts_throws_at_its_first_suspension_point) {
  std::vector<duration> waits;
  event_loop loop(quiet(), std::make_unique<recording_backend>(waits));
  bool body_ran = false;
  ending how = ending::none;
  auto body = [](bool& ran, ending& how) -> task<void> {
    ran = true;
    co_await sleep_recording(1h, how);
  };
  auto h = spawn(loop, body(body_ran, how));
  h.cancel();
  loop.run_once();
  EXPECT_TRUE(body_ran) << "code before the first suspension point runs";
  EXPECT_EQ(how, ending::cancelled);
  EXPECT_TRUE(h.done());
  loop.run_once();
  EXPECT_LT(waits.back(), duration::zero()) << "the sleep never queued a timer";
}

TEST(cancellation, cancelling_a_task_waiting_in_when_all_cancels_every_branch) {
  auto main = []() -> task<std::vector<ending>> {
    std::vector<ending> how(3, ending::none);
    auto parent = [](std::vector<ending>& how) -> task<void> {
      co_await when_all(sleep_recording(1h, how[0]), sleep_recording(2h, how[1]),
                        [](ending& h) -> task<void> {  // a nested combinator, one level down
                          co_await when_all(sleep_recording(3h, h));
                        }(how[2]));
    };
    auto h = spawn(parent(how));
    co_await sleep_for(1ms);
    h.cancel();
    EXPECT_THROW(co_await h, operation_cancelled);
    co_return how;
  };
  auto t0 = now();
  EXPECT_EQ(sync_wait(main()), (std::vector<ending>(3, ending::cancelled)));
  EXPECT_LT(now() - t0, 1s);
}

TEST(cancellation, a_request_pending_when_a_task_reaches_when_all_is_not_lost) {
  // Cancelled before it starts, the task's first suspension point is a combinator: the
  // request must not stay parked on the parent while the branches run to their end.
  auto main = []() -> task<duration> {
    std::vector<ending> how(2, ending::none);
    auto parent = [](std::vector<ending>& how) -> task<void> {
      co_await when_all(sleep_recording(300ms, how[0]), sleep_recording(300ms, how[1]));
    };
    auto t0 = now();
    auto h = spawn(parent(how));
    h.cancel();
    EXPECT_THROW(co_await h, operation_cancelled);
    EXPECT_EQ(how, (std::vector<ending>(2, ending::none))) << "the branches never started";
    co_return now() - t0;
  };
  EXPECT_LT(sync_wait(main()), 100ms);
}

TEST(cancellation, cancelling_twice_delivers_one_operation_cancelled) {
  auto main = []() -> task<int> {
    auto stubborn = []() -> task<int> {
      int caught = 0;
      try {
        co_await sleep_for(1h);
      } catch (const operation_cancelled&) {
        ++caught;
      }
      co_await sleep_for(1ms);  // the second request must not land here
      co_return caught;
    };
    auto h = spawn(stubborn());
    co_await sleep_for(1ms);
    h.cancel();
    h.cancel();
    co_return co_await h;
  };
  EXPECT_EQ(sync_wait(main()), 1);
}

TEST(cancellation, a_task_that_catches_operation_cancelled_goes_on_and_then_sleeps_normally) {
  auto main = []() -> task<std::string> {
    auto resilient = []() -> task<std::string> {
      std::string log;
      try {
        co_await sleep_for(1h);
      } catch (const operation_cancelled&) {
        log += "cancelled;";
      }
      auto t0 = now();
      co_await sleep_for(10ms);
      log += now() - t0 >= 9ms ? "slept" : "woke early";
      co_return log;
    };
    auto h = spawn(resilient());
    co_await sleep_for(1ms);
    h.cancel();
    co_return co_await h;
  };
  EXPECT_EQ(sync_wait(main()), "cancelled;slept");
}

TEST(cancellation, a_request_made_after_the_timer_fired_but_before_the_task_ran_stays_pending) {
  // Two sleeps due in the same turn: the first to run cancels the other, whose wake-up is
  // already scheduled. The other must resume once, from its sleep, and meet the request at
  // its next suspension point.
  auto main = []() -> task<std::string> {
    std::string log;
    join_handle<void> victim;
    auto canceller = [](join_handle<void>& v, std::string& log) -> task<void> {
      co_await sleep_for(5ms);
      log += "cancel;";
      v.cancel();
    };
    auto sleeper = [](std::string& log) -> task<void> {
      co_await sleep_for(5ms);
      log += "woke;";
      try {
        co_await yield_now{};
        co_await sleep_for(1ms);
        log += "not cancelled;";
      } catch (const operation_cancelled&) {
        log += "cancelled;";
      }
    };
    auto c = spawn(canceller(victim, log));
    victim = spawn(sleeper(log));
    co_await c;
    co_await victim;
    co_return log;
  };
  EXPECT_EQ(sync_wait(main()), "cancel;woke;cancelled;");
}

TEST(cancellation, a_request_made_after_an_event_woke_the_task_stays_pending) {
  auto main = []() -> task<std::string> {
    std::string log;
    async_event ev;
    auto waiter = [](async_event& ev, std::string& log) -> task<void> {
      co_await ev.wait();
      log += "woke;";
      try {
        co_await sleep_for(1ms);
      } catch (const operation_cancelled&) {
        log += "cancelled;";
      }
    };
    auto h = spawn(waiter(ev, log));
    co_await sleep_for(1ms);
    ev.set();
    h.cancel();
    co_await h;
    co_return log;
  };
  EXPECT_EQ(sync_wait(main()), "woke;cancelled;");
}

TEST(cancellation, reaches_a_sleep_several_awaits_deep) {
  struct rec {
    static task<int> depth(int n, ending& how) {
      if (n == 0) {
        co_await sleep_recording(1h, how);
        co_return 0;
      }
      co_return 1 + co_await depth(n - 1, how);
    }
  };
  auto main = []() -> task<ending> {
    ending how = ending::none;
    auto h = spawn(rec::depth(50, how));
    co_await sleep_for(1ms);
    h.cancel();
    EXPECT_THROW(co_await h, operation_cancelled);
    co_return how;
  };
  EXPECT_EQ(sync_wait(main()), ending::cancelled);
}

TEST(cancellation, cancelling_a_finished_task_does_nothing) {
  auto main = []() -> task<int> {
    auto h = spawn([]() -> task<int> { co_return 3; }());
    co_await sleep_for(1ms);
    EXPECT_TRUE(h.done());
    h.cancel();
    co_return co_await h;
  };
  EXPECT_EQ(sync_wait(main()), 3);
}
