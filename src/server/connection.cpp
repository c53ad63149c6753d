// One client connection: read into a fixed buffer, parse heads in place, read the body
// (Content-Length or chunked), run the handler, render into the output buffer, and write
// once per batch of pipelined responses.
//
// Deadlines (idle, head, body, write, linger) are enforced by one timer per connection that
// fires lazily: moving a deadline later only stores it, and the timer, when it fires early,
// re-arms itself at the current deadline. So the keep-alive path costs no timer operation per
// request. A deadline that passes while the connection waits for I/O stops its task
// (operation_cancelled at the wait), nothing else. Every wait goes through timed().
#include "server/connection.hpp"

#include <sys/uio.h>

#include <charconv>
#include <cstring>

#include "runtime/sleep.hpp"
#include "server/h2_connection.hpp"
#include "server/state.hpp"
#include "server/worker.hpp"
#include "server/ws_upgrade.hpp"

namespace barrage::server {

int status_for(http::parse_error e) noexcept {
  using http::parse_error;
  switch (e) {
    case parse_error::unsupported_version:
      return 505;
    case parse_error::unknown_transfer_coding:
      return 501;
    case parse_error::head_too_large:
    case parse_error::too_many_headers:
      return 431;
    case parse_error::start_line_too_long:
      return 414;
    default:
      return 400;
  }
}

namespace detail {
namespace {
// Room in the read buffer past the longest head: the body streams through it.
constexpr std::size_t body_slack = 8 * 1024;
// Bodies up to this size are copied behind their head; larger ones are written from where
// they are (one writev with the pending output).
constexpr std::size_t inline_body_max = 16 * 1024;
// The capacity of an empty std::string (its bytes in place): body_buf_ has allocated nothing.
const std::size_t empty_string_capacity = std::string().capacity();
// Pending output is written once it reaches this size, even mid-batch.
constexpr std::size_t out_flush_at = 64 * 1024;
// TLS: the longest wait for the close_notify of a connection closed without a last answer
// (idle, drained): the client reads nothing more from it.
constexpr duration close_notify_time = std::chrono::seconds(1);

bool is_standard_method(std::string_view m) noexcept {
  for (std::string_view s : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "CONNECT"})
    if (m == s) return true;
  return false;
}

}  // namespace

connection::connection(std::shared_ptr<server::state> st, worker& w, net::transport io)
    : state_(std::move(st)),
      w_(w),
      o_(state_->opts),
      loop_(&event_loop::current()),
      io_(std::move(io)),
      buf_(std::min(initial_buffer, o_.max_head_bytes + body_slack), o_.max_head_bytes + body_slack),
      fields_(few_fields_.data()),
      parser_(std::span<http::header>(few_fields_),
              http::request_limits{o_.max_head_bytes, o_.max_request_line, o_.max_headers}) {
  dog_.self = this;
  dog_.node.fire = &connection::on_timer;
  w_.attach(*this);
}

connection::~connection() {
  loop_->cancel_timer(dog_.node);
  w_.detach(*this);
}

// ---------------------------------------------------------------------------- timers

void connection::set_deadline(time_point d) {
  deadline_ = d;
  if (!dog_.node.queued()) {
    loop_->add_timer(dog_.node, d);
  } else if (dog_.node.deadline > d) {
    loop_->cancel_timer(dog_.node);
    loop_->add_timer(dog_.node, d);
  }
}

void connection::on_timer(timer_node* n) noexcept {
  connection* c = reinterpret_cast<watchdog*>(n)->self;
  if (c->deadline_ == time_point::max()) return;  // no deadline now: the timer lapses
  event_loop& loop = *c->loop_;
  try {
    if (loop.now() < c->deadline_) {
      loop.add_timer(c->dog_.node, c->deadline_);
      return;
    }
    if (!c->io_waiting_) {  // between two waits: look again shortly
      loop.add_timer(c->dog_.node, loop.now() + std::chrono::milliseconds(10));
      return;
    }
  } catch (...) {
    // The timer heap could not grow: stopping the connection now is the only way not to
    // forget its deadline (it may be early; the client sees a close).
    c->w_.s.swallowed.count(swallowed_at::watchdog_timer);
  }
  c->timed_out_ = true;
  c->scope_->request_stop();
}

void connection::close_if_idle() noexcept {
  if (h2_ != nullptr) return h2_->drain();  // GOAWAY: its open streams are answered first
  // Idle between requests, or lingering after its last answer: nothing is lost by closing.
  if ((phase_ != phase::idle && phase_ != phase::closing) || !io_waiting_) return;
  deadline_ = loop_->now();
  loop_->cancel_timer(dog_.node);
  try {
    loop_->add_timer(dog_.node, deadline_);
  } catch (...) {  // the timer heap could not grow: cutting closes it just as well, at once
    w_.s.swallowed.count(swallowed_at::drain_timer);
    cut();
  }
}

void connection::cut() noexcept {
  io_.shutdown();
  if (scope_) scope_->request_stop();  // a handler waiting on a timer stops there too
}

void connection::start_head() noexcept {
  phase_ = phase::head;
  head_deadline_ = loop_->now() + o_.head_timeout;
}

// ---------------------------------------------------------------------------- output

bool connection::try_send_out() noexcept {
  const long n = io_.try_write(out_.data(), out_.size());
  if (n == static_cast<long>(out_.size())) {
    out_.clear();
    return true;
  }
  if (n > 0) out_.erase(0, static_cast<std::size_t>(n));
  return false;  // write_out() waits for the rest, or meets the error again
}

task<bool> connection::write_out(std::string_view extra, std::string_view tail) {
  iovec iov[3];
  int count = 0;
  for (std::string_view part : {std::string_view(out_), extra, tail}) {
    if (part.empty()) continue;
    iov[count].iov_base = const_cast<char*>(part.data());
    iov[count].iov_len = part.size();
    ++count;
  }
  const phase saved = phase_;
  phase_ = phase::writing;
  int first = 0;
  while (first < count) {
    const long n = co_await timed(io_.writev(iov + first, count - first), loop_->now() + o_.write_timeout);
    if (n <= 0) {
      write_failed_ = true;
      out_.clear();
      clear_deadline();
      co_return false;
    }
    auto left = static_cast<std::size_t>(n);
    while (first < count && left >= iov[first].iov_len) {
      left -= iov[first].iov_len;
      ++first;
    }
    if (first < count) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + left;
      iov[first].iov_len -= left;
    }
  }
  out_.clear();
  phase_ = saved;
  clear_deadline();
  co_return true;
}

