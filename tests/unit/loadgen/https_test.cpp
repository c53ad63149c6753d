// The generator over HTTPS against a real nginx with TLS, certificates made at test time.
#include <gtest/gtest.h>

#include "loadgen/engine.hpp"
#include "loadgen/report_json.hpp"
#include "loadgen/report_text.hpp"
#include "nginx_tls_fixture.hpp"
#include "test_pki.hpp"
#include "run_checks.hpp"

using namespace barrage;
using namespace barrage::loadgen;
using namespace std::chrono_literals;
using test::errors_of;
using test::expect_accounted;

namespace {

struct tls_target {
  test::test_pki pki;
  test::test_pki::files leaf = pki.leaf("server", {"localhost", "127.0.0.1"});
};

run_config config_for(const std::string& url, const std::string& ca_file) {
  run_config c;
  c.url = url;
  c.connections = 4;
  c.threads = 2;
  c.requests = 400;
  c.timeout = 2s;
  c.connect_timeout = 2s;
  c.tls.ca_file = ca_file;
  return c;
}


std::uint64_t reasons_of(const run_result& r, net::tls_errc k) { return r.stats.count.tls[static_cast<std::size_t>(k)]; }

#define NGINX_OR_SKIP(n) \
  if (!(n).available()) GTEST_SKIP() << "nginx is not installed"

}  // namespace

TEST(https, keep_alive_requests_all_succeed_with_one_handshake_per_connection) {
  tls_target t;
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key);
  NGINX_OR_SKIP(nginx);
  auto r = run_load(config_for(nginx.url(), t.pki.ca_file()));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.succeeded, 400u);
  EXPECT_EQ(r->stats.count.status[200], 400u);
  EXPECT_EQ(r->stats.tls.handshakes, r->stats.count.connects);
  EXPECT_EQ(r->stats.count.connects, 4u);
  EXPECT_EQ(r->stats.tls.protocol, "TLSv1.3");
  EXPECT_FALSE(r->stats.tls.cipher.empty());
  EXPECT_EQ(r->stats.tls.handshake_time.count(), 4u);
  auto j = to_json(*r);
  EXPECT_EQ(j["tls"]["handshakes"].get<std::uint64_t>(), 4u);
  EXPECT_EQ(j["tls"]["handshake_ms"]["count"].get<std::uint64_t>(), 4u);
  EXPECT_NE(render_text(*r).find("TLS 4 handshakes"), std::string::npos);
  expect_accounted(*r);
}

TEST(https, large_responses_span_many_records_and_arrive_whole) {
  tls_target t;
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key);
  NGINX_OR_SKIP(nginx);
  auto c = config_for(nginx.url("127.0.0.1", "/big.bin"), t.pki.ca_file());
  c.requests = 40;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.succeeded, 40u);
  EXPECT_GE(r->stats.count.bytes_in, 40u * test::nginx_tls_process::big_size);
  EXPECT_LT(r->stats.count.bytes_in, 40u * (test::nginx_tls_process::big_size + 1000));
  expect_accounted(*r);
}

TEST(https, without_keep_alive_every_request_is_a_handshake_and_most_resume) {
  tls_target t;
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key);
  NGINX_OR_SKIP(nginx);
  auto c = config_for(nginx.url(), t.pki.ca_file());
  c.keepalive = false;
  c.requests = 200;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.succeeded, 200u);
  EXPECT_EQ(r->stats.tls.handshakes, 200u);
  EXPECT_GT(r->stats.tls.resumed, 100u);
  expect_accounted(*r);
}

TEST(https, no_tls_resume_makes_every_handshake_full) {
  tls_target t;
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key);
  NGINX_OR_SKIP(nginx);
  auto c = config_for(nginx.url(), t.pki.ca_file());
  c.keepalive = false;
  c.requests = 100;
  c.tls.resume = false;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.succeeded, 100u);
  EXPECT_EQ(r->stats.tls.handshakes, 100u);
  EXPECT_EQ(r->stats.tls.resumed, 0u);
}

TEST(https, an_unknown_ca_fails_every_request_as_tls_verify_naming_the_fix) {
  tls_target t;
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key);
  NGINX_OR_SKIP(nginx);
  auto c = config_for(nginx.url(), "");  // the system trust store does not know the test CA
  c.requests = 20;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.failed, 20u);
  EXPECT_EQ(errors_of(*r, client::error_kind::tls_verify), 20u);
  EXPECT_EQ(reasons_of(*r, net::tls_errc::verify), 20u);
  EXPECT_NE(r->stats.tls.reasons[0].find("--cacert"), std::string::npos) << r->stats.tls.reasons[0];
  EXPECT_NE(r->stats.tls.reasons[0].find("-k"), std::string::npos);
  EXPECT_NE(render_text(*r).find("use --cacert FILE, or -k"), std::string::npos);
  EXPECT_EQ(to_json(*r)["tls_errors"]["verify"].get<std::uint64_t>(), 20u);
  expect_accounted(*r);
}

TEST(https, insecure_skips_verification) {
  tls_target t;
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key);
  NGINX_OR_SKIP(nginx);
  auto c = config_for(nginx.url(), "");
  c.tls.verify = false;
  c.requests = 50;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.succeeded, 50u);
}

