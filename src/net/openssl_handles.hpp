#pragma once
// Owning handles for OpenSSL objects, and the error queue read as text. Internal to the TLS
// files of net/ (tls_context, tls_session, tls_certificate).
//
// OpenSSL's error queue is per thread: a failed call leaves entries that a later, unrelated
// call on the same thread would otherwise report. Every caller that looks at the queue drains
// it (openssl_reason), and every operation clears it first (ERR_clear_error).
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace barrage::net::ossl {

template <auto Free>
struct deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, deleter<SSL_CTX_free>>;
using ssl_ptr = std::unique_ptr<SSL, deleter<SSL_free>>;
using x509_ptr = std::unique_ptr<X509, deleter<X509_free>>;
using pkey_ptr = std::unique_ptr<EVP_PKEY, deleter<EVP_PKEY_free>>;
using bio_ptr = std::unique_ptr<BIO, deleter<BIO_free_all>>;
using general_names_ptr = std::unique_ptr<GENERAL_NAMES, deleter<GENERAL_NAMES_free>>;

/// The reason of the oldest error in this thread's queue in OpenSSL's words ("wrong version
/// number"), or `fallback` when the queue is empty; the queue is empty afterwards.
inline std::string openssl_reason(const char* fallback = "unknown OpenSSL error") {
  const unsigned long first = ERR_get_error();
  ERR_clear_error();
  if (first == 0) return fallback;
  const char* r = ERR_reason_error_string(first);
  if (r != nullptr) return r;
  return "OpenSSL error " + std::to_string(ERR_GET_REASON(first));
}

}  // namespace barrage::net::ossl
