#include "loadgen/ws_worker.hpp"

#include <time.h>

#include "loadgen/run_resolver.hpp"
#include "loadgen/worker.hpp"
#include "net/tcp.hpp"
#include "net/tls_session.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"
#include "runtime/with_timeout.hpp"

namespace barrage::loadgen {
namespace {

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

ws_worker::ws_worker(const ws_plan& plan, unsigned connections, ramp_profile profile)
    : plan_(plan), connections_(connections), profile_(std::move(profile)),
      timeline_(plan.start, ws_timeline_seconds(plan.end - plan.start)) {
  active_target_ = plan_.config.ramp.empty() ? connections_
                                             : static_cast<unsigned>(std::lround(profile_.at(duration::zero())));
}

void ws_worker::run() {
  event_loop loop;
  {
    std::lock_guard lock(loop_mutex_);
    loop_ = &loop;
  }
  loop.run(main());
  {
    std::lock_guard lock(loop_mutex_);
    loop_ = nullptr;
  }
  cpu_s_.store(thread_cpu_seconds(), std::memory_order_relaxed);
}

void ws_worker::interrupt() {
  std::lock_guard lock(loop_mutex_);
  if (loop_) loop_->call_soon_threadsafe([this] { stop_.set(); });
}

task<void> ws_worker::set_at(async_event& e, time_point t) {
  co_await sleep_until(t);
  e.set();
}

net::resolver& ws_worker::resolver() { return run_resolver(resolver_, plan_.config); }

task<void> ws_worker::main() {
  std::vector<join_handle<void>> users;
  auto tick = spawn(ticker(), "ticker");
  join_handle<void> ramp;
  if (!plan_.config.ramp.empty()) ramp = spawn(ramp_controller(), "ramp");
  users_running_ = connections_;
  for (unsigned i = 0; i < connections_; ++i) users.push_back(spawn(user(i), "ws connection"));
  join_handle<void> end = spawn(set_at(stop_, plan_.end), "end");
  if (connections_ == 0 || plan_.interrupted.load(std::memory_order_relaxed)) stop_.set();
  co_await stop_.wait();
  end.cancel();
  stopped_at_ = mono_clock::now();
  stopping_ = true;
  target_changed_.set();
  // The sessions wait up to the grace period for their replies, then say goodbye (bounded);
  // a second beyond that, what is still running is cancelled.
  if (users_running_ == 0) users_done_.set();
  auto backstop = spawn(set_at(users_done_, stopped_at_ + plan_.config.grace_period() + std::chrono::seconds(2)),
                        "backstop");
  co_await users_done_.wait();
  backstop.cancel();
  for (auto& u : users) u.cancel();
  for (auto& u : users) {
    try {
      co_await u;
    } catch (const operation_cancelled&) {
    }
  }
  ramp.cancel();
  tick.cancel();
  timeline_.finish(std::min(stopped_at_, plan_.end));
  resolver_.reset();  // on its loop
  live_messages_.store(stats_.ws.received, std::memory_order_relaxed);
}

task<void> ws_worker::ticker() {
  for (;;) {
    co_await sleep_for(std::chrono::seconds(1));
    timeline_.at(mono_clock::now());  // a second with no event is published too
    live_messages_.store(stats_.ws.received, std::memory_order_relaxed);
    cpu_s_.store(thread_cpu_seconds(), std::memory_order_relaxed);
  }
}

task<void> ws_worker::ramp_controller() {
  for (;;) {
    co_await sleep_for(std::chrono::milliseconds(100));
    auto target = static_cast<unsigned>(std::lround(profile_.at(mono_clock::now() - plan_.start)));
    target = std::min(target, connections_);
    if (target != active_target_) {
      active_target_ = target;
      target_changed_.set();
      target_changed_.clear();
    }
  }
}

task<void> ws_worker::user(unsigned index) {
  co_await sleep_until(plan_.start);
  ws_stats& s = stats_.ws;
  duration backoff = plan_.config.ws.reconnect_backoff;
  bool again = false;  // the next open is a reconnect
  for (;;) {
    while (index >= active_target_ && !stopping_) co_await target_changed_.wait();
    if (stopping_) break;
    if (again) {
      ++s.reconnects;
      timeline_.reconnected(mono_clock::now());
    }
    auto c = co_await open();
    session_end how = session_end::dropped;
    if (c) {
      backoff = plan_.config.ws.reconnect_backoff;
      open_.fetch_add(1, std::memory_order_relaxed);
      how = co_await session(*c, index);
      open_.fetch_sub(1, std::memory_order_relaxed);
      last_done_ = mono_clock::now();
    }
    if (how == session_end::held) break;
    if (how == session_end::closed_by_us && told_to_stop(index)) {  // a ramp-down: open again when it comes back up
      again = false;
      continue;
    }
    if (!plan_.config.ws.reconnect) break;
    // Dropped, closed by the peer, failed: again after the backoff (cut short by the end).
    const time_point wake = std::min(mono_clock::now() + backoff, plan_.end);
    co_await sleep_until(wake);
    backoff = std::min<duration>(backoff * 2, max_reconnect_backoff);
    again = true;
  }
  if (--users_running_ == 0) {
    users_done_.set();
    stop_.set();
  }
}

namespace {

/// An attempt cancelled before it opened or failed (the backstop at the end, when a slow
/// connect outlives the grace period): counted as failed, "cancelled", so that attempts balance.
struct unsettled_attempt {
  ws_stats& s;
  ws_timeline_recorder& timeline;
  bool settled = false;
  ~unsettled_attempt() {
    if (settled) return;
    ++s.failed["cancelled"];
    timeline.failed(mono_clock::now());
  }
};

}  // namespace

task<std::optional<client::ws_connection>> ws_worker::open() {
  ws_stats& s = stats_.ws;
  ++s.attempts;
  unsettled_attempt guard{s, timeline_};
  const time_point start = mono_clock::now();
  const time_point deadline =
      plan_.config.connect_timeout >= no_time_limit ? time_point::max() : start + plan_.config.connect_timeout;
  std::string failure;
  auto t = co_await connect(deadline, failure);
  guard.settled = !t;
  if (!t) {
    ++s.failed[failure];
    timeline_.failed(mono_clock::now());
    co_return std::nullopt;
  }
  const std::string host = plan_.url.host_header(), target = plan_.url.target();
  client::ws_open_request req{host, target, plan_.headers};
  req.subprotocols = plan_.config.ws.subprotocols;
  auto c = co_await client::ws_connection::open(std::move(*t), req, deadline);
  guard.settled = true;
  const time_point done = mono_clock::now();
  if (!c) {
    ++s.failed[client::to_key(c.error())];
    timeline_.failed(done);
    co_return std::nullopt;
  }
  ++s.opened;
  timeline_.opened(done);
  if (!c->subprotocol().empty()) ++s.subprotocols[c->subprotocol()];
  s.handshake.record(static_cast<std::uint64_t>(to_ns(done - start)));
  co_return std::move(*c);
}

task<bool> ws_worker::next_target(net::socket_address& to, std::string& failure, time_point deadline) {
  if (!plan_.pinned.empty()) {
    to = plan_.pinned[next_address_++ % plan_.pinned.size()];
    co_return true;
  }
  if (!plan_.resolve) {
    to = plan_.target;
    co_return true;
  }
  const duration limit = std::max<duration>(deadline - mono_clock::now(), std::chrono::milliseconds(1));
  auto looked_up = co_await with_timeout(limit, resolver().resolve(plan_.url.host, plan_.url.port));
  if (!looked_up || !*looked_up || (*looked_up)->empty()) {
    failure = "dns";
    co_return false;
  }
  to = (**looked_up)[next_address_++ % (*looked_up)->size()];
  co_return true;
}

task<std::optional<net::transport>> ws_worker::connect(time_point deadline, std::string& failure) {
  net::socket_address to;
  const bool found = co_await next_target(to, failure, deadline);
  if (!found) co_return std::nullopt;
  net::connect_options opts;
  opts.timeout = plan_.config.connect_timeout;
  const time_point connect_start = mono_clock::now();
  auto c = co_await net::tcp_connect(to, opts);
  stats_.count_connect(to, c.ok());
  if (!c) {
    failure = std::string(client::to_string(connect_error(c.error())));
    co_return std::nullopt;
  }
  stats_.phases.connect.record(static_cast<std::uint64_t>(to_ns(mono_clock::now() - connect_start)));
  if (!plan_.tls) co_return net::transport(std::move(*c));
  const time_point tls_start = mono_clock::now();
  auto session = net::tls_session::client(*plan_.tls, plan_.url.host, plan_.url.port);
  if (!session) {
    failure = "tls_handshake";
    co_return std::nullopt;
  }
  std::optional<net::transport> t;
  t.emplace(std::move(*c), std::move(*session));
  auto done = co_await t->handshake(deadline);
  if (!done) {
    if (done.error().timed_out) {
      failure = "connect_timeout";
    } else {
      const net::tls_error& e = done.error().error;
      failure = net::is_certificate_failure(e.kind) ? "tls_verify" : "tls_handshake";
      stats_.tls.note_failure(e);
    }
    co_return std::nullopt;
  }
  stats_.tls.count_handshake(*t->tls(), to_ns(mono_clock::now() - tls_start));
  co_return std::move(t);
}

}  // namespace barrage::loadgen
