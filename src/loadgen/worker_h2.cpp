// The closed model over HTTP/2 (--http2, --http2-prior-knowledge): each connection keeps
// --streams requests in flight as streams, never more than the server's
// SETTINGS_MAX_CONCURRENT_STREAMS. Streams end as h2_flight.hpp says; an ended stream goes
// again when --retries allows it (h2_settle), on this connection or, after a GOAWAY, on the
// next one. --ramp lowers and raises the connections that start requests; --no-keepalive
// carries one request per connection. Requests still in flight when the grace period ends
// stay in flight (main() cancels us).
#include <algorithm>

#include "loadgen/worker.hpp"
#include "runtime/sleep.hpp"

namespace barrage::loadgen {

h2::session_options worker::h2_options() const noexcept {
  h2::session_options so;
  so.keep_data_bytes = false;
  so.keep_fields = false;  // the status is all a request's outcome needs
  so.stream_window = plan_.config.h2_windows.stream_window;
  so.connection_window = plan_.config.h2_windows.connection_window;
  // Until the server's SETTINGS say how many streams it allows, one: nothing is sent that a
  // server with a lower limit would refuse.
  so.peer_streams_before_settings = 1;
  return so;
}

void worker::h2_settle(h2_stream& s, time_point done, std::deque<h2_job>& retries) {
  const client::retry_policy& p = plan_.config.retry;
  if (s.job.tries < 255) ++s.job.tries;
  s.o.attempts = s.job.tries;
  // Not processed (REFUSED_STREAM, above a GOAWAY's last stream id): safe to send again,
  // whatever the method, when --retries allows another try; else as the policy says.
  const bool again = s.job.tries < p.attempts && done < plan_.end &&
                     (h2_unprocessed(s.o.error) || client::should_retry(p, s.o));
  if (again) {
    s.job.not_before = done + client::backoff_before(p, s.job.tries, client::jitter_draw());
    retries.push_back(s.job);
    return;
  }
  record(s.o, s.job.counted, s.job.intended, s.job.actual, done);
}

void worker::h2_settle_all(h2_flight& f, std::deque<h2_job>& retries) {
  auto& ended = f.ended();
  for (std::size_t i = 0; i < ended.size(); ++i) h2_settle(ended[i], f.ended_at()[i], retries);
  f.clear_ended();
}

task<void> worker::closed_user_h2(unsigned id) {
  co_await sleep_until(plan_.start);
  std::deque<h2_job> retries;  // this connection's requests waiting to go again
  bool more = true;            // new requests may start
  for (;;) {
    while (retries.empty() && id >= active_target_ && !stopping_) co_await target_changed_.wait();
    if (retries.empty() && (!more || stopping_)) break;
    client::outcome o;
    const time_point before = mono_clock::now();
    const bool fresh = retries.empty();  // this connection is opened for a new request
    if (fresh && !(more = may_start(before))) break;
    auto t = co_await open_transport(o);
    if (!t) {  // the request that would have opened it fails (one try of a retried one)
      const time_point now = mono_clock::now();
      h2_stream s{0, {}, false, o};
      if (fresh) {
        s.job = {before, before, before, {}, before >= plan_.counted_from, 0};
        if (s.job.counted) ++stats_.count.started;
      } else {
        s.job = retries.front();
        retries.pop_front();
        s.job.attempt_start = before;
      }
      s.o.times.complete = to_ns(now - before);
      h2_settle(s, now, retries);
      continue;
    }
    // may_start() took this request's place in the quota: given back to the session, which
    // takes it again for its first stream.
    if (fresh && quota_ && before >= plan_.counted_from) ++*quota_;
    if (t->protocol() != "h2" && plan_.config.http == http_choice::h2_alpn) {
      more = co_await closed_http1_fallback(id, std::move(*t));
      continue;
    }
    const bool still = co_await h2_session(std::move(*t), id, retries);
    more = more && still;
  }
  user_finished();
}

task<bool> worker::closed_http1_fallback(unsigned id, net::transport t) {
  // The server chose HTTP/1.1: this connection runs the HTTP/1.1 loop, one at a time.
  std::optional<client::connection> conn;
  conn.emplace(std::move(t), http::response_limits{}, field_slots_);
  ++stats_.count.connects;
  open_.fetch_add(1, std::memory_order_relaxed);
  bool more = true;
  while (conn && !stopping_ && id < active_target_) {
    const time_point now = mono_clock::now();
    more = may_start(now);
    if (!more) break;
    co_await one_request(conn, now, now);
    drop_if_closed(conn);
  }
  if (conn) open_.fetch_sub(1, std::memory_order_relaxed);
  co_return more;
}

task<bool> worker::h2_session(net::transport t, unsigned id, std::deque<h2_job>& retries) {
  client::h2_connection c(std::move(t), h2_options());
  ++stats_.count.connects;
  ++stats_.h2.connections;
  open_.fetch_add(1, std::memory_order_relaxed);
  const unsigned depth = plan_.config.streams;
  const duration timeout = plan_.config.timeout;
  // --no-keepalive: one request per connection (run_options refuses it with -m above 1).
  const std::uint64_t per_connection = plan_.config.keepalive ? UINT64_MAX : 1;
  std::uint64_t submitted = 0;
  h2_flight streams(stats_.h2, depth);
  auto on_event = [&streams](const h2::event& e) { streams.on_event(e); };
  bool more = true;
  for (;;) {
    time_point now = mono_clock::now();
    // Fill the connection's streams up to --streams, within the server's limit: requests due
    // to go again first, then new ones (not on a connection --ramp has set aside).
    while (!streams.goaway() && submitted < per_connection && streams.size() < depth &&
           c.session().free_slots() > 0) {
      h2_job job;
      if (!retries.empty() && retries.front().not_before <= now) {
        job = retries.front();
        retries.pop_front();
      } else if (more && id < active_target_ && !stopping_ && (more = may_start(now))) {
        job = {now, now, now, {}, now >= plan_.counted_from, 0};
        if (job.counted) ++stats_.count.started;
      } else {
        break;
      }
      job.attempt_start = now;
      auto sid = c.session().submit(h2_request_);
      if (!sid) {  // after a GOAWAY, or stream ids exhausted: this try was not sent
        h2_stream s{0, job, false, {}};
        s.o.error = client::error_kind::h2_goaway;
        streams.refuse_new();
        h2_settle(s, now, retries);
        break;
      }
      streams.add(*sid, job);
      ++submitted;
    }
    stats_.h2.peak_streams = std::max(stats_.h2.peak_streams, static_cast<std::uint32_t>(streams.size()));
    const bool may_take = !streams.goaway() && submitted < per_connection;
    if (streams.empty()) {
      // Nothing in flight: wait here for a retry's backoff, or leave (no more requests, a
      // GOAWAY or --no-keepalive: a new connection; --ramp: set aside).
      if (!may_take || retries.empty()) break;
      co_await sleep_until(retries.front().not_before);
      continue;
    }
    time_point deadline = streams.earliest(timeout);
    if (may_take && !retries.empty()) deadline = std::min(deadline, retries.front().not_before);
    const std::uint64_t sent_before = c.bytes_sent();
    const client::error_kind w = co_await c.flush(deadline);
    if (now >= plan_.counted_from) stats_.count.bytes_out += c.bytes_sent() - sent_before;
    if (w != client::error_kind::none) {
      streams.fail_all(mono_clock::now(), w);
      h2_settle_all(streams, retries);
      break;
    }
    streams.new_batch();
    const long n = co_await c.read(deadline, on_event);
    now = mono_clock::now();
    if (n == -ETIMEDOUT) {
      streams.expire(now, timeout, c.session());
    } else if (n <= 0 || !c.alive()) {  // the connection or the session ended: each open stream fails
      streams.fail_all_lost(now, n, c.failed() || (n > 0 && !c.alive()));
      h2_settle_all(streams, retries);
      break;
    }
    h2_settle_all(streams, retries);
  }
  // A GOAWAY or the end: say so to the server (best effort) and close.
  if (c.alive()) {
    (void)c.session().shutdown();
    (void)co_await c.flush(mono_clock::now() + std::chrono::milliseconds(100));
  }
  c.close();
  open_.fetch_sub(1, std::memory_order_relaxed);
  co_return more;
}

}  // namespace barrage::loadgen
