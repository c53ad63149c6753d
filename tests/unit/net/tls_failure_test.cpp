// Every way a TLS handshake fails, each with its kind and its one-line message.
#include <gtest/gtest.h>
#include <openssl/err.h>

#include <string>

#include "net/tls_context.hpp"
#include "net/tls_session.hpp"
#include "test_pki.hpp"
#include "tls_pair.hpp"

using namespace barrage;
using namespace barrage::net;
using barrage::test::test_pki;
using barrage::test::tls_pair;

namespace {

tls_context must(result<tls_context, std::string> r) {
  if (!r) throw std::runtime_error(r.error());
  return *r;
}

tls_context server_ctx(const tls_server_options& o = {}) { return must(tls_context::server(o)); }
tls_context client_ctx(const tls_client_options& o = {}) { return must(tls_context::client(o)); }

tls_server_options from_files(const test_pki::files& f) {
  tls_server_options o;
  o.cert_file = f.cert;
  o.key_file = f.key;
  return o;
}

tls_client_options with_ca(const std::string& ca) {
  tls_client_options o;
  o.ca_file = ca;
  return o;
}

// A handshake that fails on the client; the error queue is empty afterwards.
tls_error client_failure(const tls_context& client, const tls_context& server, std::string_view host = "localhost") {
  auto p = tls_pair::make(client, server, host);
  p.handshake();
  EXPECT_EQ(p.client_state, tls_state::failed) << host;
  EXPECT_EQ(ERR_peek_error(), 0u);
  return p.client.error();
}

}  // namespace

TEST(tls_failure, verification_against_the_system_store_refuses_a_self_signed_certificate) {
  auto e = client_failure(client_ctx(), server_ctx());
  EXPECT_EQ(e.kind, tls_errc::verify);
  EXPECT_EQ(e.message,
            "certificate verify failed: self-signed certificate; use --cacert FILE, or -k to skip verification");
}

TEST(tls_failure, the_same_certificate_passes_with_it_as_the_ca_file_and_with_insecure) {
  test_pki pki;
  auto server = server_ctx();
  auto trusted = tls_pair::make(client_ctx(with_ca(pki.write("s.crt", server.certificate_pem()))), server);
  trusted.handshake();
  EXPECT_TRUE(trusted.ok()) << trusted.client.error().message;
  tls_client_options k;
  k.verify = false;
  auto insecure = tls_pair::make(client_ctx(k), server, "not-the-name.example");
  insecure.handshake();
  EXPECT_TRUE(insecure.ok()) << insecure.client.error().message;
}

TEST(tls_failure, a_self_signed_certificate_names_localhost_and_both_loopback_addresses) {
  test_pki pki;
  auto server = server_ctx();
  auto client = client_ctx(with_ca(pki.write("s.crt", server.certificate_pem())));
  for (const char* host : {"localhost", "127.0.0.1", "::1", "[::1]"}) {
    auto p = tls_pair::make(client, server, host);
    p.handshake();
    EXPECT_TRUE(p.ok()) << host << ": " << p.client.error().message;
  }
}

TEST(tls_failure, a_certificate_signed_by_an_unknown_ca_fails_verification) {
  test_pki pki, other;
  auto e = client_failure(client_ctx(with_ca(other.ca_file())), server_ctx(from_files(pki.leaf("s", {"localhost"}))));
  EXPECT_EQ(e.kind, tls_errc::verify);
  EXPECT_EQ(e.message,
            "certificate verify failed: unable to get local issuer certificate; use --cacert FILE, or -k to skip "
            "verification");
}

TEST(tls_failure, a_certificate_for_another_name_or_address_is_a_hostname_mismatch) {
  test_pki pki;
  auto server = server_ctx(from_files(pki.leaf("s", {"localhost", "127.0.0.1"})));
  auto client = client_ctx(with_ca(pki.ca_file()));
  auto ok = tls_pair::make(client, server, "localhost");
  ok.handshake();
  EXPECT_TRUE(ok.ok()) << ok.client.error().message;
  auto by_name = client_failure(client, server, "example.com");
  EXPECT_EQ(by_name.kind, tls_errc::hostname_mismatch);
  EXPECT_EQ(by_name.message,
            "certificate verify failed: the certificate is not for example.com (it names localhost, 127.0.0.1); "
            "connect by a name it lists, or -k to skip verification");
  auto by_address = client_failure(client, server, "127.0.0.2");
  EXPECT_EQ(by_address.kind, tls_errc::hostname_mismatch);
  EXPECT_NE(by_address.message.find("not for 127.0.0.2"), std::string::npos) << by_address.message;
  // A wildcard-free certificate for "localhost" does not cover a name below it.
  EXPECT_EQ(client_failure(client, server, "a.localhost").kind, tls_errc::hostname_mismatch);
}

