// The HTTP/2 connection loop: reader, writer and watch over one h2::server_session
// (h2_connection.hpp says who does what). Every wait is bounded: reads by idle_timeout while
// no stream is open, writes by write_timeout, a response stuck behind shut windows by the
// watch; what the client sends is bounded by the session (header limits, the flood guard,
// nghttp2's own limits) and by max_body_bytes.
#include "server/h2_connection.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cerrno>

#include "runtime/event_loop.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"
#include "runtime/when_all.hpp"
#include "server/h2_stream.hpp"
#include "server/state.hpp"
#include "server/worker.hpp"

namespace barrage::server::detail {

namespace {

constexpr std::string_view client_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
// Request bodies held at once by one connection's streams: this many times max_body_bytes.
constexpr std::uint64_t bodies_per_connection = 4;
// The last stream id a client may open (RFC 9113 §5.1.1: ids are never reused).
constexpr std::int32_t max_client_stream_id = 0x7fffffff;

}  // namespace

h2::session_options h2_session_options(const server_options& o) {
  h2::session_options so;
  so.max_concurrent_streams = o.h2_max_streams;
  so.max_header_list_bytes = static_cast<std::uint32_t>(std::min<std::size_t>(o.max_head_bytes, h2::max_window));
  so.max_header_fields = static_cast<std::uint32_t>(std::max<std::size_t>(o.max_headers, 1));
  so.connection_window = 1 << 20;  // request bodies of many streams at once
  return so;
}

bool h2_preface_prefix(std::string_view bytes, bool& complete) noexcept {
  const std::size_t n = std::min(bytes.size(), client_preface.size());
  complete = n == client_preface.size();
  return bytes.substr(0, n) == client_preface.substr(0, n);
}

h2_connection::h2_connection(std::shared_ptr<server::state> st, worker& w, net::transport& io)
    : state_(std::move(st)), w_(w), o_(state_->opts), io_(io), session_(h2_session_options(o_)) {
  w_.metrics.h2_connection();
}

h2_connection::~h2_connection() = default;

task<void> h2_connection::serve(std::span<char> buf, std::size_t have) {
  if (w_.draining) drain();
  try {
    co_await when_all(read_loop(buf, have), write_loop(), watch_loop());
  } catch (...) {
    stop_all();
    throw;
  }
  stop_all();
  if (!io_.is_tls()) io_.shutdown_write();  // TLS: the connection sends its close_notify next
  // The linger: what the client still sends is read and dropped.
  const time_point until = event_loop::current().now() + (w_.draining ? linger_time / 10 : linger_time);
  std::size_t budget = linger_bytes;
  while (budget > 0) {
    const long n = co_await io_.read(buf.data(), buf.size(), until);
    if (n <= 0) break;
    budget -= std::min(budget, static_cast<std::size_t>(n));
  }
}

void h2_connection::drain() noexcept {
  if (ended_) return;
  (void)session_.drain();
  try {
    wake_.set();
  } catch (...) {  // waking cannot fail in practice (it only schedules); the drain still ends it
  }
}

task<void> h2_connection::read_loop(std::span<char> buf, std::size_t have) {
  reader_scope_ = co_await this_scope{};
  try {
    bool alive = feed_all(std::string_view(buf.data(), have));
    wake_.set();
    while (alive && session_.wants_read() && !writer_done_) {
      // No stream open: the idle timeout. Streams open: their answers bound the wait.
      const time_point deadline =
          session_.open_streams() == 0 ? event_loop::current().now() + o_.idle_timeout : time_point::max();
      const long n = co_await io_.read(buf.data(), buf.size(), deadline);
      if (n == -ETIMEDOUT) {
        (void)session_.shutdown(h2::error_code::no_error);
        break;
      }
      if (n <= 0) break;
      alive = feed_all(std::string_view(buf.data(), static_cast<std::size_t>(n)));
      wake_.set();
    }
  } catch (...) {
    // Stopped by the writer (the session is over), cut, or out of memory: the reading ends.
  }
  reader_scope_ = nullptr;
  reader_done_ = true;
  wake_.set();
}

bool h2_connection::feed_all(std::string_view bytes) {
  while (!bytes.empty()) {
    auto took = session_.feed(bytes);
    handle_events();
    if (!took) {
      fail(took.error());
      return false;
    }
    bytes.remove_prefix(*took);
  }
  // A header block over the limits announced in SETTINGS (an HPACK bomb decodes to far more
  // than it weighs): its stream was reset; the connection ends.
  if (session_.oversized_heads() > 0) {
    (void)session_.shutdown(h2::error_code::enhance_your_calm);
    return false;
  }
  return true;
}

void h2_connection::fail(const h2::session_error& e) noexcept {
  // NGHTTP2_ERR_FLOODED: the client's frames owe more answers than it reads (PING, SETTINGS);
  // NGHTTP2_ERR_TOO_MANY_CONTINUATIONS: a header block in endless CONTINUATION frames.
  const bool flood = e.lib_code == NGHTTP2_ERR_FLOODED || e.lib_code == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS;
  const h2::error_code code = flood ? h2::error_code::enhance_your_calm : h2::error_code::protocol_error;
  (void)session_.shutdown(code);
}

task<void> h2_connection::write_loop() {
  try {
    for (;;) {
      wake_.clear();
      auto out = session_.take_output();
      if (!out) break;  // the session failed: nothing more can be sent
      handle_events();
      for (const auto& s : streams_)  // streamed pieces framed: their producers go on
        if (!s->closed && s->resp.streamed()) s->progress.set();
      if (out->empty()) {
        if (reader_done_ || (!session_.wants_read() && !session_.wants_write())) break;
        co_await wake_.wait();
        continue;
      }
      const time_point deadline = event_loop::current().now() + o_.write_timeout;
      std::string_view rest = *out;
      while (!rest.empty()) {
        const long n = co_await io_.write(rest.data(), rest.size(), deadline);
        if (n <= 0) break;
        rest.remove_prefix(static_cast<std::size_t>(n));
      }
      if (!rest.empty()) break;  // the client is gone, or did not read for write_timeout
    }
  } catch (...) {
    // Cut, or out of memory.
  }
  writer_done_ = true;
  if (reader_scope_) reader_scope_->request_stop();
  if (watch_scope_) watch_scope_->request_stop();
}

task<void> h2_connection::watch_loop() {
  watch_scope_ = co_await this_scope{};
  try {
    const duration tick = std::clamp<duration>(o_.write_timeout / 4, std::chrono::milliseconds(10), std::chrono::seconds(1));
    std::uint64_t sent = session_.data_bytes_sent();
    time_point moved = event_loop::current().now();
    while (!writer_done_) {
      co_await sleep_for(tick);
      const time_point now = event_loop::current().now();
      bool waiting = false;
      for (const auto& s : streams_) waiting |= !s->closed && session_.unsent(s->id) > 0;
      if (!waiting || session_.data_bytes_sent() != sent) {
        sent = session_.data_bytes_sent();
        moved = now;
        continue;
      }
      if (now - moved >= o_.write_timeout) {  // responses behind windows that stay shut
        (void)session_.shutdown(h2::error_code::enhance_your_calm);
        wake_.set();
        break;
      }
    }
  } catch (...) {
    // Stopped by the writer, or cut.
  }
  watch_scope_ = nullptr;
}

void h2_connection::handle_events() {
  for (const h2::event& e : session_.events()) {
    if (const auto* r = std::get_if<h2::request_head>(&e)) on_request(*r);
    else if (const auto* d = std::get_if<h2::data_chunk>(&e)) on_data(*d);
    else if (const auto* x = std::get_if<h2::stream_end>(&e)) on_end(x->stream);
    else if (const auto* c = std::get_if<h2::stream_closed>(&e)) on_closed(c->stream);
    else if (const auto* g = std::get_if<h2::goaway_sent>(&e)) w_.metrics.h2_goaway(static_cast<std::uint32_t>(g->code));
  }
  session_.clear_events();
}

void h2_connection::on_request(const h2::request_head& h) {
  streams_.push_back(std::make_unique<h2_stream>(*this, h, mono_clock::now()));
  ids_exhausted_ = h.stream >= max_client_stream_id;
}

void h2_connection::on_data(const h2::data_chunk& d) {
  h2_stream* s = find(d.stream);
  if (s == nullptr || s->too_large || s->responded) return;
  if (s->body.size() + d.length > o_.max_body_bytes) {
    s->too_large = true;  // answered now; the rest of the body is dropped as it comes
    bodies_ -= s->body.size();
    std::string().swap(s->body);
    answer_h2_now(*s, response(413, "request body too large\n"));
    return;
  }
  if (bodies_ + d.length > bodies_per_connection * o_.max_body_bytes) {
    // Many large uploads at once on one connection: this one is refused (not processed: the
    // client may send it again), so that the bodies held stay within a few --max-body.
    s->too_large = true;
    bodies_ -= s->body.size();
    std::string().swap(s->body);
    (void)session_.reset_stream(s->id, h2::error_code::refused_stream);
    return;
  }
  s->body.append(d.bytes);
  bodies_ += d.length;
}

void h2_connection::on_end(std::int32_t id) {
  h2_stream* s = find(id);
  if (s == nullptr || s->too_large || s->running || s->responded) return;
  s->running = true;
  s->job = spawn(run_h2_stream(shared_from_this(), s), "h2 stream");
}

void h2_connection::on_closed(std::int32_t id) {
  h2_stream* s = find(id);
  if (s == nullptr) return;
  s->closed = true;
  s->progress.set();
  if (s->running) s->job.cancel();  // it ends at its next wait; task_done() erases it
  else erase(s);
  // The client used its last stream id: the connection can carry no request again.
  if (ids_exhausted_ && session_.open_streams() == 0) drain();
}

void h2_connection::task_done(h2_stream& s) noexcept {
  if (s.closed || ended_) erase(&s);
}

void h2_connection::stop_all() noexcept {
  ended_ = true;
  for (auto& s : streams_) {
    try {
      s->progress.set();
    } catch (...) {
    }
    if (s->running) s->job.cancel();
  }
  std::erase_if(streams_, [](const std::unique_ptr<h2_stream>& s) { return !s->running; });
}

h2_stream* h2_connection::find(std::int32_t id) noexcept {
  for (auto& s : streams_)
    if (s->id == id && !s->closed) return s.get();
  return nullptr;
}

void h2_connection::erase(h2_stream* s) noexcept {
  for (auto& p : streams_) {
    if (p.get() != s) continue;
    bodies_ -= s->body.size();
    p = std::move(streams_.back());
    streams_.pop_back();
    return;
  }
}

}  // namespace barrage::server::detail