TEST(https, a_certificate_for_another_name_is_a_hostname_mismatch) {
  test::test_pki pki;
  auto leaf = pki.leaf("other", {"other.example"});
  test::nginx_tls_process nginx(leaf.cert, leaf.key);
  NGINX_OR_SKIP(nginx);
  auto c = config_for(nginx.url("127.0.0.1"), pki.ca_file());
  c.requests = 10;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(errors_of(*r, client::error_kind::tls_verify), 10u);
  EXPECT_EQ(reasons_of(*r, net::tls_errc::hostname_mismatch), 10u);
  expect_accounted(*r);
}

TEST(https, a_plain_http_server_on_an_https_url_is_a_handshake_failure_with_the_hint) {
  tls_target t;
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key, "", false);
  NGINX_OR_SKIP(nginx);
  auto c = config_for(nginx.url(), t.pki.ca_file());
  c.requests = 10;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(errors_of(*r, client::error_kind::tls_handshake), 10u);
  const std::string& why = r->stats.tls.reasons[static_cast<std::size_t>(net::tls_errc::handshake)];
  EXPECT_NE(why.find("plain HTTP"), std::string::npos) << why;
  EXPECT_NE(why.find("http://"), std::string::npos) << why;
  expect_accounted(*r);
}

TEST(https, a_tls_1_2_only_server_and_tls_min_1_3_share_no_version) {
  tls_target t;
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key, "TLSv1.2");
  NGINX_OR_SKIP(nginx);
  auto c = config_for(nginx.url(), t.pki.ca_file());
  c.requests = 10;
  c.tls.min_version = net::tls_version::v1_3;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(errors_of(*r, client::error_kind::tls_handshake), 10u);
  EXPECT_EQ(reasons_of(*r, net::tls_errc::no_shared_version), 10u);
  expect_accounted(*r);
}

TEST(https, a_tls_1_2_only_server_works_over_tls_1_2_and_resumes) {
  tls_target t;
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key, "TLSv1.2");
  NGINX_OR_SKIP(nginx);
  auto c = config_for(nginx.url(), t.pki.ca_file());
  c.keepalive = false;
  c.requests = 100;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.succeeded, 100u);
  EXPECT_EQ(r->stats.tls.protocol, "TLSv1.2");
  EXPECT_GT(r->stats.tls.resumed, 50u);
}

// nginx with ssl_verify_client on completes the handshake without a client certificate and
// answers 400 (its choice: the TLS alert path is tests/integration/client_cert_test.py, against
// openssl s_server): a status failure, not a TLS one.
TEST(https, nginx_requiring_a_client_certificate_answers_400_without_one_and_it_is_counted_as_a_status) {
  tls_target t;
  const std::string verify = "    ssl_verify_client on; ssl_client_certificate " + t.pki.ca_file() + ";\n";
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key, "TLSv1.3", true, verify);
  NGINX_OR_SKIP(nginx);
  auto c = config_for(nginx.url(), t.pki.ca_file());
  c.requests = 10;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.status[400], 10u);
  EXPECT_EQ(errors_of(*r, client::error_kind::tls_handshake), 0u);
  expect_accounted(*r);
}

TEST(https, a_client_certificate_from_the_trusted_ca_is_accepted_by_a_server_that_requires_one) {
  tls_target t;
  auto client = t.pki.leaf("client", {"barrage-client"});
  const std::string verify = "    ssl_verify_client on; ssl_client_certificate " + t.pki.ca_file() + ";\n";
  test::nginx_tls_process nginx(t.leaf.cert, t.leaf.key, "TLSv1.3", true, verify);
  NGINX_OR_SKIP(nginx);
  auto c = config_for(nginx.url(), t.pki.ca_file());
  c.tls.cert_file = client.cert;
  c.tls.key_file = client.key;
  c.requests = 50;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.count.succeeded, 50u);
  expect_accounted(*r);
}

TEST(https, a_missing_ca_file_is_a_setup_error) {
  auto c = config_for("https://127.0.0.1:1/", "/nonexistent/ca.pem");
  auto r = run_load(c);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("/nonexistent/ca.pem"), std::string::npos) << r.error();
}

// A test process that dies (a sanitizer's abort, a crash) takes its nginx with it: an nginx
// left running kept ctest's output pipe open, so a crash in under a second read as a 300 s
// timeout (the TSan runs of issue 15).
TEST(https, the_nginx_of_a_test_process_that_aborts_stops_with_it) {
  if (::access("/usr/sbin/nginx", X_OK) != 0 && ::access("/usr/bin/nginx", X_OK) != 0) GTEST_SKIP() << "no nginx";
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    test::test_pki pki;
    auto leaf = pki.leaf("server", {"localhost"});
    test::nginx_tls_process nginx(leaf.cert, leaf.key);
    const int port = nginx.available() ? nginx.port() : 0;
    if (::write(fds[1], &port, sizeof port) != sizeof port) ::_exit(1);
    ::_exit(3);  // no destructor runs, as in an abort
  }
  ::close(fds[1]);
  int port = 0;
  ASSERT_EQ(::read(fds[0], &port, sizeof port), static_cast<ssize_t>(sizeof port));
  ::close(fds[0]);
  ::waitpid(child, nullptr, 0);
  ASSERT_GT(port, 0);
  bool gone = false;
  for (int i = 0; i < 300 && !gone; ++i) {
    gone = !test::loopback_accepts(port);
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone) << "nginx still listens on " << port << " after its test process ended";
}
