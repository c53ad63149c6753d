// Phase 2 of a server connection (connection.hpp), when the body did not arrive whole with
// its head: reading it, sized or chunked, with "100 Continue" when the client waits for it and
// 413 beyond the limit.
#include <cstring>

#include "http/body_reader.hpp"
#include "server/connection.hpp"

namespace barrage::server::detail {

// The whole body into body_: in buf_ when it fits there (next_ moves past it), else in
// body_buf_. False when the connection ends (closed, failed, or answered with an error).
task<bool> connection::read_body(const http::request_head& head, bool want_continue) {
  if (head.body.kind == http::body_kind::content_length)
    co_return co_await read_sized_body(head.body.length, want_continue);
  co_return co_await read_chunked_body(head.body, want_continue);
}

task<bool> connection::read_sized_body(std::uint64_t len, bool want_continue) {
  if (len > o_.max_body_bytes) {
    // Answered once the body starts to arrive, or at once when the client waits for
    // 100-continue; a client that announces a huge body and sends nothing times out.
    if (!want_continue && end_ == next_ && end_ < buf_.size()) {
      const bool arrived = co_await read_more();
      if (!arrived) co_return false;
    }
    co_await send_error(413, "request body too large");
    co_return false;
  }
  if (len > 0 && want_continue && end_ == next_) {
    const bool sent = co_await send_continue();
    if (!sent) co_return false;
  }
  const auto n = static_cast<std::size_t>(len);
  if (end_ - next_ < n && next_ + n > buf_.size()) co_return co_await read_large_body(n);
  while (end_ - next_ < n) {
    const bool more = co_await read_more();
    if (!more) co_return false;
  }
  body_ = std::string_view(buf_.data() + next_, n);
  next_ += n;
  co_return true;
}

task<bool> connection::read_large_body(std::size_t len) {
  // Larger than the room left: read the rest straight into body_buf_ (never past it).
  const std::size_t have = end_ - next_;
  body_buf_.resize(len);
  std::memcpy(body_buf_.data(), buf_.data() + next_, have);
  end_ = next_;
  std::size_t got = have;
  while (got < len) {
    const long n = co_await timed(io_.read(body_buf_.data() + got, len - got), loop_->now() + o_.body_timeout);
    if (n <= 0) co_return false;
    got += static_cast<std::size_t>(n);
  }
  body_ = body_buf_;
  co_return true;
}

task<bool> connection::read_chunked_body(const http::body_framing& framing, bool want_continue) {
  if (want_continue && end_ == next_) {
    const bool sent = co_await send_continue();
    if (!sent) co_return false;
  }
  http::body_reader reader(framing);
  body_buf_.clear();
  std::size_t pos = next_;
  for (;;) {
    if (pos < end_) {
      const http::body_step step = reader.feed(std::string_view(buf_.data() + pos, end_ - pos));
      pos += step.consumed;
      if (step.is_error()) {
        co_await send_error(status_for(step.error), http::to_string(step.error));
        co_return false;
      }
      if (body_buf_.size() + step.data.size() > o_.max_body_bytes) {
        co_await send_error(413, "request body too large");
        co_return false;
      }
      body_buf_.append(step.data);
      if (step.done()) break;
      continue;
    }
    end_ = pos = next_;  // all of it decoded: read over it (the head before next_ stays)
    const bool more = co_await read_more();
    if (!more) co_return false;
  }
  next_ = pos;
  body_ = body_buf_;
  co_return true;
}

/// More of a body into buf_ at end_, waiting at most body_timeout. False: closed or failed.
task<bool> connection::read_more() {
  const long n = co_await timed(io_.read(buf_.data() + end_, buf_.size() - end_), loop_->now() + o_.body_timeout);
  if (n <= 0) co_return false;
  end_ += static_cast<std::size_t>(n);
  co_return true;
}

connection::flush_wait connection::send_continue() {
  out_.append("HTTP/1.1 100 Continue\r\n\r\n");
  return flush();
}

}  // namespace barrage::server::detail
