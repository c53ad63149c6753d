// The closed model over HTTP/2 (--http2, --http2-prior-knowledge): each connection keeps
// --streams requests in flight as streams, never more than the server's
// SETTINGS_MAX_CONCURRENT_STREAMS. Every stream is one request, accounted once:
//   a response completed (END_STREAM)                          its status
//   RST_STREAM REFUSED_STREAM from the server                  h2_refused_stream
//   above a GOAWAY's last stream id (not processed)            h2_goaway
//   RST_STREAM with another code                               h2_stream_reset
//   open when the connection closed or failed                  closed_before_response,
//                                                              truncated_body, reset, io_error,
//                                                              h2_protocol_error
//   past --timeout (the stream is then cancelled)              timeout
// Requests still in flight when the grace period ends stay in flight (main() cancels us).
#include <algorithm>

#include "loadgen/worker.hpp"
#include "runtime/sleep.hpp"

namespace barrage::loadgen {
namespace {

struct open_stream {
  std::int32_t id = 0;
  time_point start;
  bool counted = false;
  bool reset_by_peer = false;
  client::outcome o;
};

/// The error of a stream left open when its connection ended with `read` (0, -errno) or a
/// failed session.
client::error_kind lost_with(const open_stream& s, long read, bool session_failed) {
  if (session_failed) return client::error_kind::h2_protocol_error;
  if (read == 0) return s.o.status ? client::error_kind::truncated_body : client::error_kind::closed_before_response;
  return client::from_errno(read);
}

/// The streams one connection has in flight and what the session's events do to them.
/// `finish(stream, when)` records a stream that ended; the table then forgets it.
template <class Finish>
class flight {
 public:
  flight(unsigned depth, h2_stats& stats, Finish finish) : stats_(stats), finish_(std::move(finish)) {
    streams_.reserve(depth);
  }
  std::size_t size() const noexcept { return streams_.size(); }
  bool goaway() const noexcept { return goaway_; }
  void refused_locally() noexcept { goaway_ = true; }
  void add(std::int32_t id, time_point start, bool counted) { streams_.push_back({id, start, counted, false, {}}); }
  time_point earliest(duration timeout) const noexcept {
    time_point t = time_point::max();
    for (const auto& s : streams_) t = std::min(t, s.start + timeout);
    return t;
  }
  /// Before a read: its events read the clock once, at the first stream that ends.
  void new_batch() noexcept { batch_at_ = time_point{}; }

  void on_event(const h2::event& e) {
    if (const auto* h = std::get_if<h2::response_head>(&e)) {
      if (auto* s = find(h->stream); s && !h->interim()) s->o.status = static_cast<std::uint16_t>(h->status);
    } else if (const auto* d = std::get_if<h2::data_chunk>(&e)) {
      if (auto* s = find(d->stream)) {
        s->o.body_bytes += d->length;
        s->o.bytes_in += d->length;
      }
    } else if (const auto* r = std::get_if<h2::stream_reset>(&e)) {
      if (auto* s = find(r->stream)) s->reset_by_peer = true;
    } else if (const auto* c = std::get_if<h2::stream_closed>(&e)) {
      closed(*c);
    } else if (std::holds_alternative<h2::goaway>(e)) {
      goaway_ = true;
      ++stats_.goaways;
    } else if (const auto* st = std::get_if<h2::settings_received>(&e)) {
      const std::uint32_t m = st->settings.max_concurrent_streams;
      if (!stats_.peer_max_streams || m < stats_.peer_max_streams) stats_.peer_max_streams = m;
    }
  }

  /// Each stream past its deadline times out and is cancelled (RST_STREAM CANCEL).
  void expire(time_point now, duration timeout, h2::client_session& session) {
    for (std::size_t i = 0; i < streams_.size();) {
      if (streams_[i].start + timeout > now) {
        ++i;
        continue;
      }
      streams_[i].o.error = client::error_kind::timeout;
      (void)session.reset_stream(streams_[i].id, h2::error_code::cancel);
      end(i, now);
    }
  }

  /// The connection ended: every stream still open is one failure.
  template <class Kind>
  void fail_all(time_point now, Kind kind_of) {
    while (!streams_.empty()) {
      streams_.front().o.error = kind_of(streams_.front());
      end(0, now);
    }
  }

 private:
  open_stream* find(std::int32_t id) noexcept {
    for (auto& s : streams_)
      if (s.id == id) return &s;
    return nullptr;
  }
  void closed(const h2::stream_closed& c) {
    auto it = std::find_if(streams_.begin(), streams_.end(), [&](const open_stream& s) { return s.id == c.stream; });
    if (it == streams_.end()) return;  // one cancelled at its timeout: already counted
    if (c.code == h2::error_code::no_error && it->o.status) it->o.error = client::error_kind::none;
    else if (c.code == h2::error_code::refused_stream)
      it->o.error = it->reset_by_peer ? client::error_kind::h2_refused_stream : client::error_kind::h2_goaway;
    else if (c.code == h2::error_code::no_error) it->o.error = client::error_kind::closed_before_response;
    else it->o.error = client::error_kind::h2_stream_reset;
    if (batch_at_ == time_point{}) batch_at_ = mono_clock::now();
    end(static_cast<std::size_t>(it - streams_.begin()), batch_at_);
  }
  void end(std::size_t i, time_point now) {
    open_stream s = streams_[i];
    streams_.erase(streams_.begin() + static_cast<std::ptrdiff_t>(i));
    s.o.times.complete = to_ns(now - s.start);
    finish_(s, now);
  }

