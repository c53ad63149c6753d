#include "net/tls_session.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "net/openssl_handles.hpp"
#include "net/tls_link.hpp"

namespace barrage::net {

// The session's buffers, which its BIO reads from and writes to: the SSL object sees a
// stream whose bytes the caller moves. Heap-allocated so that the BIO's pointer to it stays
// valid when the tls_session moves.
struct tls_session::state : tls_link {
  explicit state(tls_context c) : ctx(std::move(c)) {}
  // OpenSSL marks the session of a connection freed without a close_notify sent as not
  // resumable (the TLS 1.0 rule; RFC 8446 dropped it). HTTP peers close without one all the
  // time, so a connection that did not fail keeps its session for the next.
  ~state() {
    if (ssl && done && !failed) SSL_set_shutdown(ssl.get(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  }

  tls_context ctx;
  bool client = true;
  bool eof = false;
  bool done = false;
  bool failed = false;
  bool eof_read = false;  // the BIO returned the end of the stream to OpenSSL
  std::string host;
  std::string first_bytes;  // up to 8, for telling a plain-HTTP peer
  std::string in;           // ciphertext from the peer; [in_pos, end) not yet read by OpenSSL
  std::size_t in_pos = 0;
  std::string out;  // ciphertext for the peer; [out_pos, end) not yet sent
  std::size_t out_pos = 0;
  tls_error err;
  ossl::ssl_ptr ssl;  // last: freed first, while the buffers its BIO names still exist

  std::size_t in_avail() const noexcept { return in.size() - in_pos; }
};

namespace {

using session_state = tls_session::state;

// Buffers that grew past this are given back when they empty (a large response or upload).
constexpr std::size_t keep_capacity = 64 * 1024;

int bio_read(BIO* b, char* buf, std::size_t len, std::size_t* got) {
  auto* s = static_cast<session_state*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  *got = 0;
  const std::size_t n = std::min(len, s->in_avail());
  if (n == 0) {
    if (!s->eof) BIO_set_retry_read(b);  // at eof: 0 without retry is the end of the stream
    s->eof_read = s->eof;
    return 0;
  }
  std::memcpy(buf, s->in.data() + s->in_pos, n);
  s->in_pos += n;
  if (s->in_pos == s->in.size()) {
    s->in.clear();
    s->in_pos = 0;
  }
  *got = n;
  return 1;
}

int bio_write(BIO* b, const char* buf, std::size_t len, std::size_t* put) {
  auto* s = static_cast<session_state*>(BIO_get_data(b));
  BIO_clear_retry_flags(b);
  s->out.append(buf, len);
  *put = len;
  return 1;
}

long bio_ctrl(BIO* b, int cmd, long, void*) {
  auto* s = static_cast<session_state*>(BIO_get_data(b));
  switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_PENDING: return static_cast<long>(s->in_avail());
    case BIO_CTRL_WPENDING: return static_cast<long>(s->out.size() - s->out_pos);
    case BIO_CTRL_EOF: return s->eof && s->in_avail() == 0 ? 1 : 0;
    default: return 0;
  }
}

int bio_create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

const BIO_METHOD* session_bio_method() {
  static const BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "barrage tls_session");
    if (m == nullptr) return m;
    BIO_meth_set_read_ex(m, bio_read);
    BIO_meth_set_write_ex(m, bio_write);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

bool is_ip_address(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 || ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

failure<tls_error> setup_failure(const std::string& what) {
  return fail(tls_error{tls_errc::handshake, "TLS setup failed: " + what + ": " + ossl::openssl_reason()});
}

result<std::unique_ptr<session_state>, tls_error> new_state(const tls_context& ctx) {
  ERR_clear_error();
  auto s = std::make_unique<session_state>(ctx);
  s->client = ctx.is_client();
  s->ssl.reset(SSL_new(ctx.native()));
  const BIO_METHOD* method = session_bio_method();
  BIO* bio = method != nullptr && s->ssl ? BIO_new(method) : nullptr;
  if (bio == nullptr) return setup_failure("new connection");
  BIO_set_data(bio, s.get());
  SSL_set_bio(s->ssl.get(), bio, bio);  // one BIO both ways: the SSL owns its one reference
  SSL_set_ex_data(s->ssl.get(), tls_link_index(), static_cast<tls_link*>(s.get()));
  return s;
}

// OpenSSL wants the thread's error queue empty before an I/O call (SSL_get_error reads it).
// Every path here leaves it empty, so on the hot path (read, write) it nearly always is:
// peeking costs a fraction of ERR_clear_error, which walks all 16 slots (~430 instructions a
// call, 2 % of an h2 request over TLS in callgrind).
void clear_error_queue() noexcept {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

// SNI and the name or address the certificate must carry.
result<void, tls_error> set_peer_name(session_state& s) {
  SSL* ssl = s.ssl.get();
  const bool ip = is_ip_address(s.host);
  // RFC 6066: SNI carries host names, never addresses.
  if (!ip && !s.host.empty() && SSL_set_tlsext_host_name(ssl, s.host.c_str()) != 1) return setup_failure("SNI name");
  if ((SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) == 0) return {};
  if (s.host.empty()) return fail(tls_error{tls_errc::handshake, "TLS setup failed: no host name to verify"});
  if (ip) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), s.host.c_str()) != 1)
      return setup_failure("address " + s.host);
  } else {
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set1_host(ssl, s.host.c_str()) != 1) return setup_failure("host name " + s.host);
  }
  return {};
}

}  // namespace

