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

struct waiting {
  std::uint64_t id = 0;
  time_point intended;
};

std::string errno_key(long n) { return std::string(client::to_string(client::from_errno(n))); }

/// Where connection `index` starts its open-model schedule, and its pings, within the first
/// interval: spread evenly (golden-ratio steps), so that the connections do not send in bursts
/// (10,000 connections opened at once would otherwise ping together every interval, and the
/// last pong of each burst would wait for the 9,999 before it).
duration schedule_phase(unsigned index, duration interval) {
  const double f = static_cast<double>(index) * 0.6180339887498949;
  return std::chrono::duration_cast<duration>(interval * (f - static_cast<double>(static_cast<std::uint64_t>(f))));
}

/// What one session keeps between its reads: the messages waiting, the schedule, the ping.
class session_state {
 public:
  session_state(const ws_config& wc, ws_stats& s, ws_timeline_recorder& timeline, duration timeout, unsigned index)
      : wc_(wc), s_(s), timeline_(timeline), timeout_(timeout), echo_(wc.mode == ws_mode::echo), open_(wc.open_model()),
        kind_(wc.binary ? ws::message_kind::binary : ws::message_kind::text) {
    const time_point now = mono_clock::now();
    next_send_ = now;
    if (open_) {
      scratch_.assign(ws_message_id_chars, '0');
      scratch_ += wc.message;
      interval_ = std::chrono::duration_cast<duration>(std::chrono::duration<double>(1.0 / *wc.message_rate));
      next_send_ = now + schedule_phase(index, interval_);
    }
    if (wc.ping_interval > duration::zero())
      next_ping_ = now + wc.ping_interval + schedule_phase(index, wc.ping_interval);
  }
  /// Cancelled before it ended by itself (the backstop at the end, grace period + 2 s after the
  /// run): held at the end, its messages in flight, so that the accounting balances.
  ~session_state() {
    if (settled_) return;
    ++s_.held_at_end;
    s_.in_flight_at_end += flight_.size();
  }

  std::optional<std::uint16_t> peer_code;  // the peer's Close frame came, with this code
  bool broken = false;                     // the peer broke RFC 6455

  std::size_t waiting_count() const noexcept { return flight_.size(); }
  /// Before a read: its events read the clock once, at the first.
  void new_read() noexcept { have_now_ = false; }
  void on_event(const ws::event& e);
  /// Queues what is due at `now`: the closed model's next message, the open model's scheduled
  /// ones, a ping.
  void queue_due(ws::frame_codec& codec, time_point now);
  /// Messages past --timeout time out; true when the closed model gives the connection up.
  bool expire(time_point now);
  /// When the next thing is due, at the latest `limit`.
  time_point next_due(time_point limit, bool draining) const noexcept;
  /// The session ended: what is still waiting is in flight at the end (`held`) or lost.
  void settle(bool held) noexcept {
    settled_ = true;
    (held ? s_.in_flight_at_end : s_.lost) += flight_.size();
  }

 private:
  void on_message(const ws::message& m);

  const ws_config& wc_;
  ws_stats& s_;
  ws_timeline_recorder& timeline_;
  const duration timeout_;
  const bool echo_, open_;
  const ws::message_kind kind_;
  std::deque<waiting> flight_;  // messages waiting for their replies, oldest first
  std::string scratch_;         // open model: the id, then the payload
  duration interval_{};
  time_point next_send_{};
  time_point next_ping_ = time_point::max();
  std::optional<waiting> ping_out_;  // the ping waiting for its pong
  std::uint64_t next_id_ = 0, ping_seq_ = 0;
  char ping_text_[ws_message_id_chars] = {};
  time_point last_message_{};
  time_point now_{};
  bool have_now_ = false;
  bool settled_ = false;
};

void session_state::on_event(const ws::event& e) {
  if (!have_now_) {
    now_ = mono_clock::now();
    have_now_ = true;
  }
  if (const auto* m = std::get_if<ws::message>(&e)) {
    on_message(*m);
  } else if (const auto* p = std::get_if<ws::pong>(&e)) {
    if (ping_out_ && p->data == std::string_view(ping_text_, sizeof ping_text_)) {
      ++s_.pongs;
      s_.ping_rtt.record(static_cast<std::uint64_t>(to_ns(now_ - ping_out_->intended)));
      ping_out_.reset();
    }
  } else if (const auto* pc = std::get_if<ws::peer_close>(&e)) {
    peer_code = pc->code;
  } else if (std::holds_alternative<ws::protocol_error>(e)) {
    broken = true;
  }
}

void session_state::on_message(const ws::message& m) {
  ++s_.received;
  timeline_.received(now_);
  s_.bytes_received += m.data.size();
  if (!echo_) {
    if (last_message_ != time_point{}) {
      const auto gap = static_cast<std::uint64_t>(to_ns(now_ - last_message_));
      s_.gap.record(gap);
      timeline_.timed(now_, gap);
    }
    last_message_ = now_;
    return;
  }
  auto it = flight_.begin();
  if (open_) {
    const auto id = read_message_id(m.data);
    while (it != flight_.end() && (!id || it->id != *id)) ++it;
  }
  if (it == flight_.end()) {
    ++s_.unmatched;
    return;
  }
  ++s_.answered;
  const auto rtt = static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_ns(now_ - it->intended)));
  s_.latency.record(rtt);
  timeline_.timed(now_, rtt);
  flight_.erase(it);
}