task<void> connection::linger() {
  // TLS: a close_notify (after the answer's last records) tells the client it has it all.
  if (tls_ready_) co_await tls_close(loop_->now() + o_.write_timeout);
  io_.shutdown_write();
  phase_ = phase::closing;
  const time_point until = loop_->now() + (w_.draining ? linger_time / 10 : linger_time);
  std::size_t budget = linger_bytes;
  try {
    while (budget > 0) {
      const long n = co_await timed(io_.read(buf_.data(), buf_.size()), until);
      if (n <= 0) break;
      budget -= std::min(budget, static_cast<std::size_t>(n));
    }
  } catch (const operation_cancelled&) {
  }
  timed_out_ = false;
  clear_deadline();
}

task<void> connection::send_error(int status, std::string_view why) {
  std::string text(reason_phrase(status));
  text.append(": ").append(why).push_back('\n');
  response r(status, std::move(text));
  r.close_connection();
  const render_options ro{http_date(loop_->now()), o_.server_name, false, false, false};
  render_head(out_, r, ro);
  out_.append(r.body());
  w_.metrics.record(status, duration::zero());
  const bool sent = co_await flush();
  if (sent) co_await linger();
}

task<bool> connection::write(std::string_view data) {
  if (write_failed_) co_return false;
  if (data.empty()) co_return true;
  switch (stream_mode_) {
    case body_framing_out::chunked: {
      char size[20];
      auto r = std::to_chars(size, size + 16, data.size(), 16);
      *r.ptr++ = '\r';
      *r.ptr++ = '\n';
      out_.append(size, static_cast<std::size_t>(r.ptr - size));
      co_return co_await write_out(data, "\r\n");
    }
    case body_framing_out::sized:
      if (data.size() > stream_left_) {
        write_failed_ = true;  // more than the announced length: cut the connection
        co_return false;
      }
      stream_left_ -= data.size();
      co_return co_await write_out(data);
    case body_framing_out::until_close:
      co_return co_await write_out(data);
    default:
      co_return true;
  }
}