std::string_view to_string(tls_state s) noexcept {
  switch (s) {
    case tls_state::done: return "done";
    case tls_state::want_read: return "want_read";
    case tls_state::want_write: return "want_write";
    case tls_state::failed: return "failed";
  }
  return "unknown";
}

result<tls_session, tls_error> tls_session::client(const tls_context& ctx, std::string_view host, std::uint16_t port) {
  if (!ctx.is_client())
    return fail(tls_error{tls_errc::handshake, "TLS setup failed: a client session needs a client context"});
  auto s = new_state(ctx);
  if (!s) return fail(s.error());
  session_state& st = **s;
  st.host = host.size() >= 2 && host.front() == '[' && host.back() == ']' ? host.substr(1, host.size() - 2) : host;
  if (auto r = set_peer_name(st); !r) return fail(r.error());
  SSL_set_connect_state(st.ssl.get());
  if ((SSL_CTX_get_session_cache_mode(ctx.native()) & SSL_SESS_CACHE_CLIENT) != 0) {
    st.cache_key = (st.host.find(':') != std::string_view::npos ? "[" + st.host + "]" : st.host) + ":" +
                   std::to_string(port);
    if (SSL_SESSION* cached = ctx.take_cached_session(st.cache_key)) {
      SSL_set_session(st.ssl.get(), cached);
      SSL_SESSION_free(cached);
    }
  }
  ERR_clear_error();
  return tls_session(std::move(*s));
}

result<tls_session, tls_error> tls_session::server(const tls_context& ctx) {
  if (ctx.is_client())
    return fail(tls_error{tls_errc::handshake, "TLS setup failed: a server session needs a server context"});
  auto s = new_state(ctx);
  if (!s) return fail(s.error());
  SSL_set_accept_state((*s)->ssl.get());
  return tls_session(std::move(*s));
}

tls_session::tls_session(std::unique_ptr<state> s) noexcept : s_(std::move(s)) {}
tls_session::tls_session(tls_session&&) noexcept = default;
tls_session& tls_session::operator=(tls_session&&) noexcept = default;
tls_session::~tls_session() = default;

void tls_session::feed(std::span<const char> ciphertext) {
  state& s = *s_;
  if (s.first_bytes.size() < 8) {
    s.first_bytes.append(ciphertext.data(), std::min(ciphertext.size(), 8 - s.first_bytes.size()));
  }
  if (s.in_pos > 0 && s.in_pos >= s.in.size() / 2) {  // keep the unread tail at the front
    s.in.erase(0, s.in_pos);
    s.in_pos = 0;
  }
  s.in.append(ciphertext.data(), ciphertext.size());
}

void tls_session::peer_closed() noexcept { s_->eof = true; }

std::span<const char> tls_session::pending_output() const noexcept {
  return {s_->out.data() + s_->out_pos, s_->out.size() - s_->out_pos};
}

void tls_session::take_output(std::string& into) noexcept {
  state& s = *s_;
  into.clear();
  if (s.out_pos == 0) {
    into.swap(s.out);
  } else {
    into.append(s.out, s.out_pos);
    s.out.clear();
    s.out_pos = 0;
  }
}

void tls_session::consume_output(std::size_t n) noexcept {
  state& s = *s_;
  s.out_pos += std::min(n, s.out.size() - s.out_pos);
  if (s.out_pos < s.out.size()) return;
  s.out.clear();
  s.out_pos = 0;
  if (s.out.capacity() > keep_capacity) std::string().swap(s.out);
}

