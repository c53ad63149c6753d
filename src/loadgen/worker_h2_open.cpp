// The open model over HTTP/2: one dispatcher per worker takes the schedule's intended times
// and puts each request on the least-loaded of the worker's connections that has a free
// stream (within --streams and the server's SETTINGS_MAX_CONCURRENT_STREAMS); each
// connection's own task (a slot) connects, reads, and ends its streams (h2_flight.hpp).
// Latency runs from the intended time, as in HTTP/1.1's open model: a request that waited
// for a free stream was late, and its wait is in its latency. Intended times never sent
// before the end are dropped.
//
// Writes: whoever has bytes for a slot (the dispatcher after submitting, the slot after a
// read: WINDOW_UPDATE, SETTINGS ACK, request body DATA as windows open) calls h2_write();
// only one write runs per slot at a time, and it takes everything queued before it ends.
#include <algorithm>

#include "loadgen/worker.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"

namespace barrage::loadgen {

struct worker::h2_slot {
  std::optional<client::h2_connection> conn;
  std::optional<h2_flight> flight;
  bool ready = false;    // a session is up and takes new streams
  bool writing = false;  // an h2_write() runs
  client::error_kind write_error = client::error_kind::none;
  async_event written;  // pulsed when a write ends
  std::uint64_t submitted = 0;
  // The server chose HTTP/1.1 (--http2): one request at a time, handed over here.
  std::optional<client::connection> http1;
  bool http1_busy = false;
  h2_job http1_job;
  async_event http1_go;
  std::optional<client::outcome> connect_failure;  // the last connect failed: for one request