// ---------------------------------------------------------------------------- the request loop

task<void> connection::serve() {
  scope_ = co_await this_scope{};
  bool answer_timeout = false;
  try {
    bool ready = true;
    if (io_.is_tls()) ready = co_await tls_handshake();
    bool h2 = false;
    if (ready) h2 = co_await h2_handover();
    if (ready && !h2) co_await run();
  } catch (const operation_cancelled&) {
    answer_timeout = timed_out_ && (phase_ == phase::head || phase_ == phase::body);
  } catch (...) {
    // Past its handler (whose failures are 500s) only running out of memory throws: this
    // connection ends, and the others are better served by going on than by a crash.
    w_.s.swallowed.count(swallowed_at::connection);
  }
  if (answer_timeout) {
    timed_out_ = false;
    try {
      co_await send_error(408, "the request took too long to arrive");
    } catch (...) {  // as above: the connection closes without its 408
      w_.s.swallowed.count(swallowed_at::timeout_answer);
    }
  }
  clear_deadline();
  if (tls_ready_ && !tls_closed_) {  // closed while idle, timed out, drained or cut
    try {
      co_await tls_close(loop_->now() + close_notify_time);
    } catch (const operation_cancelled&) {  // cut meanwhile: the close_notify is moot
    } catch (...) {                         // as above: the connection closes without it
      w_.s.swallowed.count(swallowed_at::connection);
    }
  }
}

// The phases of one request after another. The hot path (a keep-alive request whose head
// arrives in one read and whose answer the socket takes at once) waits only in the read and
// the handler and makes no coroutine frame of its own; the phases' plain functions below are
// always inlined into it, so that being written in phases costs it no call.
task<void> connection::run() {
  out_.reserve(out_reserve);
  for (;;) {
    // 1. Read the head, parsing what is buffered first; pending answers go out before a wait.
    if (begin_request()) {
      // A long pipelined batch is answered without suspending; every 64 requests the loop
      // gets a turn (fairness to other connections), which also bounds the stack in builds
      // where the compiler does not make coroutine hand-offs tail calls (sanitizers).
      if (++answered_in_a_row_ % 64 == 0) co_await yield_now{};
      start_head();
    }
    http::parse_status st = parse_head();
    while (st.incomplete()) {
      const bool sent = co_await flush();
      if (!sent) co_return;
      const head_wait wait = prepare_head_read();
      if (wait != head_wait::read) {
        if (wait == head_wait::too_large) co_await send_error(431, "request head too large");
        co_return;
      }
      const long n = co_await timed(io_.read(buf_.data() + end_, buf_.size() - end_), head_read_deadline());
      if (n <= 0) co_return;  // closed or failed: nothing left to answer
      st = took_head_bytes(static_cast<std::size_t>(n));
    }
    st = settle_head(st);
    if (st.is_error()) {
      co_await send_error(head_error_status(st.error), http::to_string(st.error));
      co_return;
    }

    // 2. Read the body, after the fields the server itself looks at.
    const http::request_head& head = parser_.head();
    // The loop's clock (read once per turn), as nginx's $request_time: two clock reads per
    // request saved, the duration exact to within the turns it starts and ends in.
    const time_point started = loop_->now();
    const head_fields fields = begin_body(st.consumed);
    if (fields.refuse_status != 0) {
      co_await send_error(fields.refuse_status, fields.refuse_why);
      co_return;
    }
    if (fields.upgrade && wants_websocket(head, state_->routes)) {  // the connection becomes a WebSocket
      co_await serve_websocket(head);
      co_return;
    }
    if (head.body.kind != http::body_kind::none && !take_buffered_body(head)) {
      const bool whole = co_await read_body(head, fields.want_continue);
      if (!whole) co_return;
    }

    // 3. Dispatch: the handler's response, or the server's own.
    response resp;
    const handler* h = dispatch(head, fields.kept, resp);
    if (auto until = stalled_until()) co_await sleep_until(*until);  // the stall schedule holds the server
    if (h != nullptr) {
      try {
        resp = co_await (*h)(req_);
      } catch (const operation_cancelled&) {
        throw;
      } catch (...) {
        resp = response(500, "internal server error\n");
        resp.close_connection();
      }
    }

    // 4. Write the response: rendered behind the ones pending; a large or streamed body now.
    const rendered out = render_response(head, resp, started);
    after then = out.keep ? after::next_request : after::close;
    if (out.body != body_framing_out::none) then = co_await write_body(out.body, resp, out.keep);
    if (then == after::stop) co_return;

    // 5. Keep alive for the next request, or close: the output sent, then a linger.
    if (then == after::close) {
      const bool sent = co_await flush();
      if (sent) co_await linger();
      co_return;
    }
    if (out_.size() >= out_flush_at) {  // held back for more pipelined answers up to this size
      const bool sent = co_await flush();
      if (!sent) co_return;
    }
  }
}