namespace {

tls_state fail_state(session_state& s, int ssl_error) {
  const tls_failure_facts facts{s.client,      !s.done, s.eof, s.certificate_requested, s.first_bytes,
                                s.host,        s.failed_certificate.get()};
  s.err = describe_tls_failure(s.ssl.get(), ssl_error, facts);
  // A stream cut after the handshake says nothing against the session (servers close
  // without close_notify all the time); any other failure does: it is not offered again.
  if (s.err.kind == tls_errc::unexpected_eof) return tls_state::failed;
  s.failed = true;
  if (s.client && !s.cache_key.empty()) s.ctx.forget_session(s.cache_key);
  return tls_state::failed;
}

}  // namespace

tls_state tls_session::handshake() {
  state& s = *s_;
  if (s.done) return tls_state::done;
  ERR_clear_error();
  const int r = SSL_do_handshake(s.ssl.get());
  if (r == 1) {
    s.done = true;
    return tls_state::done;
  }
  const int e = SSL_get_error(s.ssl.get(), r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return pending_output().empty() ? tls_state::want_read : tls_state::want_write;
  }
  return fail_state(s, e);
}

long tls_session::read(std::span<char> plaintext) {
  state& s = *s_;
  clear_error_queue();
  s.eof_read = false;
  std::size_t n = 0;
  if (SSL_read_ex(s.ssl.get(), plaintext.data(), plaintext.size(), &n) == 1) {
    if (!s.done && SSL_is_init_finished(s.ssl.get())) s.done = true;
    return static_cast<long>(n);
  }
  const int e = SSL_get_error(s.ssl.get(), 0);
  // The end of the stream reads as a close_notify (SSL_OP_IGNORE_UNEXPECTED_EOF); which of
  // the two it was, the BIO knows.
  if (e == SSL_ERROR_ZERO_RETURN && !s.eof_read) {
    clear_error_queue();
    return 0;
  }
  if (e == SSL_ERROR_ZERO_RETURN) {
    clear_error_queue();
    s.err = {tls_errc::unexpected_eof, "the peer closed the connection without a TLS close_notify"};
    return failed;
  }
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    clear_error_queue();
    return want_read;
  }
  fail_state(s, e);
  return failed;
}

long tls_session::write(std::span<const char> plaintext) {
  state& s = *s_;
  clear_error_queue();
  if (plaintext.empty()) return 0;
  std::size_t n = 0;
  if (SSL_write_ex(s.ssl.get(), plaintext.data(), plaintext.size(), &n) == 1) return static_cast<long>(n);
  const int e = SSL_get_error(s.ssl.get(), 0);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    clear_error_queue();
    return want_read;
  }
  fail_state(s, e);
  return failed;
}

tls_state tls_session::shutdown() {
  state& s = *s_;
  ERR_clear_error();
  if (!SSL_is_init_finished(s.ssl.get())) {
    s.err = {tls_errc::handshake, "TLS shutdown before the handshake finished"};
    return tls_state::failed;
  }
  const int r = SSL_shutdown(s.ssl.get());
  if (r >= 0) {  // 0: our close_notify is queued; 1: the peer's had come too
    ERR_clear_error();
    return tls_state::done;
  }
  return fail_state(s, SSL_get_error(s.ssl.get(), r));
}

// SSL_has_pending: decrypted bytes not yet read, and (read-ahead) records not yet processed.
bool tls_session::buffered() const noexcept { return SSL_has_pending(s_->ssl.get()) == 1 || s_->in_avail() > 0; }
bool tls_session::handshake_done() const noexcept { return s_->done; }

std::string_view tls_session::protocol() const noexcept {
  const unsigned char* p = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(s_->ssl.get(), &p, &len);
  return p == nullptr ? std::string_view{} : std::string_view(reinterpret_cast<const char*>(p), len);
}

std::string_view tls_session::version() const noexcept { return SSL_get_version(s_->ssl.get()); }

std::string_view tls_session::cipher() const noexcept {
  const char* c = SSL_get_cipher_name(s_->ssl.get());
  return c == nullptr ? std::string_view{} : c;
}

bool tls_session::resumed() const noexcept { return SSL_session_reused(s_->ssl.get()) == 1; }
const tls_error& tls_session::error() const noexcept { return s_->err; }

void tls_session::release_buffers() noexcept {
  state& s = *s_;
  // Called after every read: a buffer already given back (a string's own capacity) is left alone.
  static const std::size_t none = std::string().capacity();
  if (s.in_avail() == 0 && s.in.capacity() > none) std::string().swap(s.in), s.in_pos = 0;
  if (s.out_pos == s.out.size() && s.out.capacity() > none) std::string().swap(s.out), s.out_pos = 0;
}

}  // namespace barrage::net
