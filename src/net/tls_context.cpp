#include "net/tls_context.hpp"

#include <mutex>
#include <unordered_map>

#include "net/openssl_handles.hpp"
#include "net/tls_certificate.hpp"
#include "net/tls_link.hpp"

namespace barrage::net {

struct tls_context::state {
  ossl::ssl_ctx_ptr ctx;
  bool client = true;
  std::string fingerprint;
  std::string pem;
  /// Server: the ALPN protocols accepted, in wire format (length-prefixed), by preference.
  std::vector<unsigned char> alpn_preference;
  mutable std::mutex cache_mu;
  std::unordered_map<std::string, SSL_SESSION*> sessions;

  ~state() {
    for (auto& [key, s] : sessions) SSL_SESSION_free(s);
  }
};

namespace {

using error = failure<std::string>;

error setting_error(const std::string& what) { return fail(what + ": " + ossl::openssl_reason()); }

int version_number(tls_version v) { return v == tls_version::v1_2 ? TLS1_2_VERSION : TLS1_3_VERSION; }

// ALPN's wire format: each protocol prefixed by its length (1 to 255 bytes).
result<std::vector<unsigned char>, std::string> alpn_wire(const std::vector<std::string>& protocols) {
  std::vector<unsigned char> wire;
  for (const auto& p : protocols) {
    if (p.empty() || p.size() > 255) return fail("bad ALPN protocol \"" + p + "\": 1 to 255 bytes");
    wire.push_back(static_cast<unsigned char>(p.size()));
    wire.insert(wire.end(), p.begin(), p.end());
  }
  return wire;
}

// Versions and ciphers, the settings both sides share.
result<void, std::string> apply_protocol(SSL_CTX* ctx, tls_version min, tls_version max, const std::string& ciphers,
                                         const std::string& suites) {
  if (version_number(min) > version_number(max))
    return fail("TLS min version " + std::string(to_string(min)) + " is above max version " +
                std::string(to_string(max)));
  if (SSL_CTX_set_min_proto_version(ctx, version_number(min)) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, version_number(max)) != 1)
    return setting_error("TLS versions");
  if (!ciphers.empty() && SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1)
    return setting_error("TLS 1.2 ciphers \"" + ciphers + "\"");
  if (!suites.empty() && SSL_CTX_set_ciphersuites(ctx, suites.c_str()) != 1)
    return setting_error("TLS 1.3 ciphersuites \"" + suites + "\"");
  return {};
}

result<void, std::string> use_key_pair(SSL_CTX* ctx, const std::string& cert, const std::string& key) {
  if (cert.empty() != key.empty())
    return fail(std::string(cert.empty() ? "a key file needs its certificate file"
                                         : "a certificate file needs its key file"));
  if (cert.empty()) return {};
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1) return setting_error("certificate file " + cert);
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
      return setting_error("key file " + key + " does not match certificate file " + cert);
    return setting_error("key file " + key);
  }
  if (SSL_CTX_check_private_key(ctx) != 1)
    return setting_error("key file " + key + " does not match certificate file " + cert);
  return {};
}

// Client cache: OpenSSL hands each new session here (for TLS 1.3 when its ticket arrives,
// after the handshake); the last one per host:port is kept. Returning 1 keeps the reference.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* st = static_cast<tls_context::state*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  const tls_link* link = link_of(ssl);
  if (st == nullptr || link == nullptr || link->cache_key.empty()) return 0;
  std::lock_guard lock(st->cache_mu);
  SSL_SESSION*& slot = st->sessions[link->cache_key];
  if (slot != nullptr) SSL_SESSION_free(slot);
  slot = session;
  return 1;
}

// Called only when the server asks for a certificate and none is loaded: note it, so a
// failed handshake can say a client certificate was required. 0: send none.
int on_certificate_request(SSL* ssl, X509**, EVP_PKEY**) {
  if (tls_link* link = link_of(ssl)) link->certificate_requested = true;
  return 0;
}

