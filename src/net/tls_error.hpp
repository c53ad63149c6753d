#pragma once
// tls_error: why a TLS connection failed, as a value: a kind a caller can count by, and one
// line in plain words with OpenSSL's reason and, where there is one, the fix.
#include <openssl/ossl_typ.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace barrage::net {

enum class tls_errc {
  /// The peer's certificate chain is not trusted (self-signed, unknown CA, bad signature).
  verify,
  /// The certificate is trusted but names another host or address.
  hostname_mismatch,
  /// The certificate has expired or is not yet valid.
  expired,
  /// The handshake failed otherwise: the peer does not speak TLS (a plain-HTTP answer), sent
  /// an alert, closed mid-handshake, or sent bytes that are not a valid handshake.
  handshake,
  /// No protocol version both sides allow (say a 1.3-only client and a 1.2-only server).
  no_shared_version,
  /// No cipher (or signature algorithm) both sides allow.
  no_shared_cipher,
  /// The server requires a client certificate and none was given (or it was refused).
  client_certificate_required,
  /// After the handshake: the peer closed the stream without a close_notify.
  unexpected_eof,
  /// After the handshake: a record that does not decrypt or parse, or an alert.
  protocol,
};
inline constexpr std::size_t tls_errc_count = 9;

/// "verify", "hostname_mismatch", ... (the enumerator's name).
std::string_view to_string(tls_errc k) noexcept;

/// Whether the failure is about the peer's certificate (verify, hostname_mismatch, expired).
constexpr bool is_certificate_failure(tls_errc k) noexcept {
  return k == tls_errc::verify || k == tls_errc::hostname_mismatch || k == tls_errc::expired;
}

struct tls_error {
  tls_errc kind = tls_errc::handshake;
  /// One line, e.g. "certificate verify failed: self-signed certificate; use --cacert FILE, or
  /// -k to skip verification".
  std::string message;
};

/// What the session knew when OpenSSL reported a failure; tls_session fills it in.
struct tls_failure_facts {
  bool client = true;
  bool handshaking = true;
  /// The peer closed its side of the stream.
  bool eof = false;
  /// The server asked for a client certificate and this side had none.
  bool certificate_requested = false;
  /// The first bytes the peer sent (up to 8).
  std::string_view first_bytes;
  /// The host the client verifies the certificate against.
  std::string_view host;
  /// The peer's certificate that failed verification, if one did.
  X509* failed_certificate = nullptr;
};

/// Classifies a failure of `ssl` from SSL_get_error's `ssl_error` and this thread's OpenSSL
/// error queue, which it drains.
tls_error describe_tls_failure(const SSL* ssl, int ssl_error, const tls_failure_facts& facts);

}  // namespace barrage::net
