#include "server/ws_session.hpp"

#include <algorithm>
#include <cerrno>
#include <variant>

#include "base/units.hpp"
#include "runtime/event_loop.hpp"

namespace barrage::server::detail {

namespace {
constexpr duration max_feed_interval = std::chrono::hours(1);
}

ws_route ws_route_for(std::string_view path) noexcept {
  if (path == "/ws/echo") return ws_route::echo;
  if (path == "/ws/feed") return ws_route::feed;
  return ws_route::none;
}

result<ws_feed_params, std::string> parse_feed_params(std::string_view query, const ws_limits& limits) {
  ws_feed_params p;
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    const std::string_view name = pair.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    if (name == "interval") {
      auto d = parse_duration(value);
      if (!d) return fail("interval: " + d.error());
      if (*d < limits.min_feed_interval || *d > max_feed_interval)
        return fail("interval: must be between " + format_duration(limits.min_feed_interval) + " and 1h");
      p.interval = *d;
    } else if (name == "size") {
      auto n = parse_size(value);
      if (!n) return fail("size: " + n.error());
      if (*n > limits.max_message_bytes)
        return fail("size: at most the message limit, " + std::to_string(limits.max_message_bytes) + " bytes");
      p.size = static_cast<std::size_t>(*n);
    }
  }
  return p;
}

ws_session::ws_session(ws_session_io io, ws_metrics& metrics, const ws_limits& limits, ws_route route,
                       ws_feed_params feed)
    : c_(io),
      metrics_(metrics),
      limits_(limits),
      route_(route),
      feed_(feed),
      codec_(ws::role::server, {.max_message_bytes = limits.max_message_bytes}) {
  metrics_.opened();
}

ws_session::~ws_session() { metrics_.closed(reason_); }

void ws_session::close_with(std::uint16_t code, std::string_view why, ws_close_reason reason) {
  if (codec_.close_sent()) return;
  (void)codec_.queue_close(code, why);
  reason_ = reason;
  close_deadline_ = event_loop::current().now() + limits_.close_timeout;
}

// The client's bytes: echoes for /ws/echo; a close or an error decides how the session ends.
void ws_session::take(std::string_view bytes) {
  for (const ws::event& e : codec_.feed(bytes)) {
    if (const auto* m = std::get_if<ws::message>(&e)) {
      const bool binary = m->kind == ws::message_kind::binary;
      metrics_.received(binary);
      if (route_ == ws_route::echo && codec_.queue_message(m->kind, m->data).ok()) metrics_.sent(binary);
    } else if (const auto* pc = std::get_if<ws::peer_close>(&e)) {
      (void)pc;
      if (!codec_.close_sent() || reason_ == ws_close_reason::vanished) reason_ = ws_close_reason::peer_closed;
    } else if (const auto* err = std::get_if<ws::protocol_error>(&e)) {
      reason_ = err->code == ws::close_code::invalid_payload   ? ws_close_reason::invalid_utf8
                : err->code == ws::close_code::message_too_big ? ws_close_reason::message_too_big
                                                                : ws_close_reason::protocol_error;
      ended_ = true;
    }
  }
}

// One /ws/feed message: the number of its tick in the schedule (0, 1, ...), then filler up to
// the size. Ticks that fell due while the client was not reading are skipped (counted), not
// queued: the numbers then jump, so a client sees what it missed.
void ws_session::push(time_point now) {
  if (payload_.size() != feed_.size) payload_.assign(feed_.size, '.');
  const std::string seq = std::to_string(tick_);
  std::copy_n(seq.begin(), std::min(seq.size(), payload_.size()), payload_.begin());
  if (codec_.queue_message(ws::message_kind::text, payload_).ok()) metrics_.sent(false);
  ++tick_;
  next_push_ += feed_.interval;
  if (next_push_ <= now) {
    const auto late = static_cast<std::uint64_t>((now - next_push_) / feed_.interval) + 1;
    metrics_.feed_skipped(late);
    tick_ += late;
    next_push_ += feed_.interval * static_cast<std::int64_t>(late);
  }
}

// Writes all pending output; false when the connection is over (write timeout, failure).
task<bool> ws_session::send_pending() {
  for (std::string_view out = codec_.pending_output(); !out.empty(); out = codec_.pending_output()) {
    long n = c_.io.try_write(out.data(), out.size());
    if (n == -EAGAIN || n == 0) {
      metrics_.output_wait();
      n = co_await c_.io.write(out.data(), out.size(), event_loop::current().now() + c_.write_timeout);
      if (n == -ETIMEDOUT) reason_ = ws_close_reason::write_timeout;
    }
    if (n <= 0) co_return false;
    codec_.consume_output(static_cast<std::size_t>(n));
  }
  co_return true;
}

std::optional<time_point> ws_session::next_wait(time_point now) {
  if (codec_.close_sent()) {
    if (now >= close_deadline_) {
      reason_ = reason_ == ws_close_reason::ping_timeout ? reason_ : ws_close_reason::close_timeout;
      ended_ = true;
      return std::nullopt;
    }
    return close_deadline_;
  }
  if (c_.draining) {
    close_with(ws::close_code::going_away, "server shutting down", ws_close_reason::server_closed);
    return std::nullopt;
  }
  if (now >= ping_deadline_) {
    close_with(ws::close_code::going_away, "ping timeout", ws_close_reason::ping_timeout);
    ended_ = true;  // the client is gone or stuck: no wait for its close
    return std::nullopt;
  }
  if (ping_deadline_ == time_point::max() && now >= last_heard_ + limits_.ping_interval) {
    (void)codec_.queue_ping("barrage");
    ping_deadline_ = now + limits_.ping_timeout;
    return std::nullopt;
  }
  if (route_ == ws_route::feed && now >= next_push_) {
    push(now);
    return std::nullopt;
  }
  time_point t = std::min(ping_deadline_, last_heard_ + limits_.ping_interval);
  if (route_ == ws_route::feed) t = std::min(t, next_push_);
  return t;
}

task<void> ws_session::run(std::string_view already_read) {
  event_loop& loop = event_loop::current();
  last_heard_ = loop.now();
  next_push_ = last_heard_;
  if (!already_read.empty()) take(already_read);
  try {
    for (;;) {
      const bool sent = co_await send_pending();
      if (!sent || ended_ || codec_.finished()) co_return;
      const time_point now = loop.now();
      const std::optional<time_point> wait = next_wait(now);
      if (!wait) continue;
      c_.reading = true;
      const long n = co_await c_.io.read(in_.data(), in_.size(), *wait);
      c_.reading = false;
      if (n == -ETIMEDOUT) continue;
      if (n <= 0) co_return;  // gone without a close frame (or after ours): reason_ says which
      last_heard_ = loop.now();
      ping_deadline_ = time_point::max();
      take(std::string_view(in_.data(), static_cast<std::size_t>(n)));
      in_.after_read(static_cast<std::size_t>(n));
    }
  } catch (const operation_cancelled&) {
    // Stopped while waiting (a drain, a cut): a close frame if the socket takes it at once.
    c_.reading = false;
    close_with(ws::close_code::going_away, "server shutting down", ws_close_reason::server_closed);
    const std::string_view out = codec_.pending_output();
    if (!out.empty()) (void)c_.io.try_write(out.data(), out.size());
    throw;
  }
}

}  // namespace barrage::server::detail