// Keeps the certificate that failed verification for the error message; the verdict is
// OpenSSL's own.
int on_verify(int preverify_ok, X509_STORE_CTX* store) {
  if (preverify_ok == 1) return 1;
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  tls_link* link = ssl != nullptr ? link_of(ssl) : nullptr;
  X509* cert = X509_STORE_CTX_get_current_cert(store);
  if (link != nullptr && !link->failed_certificate && cert != nullptr && X509_up_ref(cert) == 1)
    link->failed_certificate.reset(cert);
  return 0;
}

int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
                void* arg) {
  const auto* st = static_cast<const tls_context::state*>(arg);
  unsigned char* chosen = nullptr;
  // The first of the server's protocols the client also offers.
  if (SSL_select_next_proto(&chosen, outlen, st->alpn_preference.data(),
                            static_cast<unsigned int>(st->alpn_preference.size()), in,
                            inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

result<void, std::string> configure_client(tls_context::state& st, const tls_client_options& o) {
  SSL_CTX* ctx = st.ctx.get();
  if (o.verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, on_verify);
    if (!o.ca_file.empty()) {
      if (SSL_CTX_load_verify_locations(ctx, o.ca_file.c_str(), nullptr) != 1)
        return setting_error("CA file " + o.ca_file);
    } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
      return setting_error("system trust store");
    }
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  if (auto r = use_key_pair(ctx, o.cert_file, o.key_file); !r) return fail(r.error());
  if (o.cert_file.empty()) SSL_CTX_set_client_cert_cb(ctx, on_certificate_request);
  auto wire = alpn_wire(o.alpn);
  if (!wire) return fail(wire.error());
  // SSL_CTX_set_alpn_protos returns 0 on success.
  if (!wire->empty() && SSL_CTX_set_alpn_protos(ctx, wire->data(), static_cast<unsigned int>(wire->size())) != 0)
    return setting_error("ALPN protocols");
  if (o.resume) {
    // Sessions go to our per-host:port cache only; OpenSSL's own client cache is keyed by
    // session id, which a client cannot look up by.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
  } else {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  }
  return {};
}

result<void, std::string> configure_server(tls_context::state& st, const tls_server_options& o) {
  SSL_CTX* ctx = st.ctx.get();
  if (o.cert_file.empty() && o.key_file.empty()) {
    auto made = make_self_signed_certificate(o.self_signed_names);
    if (!made) return fail(made.error());
    if (SSL_CTX_use_certificate(ctx, made->cert.get()) != 1 || SSL_CTX_use_PrivateKey(ctx, made->key.get()) != 1)
      return setting_error("self-signed certificate");
    st.pem = std::move(made->pem);
    st.fingerprint = std::move(made->fingerprint);
  } else {
    if (auto r = use_key_pair(ctx, o.cert_file, o.key_file); !r) return fail(r.error());
    st.fingerprint = sha256_fingerprint(SSL_CTX_get0_certificate(ctx));
  }
  if (!o.client_ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, o.client_ca_file.c_str(), nullptr) != 1)
      return setting_error("client CA file " + o.client_ca_file);
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.client_ca_file.c_str());
    if (names == nullptr) return setting_error("client CA file " + o.client_ca_file);
    SSL_CTX_set_client_CA_list(ctx, names);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, on_verify);
  }
  auto wire = alpn_wire(o.alpn);
  if (!wire) return fail(wire.error());
  st.alpn_preference = std::move(*wire);
  if (!st.alpn_preference.empty()) SSL_CTX_set_alpn_select_cb(ctx, select_alpn, &st);
  // Resumed sessions must come from this server (and are refused without an id context once
  // client certificates are verified).
  static constexpr unsigned char id_context[] = "barrage";
  SSL_CTX_set_session_id_context(ctx, id_context, sizeof id_context - 1);
  if (o.session_tickets) {
    // One TLS 1.3 ticket per handshake, not OpenSSL's two: a client reuses the last one only.
    SSL_CTX_set_num_tickets(ctx, 1);
  } else {
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
  }
  return {};
}

