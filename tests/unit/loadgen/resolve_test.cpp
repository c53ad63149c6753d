// --resolve (connections to an address while Host, SNI and verification keep the name) and
// redirects that lead to https:// or to another host, against real nginx servers.
#include <gtest/gtest.h>

#include "fake_dns.hpp"
#include "loadgen/engine.hpp"
#include "loadgen/report_json.hpp"
#include "nginx_tls_fixture.hpp"
#include "test_pki.hpp"
#include "run_checks.hpp"

using namespace barrage;
using namespace barrage::loadgen;
using namespace std::chrono_literals;
using test::errors_of;
using test::expect_accounted;

namespace {

#define NGINX_OR_SKIP(n) \
  if (!(n).available()) GTEST_SKIP() << "nginx is not installed"

// `test.example` does not exist: only --resolve can reach it.
constexpr const char* name = "test.example";

net::resolve_override pin(const std::string& host, int port, const std::string& addr = "127.0.0.1") {
  return *net::parse_resolve_override(host + ":" + std::to_string(port) + ":" + addr);
}

run_config config_for(const std::string& url) {
  run_config c;
  c.url = url;
  c.connections = 2;
  c.threads = 1;
  c.requests = 40;
  c.timeout = 2s;
  c.connect_timeout = 2s;
  return c;
}



// Answers 421 unless the Host field names test.example.
const std::string only_test_example =
    "    location = /only-test-example { if ($host != \"test.example\") { return 421; } return 200 \"ok\\n\"; }\n";

}  // namespace

TEST(resolve, https_goes_to_the_address_while_sni_host_and_verification_use_the_name) {
  test::test_pki pki;
  auto leaf = pki.leaf("named", {name});  // no 127.0.0.1 in it: verification must use the name
  test::nginx_tls_process nginx(leaf.cert, leaf.key, "TLSv1.2 TLSv1.3", true, only_test_example);
  NGINX_OR_SKIP(nginx);
  test::fake_dns dns(test::fake_dns::mode::servfail);
  auto c = config_for(nginx.url(name, "/only-test-example"));
  c.tls.ca_file = pki.ca_file();
  c.dns_servers = dns.server();
  c.resolves = {pin(name, nginx.port())};
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.succeeded, 40u);
  EXPECT_EQ(r->stats.count.status[200], 40u);  // not 421: the Host field was test.example
  EXPECT_EQ(r->stats.tls.handshakes, 2u);
  EXPECT_EQ(dns.queries(), 0);
  auto j = to_json(*r);
  ASSERT_EQ(j["addresses"].size(), 1u) << j["addresses"].dump();
  EXPECT_EQ(j["addresses"][0]["address"], "127.0.0.1:" + std::to_string(nginx.port()));
  EXPECT_EQ(j["addresses"][0]["connections"].get<std::uint64_t>(), 2u);
  expect_accounted(*r);
}

TEST(resolve, the_same_run_by_address_fails_verification_as_a_hostname_mismatch) {
  test::test_pki pki;
  auto leaf = pki.leaf("named", {name});
  test::nginx_tls_process nginx(leaf.cert, leaf.key);
  NGINX_OR_SKIP(nginx);
  auto c = config_for(nginx.url("127.0.0.1"));
  c.tls.ca_file = pki.ca_file();
  c.requests = 4;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(errors_of(*r, client::error_kind::tls_verify), 4u);
  EXPECT_EQ(r->stats.count.tls[static_cast<std::size_t>(net::tls_errc::hostname_mismatch)], 4u);
}

TEST(resolve, an_entry_for_another_port_is_not_used_and_the_name_is_looked_up) {
  test::test_pki pki;
  auto leaf = pki.leaf("named", {name});
  test::nginx_tls_process nginx(leaf.cert, leaf.key);
  NGINX_OR_SKIP(nginx);
  test::fake_dns dns(test::fake_dns::mode::servfail);
  auto c = config_for(nginx.url(name));
  c.tls.ca_file = pki.ca_file();
  c.dns_servers = dns.server();
  c.requests = 4;
  c.resolves = {pin(name, nginx.port() == 1 ? 2 : 1)};
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(errors_of(*r, client::error_kind::dns), 4u);
  EXPECT_GT(dns.queries(), 0);
  expect_accounted(*r);
}