[[gnu::always_inline]] inline bool connection::begin_request() noexcept {
  parser_.reset();
  if (begin_ != end_) return true;
  last_in_ = end_;
  begin_ = end_ = 0;
  phase_ = phase::idle;
  answered_in_a_row_ = 0;
  return false;
}

[[gnu::always_inline]] inline http::parse_status connection::parse_head() noexcept {
  if (begin_ == end_) return http::parse_status::need_more();
  return parser_.parse(std::string_view(buf_.data() + begin_, end_ - begin_));
}

[[gnu::always_inline]] inline connection::head_wait connection::prepare_head_read() noexcept {
  if (phase_ == phase::idle) {
    rest();
    return w_.draining ? head_wait::end : head_wait::read;
  }
  if (end_ == buf_.size()) {  // the last read filled the buffer: a larger one, or room at the front
    if (buf_.grow(begin_, end_)) {
      end_ -= begin_;
      begin_ = 0;
    } else if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
  }
  // Full cannot happen with the parser's limit below the largest size; be safe anyway.
  return end_ == buf_.size() ? head_wait::too_large : head_wait::read;
}

[[gnu::always_inline]] inline void connection::rest() noexcept {
  if (buf_.size() == buf_.initial() && out_.capacity() <= out_reserve && body_buf_.capacity() <= empty_string_capacity) return;
  if (last_in_ > initial_buffer || last_out_ > out_reserve || body_buf_.size() > 0) {
    quiet_ = 0;
    body_buf_.clear();  // counted once: the next request shows whether it is used again
    return;
  }
  if (++quiet_ >= adaptive_buffer::quiet_rounds) shrink_all();
}

void connection::shrink_all() noexcept {
  quiet_ = 0;
  try {
    if (buf_.size() != buf_.initial()) buf_.shrink();
    if (out_.capacity() > out_reserve) {
      std::string().swap(out_);
      out_.reserve(out_reserve);
    }
  } catch (...) {  // no memory for the smaller one: the connection ends at its next read
    w_.s.swallowed.count(swallowed_at::connection);
  }
  std::string().swap(body_buf_);
}

std::optional<time_point> connection::stalled_until() const noexcept {
  if (o_.stall.every <= duration::zero()) return std::nullopt;
  return state_->stall_until(loop_->now());
}

http::parse_status connection::settle_head(http::parse_status st) {
  if (st.is_error() && st.error == http::parse_error::too_many_headers && !more_fields_) st = widen_fields();
  if (!st.is_error() && parser_.head().body.kind == http::body_kind::chunked) st = room_for_chunks(st);
  return st;
}