  std::size_t load() const noexcept { return http1 ? (http1_busy ? 1 : 0) : flight ? flight->size() : 0; }
};

void worker::h2_pulse() {
  h2_changed_.set();
  h2_changed_.clear();
}

worker::h2_slot* worker::h2_pick() noexcept {
  h2_slot* best = nullptr;
  const std::uint64_t per_connection = plan_.config.keepalive ? UINT64_MAX : 1;
  for (h2_slot* s : h2_slots_) {
    if (!s->ready) continue;
    bool free = false;
    if (s->http1) free = !s->http1_busy;
    else
      free = !s->flight->goaway() && s->submitted < per_connection && s->flight->size() < plan_.config.streams &&
             s->conn->session().free_slots() > 0;
    if (free && (!best || s->load() < best->load())) best = s;
  }
  return best;
}

task<void> worker::h2_write(h2_slot& s) {
  if (s.writing || !s.conn) co_return;  // the write in progress takes what was queued
  s.writing = true;
  const std::uint64_t before = s.conn->bytes_sent();
  const client::error_kind w = co_await s.conn->flush(mono_clock::now() + plan_.config.timeout);
  if (mono_clock::now() >= plan_.counted_from) stats_.count.bytes_out += s.conn->bytes_sent() - before;
  s.writing = false;
  if (w != client::error_kind::none && s.write_error == client::error_kind::none) {
    s.write_error = w;
    s.conn->shutdown();  // wakes the slot's read, which fails the streams with this kind
  }
  s.written.set();
  s.written.clear();
}

task<void> worker::open_user_h2() {
  for (unsigned i = 0; i < connections_; ++i) h2_tasks_.push_back(spawn(h2_slot_run(), "h2 connection"));
  std::optional<time_point> next_new;  // the next intended time, taken from the schedule
  bool more = true;
  std::vector<h2_slot*> dirty;  // slots with submitted requests not yet written
  for (;;) {
    if (!next_new && more) {
      const time_point t = schedule_->next();
      if (may_start(t)) {
        next_new = t;
      } else {  // refused because the run stopped: dropped, as in open_user()
        const time_point cut = std::min(plan_.end, stopping_ ? stopped_at_ : mono_clock::now());
        if (!(quota_ && *quota_ == 0) && t >= plan_.counted_from && t < cut) ++stats_.count.dropped;
        more = false;
      }
    }
    time_point wake = next_new.value_or(time_point::max());
    if (!h2_retries_.empty()) wake = std::min(wake, h2_retries_.front().not_before);
    if (wake == time_point::max()) break;  // nothing new, nothing to retry
    if (wake > mono_clock::now()) {
      for (h2_slot* s : dirty) co_await h2_write(*s);  // about to wait: send what is queued
      dirty.clear();
      co_await sleep_until(wake);
    }
    h2_job job;
    if (!h2_retries_.empty() && h2_retries_.front().not_before <= wake) {
      job = h2_retries_.front();
      h2_retries_.pop_front();
    } else {
      job.intended = *next_new;
      job.counted = job.intended >= plan_.counted_from;
      next_new.reset();
      if (job.counted) ++stats_.count.started;
    }
    h2_slot* s = co_await h2_slot_for(job, dirty);
    if (s) h2_submit(*s, job, dirty);
  }
  for (h2_slot* s : dirty) co_await h2_write(*s);
  // Every new request handed out: retries still due go out, and the streams end.
  co_await open_user_h2_drain();
  h2_closing_ = true;
  for (h2_slot* s : h2_slots_) {
    if (s->conn) s->conn->shutdown();
    if (s->http1) s->http1_go.set();
  }
  h2_pulse();
  while (!h2_slots_.empty()) co_await h2_changed_.wait();  // each slot leaves once closed
  user_finished();
}

task<void> worker::open_user_h2_drain() {
  std::vector<h2_slot*> dirty;
  for (;;) {
    while (!h2_retries_.empty()) {
      const time_point due = h2_retries_.front().not_before;
      if (due > mono_clock::now()) {
        for (h2_slot* s : dirty) co_await h2_write(*s);
        dirty.clear();
        co_await sleep_until(due);
      }
      h2_job job = h2_retries_.front();
      h2_retries_.pop_front();
      h2_slot* s = co_await h2_slot_for(job, dirty);
      if (s) h2_submit(*s, job, dirty);
    }
    for (h2_slot* s : dirty) co_await h2_write(*s);
    dirty.clear();
    bool busy = false;
    for (h2_slot* s : h2_slots_) busy = busy || s->load() > 0;
    if (!busy && h2_retries_.empty()) co_return;
    if (h2_retries_.empty()) co_await h2_changed_.wait();
  }
}

task<worker::h2_slot*> worker::h2_slot_for(h2_job& job, std::vector<h2_slot*>& dirty) {
  for (;;) {
    if (h2_slot* s = h2_pick()) co_return s;
    // None free: a slot whose connect failed fails this request (one try) with that error.
    for (h2_slot* s : h2_slots_) {
      if (!s->connect_failure) continue;
      h2_stream st{0, job, false, *s->connect_failure};
      s->connect_failure.reset();
      const time_point now = mono_clock::now();
      st.job.attempt_start = now;
      if (st.job.tries == 0) st.job.actual = now;
      h2_settle(st, now, h2_retries_);
      co_return nullptr;
    }
    if (!dirty.empty()) {  // what is queued goes before we wait; then look again
      for (h2_slot* s : dirty) co_await h2_write(*s);
      dirty.clear();
      continue;
    }
    co_await h2_changed_.wait();
  }
}

void worker::h2_submit(h2_slot& s, h2_job& job, std::vector<h2_slot*>& dirty) {
  const time_point now = mono_clock::now();
  job.attempt_start = now;
  if (job.tries == 0) {  // its first send: how late it is
    job.actual = now;
    if (job.counted) {
      stats_.schedule_lag.record(now - job.intended);
      if (now - job.intended > late_after) ++stats_.count.late;
    }
  }
  if (s.http1) {
    s.http1_job = job;
    s.http1_busy = true;
    s.http1_go.set();
    return;
  }
  auto sid = s.conn->session().submit(h2_request_);
  if (!sid) {  // the session refuses new streams (a GOAWAY): this try was not sent
    h2_stream st{0, job, false, {}};
    st.o.error = client::error_kind::h2_goaway;
    s.flight->refuse_new();
    h2_settle(st, now, h2_retries_);
    return;
  }
  s.flight->add(*sid, job);
  ++s.submitted;
  stats_.h2.peak_streams = std::max(stats_.h2.peak_streams, static_cast<std::uint32_t>(s.flight->size()));
  if (std::find(dirty.begin(), dirty.end(), &s) == dirty.end()) dirty.push_back(&s);
}

task<void> worker::h2_slot_run() {
  h2_slot s;
  h2_slots_.push_back(&s);
  struct unregister {  // also when the task is cancelled
    std::vector<h2_slot*>& all;
    h2_slot* me;
    ~unregister() {
      if (auto it = std::find(all.begin(), all.end(), me); it != all.end()) all.erase(it);
    }
  } guard{h2_slots_, &s};
  co_await sleep_until(plan_.start);
  while (!h2_closing_) {
    client::outcome o;
    auto t = co_await open_transport(o);
    if (!t) {
      s.connect_failure = o;
      h2_pulse();
      continue;
    }
    s.connect_failure.reset();
    if (t->protocol() != "h2" && plan_.config.http == http_choice::h2_alpn) co_await h2_slot_http1(s, std::move(*t));
    else co_await h2_slot_session(s, std::move(*t));
  }
  h2_slots_.erase(std::find(h2_slots_.begin(), h2_slots_.end(), &s));
  h2_pulse();
}

task<void> worker::h2_slot_http1(h2_slot& s, net::transport t) {
  s.http1.emplace(std::move(t));
  ++stats_.count.connects;
  open_.fetch_add(1, std::memory_order_relaxed);
  s.ready = true;
  h2_pulse();
  while (!h2_closing_) {
    if (!s.http1_busy) {
      co_await s.http1_go.wait();
      s.http1_go.clear();
      continue;
    }
    // one_request() counts the request again: it was counted when dispatched.
    const h2_job job = s.http1_job;
    if (job.counted) --stats_.count.started;
    co_await one_request(s.http1, job.intended, job.actual);
    s.http1_busy = false;
    h2_pulse();
    if (!s.http1) break;  // closed: a new connection
  }
  s.ready = false;
  if (s.http1) open_.fetch_sub(1, std::memory_order_relaxed);
  s.http1.reset();
}

task<void> worker::h2_slot_session(h2_slot& s, net::transport t) {
  s.conn.emplace(std::move(t), h2_options());
  s.flight.emplace(stats_.h2, plan_.config.streams);
  s.submitted = 0;
  s.write_error = client::error_kind::none;
  ++stats_.count.connects;
  ++stats_.h2.connections;
  open_.fetch_add(1, std::memory_order_relaxed);
  h2_flight& f = *s.flight;
  client::h2_connection& c = *s.conn;
  co_await h2_write(s);  // the preface and our SETTINGS
  s.ready = true;
  h2_pulse();
  auto on_event = [&f](const h2::event& e) { f.on_event(e); };
  const duration timeout = plan_.config.timeout;
  for (;;) {
    if (h2_closing_ && f.empty()) break;
    f.new_batch();
    const long n = co_await c.read(f.earliest(timeout), on_event);
    const time_point now = mono_clock::now();
    bool over = false;
    if (n == -ETIMEDOUT) {
      f.expire(now, timeout, c.session());
    } else if (n <= 0 || !c.alive() || s.write_error != client::error_kind::none) {
      s.ready = false;
      if (s.write_error != client::error_kind::none) f.fail_all(now, s.write_error);
      else f.fail_all_lost(now, n, c.failed() || (n > 0 && !c.alive()));
      over = true;
    }
    h2_settle_all(f, h2_retries_);
    if (!over) co_await h2_write(s);  // window updates, bodies as windows open, resets
    if (!over && f.empty() && (f.goaway() || h2_closing_ || (!plan_.config.keepalive && s.submitted > 0))) over = true;
    h2_pulse();  // streams ended, or the server's SETTINGS allow more: the dispatcher looks again
    if (over) break;
  }
  s.ready = false;
  while (s.writing) co_await s.written.wait();
  if (c.alive() && s.write_error == client::error_kind::none) {
    (void)c.session().shutdown();
    (void)co_await c.flush(mono_clock::now() + std::chrono::milliseconds(100));
  }
  c.close();
  open_.fetch_sub(1, std::memory_order_relaxed);
  s.flight.reset();
  s.conn.reset();
  h2_pulse();
}

}  // namespace barrage::loadgen
