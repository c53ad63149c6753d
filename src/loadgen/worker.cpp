#include "loadgen/worker.hpp"

#include <time.h>

#include <algorithm>

#include "http/redirect.hpp"
#include "runtime/frame_allocator.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"

namespace barrage::loadgen {

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

worker::worker(const run_plan& plan, unsigned connections, std::optional<std::uint64_t> quota, ramp_profile profile,
               unsigned first_connection)
    : plan_(plan), connections_(connections), quota_(quota), profile_(std::move(profile)) {
  if (!plan_.config.sources.empty()) next_source_ = first_connection % plan_.config.sources.size();
  if (plan_.config.http != http_choice::http1_1) {
    h2_request_ = plan_.h2_request;
    h2::client_session probe;
    h2_request_.pinned = probe.submit(plan_.h2_request).ok();
  }
  next_address_ = first_connection;
  connect_failures_.assign(std::max<std::size_t>(1, plan_.origins.size()), 0);
  const run_config& c = plan_.config;
  hold_responses_ = c.open_model() && c.response_hold && c.http == http_choice::http1_1 && c.redirects == 0 &&
                    !c.stream && c.pipeline == 1 && !c.ws.enabled &&
                    std::all_of(plan_.origins.begin(), plan_.origins.end(),
                                [](const origin_route& r) { return r.url.scheme == http::url_scheme::http; });
  if (plan_.config.open_model()) {
    stats_.keep_uncorrected();
    if (plan_.per_second_uncorrected) second_uncorrected_.emplace();
    schedule_.emplace(profile_, plan_.start);
    active_target_ = connections_;
  } else {
    active_target_ = static_cast<unsigned>(std::lround(profile_.at(duration::zero())));
  }
}

void worker::run() {
  const detail::frame_cache_limit frames(frames_cached_per_class);
  event_loop::options opts;
  // The lag probe (a 10 ms timer) only when someone reads it: the live metrics.
  opts.monitor_lag = plan_.config.metrics.has_value();
  if (plan_.config.open_model()) opts.timer_slack = open_timer_slack;
  opts.hold_io = hold_responses_;
  event_loop loop(opts);
  {
    std::lock_guard lock(loop_mutex_);
    loop_ = &loop;
  }
  loop.run(main());
  {
    std::lock_guard lock(loop_mutex_);
    final_loop_ = loop.metrics().snapshot();
    loop_ = nullptr;
  }
  cpu_s_.store(thread_cpu_seconds(), std::memory_order_relaxed);
}

loop_metrics_snapshot worker::loop_health() {
  std::lock_guard lock(loop_mutex_);
  return loop_ ? loop_->metrics().snapshot() : final_loop_;
}

void worker::interrupt() {
  std::lock_guard lock(loop_mutex_);
  if (loop_) loop_->call_soon_threadsafe([this] { stop_.set(); });
}

task<void> worker::set_at(async_event& e, time_point t) {
  co_await sleep_until(t);
  e.set();
}

void worker::user_finished() noexcept {
  if (--users_running_ > 0) return;
  users_done_.set();
  stop_.set();
}

bool worker::may_start(time_point t) noexcept {
  if (stopping_ || t >= plan_.end || plan_.interrupted.load(std::memory_order_relaxed)) return false;
  if (quota_ && t >= plan_.counted_from) {  // warm-up requests are extra
    if (*quota_ == 0) return false;
    --*quota_;
  }
  return true;
}

task<void> worker::main() {
  const bool open = plan_.config.open_model();
  std::vector<join_handle<void>> users;
  auto tick = spawn(ticker(), "ticker");
  join_handle<void> ramp;
  if (!open && !plan_.config.ramp.empty()) ramp = spawn(ramp_controller(), "ramp");
  users_running_ = connections_;
  const bool h2 = plan_.config.http != http_choice::http1_1;
  if (plan_.scenario) {  // virtual users running flows (worker_scenario.cpp)
    for (unsigned i = 0; i < connections_; ++i) users.push_back(spawn(scenario_user(i), "connection"));
  } else if (open && h2 && connections_ > 0) {  // one dispatcher over the connections (worker_h2_open.cpp)
    users_running_ = 1;
    users.push_back(spawn(open_user_h2(), "h2 dispatcher"));
  } else {
    for (unsigned i = 0; i < connections_; ++i)
      users.push_back(spawn(open ? open_user(i) : h2 ? closed_user_h2(i) : closed_user(i), "connection"));
  }

  // Until the end of the plan (a timer), an interrupt (interrupt()) or every connection is
  // done (-n reached): each sets stop_.
  join_handle<void> end;
  if (plan_.end != time_point::max()) end = spawn(set_at(stop_, plan_.end), "end");
  if (connections_ == 0 || plan_.interrupted.load(std::memory_order_relaxed)) stop_.set();
  co_await stop_.wait();
  end.cancel();
  stopped_at_ = mono_clock::now();
  stopping_ = true;
  target_changed_.set();
  // Requests in flight get the grace period; what is left then is counted in flight.
  if (connections_ == 0) users_done_.set();
  auto grace = spawn(set_at(users_done_, stopped_at_ + plan_.config.grace_period()), "grace");
  co_await users_done_.wait();
  grace.cancel();
  for (auto& u : users) u.cancel();
  for (auto& u : users) {
    try {
      co_await u;
    } catch (const operation_cancelled&) {
    }
  }
  for (auto& u : h2_tasks_) u.cancel();  // after the dispatcher, which writes to their slots
  for (auto& u : h2_tasks_) {
    try {
      co_await u;
    } catch (const operation_cancelled&) {
    }
  }
  ramp.cancel();
  tick.cancel();
  resolver_.reset();  // on its loop
  // Dropped: the counted intended times before the end (or the interrupt) never sent. Not
  // when -n was reached: the rest of the schedule was not wanted (and without -d it is endless).
  if (schedule_ && !(quota_ && *quota_ == 0)) {
    const time_point cut = std::min(plan_.end, stopped_at_);
    for (time_point t = schedule_->next(); t < cut; t = schedule_->next())
      if (t >= plan_.counted_from) ++stats_.count.dropped;
  }
  // A second that ended while the ticker's timer, due at the same time as ours, had not fired
  // yet is published as the ticker would have; then the part of a second since.
  while (mono_clock::now() >= plan_.counted_from + std::chrono::seconds(second_index_ + 1)) publish_second();
  publish_second();
  published_last_ = true;
}

task<void> worker::closed_user(unsigned id) {
  std::optional<client::connection> conn;
  std::string location;  // of a redirect, with --redirects
  co_await sleep_until(plan_.start);
  // The plain request comes first in this body, the other paths in blocks of their own after
  // it: GCC lays the frame out in the order of the scopes, so what a request touches (its
  // locals, the receiver, the send's and the read's awaiters) shares a few cache lines and the
  // rare paths' state lies behind it.
  for (;;) {
    if (id >= active_target_ && !stopping_) [[unlikely]] {
      co_await set_aside(conn, id);
      continue;
    }
    if (plan_.config.pipeline <= 1) [[likely]] {
      const time_point t = mono_clock::now();
      if (!may_start(t)) break;
      // one_request() in place: a frame less per connection while its request waits.
      const bool counted = count_start(t);
      time_point done;
      drop_if_closed(conn);
      if (conn && plan_.config.redirects == 0) [[likely]] {
        // The plain request on an open connection: its first try in this frame, as
        // request_tries would run it, so that a request makes no coroutine frame of its own (at
        // -c 1000 each frame is cache lines missed when the response comes). What follows a
        // try other than done (the keep-alive race's re-send, a retry) goes on in plain_tries.
        const bool reused = plan_.config.keepalive && conn->uses() > 0;
        const std::uint64_t sent_before = conn->bytes_sent();
        const client::error_kind sent = co_await conn->send(plan_.request, t + plan_.config.timeout);
        if (sent == client::error_kind::none) [[likely]] {
          const std::int64_t written_at = conn->send_calls() > 1 ? to_ns(mono_clock::now() - t) : 0;
          client::connection::receiver rx(*conn, t, {t + plan_.config.timeout, time_point::max()},
                                          plan_.head_request, nullptr);
          while (rx.reading()) rx.take(co_await rx.read());
          if (rx.needs_body()) rx.body_read(co_await rx.read_body());
          client::outcome& o = rx.result();
          o.times.written = written_at;  // connect: 0, the connection was open
          const std::uint64_t written = conn->bytes_sent() - sent_before;
          after_try(conn, o);
          client::retry_state tries(plan_.config.retry, plan_.may_resend);
          if (tries.after(o, reused) == client::retry_step::done) [[likely]] {
            o.attempts = 1;
            if (counted) stats_.count.bytes_out += written;
            done = t + std::chrono::nanoseconds(o.times.complete);
            record(o, counted, t, t, done);
            continue;
          }
          {
            const client::outcome r = co_await plain_tries(conn, o, reused, written, t, counted, done);
            record(r, counted, t, t, done);
          }
          continue;
        }
        {
          client::outcome failed;
          failed.error = sent;
          failed.times.complete = to_ns(mono_clock::now() - t);
          const std::uint64_t written = conn->bytes_sent() - sent_before;
          after_try(conn, failed);
          const client::outcome o = co_await plain_tries(conn, failed, reused, written, t, counted, done);
          record(o, counted, t, t, done);
        }
        continue;
      }
      {  // connecting or following redirects: the general path
        const client::outcome o = co_await request_tries(conn, t, counted, done, redirect_target(location));
        record(o, counted, t, t, done);
      }
      continue;
    }
    {
      const std::uint64_t depth = plan_.config.pipeline;
      std::uint64_t n = 0;
      const time_point now = mono_clock::now();  // one clock read per batch, not per request
      while (n < depth && may_start(now)) ++n;
      if (n == 0) break;
      co_await pipelined_round(conn, n);
    }
  }
  if (conn) open_.fetch_sub(1, std::memory_order_relaxed);
  user_finished();
}

task<void> worker::set_aside(std::optional<client::connection>& conn, unsigned id) {
  while (id >= active_target_ && !stopping_) {
    drop_if_closed(conn);
    if (conn) {
      conn.reset();
      open_.fetch_sub(1, std::memory_order_relaxed);
    }
    co_await target_changed_.wait();
  }
}

task<void> worker::open_user(unsigned) {
  std::optional<client::connection> conn;
  std::string location;  // of a redirect, with --redirects
  for (;;) {
    time_point intended = schedule_->next();
    if (!may_start(intended)) {
      // An intended time taken from the schedule but refused because the run stopped is dropped.
      const time_point cut = std::min(plan_.end, stopping_ ? stopped_at_ : mono_clock::now());
      if (!(quota_ && *quota_ == 0) && intended >= plan_.counted_from && intended < cut) ++stats_.count.dropped;
      break;
    }
    // The loop's clock of this turn: when the arrival's timer (or a batch's) woke the loop.
    // Behind schedule, the clock is read: the turn may have started long ago.
    time_point actual;
    if (intended > event_loop::current().now()) {
      co_await sleep_until(intended);
      actual = event_loop::current().now();
    } else {
      actual = mono_clock::now();
    }
    if (intended >= plan_.counted_from) {
      stats_.schedule_lag.record(actual - intended);
      if (actual - intended > late_after) ++stats_.count.late;
    }
    // one_request() in place: a frame less per connection while its request waits.
    const bool counted = count_start(intended);
    time_point done;
    const client::outcome o = co_await request_tries(conn, actual, counted, done, redirect_target(location));
    record(o, counted, intended, actual, done);
  }
  if (conn) open_.fetch_sub(1, std::memory_order_relaxed);
  user_finished();
}


task<client::outcome> worker::request_tries(std::optional<client::connection>& conn, time_point actual, bool counted,
                                            time_point& done, std::string* location, const request_override* other,
                                            tries_so_far* first) {
  // A first try run by the caller (closed_user's plain path) goes on from its step.
  tries_so_far st = first ? std::move(*first)
                          : tries_so_far{client::retry_state(plan_.config.retry,
                                                             other ? other->may_resend : plan_.may_resend),
                                         0, actual, {}};
  client::outcome& o = st.o;
  time_point& start = st.start;  // read by the caller just now: the first try reuses it
  for (bool try_now = first == nullptr;; try_now = true) {
    if (try_now) {
      if (st.tries.attempts() > 0 || st.tries.resent()) start = mono_clock::now();
      if (other && other->keep) other->keep->body.clear();
      // One try, in this frame: a keep-alive request makes no other frame but send's and receive's.
      o = client::outcome{};
      drop_if_closed(conn);
      bool reused = conn && conn->uses() > 0;
      std::int64_t ready = 0;  // when the connection was ready, from start: 0 when it was open
      if (!conn) {             // not a coroutine call per request: only when a connection is needed
        const bool connected = co_await ensure_connected(conn, o, other ? other->origin : 0);
        if (connected) ready = to_ns(ready_at_ - start);
      }
      if (conn) {
        if (!plan_.config.keepalive) reused = false;
        // send then receive, not exchange(): the generator has no use for the `written` phase and
        // its clock read.
        const std::uint64_t sent_before = conn->bytes_sent();
        const std::string_view request = other ? other->bytes : std::string_view(plan_.request);
        const client::error_kind sent = co_await conn->send(request, start + plan_.config.timeout);
        st.written += conn->bytes_sent() - sent_before;
        if (sent != client::error_kind::none) {
          o.error = sent;
          o.times.complete = to_ns(mono_clock::now() - start);
        } else {
          // A request the socket took in one write call counts as written when the connection was
          // ready: the clock is read only when writing had to wait (docs/report.md, Phases).
          const std::int64_t written_at = conn->send_calls() > 1 ? to_ns(mono_clock::now() - start) : ready;
          const client::exchange_deadlines dl{start + plan_.config.timeout, time_point::max()};
          // receive() in this frame: no frame per response, one less to bring back into the
          // cache when the response comes (at -c 1000 the connections' frames outgrow it).
          client::connection::receiver rx(*conn, start, dl, other ? other->head : plan_.head_request,
                                          other ? other->keep : nullptr);
          while (rx.reading()) rx.take(co_await rx.read());
          if (rx.needs_body()) rx.body_read(co_await rx.read_body());
          o = rx.finish();
          o.times.connect = ready;
          o.times.written = written_at;
          if (location && follows(o)) *location = conn->location();
        }
        after_try(conn, o);
      } else {
        o.times.complete = to_ns(mono_clock::now() - start);
      }
      st.step = st.tries.after(o, reused);
    }
    if (st.step == client::retry_step::resend) {  // the keep-alive race: counted as re-sent, not retried
      if (counted) ++stats_.count.resent;
      continue;
    }
    if (st.step == client::retry_step::done || mono_clock::now() >= plan_.end) break;
    co_await sleep_for(client::backoff_before(plan_.config.retry, st.tries.attempts(), client::jitter_draw()));
  }
  client::outcome r = settle(st, counted, done);
  if (location && follows(r) && !other) {  // a step's chain is its caller's (scenario_request)
    r = co_await follow_redirects(conn, r, std::move(*location), actual, counted);
    r.times.first_byte = 0;  // a chain's time is in its hops (redirect_hops), not in the phases
    done = actual + std::chrono::nanoseconds(r.times.complete);  // the chain is timed from `actual`
  }
  co_return r;
}

void worker::after_try(std::optional<client::connection>& conn, client::outcome& o) {
  if (client::is_tls(o.error)) [[unlikely]]
    note_tls_failure(o, *conn);
  if (!plan_.config.keepalive) conn->close();
  drop_if_closed(conn);
}

task<client::outcome> worker::plain_tries(std::optional<client::connection>& conn, const client::outcome& first,
                                          bool reused, std::uint64_t written, time_point start, bool counted,
                                          time_point& done) {
  tries_so_far so_far{client::retry_state(plan_.config.retry, plan_.may_resend), written, start, first};
  so_far.step = so_far.tries.after(first, reused);
  if (so_far.step == client::retry_step::done) co_return settle(so_far, counted, done);
  co_return co_await request_tries(conn, start, counted, done, nullptr, nullptr, &so_far);
}

client::outcome worker::settle(tries_so_far& st, bool counted, time_point& done) noexcept {
  st.o.attempts = static_cast<std::uint8_t>(std::min(st.tries.attempts(), 255u));
  if (counted) stats_.count.bytes_out += st.written;
  // Every try's outcome carries its completion time: no clock read here.
  done = st.start + std::chrono::nanoseconds(st.o.times.complete);
  return st.o;
}

bool worker::follows(const client::outcome& o) const noexcept {
  return plan_.config.redirects > 0 && o.ok() && http::is_followed_redirect(o.status);
}

task<void> worker::one_request(std::optional<client::connection>& conn, time_point intended, time_point actual) {
  const bool counted = count_start(intended);
  std::string location;
  time_point done;
  const client::outcome o = co_await request_tries(conn, actual, counted, done, redirect_target(location));
  record(o, counted, intended, actual, done);
}

std::string_view worker::batch_for(std::uint64_t n) {
  const std::size_t one = plan_.request.size();
  if (batches_.empty() || batches_.back()->size() < one * n) {
    const std::uint64_t have = batches_.empty() ? 0 : batches_.back()->size() / one;
    const std::uint64_t copies = std::max<std::uint64_t>(n, std::min<std::uint64_t>(2 * have, plan_.config.pipeline));
    auto b = std::make_unique<std::string>();
    b->reserve(one * copies);
    for (std::uint64_t i = 0; i < copies; ++i) b->append(plan_.request);
    batches_.push_back(std::move(b));
  }
  return {batches_.back()->data(), one * n};
}

task<void> worker::pipelined_round(std::optional<client::connection>& conn, std::uint64_t n) {
  const time_point start = mono_clock::now();
  const bool counted = start >= plan_.counted_from;
  if (counted) stats_.count.started += n;
  client::exchange_deadlines dl{start + plan_.config.timeout, time_point::max()};
  struct pending_redirect {
    client::outcome o;
    std::string location;
  };
  std::vector<pending_redirect> redirects;  // followed once the batch is answered
  bool race_resent = false;
  while (n > 0) {
    client::outcome o;
    drop_if_closed(conn);
    const bool reused = conn && conn->uses() > 0;
    const bool fresh = !conn;
    const bool connected = co_await ensure_connected(conn, o);
    if (!connected) {
      for (std::uint64_t i = 0; i < n; ++i) record(o, counted, start, start, mono_clock::now());
      break;
    }
    const std::int64_t ready = fresh ? to_ns(ready_at_ - start) : 0;
    const std::uint64_t sent_before = conn->bytes_sent();
    const client::error_kind e = co_await conn->send(batch_for(n), dl.total);
    if (counted) stats_.count.bytes_out += conn->bytes_sent() - sent_before;
    const std::int64_t written = conn->send_calls() > 1 ? to_ns(mono_clock::now() - start) : ready;
    std::uint64_t answered = 0;
    client::error_kind unanswered = e;  // what the requests left without a response end with
    while (e == client::error_kind::none && answered < n && conn->is_open()) {
      o = co_await conn->receive(start, dl, plan_.head_request);
      o.times.connect = ready;
      o.times.written = written;
      if (client::is_tls(o.error)) [[unlikely]]
        note_tls_failure(o, *conn);
      // Closed before a byte of this response: neither it nor those behind it were processed.
      if (client::closed_before_first_byte(o)) {
        unanswered = o.error;
        break;
      }
      ++answered;
      if (client::is_timeout(o.error)) unanswered = o.error;  // the rest had the same deadline
      if (follows(o)) {
        redirects.push_back({o, conn->location()});
        continue;
      }
      // receive() read the clock when the response completed: no second read for the record.
      record(o, counted, start, start, start + std::chrono::nanoseconds(o.times.complete));
    }
    n -= answered;
    if (n == 0) break;
    if (unanswered == client::error_kind::none) unanswered = client::error_kind::closed_before_response;
    // RFC 9112 §9.3.2: requests pipelined behind a close (`Connection: close` or the end of
    // the stream) were not processed and go again on a new connection. A round that answered
    // nothing may go again once, on a reused connection (the keep-alive race): so each round
    // answers at least one request or ends the batch.
    const bool progress = answered > 0 || (reused && !race_resent);
    if (client::is_close(unanswered) && progress && plan_.may_resend) {
      if (answered == 0) race_resent = true;
      if (counted) stats_.count.resent += n;
      continue;
    }
    o = client::outcome{};
    o.error = unanswered;
    const time_point now = mono_clock::now();
    o.times.complete = to_ns(now - start);
    for (std::uint64_t i = 0; i < n; ++i) record(o, counted, start, start, now);
    break;
  }
  drop_if_closed(conn);
  for (auto& r : redirects) {
    client::outcome o = co_await follow_redirects(conn, r.o, std::move(r.location), start, counted);
    o.times.first_byte = 0;  // timed in redirect_hops, not in the phases
    record(o, counted, start, start, start + std::chrono::nanoseconds(o.times.complete));
  }
}

void worker::record(const client::outcome& o, bool counted, time_point intended, time_point actual, time_point done,
                    const success_policy* success) {
  if (!counted) return;
  const success_policy& policy = success ? *success : plan_.config.success;
  std::int64_t latency = to_ns(done - intended);
  stats_.record(o, latency, to_ns(done - actual), policy);
  ++second_requests_;
  const bool succeeded = o.ok() && policy.ok(o.status);
  if (!succeeded) ++second_errors_;
  if (succeeded) second_latency_.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, latency)));
  if (succeeded && second_uncorrected_)
    second_uncorrected_->record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_ns(done - actual))));
  last_done_ = done;
}

task<void> worker::ticker() {
  for (;;) {
    co_await sleep_until(plan_.counted_from + std::chrono::seconds(second_index_ + 1));
    if (published_last_) co_return;  // its timer fired as main() published the last second
    publish_second();
  }
}

void worker::publish_second() {
  cpu_s_.store(thread_cpu_seconds(), std::memory_order_relaxed);
  if (mono_clock::now() < plan_.counted_from) return;
  second_report r{second_index_, second_requests_, second_errors_, {}};
  second_latency_.digest(r.latency);
  if (second_uncorrected_) second_uncorrected_->digest(r.uncorrected.emplace());
  std::lock_guard lock(pub_mutex_);
  published_.push_back(std::move(r));
  pub_counters_ = stats_.count;
  second_requests_ = second_errors_ = 0;
  second_latency_.reset();
  if (second_uncorrected_) second_uncorrected_->reset();
  ++second_index_;
}

task<void> worker::ramp_controller() {
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

std::vector<second_report> worker::take_seconds() {
  std::lock_guard lock(pub_mutex_);
  return std::exchange(published_, {});
}

counters worker::live_counters() const {
  std::lock_guard lock(pub_mutex_);
  return pub_counters_;
}

}  // namespace barrage::loadgen