http::parse_status connection::widen_fields() {
  if (o_.max_headers <= few_fields) return parser_.parse(std::string_view(buf_.data() + begin_, end_ - begin_));
  more_fields_.reset(new http::header[o_.max_headers]);
  fields_ = more_fields_.get();
  parser_ = http::request_parser(std::span<http::header>(fields_, o_.max_headers),
                                 http::request_limits{o_.max_head_bytes, o_.max_request_line, o_.max_headers});
  return parser_.parse(std::string_view(buf_.data() + begin_, end_ - begin_));
}

http::parse_status connection::room_for_chunks(http::parse_status st) {
  if (buf_.size() == buf_.largest()) return st;
  while (buf_.grow(begin_, end_)) {
    end_ -= begin_;
    begin_ = 0;
  }
  parser_.reset();
  return parser_.parse(std::string_view(buf_.data(), end_));
}

[[gnu::always_inline]] inline time_point connection::head_read_deadline() const noexcept {
  return phase_ == phase::idle ? loop_->now() + o_.idle_timeout : head_deadline_;
}

[[gnu::always_inline]] inline http::parse_status connection::took_head_bytes(std::size_t n) noexcept {
  // After a short read the backend waits for the next edge instead of reading into EAGAIN
  // (io_handle::may_read): one syscall less per keep-alive request, as nginx.
  if (phase_ == phase::idle) start_head();
  end_ += n;
  return parser_.parse(std::string_view(buf_.data() + begin_, end_ - begin_));
}

int connection::head_error_status(http::parse_error e) const noexcept {
  // 414 is for a long target; a start line with no space in it at all has a long method
  // (or is no request line): that is a plain 400.
  if (e == http::parse_error::start_line_too_long &&
      std::memchr(buf_.data() + begin_, ' ', std::min(end_ - begin_, o_.max_request_line)) == nullptr)
    return 400;
  return status_for(e);
}

[[gnu::always_inline]] inline connection::head_fields connection::begin_body(std::size_t head_length) noexcept {
  const http::request_head& head = parser_.head();
  phase_ = phase::body;
  next_ = begin_ + head_length;
  body_ = {};
  head_fields f;
  unsigned content_types = 0;
  const http::header* expect = nullptr;
  for (const http::header& h : head.headers) {
    // A name with '_' is dropped (nginx does the same): behind a CGI-style gateway
    // Content_Length and Content-Length become one name.
    if (std::memchr(h.name.data(), '_', h.name.size()) != nullptr) continue;
    if (h.name.size() == 12 && http::iequals(h.name, "content-type")) ++content_types;
    else if (h.name.size() == 6 && http::iequals(h.name, "expect")) expect = &fields_[f.kept];
    else if (h.name.size() == 7 && http::iequals(h.name, "upgrade")) f.upgrade = true;
    fields_[f.kept++] = h;
  }
  if (content_types > 1) {
    f.refuse_status = 400;
    f.refuse_why = "more than one Content-Type";
  } else if (expect != nullptr && head.version != http::http_version::http_1_0) {
    // An HTTP/1.0 expectation is ignored (RFC 9110 §10.1.1).
    f.want_continue = http::iequals(expect->value, "100-continue");
    if (!f.want_continue) {
      f.refuse_status = 417;
      f.refuse_why = "unsupported expectation";
    }
  }
  return f;
}

[[gnu::always_inline]] inline bool connection::take_buffered_body(const http::request_head& head) noexcept {
  // A sized body that arrived with its head needs no wait, no 100 Continue and no frame.
  const std::uint64_t len = head.body.length;
  if (head.body.kind != http::body_kind::content_length || len > o_.max_body_bytes || end_ - next_ < len) return false;
  body_ = std::string_view(buf_.data() + next_, static_cast<std::size_t>(len));
  next_ += static_cast<std::size_t>(len);
  return true;
}

[[gnu::always_inline]] inline const handler* connection::dispatch(const http::request_head& head, std::size_t fields,
                                                                  response& resp) {
  phase_ = phase::handling;
  clear_deadline();
  req_.reset(head, body_);
  req_.set_headers(std::span<const http::header>(fields_, fields));
  return route(head, resp);
}

