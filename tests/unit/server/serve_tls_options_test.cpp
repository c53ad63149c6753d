#include "server/serve_tls_options.hpp"

#include <gtest/gtest.h>

#include <string>

namespace barrage::server {
namespace {

using namespace std::chrono;

// A readable file every test machine has (the checks read access rights, not the contents).
constexpr const char* readable = BARRAGE_SOURCE_DIR "/README.md";

TEST(serve_tls_options, no_tls_option_means_plain_http) {
  auto plan = make_tls_plan({});
  ASSERT_TRUE(plan.ok()) << plan.error();
  EXPECT_FALSE(plan->has_value());
}

TEST(serve_tls_options, self_signed_defaults_to_the_loopback_names_with_alpn_and_tickets) {
  serve_tls_settings s;
  s.self_signed = true;
  auto plan = make_tls_plan(s);
  ASSERT_TRUE(plan.ok()) << plan.error();
  ASSERT_TRUE(plan->has_value());
  const serve_tls_plan& p = **plan;
  EXPECT_TRUE(p.self_signed);
  EXPECT_EQ(p.options.self_signed_names, (std::vector<std::string>{"localhost", "127.0.0.1", "::1"}));
  EXPECT_EQ(p.options.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
  EXPECT_TRUE(p.options.session_tickets);
  EXPECT_TRUE(p.options.cert_file.empty());
  EXPECT_EQ(p.handshake_timeout, 10s);
}

TEST(serve_tls_options, every_value_goes_through_its_parser) {
  serve_tls_settings s;
  s.self_signed = true;
  s.names = {"api.test", "10.0.0.7"};
  s.cert_out = "/tmp/out.pem";
  s.client_ca = readable;
  s.min = "1.3";
  s.max = "TLSv1.3";
  s.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
  s.tls13_ciphers = "TLS_AES_128_GCM_SHA256";
  s.handshake_timeout = "2s";
  auto plan = make_tls_plan(s);
  ASSERT_TRUE(plan.ok()) << plan.error();
  const serve_tls_plan& p = **plan;
  EXPECT_EQ(p.options.self_signed_names, (std::vector<std::string>{"api.test", "10.0.0.7"}));
  EXPECT_EQ(p.cert_out, "/tmp/out.pem");
  EXPECT_EQ(p.options.client_ca_file, readable);
  EXPECT_EQ(p.options.min_version, net::tls_version::v1_3);
  EXPECT_EQ(p.options.max_version, net::tls_version::v1_3);
  EXPECT_EQ(p.options.ciphers, "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_EQ(p.options.ciphersuites, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(p.handshake_timeout, 2s);
}

TEST(serve_tls_options, certificate_and_key_files_are_taken_as_given) {
  serve_tls_settings s;
  s.cert = readable;
  s.key = readable;
  auto plan = make_tls_plan(s);
  ASSERT_TRUE(plan.ok()) << plan.error();
  EXPECT_FALSE((*plan)->self_signed);
  EXPECT_EQ((*plan)->options.cert_file, readable);
  EXPECT_EQ((*plan)->options.key_file, readable);
}

struct bad_case {
  const char* name;
  void (*set)(serve_tls_settings&);
  const char* message;  // the whole error, or its start
};
const bad_case bad_cases[] = {
    {"cert_without_key", [](serve_tls_settings& s) { s.cert = readable; },
     "--tls-cert needs its private key: give --tls-key FILE too"},
    {"key_without_cert", [](serve_tls_settings& s) { s.key = readable; },
     "--tls-key needs its certificate: give --tls-cert FILE too"},
    {"missing_cert_file", [](serve_tls_settings& s) { s.cert = "/nonexistent/c.pem", s.key = readable; },
     "--tls-cert: cannot read \"/nonexistent/c.pem\": No such file or directory"},
    {"directory_as_key", [](serve_tls_settings& s) { s.cert = readable, s.key = "/tmp"; },
     "--tls-key: cannot read \"/tmp\": a directory"},
    {"empty_cert_name", [](serve_tls_settings& s) { s.cert = "", s.key = readable; },
     "--tls-cert: bad file name \"\": empty"},
    {"self_signed_and_files", [](serve_tls_settings& s) { s.self_signed = true, s.cert = readable, s.key = readable; },
     "--tls-self-signed makes its own certificate: give it or --tls-cert/--tls-key"},
    {"name_with_files", [](serve_tls_settings& s) { s.cert = readable, s.key = readable, s.names = {"a"}; },
     "--tls-name names the certificate of --tls-self-signed: give that too"},
    {"name_alone", [](serve_tls_settings& s) { s.names = {"a"}; },
     "--tls-name names the certificate of --tls-self-signed: give that too"},
    {"cert_out_alone", [](serve_tls_settings& s) { s.cert_out = "c.pem"; },
     "--tls-cert-out writes the certificate of --tls-self-signed: give that too"},
    {"cert_out_empty", [](serve_tls_settings& s) { s.self_signed = true, s.cert_out = ""; },
     "--tls-cert-out: bad file name \"\": empty"},
    {"name_empty", [](serve_tls_settings& s) { s.self_signed = true, s.names = {""}; },
     "--tls-name: bad name \"\": 1 to 253 characters"},
    {"name_with_space", [](serve_tls_settings& s) { s.self_signed = true, s.names = {"a b"}; },
     "--tls-name: bad name \"a b\": expected a host name or an IP address"},
    {"name_list_in_one", [](serve_tls_settings& s) { s.self_signed = true, s.names = {"a,b"}; },
     "--tls-name: bad name \"a,b\": expected a host name or an IP address"},
    {"client_ca_without_tls", [](serve_tls_settings& s) { s.client_ca = readable; },
     "--tls-client-ca needs --tls-cert FILE --tls-key FILE or --tls-self-signed"},
    {"min_without_tls", [](serve_tls_settings& s) { s.min = "1.2"; },
     "--tls-min needs --tls-cert FILE --tls-key FILE or --tls-self-signed"},
    {"ciphers_without_tls", [](serve_tls_settings& s) { s.ciphers = "HIGH"; },
     "--ciphers needs --tls-cert FILE --tls-key FILE or --tls-self-signed"},
    {"handshake_timeout_without_tls", [](serve_tls_settings& s) { s.handshake_timeout = "1s"; },
     "--tls-handshake-timeout needs --tls-cert FILE --tls-key FILE or --tls-self-signed"},
    {"missing_client_ca", [](serve_tls_settings& s) { s.self_signed = true, s.client_ca = "/nonexistent/ca.pem"; },
     "--tls-client-ca: cannot read \"/nonexistent/ca.pem\": No such file or directory"},
    {"version_1_1", [](serve_tls_settings& s) { s.self_signed = true, s.min = "1.1"; },
     "--tls-min: bad TLS version \"1.1\": expected 1.2 or 1.3"},
    {"version_empty", [](serve_tls_settings& s) { s.self_signed = true, s.max = ""; },
     "--tls-max: bad TLS version \"\": expected 1.2 or 1.3"},
    {"min_above_max", [](serve_tls_settings& s) { s.self_signed = true, s.min = "1.3", s.max = "1.2"; },
     "--tls-min 1.3 is above --tls-max 1.2"},
    {"ciphers_empty", [](serve_tls_settings& s) { s.self_signed = true, s.ciphers = ""; },
     "--ciphers: bad cipher list \"\": empty"},
    {"tls13_ciphers_control_byte", [](serve_tls_settings& s) { s.self_signed = true, s.tls13_ciphers = "A\nB"; },
     "--tls13-ciphers: bad cipher list"},
    {"handshake_timeout_zero", [](serve_tls_settings& s) { s.self_signed = true, s.handshake_timeout = "0"; },
     "--tls-handshake-timeout: bad duration \"0\": must be above 0"},
    {"handshake_timeout_no_unit_word", [](serve_tls_settings& s) { s.self_signed = true, s.handshake_timeout = "soon"; },
     "--tls-handshake-timeout: bad duration \"soon\""},
};
class bad_serve_tls_option : public ::testing::TestWithParam<bad_case> {};
TEST_P(bad_serve_tls_option, is_refused_with_one_line_naming_the_option) {
  const auto& c = GetParam();
  serve_tls_settings s;
  c.set(s);
  auto plan = make_tls_plan(s);
  ASSERT_FALSE(plan.ok());
  EXPECT_TRUE(plan.error().starts_with(c.message)) << plan.error();
  EXPECT_EQ(plan.error().find('\n'), std::string::npos) << plan.error();
}
INSTANTIATE_TEST_SUITE_P(serve_tls_options, bad_serve_tls_option, ::testing::ValuesIn(bad_cases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace barrage::server
