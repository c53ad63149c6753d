#include "net/transport.hpp"

#include <algorithm>
#include <cstring>

#include "net/tls_session.hpp"
#include "runtime/async_event.hpp"

namespace barrage::net {

// A TLS transport's session. It holds no read buffer of its own: the socket's ciphertext is
// read into the caller's buffer (or a scratch buffer that lives for one read), so an idle
// connection costs its session and nothing more (docs/tls.md, Memory).
//
// One sender at a time. A connection may have a reader and a writer at once (HTTP/2, a
// WebSocket): the session's output then has two producers (a write's records; a read's reply
// to a key update), and a task that waits on the socket must not send bytes another task
// sends too. So the task that sends (`flushing`) takes the session's whole output into
// `sending`, sends it, and looks again until nothing is left; a read that queued a reply
// meanwhile leaves it to that task; a write or close waits (`idle`) until it is done, so that
// its records go out behind the earlier ones and the output stays bounded.
struct transport::tls_part {
  explicit tls_part(tls_session s) : session(std::move(s)) {}
  tls_session session;
  tls_error last_error;
  std::string sending;
  bool flushing = false;
  async_event idle;
};

namespace {

// A send buffer that grew past this (a large response) is given back when the send ends, as
// the session's own buffers are (tls_session's keep_capacity).
constexpr std::size_t keep_sending_capacity = 64 * 1024;

// Marks a tls_part's sender for the guard's lifetime (also when the sending coroutine is
// destroyed while it waits): on the way out the next writer may go.
class sender_guard {
 public:
  explicit sender_guard(transport::tls_part& t) noexcept : t_(t) {
    t_.flushing = true;
    t_.idle.clear();
  }
  sender_guard(const sender_guard&) = delete;
  sender_guard& operator=(const sender_guard&) = delete;
  ~sender_guard() {
    t_.sending.clear();
    if (t_.sending.capacity() > keep_sending_capacity) std::string().swap(t_.sending);
    t_.flushing = false;
    t_.idle.set();
  }