TEST(resolve, plain_http_to_a_name_that_does_not_exist_sends_no_dns_query) {
  test::nginx_tls_process nginx("", "", "", false, only_test_example);
  NGINX_OR_SKIP(nginx);
  test::fake_dns dns(test::fake_dns::mode::servfail);
  auto c = config_for(nginx.http_url(name, "/only-test-example"));
  c.dns_servers = dns.server();
  c.resolves = {pin("TEST.example", nginx.port(), "[127.0.0.1]")};  // names compare case-insensitively
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.status[200], 40u);
  EXPECT_EQ(dns.queries(), 0);
  expect_accounted(*r);
}

TEST(resolve, an_http_redirect_to_https_on_another_host_is_followed_with_verification) {
  test::test_pki pki;
  auto leaf = pki.leaf("named", {name});
  test::nginx_tls_process secure(leaf.cert, leaf.key, "TLSv1.2 TLSv1.3", true, only_test_example);
  NGINX_OR_SKIP(secure);
  const std::string to = "https://test.example:" + std::to_string(secure.port()) + "/only-test-example";
  test::nginx_tls_process plain("", "", "", false, "    location = /go { return 302 " + to + "; }\n");
  NGINX_OR_SKIP(plain);
  test::fake_dns dns(test::fake_dns::mode::servfail);
  auto c = config_for(plain.http_url("127.0.0.1", "/go"));
  c.redirects = 2;
  c.tls.ca_file = pki.ca_file();
  c.dns_servers = dns.server();
  c.resolves = {pin(name, secure.port())};
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.status[200], 40u);
  EXPECT_EQ(r->stats.count.redirects, 40u);
  EXPECT_EQ(r->stats.count.redirect_unfollowable, 0u);
  EXPECT_EQ(r->stats.tls.handshakes, r->stats.count.connects - 2);  // all but the two plain ones
  EXPECT_EQ(dns.queries(), 0);
  EXPECT_EQ(to_json(*r)["tls"]["handshakes"].get<std::uint64_t>(), r->stats.tls.handshakes);
  expect_accounted(*r);
}

TEST(resolve, a_redirect_to_https_whose_certificate_is_not_trusted_fails_as_tls_verify) {
  test::test_pki pki;
  auto leaf = pki.leaf("named", {name});
  test::nginx_tls_process secure(leaf.cert, leaf.key);
  NGINX_OR_SKIP(secure);
  const std::string to = "https://test.example:" + std::to_string(secure.port()) + "/";
  test::nginx_tls_process plain("", "", "", false, "    location = /go { return 302 " + to + "; }\n");
  NGINX_OR_SKIP(plain);
  auto c = config_for(plain.http_url("127.0.0.1", "/go"));
  c.redirects = 2;
  c.requests = 6;
  c.resolves = {pin(name, secure.port())};  // no --cacert: the system's store does not know the test CA
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(errors_of(*r, client::error_kind::tls_verify), 6u);
  expect_accounted(*r);
}

TEST(resolve, an_https_redirect_to_plain_http_on_another_host_is_followed) {
  test::test_pki pki;
  auto leaf = pki.leaf("named", {"localhost", "127.0.0.1"});
  test::nginx_tls_process plain("", "", "", false, only_test_example);
  NGINX_OR_SKIP(plain);
  const std::string to = "http://test.example:" + std::to_string(plain.port()) + "/only-test-example";
  test::nginx_tls_process secure(leaf.cert, leaf.key, "TLSv1.3", true, "    location = /go { return 301 " + to + "; }\n");
  NGINX_OR_SKIP(secure);
  auto c = config_for(secure.url("127.0.0.1", "/go"));
  c.redirects = 1;
  c.tls.ca_file = pki.ca_file();
  c.resolves = {pin(name, plain.port())};
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.status[200], 40u);
  EXPECT_EQ(r->stats.count.redirects, 40u);
  EXPECT_EQ(r->stats.tls.handshakes, 2u);
  expect_accounted(*r);
}