void session_state::queue_due(ws::frame_codec& codec, time_point now) {
  if (echo_ && !open_ && flight_.empty()) {
    (void)codec.queue_message(kind_, wc_.message);
    flight_.push_back({0, now});
    ++s_.sent;
    timeline_.sent(now);
    s_.bytes_sent += wc_.message.size();
  }
  for (; open_ && next_send_ <= now; next_send_ += interval_) {
    write_message_id(scratch_.data(), next_id_);
    (void)codec.queue_message(kind_, scratch_);
    flight_.push_back({next_id_++, next_send_});
    ++s_.sent;
    timeline_.sent(now);
    s_.bytes_sent += scratch_.size();
    if (now - next_send_ > late_after) ++s_.late;
  }
  if (now >= next_ping_) {
    if (!ping_out_) {
      write_message_id(ping_text_, ping_seq_);
      ping_out_ = waiting{ping_seq_++, now};
      (void)codec.queue_ping(std::string_view(ping_text_, sizeof ping_text_));
      ++s_.pings;
    }
    // On its own schedule (its phase kept), not from the wake-up: lateness does not bunch
    // the connections' pings together; a ping missed while the loop was late is skipped.
    next_ping_ += wc_.ping_interval;
    if (next_ping_ <= now) next_ping_ = now + wc_.ping_interval;
  }
}

bool session_state::expire(time_point now) {
  if (flight_.empty() || timeout_ >= no_time_limit || flight_.front().intended + timeout_ > now) return false;
  if (!open_) {  // its reply may still come: the connection cannot be trusted to pair them
    ++s_.timed_out;
    flight_.clear();
    return true;
  }
  while (!flight_.empty() && flight_.front().intended + timeout_ <= now) {
    ++s_.timed_out;
    flight_.pop_front();
  }
  return false;
}

time_point session_state::next_due(time_point limit, bool draining) const noexcept {
  time_point t = limit;
  if (open_ && !draining) t = std::min(t, next_send_);
  if (!draining) t = std::min(t, next_ping_);
  if (!flight_.empty() && timeout_ < no_time_limit) t = std::min(t, flight_.front().intended + timeout_);
  return t;
}

}  // namespace

task<ws_worker::session_end> ws_worker::session(client::ws_connection& c, unsigned index) {
  ws_stats& s = stats_.ws;
  session_state st(plan_.config.ws, s, timeline_, plan_.config.timeout, index);
  auto on_event = [&st](const ws::event& e) { st.on_event(e); };
  const auto& subscribe = plan_.config.ws.subscribe;
  if (plan_.config.ws.mode == ws_mode::listen && subscribe && c.codec().queue_message(ws::message_kind::text, *subscribe))
    ++s.subscribes;
  bool draining = false;
  time_point drain_until = time_point::max();
  session_end how = session_end::dropped;
  std::string drop_reason;
  for (;;) {
    const time_point now = mono_clock::now();
    const bool ended = stopping_ || now >= plan_.end;
    if (!draining && (ended || told_to_stop(index))) {
      if (!ended) {  // a ramp-down: this connection is no longer wanted
        how = session_end::closed_by_us;
        break;
      }
      draining = true;  // the end: no more messages; the replies get the grace period
      drain_until = std::min(stopped_at_, plan_.end) + plan_.config.grace_period();
    }
    if (!draining) st.queue_due(c.codec(), now);
    if (st.expire(now)) {
      how = session_end::closed_by_us;
      break;
    }
    if (draining && (st.waiting_count() == 0 || now >= drain_until)) {
      how = session_end::held;
      break;
    }
    const time_point deadline = st.next_due(std::min(now + poll_cap, draining ? drain_until : plan_.end), draining);
    if (c.has_output()) {
      const long w = co_await c.flush(deadline);
      if (w == -ETIMEDOUT) continue;
      if (w < 0) {
        drop_reason = errno_key(w);
        break;
      }
    }
    st.new_read();
    const long n = co_await c.read(deadline, on_event);
    if (st.peer_code) {
      how = session_end::closed_by_peer;
      break;
    }
    if (st.broken) {
      drop_reason = "protocol_error";
      break;
    }
    if (n == -ETIMEDOUT) continue;
    if (n <= 0) {
      drop_reason = n == 0 ? "eof" : errno_key(n);
      break;
    }
  }
  st.settle(how == session_end::held);
  switch (how) {
    case session_end::held: ++s.held_at_end; break;
    case session_end::closed_by_peer: ++s.closed_by_peer[*st.peer_code]; break;
    case session_end::closed_by_us: ++s.closed_by_us; break;
    case session_end::dropped: ++s.dropped[drop_reason]; break;
  }
  if (how == session_end::closed_by_peer || how == session_end::closed_by_us) timeline_.closed(mono_clock::now());
  if (how == session_end::dropped) timeline_.dropped(mono_clock::now());
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
