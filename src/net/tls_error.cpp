#include "net/tls_error.hpp"

#include <arpa/inet.h>

#include <ctime>

#include "net/openssl_handles.hpp"

namespace barrage::net {

namespace {

constexpr const char* skip_hint = "or -k to skip verification";

bool looks_like_http_request(std::string_view b) {
  // A method token (upper-case letters) and a space: "GET ", "POST ", "OPTIONS ".
  std::size_t i = 0;
  while (i < b.size() && b[i] >= 'A' && b[i] <= 'Z') ++i;
  return i >= 3 && i < b.size() && b[i] == ' ';
}

std::string version_range(const SSL* ssl) {
  auto name = [](long v) -> std::string {
    if (v == TLS1_2_VERSION) return "1.2";
    if (v == TLS1_3_VERSION) return "1.3";
    return v == 0 ? "any" : "0x" + std::to_string(v);
  };
  const long lo = SSL_get_min_proto_version(const_cast<SSL*>(ssl));
  const long hi = SSL_get_max_proto_version(const_cast<SSL*>(ssl));
  return lo == hi ? "TLS " + name(lo) + " only" : "TLS " + name(lo) + " to " + name(hi);
}

// The DNS names and addresses a certificate lists (subjectAltName), ", "-separated.
std::string listed_names(X509* cert) {
  std::string out;
  auto* gens = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (gens == nullptr) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(gens) && i < 8; ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(gens, i);
    std::string one;
    if (g->type == GEN_DNS) {
      one.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(g->d.dNSName)),
                 static_cast<std::size_t>(ASN1_STRING_length(g->d.dNSName)));
    } else if (g->type == GEN_IPADD) {
      const int len = ASN1_STRING_length(g->d.iPAddress);
      char text[INET6_ADDRSTRLEN] = {};
      if ((len == 4 || len == 16) &&
          ::inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(g->d.iPAddress), text, sizeof text))
        one = text;
    }
    if (one.empty()) continue;
    if (!out.empty()) out += ", ";
    out += one;
  }
  GENERAL_NAMES_free(gens);
  return out;
}

std::string time_text(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return "?";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

tls_error certificate_failure(const SSL* ssl, const tls_failure_facts& f) {
  const long v = SSL_get_verify_result(ssl);
  X509* cert = f.failed_certificate;
  const std::string whose = f.client ? "certificate verify failed: " : "client certificate verify failed: ";
  if (v == X509_V_ERR_HOSTNAME_MISMATCH || v == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    std::string names = cert != nullptr ? listed_names(cert) : "";
    return {tls_errc::hostname_mismatch, whose + "the certificate is not for " + std::string(f.host) +
                                             (names.empty() ? "" : " (it names " + names + ")") +
                                             "; connect by a name it lists, " + skip_hint};
  }
  if (v == X509_V_ERR_CERT_HAS_EXPIRED || v == X509_V_ERR_CERT_NOT_YET_VALID) {
    const bool expired = v == X509_V_ERR_CERT_HAS_EXPIRED;
    std::string when = cert == nullptr ? ""
                       : expired       ? " (notAfter " + time_text(X509_get0_notAfter(cert)) + ")"
                                       : " (notBefore " + time_text(X509_get0_notBefore(cert)) + ")";
    return {tls_errc::expired, whose + X509_verify_cert_error_string(v) + when +
                                   (f.client ? "; the server must renew it, " + std::string(skip_hint)
                                             : std::string("; the client must renew it"))};
  }
  return {tls_errc::verify, whose + X509_verify_cert_error_string(v) +
                                (f.client ? "; use --cacert FILE, " + std::string(skip_hint)
                                          : std::string("; the client's certificate must be signed by a client CA"))};
}

bool is_version_reason(int r) {
  return r == SSL_R_UNSUPPORTED_PROTOCOL || r == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
         r == SSL_R_NO_PROTOCOLS_AVAILABLE || r == SSL_R_VERSION_TOO_LOW || r == SSL_R_VERSION_TOO_HIGH;
}

bool is_cipher_reason(int r) {
  return r == SSL_R_NO_SHARED_CIPHER || r == SSL_R_NO_CIPHERS_AVAILABLE || r == SSL_R_NO_SHARED_SIGNATURE_ALGORITHMS ||
         r == SSL_R_NO_SUITABLE_SIGNATURE_ALGORITHM || r == SSL_R_NO_SUITABLE_KEY_SHARE;
}

bool is_not_tls_reason(int r) {
  return r == SSL_R_WRONG_VERSION_NUMBER || r == SSL_R_PACKET_LENGTH_TOO_LONG || r == SSL_R_RECORD_LENGTH_MISMATCH ||
         r == SSL_R_HTTP_REQUEST || r == SSL_R_HTTPS_PROXY_REQUEST || r == SSL_R_UNKNOWN_PROTOCOL;
}

tls_error handshake_error(const SSL* ssl, int reason, const std::string& text, const tls_failure_facts& f) {
  const std::string head = "TLS handshake failed: ";
  if (is_version_reason(reason))
    return {tls_errc::no_shared_version,
            head + "no TLS version in common (" + text + "); this side allows " + version_range(ssl)};
  if (is_cipher_reason(reason)) return {tls_errc::no_shared_cipher, head + "no cipher in common (" + text + ")"};
  if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
    return {tls_errc::client_certificate_required,
            head + "the client sent no certificate, and this server requires one (" + text + ")"};
  if (reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED ||
      (f.certificate_requested && reason >= SSL_AD_REASON_OFFSET))
    return {tls_errc::client_certificate_required, head + "the server requires a client certificate (" + text +
                                                       "); give one with --cert FILE --key FILE"};
  if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING || (f.eof && reason == 0))
    return {tls_errc::handshake, head + "the peer closed the connection during the handshake"};
  if (is_not_tls_reason(reason)) return {tls_errc::handshake, head + text + " (the peer does not speak TLS)"};
  if (reason >= SSL_AD_REASON_OFFSET) return {tls_errc::handshake, head + "the peer sent an alert: " + text};
  return {tls_errc::handshake, head + text};
}

}  // namespace

