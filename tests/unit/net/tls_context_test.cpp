// tls_context: settings that cannot be applied are one-line errors; the self-signed
// certificate and the client session cache (resumption for TLS 1.2 and 1.3).
#include "net/tls_context.hpp"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>

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

// One connection that completes, with data from the server read by the client (a TLS 1.3
// ticket arrives after the handshake, with the first records); whether it resumed.
bool connect_once(const tls_context& client, const tls_context& server, std::uint16_t port = 443) {
  auto p = tls_pair::make(client, server, "localhost", port);
  p.handshake();
  EXPECT_TRUE(p.ok()) << p.client.error().message;
  EXPECT_EQ(p.server.write(std::string("hello")), 5);
  EXPECT_EQ(tls_pair::deliver(p.server, p.client), "hello");
  EXPECT_EQ(p.client.resumed(), p.server.resumed());
  return p.client.resumed();
}

std::string run(const std::string& command) {
  std::unique_ptr<FILE, decltype(&pclose)> pipe(::popen(command.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 256> buf{};
  while (pipe && std::fgets(buf.data(), buf.size(), pipe.get()) != nullptr) out += buf.data();
  return out;
}

}  // namespace

TEST(tls_context, settings_that_cannot_be_applied_are_one_line_errors_naming_them) {
  test_pki pki;
  const std::string missing = pki.dir() + "/missing.pem";
  const std::string not_pem = pki.write("not.pem", "hello\n");
  const auto a = pki.leaf("a", {"localhost"});
  const auto b = pki.leaf("b", {"localhost"});
  struct named_case {
    const char* name;
    tls_client_options o;
    std::string error_start;
  };
  std::vector<named_case> cases;
  auto add = [&](const char* name, auto edit, std::string start) {
    tls_client_options o;
    edit(o);
    cases.push_back({name, o, std::move(start)});
  };
  add("CA file missing", [&](auto& o) { o.ca_file = missing; }, "CA file " + missing + ": ");
  add("CA file not PEM", [&](auto& o) { o.ca_file = not_pem; }, "CA file " + not_pem + ": ");
  add("certificate without key", [&](auto& o) { o.cert_file = a.cert; }, "a certificate file needs its key file");
  add("key without certificate", [&](auto& o) { o.key_file = a.key; }, "a key file needs its certificate file");
  add("certificate file missing", [&](auto& o) { o.cert_file = missing, o.key_file = a.key; },
      "certificate file " + missing + ": ");
  add("key of another certificate", [&](auto& o) { o.cert_file = a.cert, o.key_file = b.key; },
      "key file " + b.key + " does not match certificate file " + a.cert + ": key values mismatch");
  add("min above max", [](auto& o) { o.min_version = tls_version::v1_3, o.max_version = tls_version::v1_2; },
      "TLS min version 1.3 is above max version 1.2");
  add("unknown TLS 1.2 cipher", [](auto& o) { o.ciphers = "NOT-A-CIPHER"; }, "TLS 1.2 ciphers \"NOT-A-CIPHER\": ");
  add("unknown TLS 1.3 suite", [](auto& o) { o.ciphersuites = "TLS_NOPE"; }, "TLS 1.3 ciphersuites \"TLS_NOPE\": ");
  add("empty ALPN name", [](auto& o) { o.alpn = {"h2", ""}; }, "bad ALPN protocol \"\": 1 to 255 bytes");
  for (const auto& c : cases) {
    auto r = tls_context::client(c.o);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().rfind(c.error_start, 0), 0u) << c.name << ": " << r.error();
    EXPECT_EQ(r.error().find('\n'), std::string::npos) << c.name;
    EXPECT_EQ(ERR_peek_error(), 0u) << c.name;
  }
}

TEST(tls_context, server_settings_that_cannot_be_applied_are_one_line_errors) {
  test_pki pki;
  const auto a = pki.leaf("a", {"localhost"});
  struct named_case {
    const char* name;
    tls_server_options o;
    std::string error_start;
  };
  tls_server_options no_names, bad_name, missing_ca, key_only;
  no_names.self_signed_names = {};
  bad_name.self_signed_names = {"localhost", "two words"};
  missing_ca.client_ca_file = pki.dir() + "/nope.pem";
  key_only.key_file = a.key;
  const named_case cases[] = {
      {"self-signed without names", no_names, "self-signed certificate: no host name given"},
      {"self-signed with a bad name", bad_name, "self-signed certificate: bad host name \"two words\""},
      {"client CA file missing", missing_ca, "client CA file " + pki.dir() + "/nope.pem: "},
      {"key without certificate", key_only, "a key file needs its certificate file"},
  };
  for (const auto& c : cases) {
    auto r = tls_context::server(c.o);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().rfind(c.error_start, 0), 0u) << c.name << ": " << r.error();
  }
}

TEST(tls_context, tls_versions_parse_from_their_usual_spellings) {
  EXPECT_EQ(*parse_tls_version("1.2"), tls_version::v1_2);
  EXPECT_EQ(*parse_tls_version("TLSv1.3"), tls_version::v1_3);
  for (const char* bad : {"", "1.1", "1.4", "tls1.3", "1.3 "}) {
    auto r = parse_tls_version(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error(), "bad TLS version \"" + std::string(bad) + "\": expected 1.2 or 1.3");
  }
}

