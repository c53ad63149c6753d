#pragma once
// The --tls-* options of `barrage serve` as typed, and the TLS plan they make: the settings
// of the server's context and where its self-signed certificate goes. Making the context
// (reading the files, making a key) is the caller's setup step; everything here is a check of
// the command line, and its errors are usage errors, one line naming the option:
//   --tls-cert: cannot read "x.pem": No such file or directory
//   --tls-client-ca needs --tls-cert FILE --tls-key FILE or --tls-self-signed
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "net/tls_context.hpp"

namespace barrage::server {

struct serve_tls_settings {
  std::optional<std::string> cert, key, cert_out, client_ca, min, max, ciphers, tls13_ciphers, handshake_timeout;
  std::vector<std::string> names;  // --tls-name, repeatable
  bool self_signed = false;
};

struct serve_tls_plan {
  net::tls_server_options options;  // ALPN http/1.1, session tickets on
  bool self_signed = false;
  /// --tls-cert-out: where the self-signed certificate's PEM is written; empty: nowhere.
  std::string cert_out;
  /// --tls-handshake-timeout (server_options::tls_handshake_timeout).
  duration handshake_timeout = std::chrono::seconds(10);
};

/// nullopt: plain HTTP (no --tls-* option at all). Either --tls-cert with --tls-key (readable
/// files) or --tls-self-signed (names from --tls-name, by default localhost, 127.0.0.1, ::1;
/// --tls-cert-out only with it); --tls-client-ca a readable file; --tls-min/--tls-max 1.2 or
/// 1.3, min not above max; --ciphers/--tls13-ciphers non-empty printable lists (OpenSSL checks
/// the names when the context is made); --tls-handshake-timeout above 0.
result<std::optional<serve_tls_plan>, std::string> make_tls_plan(const serve_tls_settings& settings);

}  // namespace barrage::server