std::string_view to_string(tls_errc k) noexcept {
  switch (k) {
    case tls_errc::verify: return "verify";
    case tls_errc::hostname_mismatch: return "hostname_mismatch";
    case tls_errc::expired: return "expired";
    case tls_errc::handshake: return "handshake";
    case tls_errc::no_shared_version: return "no_shared_version";
    case tls_errc::no_shared_cipher: return "no_shared_cipher";
    case tls_errc::client_certificate_required: return "client_certificate_required";
    case tls_errc::unexpected_eof: return "unexpected_eof";
    case tls_errc::protocol: return "protocol";
  }
  return "unknown";
}

tls_error describe_tls_failure(const SSL* ssl, int ssl_error, const tls_failure_facts& f) {
  const unsigned long code = ERR_peek_error();
  const int reason = code == 0 ? 0 : ERR_GET_REASON(code);
  std::string text = ossl::openssl_reason(ssl_error == SSL_ERROR_SYSCALL ? "the stream ended" : "unknown error");
  if (f.handshaking) {
    // The peer is not speaking TLS at all: say what it spoke, whatever OpenSSL made of it.
    if (f.client && f.first_bytes.starts_with("HTTP/"))
      return {tls_errc::handshake, "TLS handshake failed: the server answered in plain HTTP: use http://"};
    if (!f.client && looks_like_http_request(f.first_bytes))
      return {tls_errc::handshake, "TLS handshake failed: the client sent plain HTTP: use https://"};
  }
  if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) return certificate_failure(ssl, f);
  // A client learns in its first read after a TLS 1.3 handshake that the server wanted a
  // certificate: the handshake is over on its side, the failure is still the handshake's.
  if (f.handshaking || reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED ||
      (f.certificate_requested && reason >= SSL_AD_REASON_OFFSET))
    return handshake_error(ssl, reason, text, f);
  if (reason == SSL_R_UNEXPECTED_EOF_WHILE_READING || (f.eof && reason == 0))
    return {tls_errc::unexpected_eof, "the peer closed the connection without a TLS close_notify"};
  return {tls_errc::protocol, "TLS error: " + text};
}

}  // namespace barrage::net