TEST(tls_failure, an_expired_certificate_says_when_it_expired) {
  test_pki pki;
  auto server = server_ctx(from_files(pki.leaf("old", {"localhost"}, -2 * 86400, -86400)));
  auto e = client_failure(client_ctx(with_ca(pki.ca_file())), server);
  EXPECT_EQ(e.kind, tls_errc::expired);
  EXPECT_EQ(e.message.rfind("certificate verify failed: certificate has expired (notAfter 20", 0), 0u) << e.message;
  EXPECT_NE(e.message.find(" UTC); the server must renew it, or -k to skip verification"), std::string::npos)
      << e.message;
  auto future = server_ctx(from_files(pki.leaf("new", {"localhost"}, 86400, 2 * 86400)));
  auto f = client_failure(client_ctx(with_ca(pki.ca_file())), future);
  EXPECT_EQ(f.kind, tls_errc::expired);
  EXPECT_NE(f.message.find("certificate is not yet valid (notBefore "), std::string::npos) << f.message;
}

TEST(tls_failure, a_server_that_requires_a_client_certificate_refuses_a_client_without_one) {
  for (auto v : {tls_version::v1_2, tls_version::v1_3}) {
    test_pki pki;
    auto so = from_files(pki.leaf("s", {"localhost"}));
    so.client_ca_file = pki.ca_file();
    so.min_version = so.max_version = v;
    auto p = tls_pair::make(client_ctx(with_ca(pki.ca_file())), server_ctx(so));
    p.handshake();
    EXPECT_EQ(p.server_state, tls_state::failed) << to_string(v);
    EXPECT_EQ(p.server.error().kind, tls_errc::client_certificate_required) << p.server.error().message;
    // TLS 1.3: the client's handshake is over before the server looks at its certificate;
    // the refusal arrives with the first read.
    if (p.client_state == tls_state::done) {
      char buf[16];
      EXPECT_EQ(p.client.read(buf), tls_session::failed);
    }
    EXPECT_EQ(p.client.error().kind, tls_errc::client_certificate_required) << to_string(v);
    EXPECT_EQ(p.client.error().message.rfind("TLS handshake failed: the server requires a client certificate (", 0),
              0u)
        << p.client.error().message;
    EXPECT_NE(p.client.error().message.find("); give one with --cert FILE --key FILE"), std::string::npos);
  }
}

TEST(tls_failure, a_client_certificate_from_the_trusted_ca_is_accepted) {
  for (auto v : {tls_version::v1_2, tls_version::v1_3}) {
    test_pki pki;
    auto so = from_files(pki.leaf("s", {"localhost"}));
    so.client_ca_file = pki.ca_file();
    so.max_version = v;
    auto co = with_ca(pki.ca_file());
    auto mine = pki.leaf("client", {"load-generator"});
    co.cert_file = mine.cert;
    co.key_file = mine.key;
    auto p = tls_pair::make(client_ctx(co), server_ctx(so));
    p.handshake();
    ASSERT_TRUE(p.ok()) << p.client.error().message << " / " << p.server.error().message;
    ASSERT_EQ(p.client.write(std::string("hello")), 5);
    EXPECT_EQ(tls_pair::deliver(p.client, p.server), "hello");
  }
}

TEST(tls_failure, a_client_certificate_from_another_ca_is_refused_by_the_server) {
  test_pki pki, other;
  auto so = from_files(pki.leaf("s", {"localhost"}));
  so.client_ca_file = pki.ca_file();
  auto co = with_ca(pki.ca_file());
  auto stranger = other.leaf("client", {"load-generator"});
  co.cert_file = stranger.cert;
  co.key_file = stranger.key;
  auto p = tls_pair::make(client_ctx(co), server_ctx(so));
  p.handshake();
  EXPECT_EQ(p.server_state, tls_state::failed);
  EXPECT_EQ(p.server.error().kind, tls_errc::verify);
  EXPECT_EQ(p.server.error().message,
            "client certificate verify failed: unable to get local issuer certificate; the client's certificate "
            "must be signed by a client CA");
}

