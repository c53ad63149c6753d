// One open WebSocket connection's session, driven by one coroutine: queue what is due
// (messages, pings), give up on replies past --timeout, flush, then read until the next thing
// is due. Echo mode, closed model: one message in flight, the next as soon as its reply came.
// Open model (--message-rate): messages at their intended times, each with its id in front
// (ws_message.hpp), replies matched by id. Listen mode: nothing sent but --subscribe once.
//
// How the session ends (each counted once, ws_stats.hpp):
//   the run's end, then every reply came or the grace period passed    held at the end
//   the peer's Close frame                                              closed by the peer (code)
//   a ramp-down, or (closed model) a reply past --timeout               closed by us
//   the connection ended without a Close frame, or the peer broke RFC 6455   dropped (reason)
// Messages still waiting then are in flight at the end (held) or lost (any other end).
#include <deque>

#include "client/connection.hpp"
#include "loadgen/ws_message.hpp"
#include "loadgen/ws_worker.hpp"

namespace barrage::loadgen {
namespace {

/// An interrupt or a ramp-down is seen within this, even by a connection with nothing due.
constexpr duration poll_cap = std::chrono::seconds(1);
/// How long a goodbye waits for the peer's Close frame.
constexpr duration goodbye_wait = std::chrono::milliseconds(250);
constexpr duration late_after = std::chrono::milliseconds(1);

struct waiting {
  std::uint64_t id = 0;
  time_point intended;
};

std::string errno_key(long n) { return std::string(client::to_string(client::from_errno(n))); }

/// Where connection `index` starts its open-model schedule within the first interval: spread
/// evenly (golden-ratio steps), so that the connections do not send in bursts.
duration schedule_phase(unsigned index, duration interval) {
  const double f = static_cast<double>(index) * 0.6180339887498949;
  return std::chrono::duration_cast<duration>(interval * (f - static_cast<double>(static_cast<std::uint64_t>(f))));
}

/// A session cancelled before it ended by itself (the backstop at the end, grace period + 2 s
/// after the run): held at the end, its messages in flight, so that the accounting balances.
struct unsettled_session {
  ws_stats& s;
  const std::deque<waiting>& flight;
  bool settled = false;
  ~unsettled_session() {
    if (settled) return;
    ++s.held_at_end;
    s.in_flight_at_end += flight.size();
  }
};

}  // namespace

task<ws_worker::session_end> ws_worker::session(client::ws_connection& c, unsigned index) {
  const ws_config& wc = plan_.config.ws;
  ws_stats& s = stats_.ws;
  const bool echo = wc.mode == ws_mode::echo, open_model = wc.open_model();
  const ws::message_kind kind = wc.binary ? ws::message_kind::binary : ws::message_kind::text;
  const duration timeout = plan_.config.timeout;
  std::deque<waiting> flight;  // messages waiting for their replies, oldest first
  unsettled_session guard{s, flight};
  std::string scratch;         // open model: the id, then the payload
  duration interval{};
  time_point now = mono_clock::now();
  time_point next_send = now;
  if (open_model) {
    scratch.assign(ws_message_id_chars, '0');
    scratch += wc.message;
    interval = std::chrono::duration_cast<duration>(std::chrono::duration<double>(1.0 / *wc.message_rate));
    next_send = now + schedule_phase(index, interval);
  }
  const bool pinging = wc.ping_interval > duration::zero();
  time_point next_ping = pinging ? now + wc.ping_interval : time_point::max();
  std::optional<waiting> ping_out;  // the ping waiting for its pong
  std::uint64_t next_id = 0, ping_seq = 0;
  char ping_text[ws_message_id_chars];
  time_point last_message{};
  std::optional<std::uint16_t> peer_code;
  bool broken = false;
  bool have_now = false;  // the clock was read for the events of this read

  auto on_event = [&](const ws::event& e) {
    if (!have_now) {
      now = mono_clock::now();
      have_now = true;
    }
    if (const auto* m = std::get_if<ws::message>(&e)) {
      ++s.received;
      s.bytes_received += m->data.size();
      if (!echo) {
        if (last_message != time_point{}) s.gap.record(static_cast<std::uint64_t>(to_ns(now - last_message)));
        last_message = now;
        return;
      }
      auto it = flight.begin();
      if (open_model) {
        const auto id = read_message_id(m->data);
        while (it != flight.end() && (!id || it->id != *id)) ++it;
      }
      if (it == flight.end()) {
        ++s.unmatched;
        return;
      }
      ++s.answered;
      s.latency.record(static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_ns(now - it->intended))));
      flight.erase(it);
    } else if (const auto* p = std::get_if<ws::pong>(&e)) {
      if (ping_out && p->data == std::string_view(ping_text, sizeof ping_text)) {
        ++s.pongs;
        s.ping_rtt.record(static_cast<std::uint64_t>(to_ns(now - ping_out->intended)));
        ping_out.reset();
      }
    } else if (const auto* pc = std::get_if<ws::peer_close>(&e)) {
      peer_code = pc->code;
    } else if (std::holds_alternative<ws::protocol_error>(e)) {
      broken = true;
    }
  };

  if (!echo && wc.subscribe && c.codec().queue_message(ws::message_kind::text, *wc.subscribe)) ++s.subscribes;
  bool draining = false;
  time_point drain_until = time_point::max();
  session_end how = session_end::dropped;
  std::string drop_reason;
  for (;;) {
    now = mono_clock::now();
    const bool ended = stopping_ || now >= plan_.end;
    if (!draining && (ended || told_to_stop(index))) {
      if (!ended) {  // a ramp-down: this connection is no longer wanted
        how = session_end::closed_by_us;
        break;
      }
      draining = true;  // the end: no more messages; the replies get the grace period
      drain_until = std::min(stopped_at_, plan_.end) + plan_.config.grace_period();
    }
    if (!draining && echo && !open_model && flight.empty()) {
      (void)c.codec().queue_message(kind, wc.message);
      flight.push_back({0, now});
      ++s.sent;
      s.bytes_sent += wc.message.size();
    }
    for (; !draining && open_model && next_send <= now; next_send += interval) {
      write_message_id(scratch.data(), next_id);
      (void)c.codec().queue_message(kind, scratch);
      flight.push_back({next_id++, next_send});
      ++s.sent;
      s.bytes_sent += scratch.size();
      if (now - next_send > late_after) ++s.late;
    }
    if (!draining && now >= next_ping) {
      if (!ping_out) {
        write_message_id(ping_text, ping_seq);
        ping_out = waiting{ping_seq++, now};
        (void)c.codec().queue_ping(std::string_view(ping_text, sizeof ping_text));
        ++s.pings;
      }
      next_ping = now + wc.ping_interval;
    }
    if (!flight.empty() && timeout < no_time_limit && flight.front().intended + timeout <= now) {
      if (!open_model) {  // its reply may still come: the connection cannot be trusted to pair them
        ++s.timed_out;
        flight.clear();
        how = session_end::closed_by_us;
        break;
      }
      while (!flight.empty() && flight.front().intended + timeout <= now) {
        ++s.timed_out;
        flight.pop_front();
      }
    }
    if (draining && (flight.empty() || now >= drain_until)) {
      how = session_end::held;
      break;
    }
    time_point deadline = std::min(now + poll_cap, draining ? drain_until : plan_.end);
    if (open_model && !draining) deadline = std::min(deadline, next_send);
    if (!draining) deadline = std::min(deadline, next_ping);
    if (!flight.empty() && timeout < no_time_limit) deadline = std::min(deadline, flight.front().intended + timeout);
    if (c.has_output()) {
      const long w = co_await c.flush(deadline);
      if (w == -ETIMEDOUT) continue;
      if (w < 0) {
        drop_reason = errno_key(w);
        break;
      }
    }
    have_now = false;
    const long n = co_await c.read(deadline, on_event);
    if (peer_code) {
      how = session_end::closed_by_peer;
      break;
    }
    if (broken) {
      drop_reason = "protocol_error";
      break;
    }
    if (n == -ETIMEDOUT) continue;
    if (n <= 0) {
      drop_reason = n == 0 ? "eof" : errno_key(n);
      break;
    }
  }
  guard.settled = true;
  if (how == session_end::held) s.in_flight_at_end += flight.size();
  else s.lost += flight.size();
  switch (how) {
    case session_end::held: ++s.held_at_end; break;
    case session_end::closed_by_peer: ++s.closed_by_peer[*peer_code]; break;
    case session_end::closed_by_us: ++s.closed_by_us; break;
    case session_end::dropped: ++s.dropped[drop_reason]; break;
  }
  if (how == session_end::closed_by_peer) {
    (void)co_await c.flush(mono_clock::now() + goodbye_wait);  // the codec's reply to their Close
  } else if (how != session_end::dropped) {
    co_await say_goodbye(c, ws::close_code::normal);
  }
  c.close();
  co_return how;
}

task<void> ws_worker::say_goodbye(client::ws_connection& c, std::uint16_t code) {
  const time_point until = mono_clock::now() + goodbye_wait;
  if (!c.codec().queue_close(code)) co_return;
  const long w = co_await c.flush(until);
  if (w < 0) co_return;
  // RFC 6455 §7.1.1: the server closes the TCP connection first, after its Close frame.
  auto ignore = [](const ws::event&) {};
  while (!c.codec().close_received()) {
    const long n = co_await c.read(until, ignore);
    if (n <= 0) break;
  }
}

}  // namespace barrage::loadgen