  std::vector<open_stream> streams_;
  h2_stats& stats_;
  Finish finish_;
  time_point batch_at_{};
  bool goaway_ = false;
};

}  // namespace

task<void> worker::closed_user_h2(unsigned id) {
  co_await sleep_until(plan_.start);
  for (;;) {
    while (id >= active_target_ && !stopping_) co_await target_changed_.wait();
    client::outcome o;
    const time_point before = mono_clock::now();
    if (!may_start(before)) break;
    auto t = co_await open_transport(o);
    if (!t) {  // the request that would have opened it fails, as on the HTTP/1.1 path
      const bool counted = before >= plan_.counted_from;
      if (counted) ++stats_.count.started;
      const time_point now = mono_clock::now();
      o.times.complete = to_ns(now - before);
      record(o, counted, before, before, now);
      continue;
    }
    // may_start() took this request's place in the quota: given back to the session, which
    // takes it again for its first stream.
    if (quota_ && before >= plan_.counted_from) ++*quota_;
    if (t->protocol() != "h2" && plan_.config.http == http_choice::h2_alpn) {
      // The server chose HTTP/1.1: this connection runs the HTTP/1.1 loop, one at a time.
      std::optional<client::connection> conn;
      conn.emplace(std::move(*t));
      ++stats_.count.connects;
      open_.fetch_add(1, std::memory_order_relaxed);
      bool more = true;
      while (conn && !stopping_) {
        const time_point now = mono_clock::now();
        more = may_start(now);
        if (!more) break;
        co_await one_request(conn, now, now);
        drop_if_closed(conn);
      }
      if (conn) open_.fetch_sub(1, std::memory_order_relaxed);
      if (!more) break;
      continue;
    }
    const bool more = co_await h2_session(std::move(*t));
    if (!more) break;
  }
  user_finished();
}

task<bool> worker::h2_session(net::transport t) {
  h2::session_options so;
  so.keep_data_bytes = false;
  so.stream_window = 1 << 20;
  so.connection_window = 16 << 20;
  // Until the server's SETTINGS say how many streams it allows, one: nothing is sent that a
  // server with a lower limit would refuse.
  so.peer_streams_before_settings = 1;
  client::h2_connection c(std::move(t), so);
  ++stats_.count.connects;
  ++stats_.h2.connections;
  open_.fetch_add(1, std::memory_order_relaxed);
  const unsigned depth = plan_.config.streams;
  const duration timeout = plan_.config.timeout;
  flight streams(depth, stats_.h2, [this](const open_stream& s, time_point done) {
    record(s.o, s.counted, s.start, s.start, done);
  });
  auto on_event = [&streams](const h2::event& e) { streams.on_event(e); };
  bool more = true;
  for (;;) {
    time_point now = mono_clock::now();
    // Fill the connection's streams up to --streams, within the server's limit.
    while (more && !streams.goaway() && streams.size() < depth && c.session().free_slots() > 0) {
      more = may_start(now);
      if (!more) break;
      const bool counted = now >= plan_.counted_from;
      if (counted) ++stats_.count.started;
      auto id = c.session().submit(plan_.h2_request);
      if (!id) {  // after a GOAWAY, or stream ids exhausted: this request was not sent
        client::outcome o;
        o.error = client::error_kind::h2_goaway;
        record(o, counted, now, now, now);
        streams.refused_locally();
        break;
      }
      streams.add(*id, now, counted);
    }
    stats_.h2.peak_streams = std::max(stats_.h2.peak_streams, static_cast<std::uint32_t>(streams.size()));
    if (streams.size() == 0) break;  // done here: no more requests, or a GOAWAY (reconnect)
    const time_point deadline = streams.earliest(timeout);
    const std::uint64_t sent_before = c.bytes_sent();
    const client::error_kind w = co_await c.flush(deadline);
    if (now >= plan_.counted_from) stats_.count.bytes_out += c.bytes_sent() - sent_before;
    if (w != client::error_kind::none) {
      streams.fail_all(mono_clock::now(), [w](const open_stream&) { return w; });
      break;
    }
    streams.new_batch();
    const long n = co_await c.read(deadline, on_event);
    now = mono_clock::now();
    if (n == -ETIMEDOUT) {
      streams.expire(now, timeout, c.session());
      continue;
    }
    if (n <= 0 || !c.alive()) {  // the connection or the session ended: each open stream fails
      const bool failed = c.failed() || (n > 0 && !c.alive());
      streams.fail_all(now, [n, failed](const open_stream& s) { return lost_with(s, n, failed); });
      break;
    }
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
