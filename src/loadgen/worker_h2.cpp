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
  std::vector<open_stream> streams;
  streams.reserve(depth);
  bool more = true, goaway = false;
  auto finish = [&](std::vector<open_stream>::iterator it, time_point now) {
    it->o.times.complete = to_ns(now - it->start);
    record(it->o, it->counted, it->start, it->start, now);
    streams.erase(it);
  };
  auto find = [&](std::int32_t id) {
    return std::find_if(streams.begin(), streams.end(), [id](const open_stream& s) { return s.id == id; });
  };
  time_point now = mono_clock::now();
  time_point read_at{};  // the clock read once per batch of events, when a stream closes
  auto on_event = [&](const h2::event& e) {
    if (const auto* h = std::get_if<h2::response_head>(&e)) {
      if (auto it = find(h->stream); it != streams.end() && !h->interim()) it->o.status = static_cast<std::uint16_t>(h->status);
    } else if (const auto* d = std::get_if<h2::data_chunk>(&e)) {
      if (auto it = find(d->stream); it != streams.end()) {
        it->o.body_bytes += d->length;
        it->o.bytes_in += d->length;
      }
    } else if (const auto* r = std::get_if<h2::stream_reset>(&e)) {
      if (auto it = find(r->stream); it != streams.end()) it->reset_by_peer = true;
    } else if (const auto* cl = std::get_if<h2::stream_closed>(&e)) {
      auto it = find(cl->stream);
      if (it == streams.end()) return;  // one we cancelled at its timeout: already counted
      if (cl->code == h2::error_code::no_error && it->o.status) {
        it->o.error = client::error_kind::none;
      } else if (cl->code == h2::error_code::refused_stream) {
        it->o.error = it->reset_by_peer ? client::error_kind::h2_refused_stream : client::error_kind::h2_goaway;
      } else if (cl->code == h2::error_code::no_error) {
        it->o.error = client::error_kind::closed_before_response;
      } else {
        it->o.error = client::error_kind::h2_stream_reset;
      }
      if (read_at == time_point{}) read_at = mono_clock::now();
      finish(it, read_at);
    } else if (std::holds_alternative<h2::goaway>(e)) {
      goaway = true;
      ++stats_.h2.goaways;
    } else if (const auto* st = std::get_if<h2::settings_received>(&e)) {
      const std::uint32_t m = st->settings.max_concurrent_streams;
      if (!stats_.h2.peer_max_streams || m < stats_.h2.peer_max_streams) stats_.h2.peer_max_streams = m;
    }
  };
  long last_read = 0;
  for (;;) {
    now = mono_clock::now();
    // Fill the connection's streams up to --streams, within the server's limit.
    while (more && !goaway && streams.size() < depth && c.session().free_slots() > 0) {
      if (!may_start(now)) {
        more = false;
        break;
      }
      const bool counted = now >= plan_.counted_from;
      if (counted) ++stats_.count.started;
      auto id = c.session().submit(plan_.h2_request);
      if (!id) {  // after a GOAWAY, or stream ids exhausted: this request was not sent
        client::outcome o;
        o.error = client::error_kind::h2_goaway;
        record(o, counted, now, now, now);
        goaway = true;
        break;
      }
      streams.push_back({*id, now, counted, false, {}});
    }
    stats_.h2.peak_streams = std::max(stats_.h2.peak_streams, static_cast<std::uint32_t>(streams.size()));
    if (streams.empty()) break;  // done here: no more requests, or a GOAWAY (reconnect)
    time_point deadline = time_point::max();
    for (const auto& s : streams) deadline = std::min(deadline, s.start + plan_.config.timeout);
    const std::uint64_t sent_before = c.bytes_sent();
    const client::error_kind w = co_await c.flush(deadline);
    if (now >= plan_.counted_from) stats_.count.bytes_out += c.bytes_sent() - sent_before;
    if (w != client::error_kind::none) {
      now = mono_clock::now();
      while (!streams.empty()) {
        streams.front().o.error = w;
        finish(streams.begin(), now);
      }
      break;
    }
    read_at = time_point{};
    last_read = co_await c.read(deadline, on_event);
    now = mono_clock::now();
    if (last_read == -ETIMEDOUT) {  // each stream past its deadline times out and is cancelled
      for (auto it = streams.begin(); it != streams.end();) {
        if (it->start + plan_.config.timeout > now) {
          ++it;
          continue;
        }
        it->o.error = client::error_kind::timeout;
        (void)c.session().reset_stream(it->id, h2::error_code::cancel);
        it->o.times.complete = to_ns(now - it->start);
        record(it->o, it->counted, it->start, it->start, now);
        it = streams.erase(it);
      }
      continue;
    }
    // Events may have closed streams already; the ones left open when the connection or the
    // session ended are each one failure.
    if (last_read <= 0 || !c.alive()) {
      const bool failed = c.failed() || (last_read > 0 && !c.alive());
      while (!streams.empty()) {
        streams.front().o.error = lost_with(streams.front(), last_read, failed);
        finish(streams.begin(), now);
      }
      break;
    }
  }
  // A GOAWAY or the end: say so to the server (best effort) and close.
  if (c.alive()) {
    (void)c.session().shutdown();
    const time_point bye = mono_clock::now() + std::chrono::milliseconds(100);
    (void)co_await c.flush(bye);
  }
  c.close();
  open_.fetch_sub(1, std::memory_order_relaxed);
  co_return more;
}

}  // namespace barrage::loadgen