TEST(tls_failure, a_1_3_only_client_and_a_1_2_only_server_share_no_version) {
  tls_server_options so;
  so.min_version = so.max_version = tls_version::v1_2;
  tls_client_options co;
  co.verify = false;
  co.min_version = tls_version::v1_3;
  auto p = tls_pair::make(client_ctx(co), server_ctx(so));
  p.handshake();
  EXPECT_EQ(p.client_state, tls_state::failed);
  EXPECT_EQ(p.client.error().kind, tls_errc::no_shared_version);
  EXPECT_EQ(p.client.error().message,
            "TLS handshake failed: no TLS version in common (tlsv1 alert protocol version); this side allows TLS "
            "1.3 only");
  EXPECT_EQ(p.server.error().kind, tls_errc::no_shared_version);
  EXPECT_EQ(p.server.error().message,
            "TLS handshake failed: no TLS version in common (unsupported protocol); this side allows TLS 1.2 only");
}

TEST(tls_failure, no_shared_tls_1_2_cipher_is_its_own_kind) {
  tls_server_options so;  // an ECDSA certificate: RSA key exchange ciphers cannot be used
  so.max_version = tls_version::v1_2;
  tls_client_options co;
  co.verify = false;
  co.ciphers = "ECDHE-RSA-AES128-GCM-SHA256";
  auto p = tls_pair::make(client_ctx(co), server_ctx(so));
  p.handshake();
  EXPECT_EQ(p.server_state, tls_state::failed);
  EXPECT_EQ(p.server.error().kind, tls_errc::no_shared_cipher);
  EXPECT_EQ(p.server.error().message, "TLS handshake failed: no cipher in common (no shared cipher)");
  EXPECT_EQ(p.client_state, tls_state::failed);
  EXPECT_EQ(p.client.error().kind, tls_errc::handshake);
  EXPECT_EQ(p.client.error().message, "TLS handshake failed: the peer sent an alert: sslv3 alert handshake failure");
}

TEST(tls_failure, a_plain_http_answer_where_a_server_hello_was_expected_says_use_http) {
  tls_client_options co;
  co.verify = false;
  auto c = tls_session::client(client_ctx(co), "localhost", 80);
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->handshake(), tls_state::want_write);
  c->consume_output(c->pending_output().size());
  c->feed(std::string_view("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_EQ(c->handshake(), tls_state::failed);
  EXPECT_EQ(c->error().kind, tls_errc::handshake);
  EXPECT_EQ(c->error().message, "TLS handshake failed: the server answered in plain HTTP: use http://");
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(tls_failure, bytes_that_are_not_tls_fail_the_handshake_on_either_side) {
  struct named_case {
    const char* name;
    bool to_client;
    std::string bytes;
    std::string message;
  };
  const named_case cases[] = {
      {"SSH banner to a client", true, "SSH-2.0-OpenSSH_9.2\r\n",
       "TLS handshake failed: wrong version number (the peer does not speak TLS)"},
      {"zeros to a client", true, std::string(64, '\0'),
       "TLS handshake failed: wrong version number (the peer does not speak TLS)"},
      {"plain HTTP request to a server", false, "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
       "TLS handshake failed: the client sent plain HTTP: use https://"},
      {"binary noise to a server", false, std::string("\x16\x03\x01\x00\x05\x01\x00\x00\x01\x00", 10),
       "TLS handshake failed: length too short"},
  };
  for (const auto& c : cases) {
    tls_client_options co;
    co.verify = false;
    auto s = c.to_client ? tls_session::client(client_ctx(co), "localhost", 443) : tls_session::server(server_ctx());
    ASSERT_TRUE(s.ok());
    if (c.to_client) {
      (void)s->handshake();
      s->consume_output(s->pending_output().size());
    }
    s->feed(c.bytes);
    EXPECT_EQ(s->handshake(), tls_state::failed) << c.name;
    EXPECT_EQ(s->error().kind, tls_errc::handshake) << c.name;
    EXPECT_EQ(s->error().message, c.message) << c.name;
    EXPECT_EQ(ERR_peek_error(), 0u) << c.name;
  }
}