const handler* connection::route(const http::request_head& head, response& resp) {
  const router& routes = state_->routes;
  const std::string_view method = head.method;
  if (head.parts.form == http::target_form::asterisk) {  // OPTIONS * (only OPTIONS may use it)
    resp = response(204);
    resp.set_header("Allow", state_->allow_all);
    return nullptr;
  }
  if (head.parts.form == http::target_form::authority) {  // CONNECT: this is no proxy
    resp = response(501, "CONNECT is not supported\n");
    return nullptr;
  }
  const router::target_of m = routes.find(method, head.parts.path, req_.params_to_fill());
  switch (m.what) {
    case router::outcome::found:
      return m.target;
    case router::outcome::method_not_allowed:
      if (method == "OPTIONS") {
        resp = response(204);
        resp.set_header("Allow", routes.allowed(head.parts.path));
      } else if (!is_standard_method(method) && !routes.has_method(method)) {
        resp = response(501, "method not implemented\n");
      } else {
        resp = response(405, "method not allowed\n");
        resp.set_header("Allow", routes.allowed(head.parts.path));
      }
      return nullptr;
    case router::outcome::not_found:
      if (!is_standard_method(method) && !routes.has_method(method)) resp = response(501, "method not implemented\n");
      else resp = response(404, "not found\n");
      return nullptr;
  }
  return nullptr;
}

[[gnu::always_inline]] inline connection::rendered connection::render_response(const http::request_head& head,
                                                                              response& resp, time_point started) {
  const bool keep = head.keep_alive && !w_.draining && !resp.wants_close();
  const bool http10 = head.version == http::http_version::http_1_0;
  const render_options ro{http_date(loop_->now()), o_.server_name, head.method == "HEAD", keep, http10};
  body_framing_out mode = render_head(out_, resp, ro);
  const int status = (resp.status() >= 100 && resp.status() <= 599) ? resp.status() : 500;
  w_.metrics.record(status, loop_->now() - started);
  begin_ = next_;
  if (mode == body_framing_out::inline_body && resp.body().size() <= inline_body_max) {
    out_.append(resp.body());
    mode = body_framing_out::none;
  }
  return {mode, keep};
}

/// A body render_response() left to write: a large one from where it is (one writev with the
/// pending output), or a streamed one as its producer writes it.
task<connection::after> connection::write_body(body_framing_out mode, response& resp, bool keep) {
  const bool head_sent = co_await write_out(mode == body_framing_out::inline_body ? resp.body() : std::string_view{});
  if (!head_sent) co_return after::stop;
  if (mode == body_framing_out::inline_body) co_return keep ? after::next_request : after::close;
  stream_mode_ = mode;
  stream_left_ = resp.stream_length().value_or(0);
  try {
    co_await resp.producer()(*this);
  } catch (const operation_cancelled&) {
    throw;
  } catch (...) {
    write_failed_ = true;  // a body cut short: only closing tells the client
  }
  stream_mode_ = body_framing_out::none;
  if (write_failed_) co_return after::stop;
  if (mode == body_framing_out::chunked) out_.append("0\r\n\r\n");
  else if (mode == body_framing_out::sized && stream_left_ != 0) co_return after::stop;
  else if (mode == body_framing_out::until_close) co_return after::close;
  co_return keep ? after::next_request : after::close;
}

task<void> serve_connection(std::shared_ptr<server::state> st, worker& w, net::transport io) {
  struct slot_guard {
    worker& w;
    ~slot_guard() { w.slots.release(); }
  } guard{w};
  try {
    connection c(std::move(st), w, std::move(io));
    co_await c.serve();  // never throws
  } catch (...) {
    // The connection's buffers could not be made (out of memory, or limits too large to
    // allocate): this client is closed unanswered, the server goes on with the others.
    w.s.swallowed.count(swallowed_at::connection_setup);
  }
}

}  // namespace detail
}  // namespace barrage::server