 private:
  transport::tls_part& t_;
};

}  // namespace

namespace {

// One TLS record and its header fit.
constexpr std::size_t read_chunk = 16 * 1024 + 512;
// A read with at least this much room takes the socket's ciphertext into the caller's buffer
// (the session copies it out before decrypting into the same buffer); less room, and the read
// uses a scratch buffer for its duration.
constexpr std::size_t direct_read_min = 4096;
// Plaintext taken per write: larger writes return short (callers loop), so the session's
// output buffer stays bounded.
constexpr std::size_t write_chunk = 64 * 1024;

tls_error socket_failure(long negative_errno, bool handshaking) {
  std::string what = negative_errno == -ECONNRESET ? "connection reset by the peer"
                     : negative_errno == -EPIPE    ? "connection closed by the peer"
                                                   : std::strerror(static_cast<int>(-negative_errno));
  return tls_error{tls_errc::handshake, handshaking ? "TLS handshake failed: " + what : what};
}

}  // namespace

transport::transport() noexcept = default;
transport::transport(tcp_stream s) noexcept : tcp_(std::move(s)) {}
transport::transport(tcp_stream s, tls_session session)
    : tcp_(std::move(s)), tls_(std::make_unique<tls_part>(std::move(session))) {}
transport::transport(transport&&) noexcept = default;
transport& transport::operator=(transport&&) noexcept = default;
transport::~transport() = default;

bool transport::buffered() const noexcept { return tls_ && tls_->session.buffered(); }
std::string_view transport::protocol() const noexcept { return tls_ ? tls_->session.protocol() : std::string_view{}; }
const tls_session* transport::tls() const noexcept { return tls_ ? &tls_->session : nullptr; }
const tls_error* transport::tls_failure() const noexcept { return tls_ ? &tls_->last_error : nullptr; }

task<long> transport::flush(time_point deadline) {
  tls_part& t = *tls_;
  if (t.flushing) co_return 0;  // the task sending now sends these bytes too, behind its own
  sender_guard sender(t);
  while (!t.session.pending_output().empty()) {
    t.session.take_output(t.sending);
    for (std::size_t off = 0; off < t.sending.size();) {
      long n = co_await tcp_.write(t.sending.data() + off, t.sending.size() - off).until(deadline);
      if (n < 0) co_return n;
      off += static_cast<std::size_t>(n);
    }
  }
  co_return 0;
}

task<void> transport::wait_for_sender() {
  while (tls_->flushing) {
    co_await tls_->idle.wait();
  }
}

task<result<void, handshake_failure>> transport::handshake(time_point deadline) {
  if (!tls_) co_return result<void, handshake_failure>{};
  tls_session& s = tls_->session;
  const std::unique_ptr<char[]> in(new char[read_chunk]);  // for the handshake's flights only
  for (;;) {
    const tls_state st = s.handshake();
    long sent = 0;
    if (!s.pending_output().empty()) sent = co_await flush(deadline);
    if (st == tls_state::failed) co_return fail(handshake_failure{false, s.error()});
    if (sent < 0) co_return fail(handshake_failure{sent == -ETIMEDOUT, socket_failure(sent, true)});
    if (st == tls_state::done) {
      s.release_buffers();
      co_return result<void, handshake_failure>{};
    }
    if (st == tls_state::want_write) continue;
    long n = co_await tcp_.read(in.get(), read_chunk).until(deadline);
    if (n < 0) co_return fail(handshake_failure{n == -ETIMEDOUT, socket_failure(n, true)});
    if (n == 0) s.peer_closed();
    else s.feed({in.get(), static_cast<std::size_t>(n)});
  }
}

task<long> transport::close_notify(time_point deadline) {
  if (!tls_) co_return 0;
  if (tls_->flushing) co_await wait_for_sender();
  if (tls_->session.shutdown() == tls_state::failed) {
    tls_->last_error = tls_->session.error();
    co_return -EPROTO;
  }
  co_return co_await flush(deadline);
}

task<long> transport::tls_read(void* buf, std::size_t len, time_point deadline) {
  tls_session& s = tls_->session;
  // The session is asked first only when it holds bytes: asked with none, OpenSSL would set up
  // its 16 KiB record buffer and keep it while the read waits on the socket (a connection
  // waiting for its response would hold it).
  for (bool ask = s.buffered();; ask = true) {
    if (ask) {
      const long got = s.read({static_cast<char*>(buf), len});
      // A post-handshake message (a key update) may have queued a reply.
      long sent = 0;
      if (!s.pending_output().empty()) sent = co_await flush(deadline);
      if (got >= 0) {
        s.release_buffers();  // when the session holds nothing more: an idle connection keeps no buffer
        co_return got;
      }
      if (got == tls_session::failed) {
        tls_->last_error = s.error();
        // HTTP peers close without close_notify; the response's framing tells a cut-off body.
        co_return s.error().kind == tls_errc::unexpected_eof ? 0 : -EPROTO;
      }
      if (sent < 0) co_return sent;
    }
    char* into = static_cast<char*>(buf);
    std::size_t room = len;
    std::unique_ptr<char[]> scratch;
    if (len < direct_read_min) {
      scratch.reset(new char[read_chunk]);
      into = scratch.get();
      room = read_chunk;
    }
    long n = co_await tcp_.read(into, room).until(deadline);
    if (n < 0) co_return n;
    if (n == 0) s.peer_closed();
    else s.feed({into, static_cast<std::size_t>(n)});
  }
}

task<long> transport::tls_write(const void* buf, std::size_t len, time_point deadline) {
  tls_part& t = *tls_;
  if (t.flushing) co_await wait_for_sender();
  const long n = t.session.write({static_cast<const char*>(buf), std::min(len, write_chunk)});
  if (n < 0) {
    t.last_error = t.session.error();
    co_return -EPROTO;
  }
  // flush()'s loop, inline: no second coroutine frame per write.
  sender_guard sender(t);
  while (!t.session.pending_output().empty()) {
    t.session.take_output(t.sending);
    for (std::size_t off = 0; off < t.sending.size();) {
      long w = co_await tcp_.write(t.sending.data() + off, t.sending.size() - off).until(deadline);
      if (w < 0) co_return w;
      off += static_cast<std::size_t>(w);
    }
  }
  co_return n;
}

task<long> transport::tls_writev(const iovec* iov, int count, time_point deadline) {
  if (tls_->flushing) co_await wait_for_sender();
  tls_session& s = tls_->session;
  long total = 0;
  for (int i = 0; i < count && static_cast<std::size_t>(total) < write_chunk; ++i) {
    const std::size_t take = std::min(iov[i].iov_len, write_chunk - static_cast<std::size_t>(total));
    const long n = s.write({static_cast<const char*>(iov[i].iov_base), take});
    if (n < 0) {
      tls_->last_error = s.error();
      co_return -EPROTO;
    }
    total += n;
  }
  long sent = co_await flush(deadline);
  co_return sent < 0 ? sent : total;
}

long transport::tls_try_write(const void* buf, std::size_t len) noexcept {
  tls_session& s = tls_->session;
  if (tls_->flushing || !s.pending_output().empty()) return -EAGAIN;  // earlier ciphertext still waits
  const long n = s.write({static_cast<const char*>(buf), std::min(len, write_chunk)});
  if (n < 0) {
    tls_->last_error = s.error();
    return -EPROTO;
  }
  // What the socket does not take now goes out before the next read's or write's bytes.
  std::span<const char> out = s.pending_output();
  const long w = tcp_.try_write(out.data(), out.size());
  if (w > 0) s.consume_output(static_cast<std::size_t>(w));
  else if (w < 0 && w != -EAGAIN && w != -EWOULDBLOCK) return w;
  return n;
}

long transport::tls_read_buffered(void* buf, std::size_t len) noexcept {
  tls_session& s = tls_->session;
  if (!s.buffered()) return -EAGAIN;
  const long got = s.read({static_cast<char*>(buf), len});
  if (!tls_->flushing && !s.pending_output().empty()) {  // a sender sends these bytes too
    std::span<const char> out = s.pending_output();
    const long w = tcp_.try_write(out.data(), out.size());
    if (w > 0) s.consume_output(static_cast<std::size_t>(w));
  }
  if (got >= 0) {
    s.release_buffers();
    return got;
  }
  if (got == tls_session::failed) {
    tls_->last_error = s.error();
    return s.error().kind == tls_errc::unexpected_eof ? 0 : -EPROTO;
  }
  return -EAGAIN;
}

}  // namespace barrage::net
