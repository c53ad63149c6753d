// A virtual user's steps over HTTP/2 (--http2, --http2-prior-knowledge). A user runs its steps
// one at a time, so each of its origins gets one h2 connection (opened when a step first goes
// there, kept alive as a single URL's is) carrying one stream at a time. With --http2 an
// origin whose server chose http/1.1 by ALPN (or an http:// origin: no ALPN) is spoken to over
// HTTP/1.1 on that link, as the single-URL path falls back (closed_http1_fallback).
//
// A stream ends as h2_flight.hpp says. Tries go again as over HTTP/1.1 (--retries), and as
// h2_settle lets the single URL's streams: one the server did not process (REFUSED_STREAM,
// above a GOAWAY's last stream id) is retryable whatever the method. A request not processed
// on a reused connection because the server closed it, or said GOAWAY, while the user was
// idle or thinking is re-sent once at once on a new connection, not a try: the keep-alive
// race (counted `resent`).
//
// Captures: the session keeps the header fields or data bytes only for a step that reads them
// (client_session::keep, set per request), so other steps copy nothing.
#include <variant>

#include "loadgen/worker.hpp"
#include "loadgen/worker_scenario.hpp"
#include "runtime/sleep.hpp"

namespace barrage::loadgen {
namespace {

/// The part of a response a capturing step reads, from the events of stream `id`.
void keep_h2_response(const h2::event& e, std::int32_t id, client::response_data& r) {
  if (const auto* h = std::get_if<h2::response_head>(&e)) {
    if (h->stream != id || h->interim()) return;
    for (const auto& f : h->fields) r.headers.emplace_back(std::string(f.name), std::string(f.value));
  } else if (const auto* d = std::get_if<h2::data_chunk>(&e)) {
    if (d->stream != id || d->bytes.empty()) return;
    const std::size_t room = r.max_body > r.body.size() ? r.max_body - r.body.size() : 0;
    if (d->bytes.size() > room) r.body_truncated = true;
    r.body.append(d->bytes.substr(0, room));
  }
}

}  // namespace

task<client::outcome> worker::scenario_request_h2(user_link& link, const prepared_step& s, virtual_user& u,
                                                  time_point actual, bool counted, time_point& done) {
  const client::retry_policy& p = plan_.config.retry;
  const bool may_resend = client::may_resend(s.idempotent, p);
  unsigned tries = 0;
  bool resent = false;
  int rendered = 0;
  std::uint64_t written = 0;
  time_point attempt_start = actual;
  client::outcome o;
  for (;;) {
    if (tries > 0 || resent) attempt_start = mono_clock::now();
    bool reused = false;
    o = co_await scenario_h2_attempt(link, s, u, attempt_start, reused, written, rendered);
    const bool unprocessed = h2_unprocessed(o.error);
    // A GOAWAY or a close that came while the connection was idle (not REFUSED_STREAM: a
    // server's refusal under load is a failure unless --retries).
    const bool race = o.error == client::error_kind::h2_goaway || (may_resend && client::closed_before_first_byte(o));
    if (!resent && reused && race) {
      resent = true;  // the keep-alive race: re-sent, not retried
      if (counted) ++stats_.count.resent;
      continue;
    }
    ++tries;
    if (tries >= p.attempts || mono_clock::now() >= plan_.end || !(unprocessed || client::should_retry(p, o))) break;
    co_await sleep_for(client::backoff_before(p, tries, client::jitter_draw()));
  }
  o.attempts = static_cast<std::uint8_t>(std::min(tries, 255u));
  if (counted) stats_.count.bytes_out += written;
  done = attempt_start + std::chrono::nanoseconds(o.times.complete);
  co_return o;
}

task<client::outcome> worker::scenario_h2_attempt(user_link& link, const prepared_step& s, virtual_user& u,
                                                  time_point start, bool& reused, std::uint64_t& written,
                                                  int& rendered) {
  client::outcome o;
  drop_if_closed(link.http1);
  if (link.h2 && (!link.h2->alive() || link.flight->goaway())) co_await close_h2_link(link);
  reused = (link.h2 && link.streams > 0) || (link.http1 && link.http1->uses() > 0);
  std::int64_t ready = 0;  // when the connection was ready, from start: 0 when it was open
  if (!link.h2 && !link.http1) {
    auto t = co_await open_transport(o, s.origin);
    if (!t) {
      o.times.complete = to_ns(mono_clock::now() - start);
      co_return o;
    }
    ready = to_ns(ready_at_ - start);
    ++stats_.count.connects;
    open_.fetch_add(1, std::memory_order_relaxed);
    if (plan_.config.http == http_choice::h2_alpn && t->protocol() != "h2") {
      link.http1.emplace(std::move(*t));
    } else {
      link.h2.emplace(std::move(*t), h2_options());
      link.flight.emplace(stats_.h2, 1);
      link.streams = 0;
      ++stats_.h2.connections;
    }
  }
  if (link.http1) {  // ALPN chose HTTP/1.1 for this origin
    if (rendered != 1) render_request(s, u);
    rendered = 1;
    const request_override io = step_request(s, u);
    if (io.keep) u.response.body.clear();
    o = co_await h1_exchange(link.http1, start, written, io);
    if (ready > 0 && o.ok()) o.times.connect = ready;
    co_return o;
  }
  if (rendered != 2) render_h2_request(s, u);
  rendered = 2;
  o = co_await scenario_h2_stream(link, s, u, start, written);
  o.times.connect = ready;
  o.times.written = ready;
  co_return o;
}

task<client::outcome> worker::h1_exchange(std::optional<client::connection>& conn, time_point start,
                                          std::uint64_t& written, const request_override& io) {
  client::outcome o;
  const std::uint64_t sent_before = conn->bytes_sent();
  const client::error_kind sent = co_await conn->send(io.bytes, start + plan_.config.timeout);
  written += conn->bytes_sent() - sent_before;
  if (sent != client::error_kind::none) {
    o.error = sent;
    o.times.complete = to_ns(mono_clock::now() - start);
  } else {
    const client::exchange_deadlines dl{start + plan_.config.timeout, time_point::max()};
    o = co_await conn->receive(start, dl, io.head, io.keep);
  }
  if (client::is_tls(o.error)) [[unlikely]]
    note_tls_failure(o, *conn);
  if (!plan_.config.keepalive) conn->close();
  drop_if_closed(conn);
  co_return o;
}

task<client::outcome> worker::scenario_h2_stream(user_link& link, const prepared_step& s, virtual_user& u,
                                                 time_point start, std::uint64_t& written) {
  client::h2_connection& c = *link.h2;
  h2_flight& f = *link.flight;
  const bool keep = s.keep_headers || s.keep_body;
  c.session().keep(s.keep_headers, s.keep_body);
  if (keep) {
    u.response.headers.clear();
    u.response.body.clear();
    u.response.body_truncated = false;
    u.response.max_body = s.keep_body ? capture_body_limit : 0;
  }
  client::outcome o;
  auto sid = c.session().submit(u.h2_request);
  if (!sid) {  // the session takes no new stream (a GOAWAY either way): this try was not sent
    o.error = client::error_kind::h2_goaway;
    o.times.complete = to_ns(mono_clock::now() - start);
    co_await close_h2_link(link);
    co_return o;
  }
  ++link.streams;
  f.add(*sid, h2_job{start, start, start, {}, false, 0});
  stats_.h2.peak_streams = std::max<std::uint32_t>(stats_.h2.peak_streams, 1);
  const std::int32_t id = *sid;
  auto on_event = [&f, &u, keep, id](const h2::event& e) {
    f.on_event(e);
    if (keep) keep_h2_response(e, id, u.response);
  };
  const time_point deadline = start + plan_.config.timeout;
  bool broken = false;  // the connection cannot carry another stream
  while (f.ended().empty()) {
    const std::uint64_t before = c.bytes_sent();
    const client::error_kind w = co_await c.flush(deadline);
    written += c.bytes_sent() - before;
    if (w != client::error_kind::none) {
      f.fail_all(mono_clock::now(), w);
      broken = true;
      break;
    }
    f.new_batch();
    const long n = co_await c.read(deadline, on_event);
    const time_point now = mono_clock::now();
    if (n == -ETIMEDOUT) {  // cancelled (RST_STREAM); the connection is closed below
      f.expire(now, plan_.config.timeout, c.session());
      broken = true;
    } else if (n <= 0 || !c.alive()) {
      f.fail_all_lost(now, n, c.failed() || (n > 0 && !c.alive()));
      broken = true;
    }
  }
  o = f.ended().front().o;
  f.clear_ended();
  if (broken || !c.alive() || f.goaway() || !plan_.config.keepalive) co_await close_h2_link(link);
  co_return o;
}

task<void> worker::close_h2_link(user_link& link) {
  if (!link.h2) co_return;
  client::h2_connection& c = *link.h2;
  if (c.alive()) {  // best effort: GOAWAY (and a pending RST_STREAM) to the server
    (void)c.session().shutdown();
    (void)co_await c.flush(mono_clock::now() + std::chrono::milliseconds(100));
  }
  c.close();
  link.h2.reset();
  link.flight.reset();
  open_.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace barrage::loadgen