result<std::shared_ptr<tls_context::state>, std::string> new_state(bool client) {
  ERR_clear_error();
  auto st = std::make_shared<tls_context::state>();
  st->client = client;
  st->ctx.reset(SSL_CTX_new(client ? TLS_client_method() : TLS_server_method()));
  if (!st->ctx) return setting_error("TLS context");
  SSL_CTX_set_app_data(st->ctx.get(), st.get());
  // OpenSSL's read and write buffers go back to the allocator while a connection is idle.
  SSL_CTX_set_mode(st->ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  // Read-ahead: OpenSSL takes all the ciphertext the session holds into its record buffer at
  // once, not one record header and body at a time, so a batch of records (an HTTP/2 server's
  // responses, one record each) costs one BIO read and one buffer for the batch, not two BIO
  // reads and a buffer allocated and released per record. tls_session::buffered() counts
  // the records it holds unread (SSL_has_pending).
  SSL_CTX_set_read_ahead(st->ctx.get(), 1);
  // A stream that ends without close_notify is not a fatal error to OpenSSL (which would
  // invalidate the session): tls_session reports it as unexpected_eof itself.
  SSL_CTX_set_options(st->ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  return st;
}

}  // namespace

result<tls_version, std::string> parse_tls_version(std::string_view text) {
  if (text == "1.2" || text == "TLSv1.2") return tls_version::v1_2;
  if (text == "1.3" || text == "TLSv1.3") return tls_version::v1_3;
  return fail("bad TLS version \"" + std::string(text) + "\": expected 1.2 or 1.3");
}

std::string_view to_string(tls_version v) noexcept { return v == tls_version::v1_2 ? "1.2" : "1.3"; }

result<tls_context, std::string> tls_context::client(const tls_client_options& o) {
  auto st = new_state(true);
  if (!st) return fail(st.error());
  if (auto r = apply_protocol((*st)->ctx.get(), o.min_version, o.max_version, o.ciphers, o.ciphersuites); !r)
    return fail(r.error());
  if (auto r = configure_client(**st, o); !r) return fail(r.error());
  return tls_context(std::move(*st));
}

result<tls_context, std::string> tls_context::server(const tls_server_options& o) {
  auto st = new_state(false);
  if (!st) return fail(st.error());
  if (auto r = apply_protocol((*st)->ctx.get(), o.min_version, o.max_version, o.ciphers, o.ciphersuites); !r)
    return fail(r.error());
  if (auto r = configure_server(**st, o); !r) return fail(r.error());
  return tls_context(std::move(*st));
}

bool tls_context::is_client() const noexcept { return s_->client; }
SSL_CTX* tls_context::native() const noexcept { return s_->ctx.get(); }
const std::string& tls_context::fingerprint() const noexcept { return s_->fingerprint; }
const std::string& tls_context::certificate_pem() const noexcept { return s_->pem; }

std::size_t tls_context::cached_sessions() const {
  std::lock_guard lock(s_->cache_mu);
  return s_->sessions.size();
}

SSL_SESSION* tls_context::take_cached_session(const std::string& key) const {
  std::lock_guard lock(s_->cache_mu);
  auto it = s_->sessions.find(key);
  if (it == s_->sessions.end()) return nullptr;
  if (SSL_SESSION_is_resumable(it->second) != 1) {
    SSL_SESSION_free(it->second);
    s_->sessions.erase(it);
    return nullptr;
  }
  SSL_SESSION_up_ref(it->second);
  return it->second;
}

void tls_context::forget_session(const std::string& key) const {
  std::lock_guard lock(s_->cache_mu);
  auto it = s_->sessions.find(key);
  if (it == s_->sessions.end()) return;
  SSL_SESSION_free(it->second);
  s_->sessions.erase(it);
}

}  // namespace barrage::net

#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer builds: OpenSSL (Debian's libssl3) is not instrumented, so the reference
// counts and locks by which it hands objects between threads (a session shared through the
// context's cache, dup'ed on one worker and freed on another) are invisible to TSan, and the
// interceptors it does see (malloc, free, memcpy, memcmp called from libcrypto) read as races:
// the report aborted the test in under a second (issue 15). Calls from inside OpenSSL are
// left unchecked; our code, callbacks from OpenSSL included, is checked as everywhere. Defined
// here, in a file every TLS user links, because the runtime only looks for the symbol.
extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:libcrypto.so.3\n"
         "called_from_lib:libssl.so.3\n";
}
#endif