TEST(tls_context, the_self_signed_fingerprint_is_the_one_openssl_prints) {
  test_pki pki;
  auto server = must(tls_context::server({}));
  ASSERT_EQ(server.fingerprint().size(), 32u * 3 - 1);
  const std::string pem = pki.write("self.crt", server.certificate_pem());
  const std::string printed = run("openssl x509 -noout -fingerprint -sha256 -in " + pem);
  EXPECT_NE(printed.find("=" + server.fingerprint() + "\n"), std::string::npos) << printed;
  const std::string text = run("openssl x509 -noout -text -in " + pem);
  EXPECT_NE(text.find("ASN1 OID: prime256v1"), std::string::npos) << text;
  EXPECT_NE(text.find("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"), std::string::npos) << text;
  // Fresh key and certificate each time.
  EXPECT_NE(must(tls_context::server({})).fingerprint(), server.fingerprint());
}

TEST(tls_context, a_second_connection_resumes_the_first_session_for_1_2_and_1_3) {
  struct named_case {
    const char* name;
    tls_version version;
    bool tickets;
  };
  const named_case cases[] = {
      {"TLS 1.3 ticket", tls_version::v1_3, true},
      {"TLS 1.2 ticket", tls_version::v1_2, true},
      {"TLS 1.2 session id (server issues no tickets)", tls_version::v1_2, false},
  };
  for (const auto& c : cases) {
    tls_server_options so;
    so.min_version = so.max_version = c.version;
    so.session_tickets = c.tickets;
    auto server = must(tls_context::server(so));
    tls_client_options co;
    co.verify = false;
    auto client = must(tls_context::client(co));
    EXPECT_FALSE(connect_once(client, server)) << c.name;
    EXPECT_EQ(client.cached_sessions(), 1u) << c.name;
    EXPECT_TRUE(connect_once(client, server)) << c.name;
    EXPECT_TRUE(connect_once(client, server)) << c.name;
    // Another port is another server: no session to offer there.
    EXPECT_FALSE(connect_once(client, server, 8443)) << c.name;
    EXPECT_EQ(client.cached_sessions(), 2u) << c.name;
  }
}

TEST(tls_context, without_resumption_every_connection_is_a_full_handshake) {
  auto server = must(tls_context::server({}));
  tls_client_options co;
  co.verify = false;
  co.resume = false;
  auto client = must(tls_context::client(co));
  EXPECT_FALSE(connect_once(client, server));
  EXPECT_FALSE(connect_once(client, server));
  EXPECT_EQ(client.cached_sessions(), 0u);
}

TEST(tls_context, a_session_from_a_server_that_no_longer_knows_it_falls_back_to_a_full_handshake) {
  tls_client_options co;
  co.verify = false;
  auto client = must(tls_context::client(co));
  auto first = must(tls_context::server({}));
  EXPECT_FALSE(connect_once(client, first));
  auto restarted = must(tls_context::server({}));  // new ticket keys, new certificate
  EXPECT_FALSE(connect_once(client, restarted));
  EXPECT_TRUE(connect_once(client, restarted));
}

TEST(tls_context, a_resumed_session_is_still_checked_against_the_host_name_it_was_made_for) {
  test_pki pki;
  tls_server_options so;
  const auto leaf = pki.leaf("s", {"localhost"});
  so.cert_file = leaf.cert;
  so.key_file = leaf.key;
  auto server = must(tls_context::server(so));
  tls_client_options co;
  co.ca_file = pki.ca_file();
  auto client = must(tls_context::client(co));
  EXPECT_FALSE(connect_once(client, server));
  EXPECT_TRUE(connect_once(client, server));
  // The cache is per host:port, so a session for localhost is never offered to another name.
  auto p = tls_pair::make(client, server, "example.com");
  p.handshake();
  EXPECT_EQ(p.client.error().kind, tls_errc::hostname_mismatch);
}

TEST(tls_context, a_server_that_closes_without_close_notify_does_not_cost_the_session) {
  auto server = must(tls_context::server({}));
  tls_client_options co;
  co.verify = false;
  auto client = must(tls_context::client(co));
  {
    auto p = tls_pair::make(client, server);
    p.handshake();
    ASSERT_TRUE(p.ok());
    ASSERT_EQ(p.server.write(std::string("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")), 38);
    EXPECT_EQ(tls_pair::deliver(p.server, p.client).size(), 38u);
    p.client.peer_closed();
    char buf[8];
    EXPECT_EQ(p.client.read(buf), tls_session::failed);
    EXPECT_EQ(p.client.error().kind, tls_errc::unexpected_eof);
  }
  EXPECT_TRUE(connect_once(client, server));
}

TEST(tls_context, a_failed_handshake_drops_the_session_kept_for_that_host) {
  auto server = must(tls_context::server({}));
  tls_client_options co;
  co.verify = false;
  auto client = must(tls_context::client(co));
  EXPECT_FALSE(connect_once(client, server));
  ASSERT_EQ(client.cached_sessions(), 1u);
  auto c = tls_session::client(client, "localhost", 443);
  ASSERT_TRUE(c.ok());
  (void)c->handshake();
  c->feed(std::string_view("HTTP/1.1 400 Bad Request\r\n\r\n"));
  EXPECT_EQ(c->handshake(), tls_state::failed);
  EXPECT_EQ(client.cached_sessions(), 0u);
}
