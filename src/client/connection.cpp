#include "client/connection.hpp"

#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "http/message.hpp"

namespace barrage::client {

error_kind from_errno(long negative_errno) noexcept {
  switch (-negative_errno) {
    case ETIMEDOUT: return error_kind::timeout;
    case ECONNRESET:
    case EPIPE: return error_kind::reset;
    case ECONNREFUSED: return error_kind::refused;
    case EMFILE:
    case ENFILE: return error_kind::too_many_open_files;
    default: return error_kind::io_error;
  }
}

error_kind from_tls(net::tls_errc k) noexcept {
  switch (k) {
    case net::tls_errc::verify:
    case net::tls_errc::hostname_mismatch:
    case net::tls_errc::expired: return error_kind::tls_verify;
    case net::tls_errc::handshake:
    case net::tls_errc::no_shared_version:
    case net::tls_errc::no_shared_cipher:
    case net::tls_errc::client_certificate_required: return error_kind::tls_handshake;
    case net::tls_errc::unexpected_eof:
    case net::tls_errc::protocol: break;
  }
  return error_kind::io_error;
}

error_kind connection::failure_of(long negative_errno) const noexcept {
  if (negative_errno == -EPROTO)
    if (const net::tls_error* e = stream_.tls_failure()) return from_tls(e->kind);
  return from_errno(negative_errno);
}

connection::connection(net::transport t, http::response_limits limits)
    : stream_(std::move(t)),
      buf_(initial_buffer, std::max(largest_buffer, limits.max_head_bytes + 4096)),
      limits_(limits),
      parser_(fields_, limits) {}

connection::connection(net::transport t, http::response_limits limits, std::span<http::header, few_fields> fields)
    : stream_(std::move(t)),
      buf_(initial_buffer, std::max(largest_buffer, limits.max_head_bytes + 4096)),
      limits_(limits),
      parser_(fields, limits) {}

connection::send_awaitable connection::send(std::string_view request, time_point deadline) {
  send_calls_ = 0;
  if (request.empty()) return send_awaitable(error_kind::none);
  std::size_t done = 0;
  if (!stream_.is_tls()) {  // io_uring copies a small request into a send buffer here; epoll sends it
    const long n = stream_.try_write(request.data(), request.size());
    if (n < 0 && n != -EAGAIN && n != -EWOULDBLOCK) {
      close();
      return send_awaitable(failure_of(n));
    }
    if (n > 0) {  // a call that took nothing (-EAGAIN) is not counted: the write that waits is
      send_calls_ = 1;
      done = static_cast<std::size_t>(n);
      sent_ += static_cast<std::uint64_t>(n);
      if (done == request.size()) return send_awaitable(error_kind::none);
    }
  }
  return send_awaitable(send_rest(request, done, deadline));
}

task<error_kind> connection::send_rest(std::string_view request, std::size_t done, time_point deadline) {
  while (done < request.size()) {
    ++send_calls_;
    long n = co_await stream_.write(request.data() + done, request.size() - done, deadline);
    if (n < 0) {
      close();
      co_return failure_of(n);
    }
    done += static_cast<std::size_t>(n);
    sent_ += static_cast<std::uint64_t>(n);
  }
  co_return error_kind::none;
}

void connection::make_room() {
  if (buf_.grow(rpos_, wpos_)) {
    wpos_ -= rpos_;
    rpos_ = 0;
    return;
  }
  // At its largest, which holds the longest head the parser accepts: rpos_ > 0 here.
  std::memmove(buf_.data(), buf_.data() + rpos_, wpos_ - rpos_);
  wpos_ -= rpos_;
  rpos_ = 0;
}

net::transport::awaitable connection::read_more(time_point deadline) {
  if (wpos_ == buf_.size()) make_room();
  ++reads_;
  return stream_.read(buf_.data() + wpos_, buf_.size() - wpos_, deadline, read_timer_);
}

time_point connection::stamped_read_time(time_point floor) const noexcept {
  const time_point now = mono_clock::now();
  const std::int64_t stamp = stream_.receive_stamp();
  if (stamp == 0) return now;
  timespec real;
  ::clock_gettime(CLOCK_REALTIME, &real);
  const std::int64_t ago = std::int64_t{real.tv_sec} * 1'000'000'000 + real.tv_nsec - stamp;
  if (ago <= 0) return now;
  return std::max(floor, now - std::chrono::nanoseconds(ago));
}

http::parse_status connection::widen_fields(bool head_request) {
  more_fields_.reset(new http::header[most_fields]);
  parser_ = http::response_parser(std::span<http::header>(more_fields_.get(), most_fields), limits_);
  parser_.reset(head_request);
  return parser_.parse(buffered());
}

void connection::rest_after(std::uint64_t bytes_in) {
  if (keep_grown_ || buf_.size() == buf_.initial() || rpos_ != wpos_) return;
  // Quiet only when this response and what the buffer held with it (wpos_: responses that came
  // in one read) fit the initial size.
  if (buf_.at_rest(std::max<std::size_t>(wpos_, bytes_in))) rpos_ = wpos_ = 0;
}

bool connection::take_buffered_body(const http::body_framing& framing, outcome& o, std::string* body) {
  if (framing.kind == http::body_kind::none) return true;
  if (framing.kind != http::body_kind::content_length || framing.length > wpos_ - rpos_) return false;
  const auto n = static_cast<std::size_t>(framing.length);
  keep_body(body, {buf_.data() + rpos_, n});
  if (watch_ && n > 0) watch_->on_body({buf_.data() + rpos_, n}, read_at_);
  o.body_bytes += n;
  rpos_ += n;
  return true;
}

connection::receiver::receiver(connection& c, time_point start, exchange_deadlines dl, bool head_request,
                               response_data* keep)
    : c_(&c), start_(start), dl_(dl), keep_(keep), body_(keep ? &keep->body : nullptr), head_request_(head_request) {
  if (keep) {
    c.body_limit_ = keep->max_body;
    c.body_over_ = keep->body_truncated = false;
  }
  c.parser_.reset(head_request);
  if (c.rpos_ == c.wpos_) c.rpos_ = c.wpos_ = 0;
  reads_at_first_byte_ = c.reads_;
  // Nothing buffered (the common case without pipelining): nothing to parse before the read.
  if (c.rpos_ < c.wpos_) {
    o_.times.first_byte = since();
    const http::parse_status st = c.parser_.parse(c.buffered());
    if (!st.incomplete()) on_head(st);
  }
}

void connection::receiver::take(long n) {
  n = c_->filled(n);
  if (n == 0) return fail(error_kind::closed_before_response);
  if (n < 0) {
    if (n == -ETIMEDOUT && !o_.times.first_byte && dl_.first_byte < dl_.total) return fail(error_kind::timeout_first_byte);
    return fail(c_->failure_of(n));
  }
  o_.bytes_in += static_cast<std::uint64_t>(n);
  if (c_->watch_) c_->read_at_ = mono_clock::now();
  if (!o_.times.first_byte) {
    o_.times.first_byte = c_->stream_.receive_stamps() ? to_ns(c_->stamped_read_time(start_) - start_) : since();
    reads_at_first_byte_ = c_->reads_;
  }
  const http::parse_status st = c_->parser_.parse(c_->buffered());
  if (!st.incomplete()) on_head(st);
}

void connection::receiver::on_head(http::parse_status st) {
  connection& c = *c_;
  if (st.is_error() && st.error == http::parse_error::too_many_headers && !c.more_fields_)
    st = c.widen_fields(head_request_);
  if (st.is_error()) {
    o_.parse_detail = static_cast<std::uint8_t>(st.error);
    return fail(error_kind::parse_error);
  }
  const http::response_head& head = c.parser_.head();
  o_.status = static_cast<std::uint16_t>(head.status);
  if (c.keep_location_) {
    c.location_.clear();
    if (o_.status >= 300 && o_.status < 400)
      for (const auto& h : head.headers)
        if (http::iequals(h.name, "Location")) {
          c.location_.assign(h.value);
          break;
        }
  }
  if (keep_) {
    keep_->headers.clear();
    for (const auto& h : head.headers) keep_->headers.emplace_back(h.name, h.value);
  }
  keep_alive_ = head.keep_alive;
  framing_ = head.body;
  c.rpos_ += st.consumed;
  if (c.watch_) {
    c.watch_->on_head(head, start_, c.read_at_);
    watching_ = true;
  }
  if (c.take_buffered_body(framing_, o_, body_)) return complete();
  phase_ = phase::body;
}

void connection::receiver::body_read(error_kind e) {
  if (e != error_kind::none) return fail(e);
  complete();
}

void connection::receiver::complete() {
  connection& c = *c_;
  ++c.uses_;
  if (keep_) keep_->body_truncated = c.body_over_;
  if (watching_) c.watch_->on_end(error_kind::none, mono_clock::now());
  if (!keep_alive_) c.close();
  c.rest_after(o_.bytes_in);
  // No read after the first byte's: complete at the same instant (parsing takes well under a
  // microsecond), which spares a clock read per response (docs/performance.md).
  // With receive stamps, the last read's data came when its stamp says.
  if (c.reads_ == reads_at_first_byte_) o_.times.complete = o_.times.first_byte;
  else o_.times.complete = c.stream_.receive_stamps() ? to_ns(c.stamped_read_time(start_) - start_) : since();
  phase_ = phase::done;
}

void connection::receiver::fail(error_kind k) {
  if (watching_) c_->watch_->on_end(k, mono_clock::now());
  c_->close();
  o_.error = k;
  if (k == error_kind::tls_verify || k == error_kind::tls_handshake)
    o_.tls_detail = static_cast<std::uint8_t>(c_->stream_.tls_failure()->kind);
  o_.times.complete = since();
  phase_ = phase::done;
}

task<outcome> connection::receive(time_point start, exchange_deadlines dl, bool head_request, response_data* keep) {
  receiver rx(*this, start, dl, head_request, keep);
  while (rx.reading()) rx.take(co_await rx.read());
  if (rx.needs_body()) rx.body_read(co_await rx.read_body());
  co_return rx.finish();
}

void connection::keep_body(std::string* body, std::string_view data) {
  if (!body) return;
  const std::size_t room = body_limit_ > body->size() ? body_limit_ - body->size() : 0;
  if (data.size() > room) {
    body_over_ = true;
    data = data.substr(0, room);
  }
  body->append(data);
}

task<error_kind> connection::read_body(const http::body_framing& framing, time_point deadline, outcome& o,
                                       std::string* body) {
  auto take = [&](std::size_t n) {
    keep_body(body, {buf_.data() + rpos_, n});
    if (watch_ && n > 0) watch_->on_body({buf_.data() + rpos_, n}, read_at_);
    o.body_bytes += n;
    rpos_ += n;
  };
  auto more = [&]() -> task<long> {
    // All consumed: read at the start again, unless the last read filled the buffer (then
    // read_more grows it).
    if (rpos_ == wpos_ && wpos_ < buf_.size()) rpos_ = wpos_ = 0;
    long n = filled(co_await read_more(deadline));
    if (n > 0) o.bytes_in += static_cast<std::uint64_t>(n);
    if (n > 0 && watch_) read_at_ = mono_clock::now();
    co_return n;
  };
  switch (framing.kind) {
    case http::body_kind::none:
      co_return error_kind::none;
    case http::body_kind::content_length: {
      std::uint64_t left = framing.length;
      for (;;) {
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, wpos_ - rpos_));
        take(n);
        left -= n;
        if (left == 0) co_return error_kind::none;
        long r = co_await more();
        if (r == 0) co_return error_kind::truncated_body;
        if (r < 0) co_return failure_of(r);
      }
    }
    case http::body_kind::until_close:
      for (;;) {
        take(wpos_ - rpos_);
        long r = co_await more();
        if (r == 0) {
          close();
          co_return error_kind::none;
        }
        if (r < 0) co_return failure_of(r);
      }
    case http::body_kind::chunked: {
      http::chunked_decoder dec;
      for (;;) {
        http::body_step s = dec.feed(buffered());
        keep_body(body, s.data);
        if (watch_ && !s.data.empty()) watch_->on_body(s.data, read_at_);
        o.body_bytes += s.data.size();
        rpos_ += s.consumed;
        if (s.is_error()) {
          o.parse_detail = static_cast<std::uint8_t>(s.error);
          co_return error_kind::parse_error;
        }
        if (s.done()) co_return error_kind::none;
        if (s.consumed > 0 && rpos_ < wpos_) continue;  // the decoder stops after each data run
        long r = co_await more();
        if (r == 0) co_return error_kind::truncated_body;
        if (r < 0) co_return failure_of(r);
      }
    }
  }
  co_return error_kind::none;
}

task<outcome> connection::exchange(std::string_view request, time_point start, exchange_deadlines dl, bool head_request,
                                   response_data* keep) {
  if (error_kind e = co_await send(request, dl.total); e != error_kind::none) {
    outcome o;
    o.error = e;
    co_return o;
  }
  auto written = to_ns(mono_clock::now() - start);
  outcome o = co_await receive(start, dl, head_request, keep);
  o.times.written = written;
  co_return o;
}

}  // namespace barrage::client
