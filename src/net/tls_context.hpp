#pragma once
// tls_context: the settings every TLS connection of one side shares (OpenSSL's SSL_CTX),
// made from plain options. A client context verifies the peer against the system trust store
// unless told otherwise and keeps the last session per host:port for resumption; a server
// context holds a certificate (from files, or a self-signed one made in memory), picks the
// ALPN protocol by its own preference and issues session tickets.
//
// Contract:
// - Every setting that cannot be applied is an error value: one line naming the file or the
//   setting, and OpenSSL's reason in its words.
// - A context is a cheap handle (shared); copies use the same SSL_CTX and session cache.
//   It may be used from several threads at once (OpenSSL's SSL_CTX is, and the session cache
//   takes a lock).
// - Sessions (tls_session) keep their context alive.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

using SSL_CTX = struct ssl_ctx_st;
using SSL_SESSION = struct ssl_session_st;

namespace barrage::net {

enum class tls_version { v1_2, v1_3 };

/// "1.2" or "1.3" (also "TLSv1.2", "TLSv1.3"); anything else: bad TLS version "<text>" ...
result<tls_version, std::string> parse_tls_version(std::string_view text);
std::string_view to_string(tls_version v) noexcept;

struct tls_client_options {
  /// Verify the server's certificate chain and name (off: curl's -k/--insecure).
  bool verify = true;
  /// PEM file of trusted certificates (curl's --cacert); replaces the system trust store.
  std::string ca_file;
  /// A client certificate (PEM, may hold the chain) and its key, for mutual TLS; both or neither.
  std::string cert_file;
  std::string key_file;
  tls_version min_version = tls_version::v1_2;
  tls_version max_version = tls_version::v1_3;
  /// TLS 1.2 cipher list (OpenSSL's syntax); empty: OpenSSL's default.
  std::string ciphers;
  /// TLS 1.3 ciphersuites ("TLS_AES_128_GCM_SHA256:..."); empty: OpenSSL's default.
  std::string ciphersuites;
  /// ALPN protocols offered, in order ("h2", "http/1.1"); empty: no ALPN extension.
  std::vector<std::string> alpn;
  /// Offer the last session of the same host:port again (TLS 1.3 tickets, TLS 1.2 session
  /// ids or tickets).
  bool resume = true;
};

struct tls_server_options {
  /// PEM certificate (chain) and key files; when both are empty, a self-signed certificate is
  /// made in memory for `self_signed_names`.
  std::string cert_file;
  std::string key_file;
  /// DNS names and IP addresses the self-signed certificate names (subjectAltName).
  std::vector<std::string> self_signed_names = {"localhost", "127.0.0.1", "::1"};
  /// ALPN protocols accepted, in the server's order of preference; a client offering none of
  /// them gets no ALPN answer (the handshake goes on).
  std::vector<std::string> alpn = {"http/1.1"};
  /// PEM file of CAs: when set, every client must present a certificate they signed.
  std::string client_ca_file;
  tls_version min_version = tls_version::v1_2;
  tls_version max_version = tls_version::v1_3;
  std::string ciphers;
  std::string ciphersuites;
  /// Issue session tickets (TLS 1.3, and TLS 1.2 RFC 5077); off: TLS 1.2 resumes by session id.
  bool session_tickets = true;
};

class tls_context {
 public:
  struct state;

  static result<tls_context, std::string> client(const tls_client_options& o);
  static result<tls_context, std::string> server(const tls_server_options& o);

  bool is_client() const noexcept;
  SSL_CTX* native() const noexcept;
  /// The server certificate's SHA-256 fingerprint, "AB:CD:..." as `openssl x509 -fingerprint
  /// -sha256` prints it; empty for a client.
  const std::string& fingerprint() const noexcept;
  /// The self-signed certificate in PEM (for a client to trust it); empty otherwise.
  const std::string& certificate_pem() const noexcept;

  /// Client: sessions kept for resumption now (one per host:port at most).
  std::size_t cached_sessions() const;
  /// Client: the session to offer to `key` (host:port), with a reference the caller owns
  /// (SSL_SESSION_free), or null.
  SSL_SESSION* take_cached_session(const std::string& key) const;
  /// Client: drops the session kept for `key` (its handshake failed).
  void forget_session(const std::string& key) const;

  const std::shared_ptr<state>& shared() const noexcept { return s_; }

 private:
  explicit tls_context(std::shared_ptr<state> s) noexcept : s_(std::move(s)) {}
  std::shared_ptr<state> s_;
};

}  // namespace barrage::net
