#pragma once
// A self-signed ECDSA P-256 certificate made in memory, for a TLS server that was given no
// certificate files (`serve --tls-self-signed`): a fresh key each time, never written to disk.
#include <openssl/ossl_typ.h>

#include <string>
#include <vector>

#include "base/result.hpp"
#include "net/openssl_handles.hpp"

namespace barrage::net {

struct tls_certificate {
  ossl::x509_ptr cert;
  ossl::pkey_ptr key;
  /// The certificate in PEM (public; a client may trust it with --cacert).
  std::string pem;
  /// SHA-256 of the DER certificate, upper-case hex pairs joined by ':'.
  std::string fingerprint;
};

/// A certificate for `names` (each a DNS name or an IPv4/IPv6 address; the first is also the
/// subject's CN), valid from an hour ago for 365 days, signed by its own new P-256 key.
/// Error: an empty list or name, or OpenSSL's reason.
result<tls_certificate, std::string> make_self_signed_certificate(const std::vector<std::string>& names);

/// The SHA-256 fingerprint of `cert` as `openssl x509 -fingerprint -sha256` prints it.
std::string sha256_fingerprint(X509* cert);

}  // namespace barrage::net
