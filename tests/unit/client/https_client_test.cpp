// http_client over https:// against a real nginx with TLS, certificates made at test time.
#include <gtest/gtest.h>

#include "client/http_client.hpp"
#include "co_assert.hpp"
#include "nginx_tls_fixture.hpp"
#include "runtime/spawn.hpp"
#include "test_pki.hpp"

using namespace barrage;
using namespace barrage::client;
using namespace std::chrono_literals;

namespace {

#define NGINX_OR_SKIP(n) \
  if (!(n).available()) GTEST_SKIP() << "nginx is not installed"

struct tls_target {
  test::test_pki pki;
  test::test_pki::files leaf = pki.leaf("server", {"localhost", "127.0.0.1"});
};

client_options trusting(const std::string& ca_file) {
  client_options o;
  o.tls.ca_file = ca_file;
  o.pool.connect_timeout = 2s;
  o.total_timeout = 5s;
  return o;
}

response get_once(const client_options& o, const std::string& url) {
  return sync_wait([](client_options opts, std::string u) -> task<response> {
    http_client c(opts);
    co_return co_await c.get(u);
  }(o, url));
}

}  // namespace

TEST(https_client, gets_a_verified_response_and_reuses_the_connection) {
  tls_target t;
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key);
  NGINX_OR_SKIP(nginx);
  sync_wait([](client_options o, std::string url) -> task<void> {
    http_client c(o);
    for (int i = 0; i < 10; ++i) {
      auto r = co_await c.get(url);
      CO_ASSERT_TRUE(r.result.ok());
      EXPECT_EQ(r.result.status, 200);
      EXPECT_EQ(r.data.body, "hello\n");
      EXPECT_TRUE(r.error_message.empty());
    }
    EXPECT_EQ(c.connections().open_connections(), 1u);
    EXPECT_EQ(c.connections().reuses(), 9u);
  }(trusting(t.pki.ca_file()), nginx.url("localhost")));
}

TEST(https_client, a_large_body_spanning_many_records_arrives_whole) {
  tls_target t;
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key);
  NGINX_OR_SKIP(nginx);
  auto r = get_once(trusting(t.pki.ca_file()), nginx.url("127.0.0.1", "/big.bin"));
  ASSERT_TRUE(r.result.ok()) << to_string(r.result.error) << " " << r.error_message;
  EXPECT_EQ(r.data.body, std::string(test::nginx_tls_process::big_size, 'x'));
}

TEST(https_client, verification_is_on_by_default_and_the_failure_says_why) {
  tls_target t;
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key);
  NGINX_OR_SKIP(nginx);
  auto r = get_once(trusting(""), nginx.url());  // the system trust store does not know the test CA
  EXPECT_EQ(r.result.error, error_kind::tls_verify);
  EXPECT_EQ(r.result.tls_detail, static_cast<std::uint8_t>(net::tls_errc::verify));
  EXPECT_EQ(r.result.attempts, 1u);
  EXPECT_NE(r.error_message.find("certificate verify failed"), std::string::npos) << r.error_message;
}

TEST(https_client, verification_off_accepts_an_unknown_ca) {
  tls_target t;
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key);
  NGINX_OR_SKIP(nginx);
  auto o = trusting("");
  o.tls.verify = false;
  auto r = get_once(o, nginx.url());
  EXPECT_TRUE(r.result.ok()) << to_string(r.result.error) << " " << r.error_message;
  EXPECT_EQ(r.data.body, "hello\n");
}

TEST(https_client, a_certificate_for_another_name_is_a_hostname_mismatch) {
  test::test_pki pki;
  auto leaf = pki.leaf("other", {"other.example"});
  test::nginx_tls_process nginx(leaf.cert, leaf.key);
  NGINX_OR_SKIP(nginx);
  auto r = get_once(trusting(pki.ca_file()), nginx.url("127.0.0.1"));
  EXPECT_EQ(r.result.error, error_kind::tls_verify);
  EXPECT_EQ(r.result.tls_detail, static_cast<std::uint8_t>(net::tls_errc::hostname_mismatch));
  EXPECT_NE(r.error_message.find("other.example"), std::string::npos) << r.error_message;
}

TEST(https_client, a_plain_http_server_on_an_https_url_is_a_handshake_failure) {
  tls_target t;
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key, "", false);
  NGINX_OR_SKIP(nginx);
  auto r = get_once(trusting(t.pki.ca_file()), nginx.url());
  EXPECT_EQ(r.result.error, error_kind::tls_handshake);
  EXPECT_NE(r.error_message.find("plain HTTP"), std::string::npos) << r.error_message;
}

TEST(https_client, a_ca_file_that_does_not_load_fails_the_request_before_any_attempt) {
  auto r = get_once(trusting("/nonexistent/ca.pem"), "https://127.0.0.1:1/");
  EXPECT_EQ(r.result.error, error_kind::tls_handshake);
  EXPECT_EQ(r.result.attempts, 0u);
  EXPECT_NE(r.error_message.find("/nonexistent/ca.pem"), std::string::npos) << r.error_message;
}

TEST(https_client, http_and_https_to_one_host_and_port_do_not_share_connections) {
  tls_target t;
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key);
  NGINX_OR_SKIP(nginx);
  sync_wait([](client_options o, int port) -> task<void> {
    http_client c(o);
    auto secure = co_await c.get("https://127.0.0.1:" + std::to_string(port) + "/");
    CO_ASSERT_TRUE(secure.result.ok());
    // Plain HTTP to the TLS port: a new connection (nginx answers 400), never the TLS one.
    auto plain = co_await c.get("http://127.0.0.1:" + std::to_string(port) + "/");
    EXPECT_FALSE(plain.result.reused_connection);
    EXPECT_EQ(plain.result.status, 400);
  }(trusting(t.pki.ca_file()), nginx.port()));
}
