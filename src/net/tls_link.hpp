#pragma once
// What a context's OpenSSL callbacks (tls_context.cpp) learn about the connection they are
// called for: tls_session attaches one to its SSL object. Internal to net/'s TLS files.
#include <openssl/ssl.h>

#include <string>

#include "net/openssl_handles.hpp"

namespace barrage::net {

struct tls_link {
  /// host:port the client session cache files this connection's sessions under; empty: none.
  std::string cache_key;
  /// The server asked for a client certificate and this side had none to give.
  bool certificate_requested = false;
  /// The first certificate of the peer's chain that failed verification (OpenSSL keeps no
  /// peer certificate after a failed handshake): its names and dates go into the message.
  ossl::x509_ptr failed_certificate;
};

/// The SSL ex_data slot that holds a tls_link*.
inline int tls_link_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

inline tls_link* link_of(const SSL* ssl) {
  return static_cast<tls_link*>(SSL_get_ex_data(ssl, tls_link_index()));
}

}  // namespace barrage::net
