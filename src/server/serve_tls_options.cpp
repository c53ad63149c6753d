#include "server/serve_tls_options.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "base/option_values.hpp"
#include "base/quote_text.hpp"

namespace barrage::server {
namespace {

result<std::string, std::string> readable_file(std::string_view text) {
  if (text.empty()) return fail(std::string("bad file name \"\": empty"));
  const std::string path(text);
  if (::access(path.c_str(), R_OK) != 0) return fail("cannot read " + quote_text(text) + ": " + std::strerror(errno));
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return fail("cannot read " + quote_text(text) + ": a directory");
  return path;
}

result<std::string, std::string> output_file(std::string_view text) {
  if (text.empty()) return fail(std::string("bad file name \"\": empty"));
  return std::string(text);
}

result<std::string, std::string> cipher_list(std::string_view text) {
  if (text.empty()) return fail(std::string("bad cipher list \"\": empty"));
  for (char ch : text)
    if (ch < 0x20 || ch > 0x7e)
      return fail("bad cipher list " + quote_text(text) + ": expected OpenSSL names separated by ':'");
  return std::string(text);
}

// A DNS name or an IP address for the self-signed certificate: printable, no spaces, no commas.
result<std::string, std::string> host_name(std::string_view text) {
  if (text.empty() || text.size() > 253) return fail("bad name " + quote_text(text) + ": 1 to 253 characters");
  for (char ch : text)
    if (ch <= 0x20 || ch > 0x7e || ch == ',' || ch == '/')
      return fail("bad name " + quote_text(text) + ": expected a host name or an IP address, e.g. localhost, 127.0.0.1");
  return std::string(text);
}

// The options that mean nothing without a certificate, by name.
std::optional<const char*> first_needing_tls(const serve_tls_settings& s) {
  const std::pair<const char*, bool> given[] = {
      {"--tls-client-ca", s.client_ca.has_value()}, {"--tls-min", s.min.has_value()},
      {"--tls-max", s.max.has_value()},             {"--ciphers", s.ciphers.has_value()},
      {"--tls13-ciphers", s.tls13_ciphers.has_value()}, {"--tls-handshake-timeout", s.handshake_timeout.has_value()}};
  for (const auto& [name, present] : given)
    if (present) return name;
  return std::nullopt;
}

void read_certificate(const serve_tls_settings& s, option_reader& in, serve_tls_plan& plan) {
  if (s.self_signed) {
    if (s.cert || s.key) return in.refuse("--tls-self-signed makes its own certificate: give it or --tls-cert/--tls-key");
    if (!s.names.empty()) plan.options.self_signed_names.clear();
    for (const std::string& n : s.names) {
      std::string name;
      in.read("--tls-name", std::optional<std::string>(n), host_name, name);
      if (!in.error()) plan.options.self_signed_names.push_back(std::move(name));
    }
    in.read("--tls-cert-out", s.cert_out, output_file, plan.cert_out);
    plan.self_signed = true;
    return;
  }
  if (!s.names.empty()) return in.refuse("--tls-name names the certificate of --tls-self-signed: give that too");
  if (s.cert_out) return in.refuse("--tls-cert-out writes the certificate of --tls-self-signed: give that too");
  if (s.cert.has_value() != s.key.has_value())
    return in.refuse(s.cert ? "--tls-cert needs its private key: give --tls-key FILE too"
                            : "--tls-key needs its certificate: give --tls-cert FILE too");
  in.read("--tls-cert", s.cert, readable_file, plan.options.cert_file);
  in.read("--tls-key", s.key, readable_file, plan.options.key_file);
}

}  // namespace

result<std::optional<serve_tls_plan>, std::string> make_tls_plan(const serve_tls_settings& s) {
  const bool tls = s.self_signed || s.cert || s.key;
  if (!tls) {
    if (!s.names.empty()) return fail(std::string("--tls-name names the certificate of --tls-self-signed: give that too"));
    if (s.cert_out) return fail(std::string("--tls-cert-out writes the certificate of --tls-self-signed: give that too"));
    if (auto name = first_needing_tls(s))
      return fail(std::string(*name) + " needs --tls-cert FILE --tls-key FILE or --tls-self-signed");
    return std::optional<serve_tls_plan>{};
  }
  serve_tls_plan plan;
  option_reader in;
  read_certificate(s, in, plan);
  in.read("--tls-client-ca", s.client_ca, readable_file, plan.options.client_ca_file);
  in.read("--tls-min", s.min, net::parse_tls_version, plan.options.min_version);
  in.read("--tls-max", s.max, net::parse_tls_version, plan.options.max_version);
  in.read("--ciphers", s.ciphers, cipher_list, plan.options.ciphers);
  in.read("--tls13-ciphers", s.tls13_ciphers, cipher_list, plan.options.ciphersuites);
  in.read("--tls-handshake-timeout", s.handshake_timeout,
          [](std::string_view t) { return parse_duration_in(t, std::chrono::nanoseconds(1), max_option_duration); },
          plan.handshake_timeout);
  if (!in.error() && plan.options.min_version == net::tls_version::v1_3 &&
      plan.options.max_version == net::tls_version::v1_2)
    in.refuse("--tls-min 1.3 is above --tls-max 1.2");
  if (in.error()) return fail(*in.error());
  plan.options.alpn = {"h2", "http/1.1"};
  plan.options.session_tickets = true;
  return std::optional<serve_tls_plan>(std::move(plan));
}

}  // namespace barrage::server
