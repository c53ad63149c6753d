#include "loadgen/run_options.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace barrage::loadgen {
namespace {

using namespace std::chrono;

run_options with_url(std::string url = "http://127.0.0.1:8080/") {
  run_options o;
  o.url = std::move(url);
  return o;
}

TEST(run_options, absent_options_take_the_documented_defaults) {
  auto c = make_run_config(with_url(), 8);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->connections, 50u);
  EXPECT_EQ(c->threads, 8u);  // the number of cores
  EXPECT_EQ(c->method, "GET");
  EXPECT_EQ(c->timeout, 10s);
  EXPECT_EQ(c->connect_timeout, 5s);
  EXPECT_EQ(c->pipeline, 1u);
  EXPECT_EQ(c->retry.attempts, 1u);
  EXPECT_EQ(c->retry.backoff, 100ms);
  EXPECT_TRUE(c->retry.statuses.empty());
  EXPECT_TRUE(c->retry.errors.empty());
  EXPECT_EQ(c->retry.max_backoff, 1024 * 100ms);
  EXPECT_EQ(c->dns_ttl, 10s);
  EXPECT_FALSE(c->has_duration);
  EXPECT_FALSE(c->requests.has_value());
  EXPECT_TRUE(c->success.ok(200) && c->success.ok(399) && !c->success.ok(400));
}

TEST(run_options, threads_default_to_at_least_one_and_at_most_the_limit) {
  EXPECT_EQ(make_run_config(with_url(), 0)->threads, 1u);  // hardware_concurrency() may say 0
  EXPECT_EQ(make_run_config(with_url(), 5000)->threads, 1024u);
}

TEST(run_options, every_value_goes_through_its_parser) {
  auto o = with_url();
  o.connections = "10k";
  o.threads = "2";
  o.requests = "1.5k";
  o.duration = "1m";
  o.pipeline = "16";
  o.timeout = "0";
  o.connect_timeout = "250ms";
  o.retries = "3";
  o.retry_on = "5xx,reset";
  o.success_status = "2xx,404";
  o.headers = {"Accept: */*"};
  auto c = make_run_config(o, 4);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->connections, 10'000u);
  EXPECT_EQ(c->threads, 2u);
  EXPECT_EQ(*c->requests, 1500u);
  EXPECT_EQ(c->run_time, 60s);
  EXPECT_TRUE(c->has_duration);
  EXPECT_EQ(c->pipeline, 16u);
  EXPECT_EQ(c->timeout, no_time_limit);
  EXPECT_EQ(c->connect_timeout, 250ms);
  EXPECT_EQ(c->retry.attempts, 4u);
  EXPECT_EQ(c->retry.statuses.size(), 100u);
  ASSERT_EQ(c->retry.errors.size(), 1u);
  EXPECT_EQ(c->retry.errors[0], client::error_kind::reset);
  EXPECT_TRUE(c->success.ok(204) && c->success.ok(404) && !c->success.ok(301));
  EXPECT_EQ(c->success_spec, "2xx,404");
  EXPECT_EQ(c->headers, std::vector<std::string>{"Accept: */*"});
}

TEST(run_options, retries_without_retry_on_retry_the_transient_failures) {
  auto o = with_url();
  o.retries = "2";
  auto c = make_run_config(o, 1);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->retry.statuses, (std::vector<unsigned>{502, 503, 504}));
  EXPECT_EQ(c->retry.errors.size(), 4u);
}

TEST(run_options, the_retry_backoff_doubles_up_to_1024_times_its_first_wait) {
  auto o = with_url();
  o.retries = "20";
  o.retry_backoff = "1s";
  auto c = make_run_config(o, 1);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->retry.max_backoff, 1024s);
  EXPECT_EQ(client::backoff_before(c->retry, 11, 500), 1024s);
  EXPECT_EQ(client::backoff_before(c->retry, 20, 500), 1024s);
  EXPECT_EQ(client::backoff_before(c->retry, 10, 500), 512s);
}

TEST(run_options, no_request_timeout_leaves_a_bounded_grace_period) {
  auto o = with_url();
  o.timeout = "0";
  auto c = make_run_config(o, 1);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->grace_period(), grace_without_timeout);
  o.grace = "3s";
  EXPECT_EQ(make_run_config(o, 1)->grace_period(), 3s);
}

struct bad_case {
  const char* name;
  void (*set)(run_options&);
  const char* message;  // the whole error
};
const bad_case bad_cases[] = {
    {"connections_negative", [](run_options& o) { o.connections = "-1"; },
     "--connections: bad count \"-1\": negative values are not allowed"},
    {"connections_above_32_bits", [](run_options& o) { o.connections = "4294967297"; },
     "--connections: bad count \"4294967297\": must be between 1 and 10000000"},
    {"connections_trailing_garbage", [](run_options& o) { o.connections = "10x"; },
     "--connections: bad count \"10x\": unknown unit \"x\" (use k, M, G, T, P, E)"},
    {"threads_zero", [](run_options& o) { o.threads = "0"; },
     "--threads: bad count \"0\": must be between 1 and 1024"},
    {"pipeline_zero", [](run_options& o) { o.pipeline = "0"; },
     "--pipeline: bad count \"0\": must be between 1 and 1024"},
    {"requests_zero", [](run_options& o) { o.requests = "0"; },
     "--requests: bad count \"0\": must be between 1 and 18446744073709551615"},
    {"duration_zero", [](run_options& o) { o.duration = "0"; }, "--duration: bad duration \"0\": must be above 0"},
    {"timeout_negative", [](run_options& o) { o.timeout = "-1s"; },
     "--timeout: bad duration \"-1s\": negative values are not allowed"},
    {"connect_timeout_wrong_unit", [](run_options& o) { o.connect_timeout = "5x"; },
     "--connect-timeout: bad duration \"5x\": unknown unit \"x\" (use ns, us, ms, s, m, h)"},
    {"rate_zero", [](run_options& o) { o.rate = "0"; }, "--rate: bad rate \"0\": must be greater than 0"},
    {"retries_negative", [](run_options& o) { o.retries = "-1"; },
     "--retries: bad count \"-1\": negative values are not allowed"},
    {"retry_on_beyond_64_bits", [](run_options& o) { o.retry_on = "99999999999999999999"; },
     "--retry-on: bad retry condition \"99999999999999999999\""},
    {"success_status_trailing_garbage", [](run_options& o) { o.success_status = "2xx,404x"; },
     "--success-status: bad status \"404x\""},
    {"ramp_empty", [](run_options& o) { o.ramp = ""; }, "--ramp: bad ramp \"\": empty"},
    {"closed_ramp_beyond_the_connection_limit", [](run_options& o) { o.ramp = "10s:50M"; },
     "--ramp: a target of 50000000 connections is above the limit of 10000000"},
    {"dns_ttl_empty", [](run_options& o) { o.dns_ttl = ""; }, "--dns-ttl: bad duration \"\": empty"},
    {"warmup_negative", [](run_options& o) { o.warmup = "-1s"; }, "--warmup: bad duration \"-1s\""},
    {"grace_wrong_unit", [](run_options& o) { o.grace = "1 week"; }, "--grace: bad duration \"1 week\""},
    {"retry_backoff_too_long", [](run_options& o) { o.retry_backoff = "2h"; },
     "--retry-backoff: bad duration \"2h\": must be at most 1h"},
    {"method_empty", [](run_options& o) { o.method = ""; }, "--method: bad method \"\": empty"},
    {"bad_header", [](run_options& o) { o.headers = {"X-Ok: 1", "bad header"}; },
     "--header: bad header \"bad ...\": expected \"Name: value\""},
    {"redact_header_not_a_name", [](run_options& o) { o.redact_headers = {"X-Ok", "X Bad"}; },
     "--redact-header: bad header name \"X Bad\": must be a token"},
    {"body_and_body_file", [](run_options& o) { o.body = "x", o.body_file = "/dev/null"; },
     "--body and --body-file: give one or the other, not both"},
    {"body_file_missing", [](run_options& o) { o.body_file = "/nonexistent/body"; },
     "--body-file: cannot read \"/nonexistent/body\": No such file or directory"},
    {"source_not_an_address", [](run_options& o) { o.source = "nope"; }, "--source: "},
    {"ftp_url", [](run_options& o) { o.url = "ftp://example.com/"; },
     "bad URL \"ftp://example.com/\": scheme \"ftp\" is not supported (http, https, ws or wss)"},
    {"cacert_missing", [](run_options& o) { o.cacert = "/nonexistent/ca.pem"; },
     "--cacert: cannot read \"/nonexistent/ca.pem\": No such file or directory"},
    {"cacert_a_directory", [](run_options& o) { o.cacert = "/tmp"; }, "--cacert: cannot read \"/tmp\": a directory"},
    {"cert_without_key", [](run_options& o) { o.cert = "/dev/null"; },
     "--cert and --key: give both (a client certificate and its key)"},
    {"key_without_cert", [](run_options& o) { o.key = "/dev/null"; },
     "--cert and --key: give both (a client certificate and its key)"},
    {"tls_min_unknown", [](run_options& o) { o.tls_min = "1.1"; },
     "--tls-min: bad TLS version \"1.1\": expected 1.2 or 1.3"},
    {"tls_max_unknown", [](run_options& o) { o.tls_max = "tls2"; },
     "--tls-max: bad TLS version \"tls2\": expected 1.2 or 1.3"},
    {"tls_min_above_max", [](run_options& o) { o.tls_min = "1.3", o.tls_max = "1.2"; },
     "--tls-min 1.3 is above --tls-max 1.2"},
    {"ciphers_empty", [](run_options& o) { o.ciphers = ""; }, "--ciphers: bad cipher list \"\": empty"},
    {"tls13_ciphers_control_character", [](run_options& o) { o.tls13_ciphers = "TLS_AES_128_GCM_SHA256\n"; },
     "--tls13-ciphers: bad cipher list"},
    {"resolve_without_address", [](run_options& o) { o.resolve = {"a.example:443:127.0.0.1", "b.example:443"}; },
     "--resolve: bad entry \"b.example:443\": expected HOST:PORT:ADDR (e.g. example.com:443:127.0.0.1)"},
    {"streams_zero", [](run_options& o) { o.http2_prior_knowledge = true, o.streams = "0"; },
     "--streams: bad count \"0\": must be between 1 and 1000"},
    {"streams_without_http2", [](run_options& o) { o.streams = "10"; },
     "--streams needs --http2 or --http2-prior-knowledge (HTTP/1.1 has --pipeline)"},
    {"http2_on_an_http_url", [](run_options& o) { o.http2 = true; },
     "--http2 needs an https:// URL (h2 is negotiated by ALPN); for h2c use --http2-prior-knowledge"},
    {"prior_knowledge_on_an_https_url", [](run_options& o) { o.url = "https://example.com/", o.http2_prior_knowledge = true; },
     "--http2-prior-knowledge needs an http:// URL; for https:// use --http2"},
    {"two_http_versions", [](run_options& o) { o.http1_1 = true, o.http2_prior_knowledge = true; },
     "--http1.1, --http2 and --http2-prior-knowledge: give one of them"},
    {"http2_with_pipelining", [](run_options& o) { o.http2_prior_knowledge = true, o.pipeline = "4"; },
     "--pipeline is HTTP/1.1's; over HTTP/2 requests are multiplexed: use -m/--streams"},
    {"http2_with_redirects", [](run_options& o) { o.http2_prior_knowledge = true, o.redirects = "3"; },
     "--redirects is not supported with HTTP/2 yet"},
    {"http2_without_keepalive_and_streams", [](run_options& o) {
       o.http2_prior_knowledge = true, o.no_keepalive = true, o.streams = "4";
     },
     "--no-keepalive carries one request per connection: -m/--streams above 1 has nothing to multiplex"},
    {"h2_window_without_http2", [](run_options& o) { o.h2_window = "64KiB"; },
     "--h2-window and --h2-connection-window need --http2 or --http2-prior-knowledge"},
    {"h2_window_above_2_31", [](run_options& o) { o.http2_prior_knowledge = true, o.h2_window = "2GiB"; },
     "--h2-window: bad window \"2GiB\": must be between 0 and 2147483647 bytes (2^31-1)"},
    {"h2_window_not_a_size", [](run_options& o) { o.http2_prior_knowledge = true, o.h2_window = "lots"; },
     "--h2-window: bad size \"lots\""},
    {"h2_connection_window_below_65535", [](run_options& o) {
       o.http2_prior_knowledge = true, o.h2_connection_window = "16KiB";
     },
     "--h2-connection-window: bad window \"16KiB\": must be between 65535 and 2147483647 bytes (2^31-1)"},
    {"url_with_port_zero", [](run_options& o) { o.url = "http://example.com:0/"; },
     "bad URL \"http://example.com:0/\": the port must be between 1 and 65535"},
};

class bad_run_option : public ::testing::TestWithParam<bad_case> {};
TEST_P(bad_run_option, is_refused_with_one_line_naming_the_option_and_the_value) {
  const auto& c = GetParam();
  auto o = with_url();
  c.set(o);
  auto r = make_run_config(o, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().starts_with(c.message)) << r.error();
  EXPECT_EQ(r.error().find('\n'), std::string::npos) << r.error();
}
INSTANTIATE_TEST_SUITE_P(run_options, bad_run_option, ::testing::ValuesIn(bad_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(run_options, http2_offers_h2_then_http1_1_by_alpn_and_keeps_the_streams) {
  auto o = with_url("https://example.com/");
  o.http2 = true;
  o.streams = "10";
  auto c = make_run_config(o, 1);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->http, http_choice::h2_alpn);
  EXPECT_EQ(c->streams, 10u);
  EXPECT_EQ(c->tls.alpn, (std::vector<std::string>{"h2", "http/1.1"}));
}

TEST(run_options, http1_1_is_the_default_and_offers_only_http1_1) {
  auto c = make_run_config(with_url("https://example.com/"), 1);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->http, http_choice::http1_1);
  EXPECT_EQ(c->streams, 1u);
  EXPECT_EQ(c->tls.alpn, (std::vector<std::string>{"http/1.1"}));
}

TEST(run_options, resolve_entries_are_kept_in_the_order_given) {
  auto o = with_url("https://example.com/");
  o.resolve = {"example.com:443:127.0.0.2", "other.example:80:[::1]"};
  auto c = make_run_config(o, 1);
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_EQ(c->resolves.size(), 2u);
  EXPECT_EQ(c->resolves[0].host, "example.com");
  EXPECT_EQ(c->resolves[0].addresses.at(0).to_string(), "127.0.0.2:443");
  EXPECT_EQ(c->resolves[1].addresses.at(0).to_string(), "[::1]:80");
}

TEST(run_options, a_body_makes_the_default_method_post_but_not_an_explicit_one) {
  auto o = with_url();
  o.body = "{}";
  EXPECT_EQ(make_run_config(o, 1)->method, "POST");
  o.method = "PUT";
  EXPECT_EQ(make_run_config(o, 1)->method, "PUT");
}

TEST(run_options, a_body_file_is_read_whole) {
  char path[] = "/tmp/barrage-body-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  const std::string body("a\0b\nc", 5);
  std::ofstream(path, std::ios::binary) << body;
  auto o = with_url();
  o.body_file = path;
  auto c = make_run_config(o, 1);
  std::remove(path);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->body, body);
  EXPECT_EQ(c->method, "POST");
}

TEST(run_options, a_urls_user_information_is_sent_as_basic_authorization) {
  auto c = make_run_config(with_url("http://alice:p%40ss@127.0.0.1:8080/x"), 1);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_EQ(c->url, "http://alice:p%40ss@127.0.0.1:8080/x");  // as typed; outputs redact it
  // base64("alice:p@ss") = YWxpY2U6cEBzcw==
  EXPECT_EQ(c->headers, std::vector<std::string>{"Authorization: Basic YWxpY2U6cEBzcw=="});
  auto given = with_url("http://alice:pw@127.0.0.1:8080/");
  given.headers = {"authorization: Bearer t"};
  EXPECT_EQ(make_run_config(given, 1)->headers, std::vector<std::string>{"authorization: Bearer t"});  // -H wins
  EXPECT_EQ(make_run_config(with_url("http://bob@127.0.0.1/"), 1)->headers,
            std::vector<std::string>{"Authorization: Basic Ym9iOg=="});  // "bob:"
}

TEST(run_options, secrets_are_redacted_unless_shown_and_redact_header_adds_names) {
  auto c = make_run_config(with_url(), 1);
  EXPECT_FALSE(c->secrets.show_secrets);
  EXPECT_TRUE(c->secrets.extra_headers.empty());
  auto o = with_url();
  o.show_secrets = true;
  o.redact_headers = {"X-Custom", "x-other"};
  c = make_run_config(o, 1);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c->secrets.show_secrets);
  EXPECT_EQ(c->secrets.extra_headers, (std::vector<std::string>{"X-Custom", "x-other"}));
  EXPECT_TRUE(c->secrets.secret_header("X-OTHER"));
}

TEST(run_options, errors_about_a_header_or_a_url_never_quote_a_secret) {
  auto o = with_url("http://alice:hunter2@example.com:0/");
  auto c = make_run_config(o, 1);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().find("hunter2"), std::string::npos) << c.error();
  EXPECT_NE(c.error().find("alice:<redacted, 7 bytes"), std::string::npos) << c.error();
  o = with_url();
  o.headers = {"Authorization: Bearer s3cr3t\x01"};
  c = make_run_config(o, 1);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error(), "--header: bad header \"Authorization\": the value contains a control character");
}

TEST(run_options, http2_takes_the_open_model_retries_ramp_no_keepalive_and_the_windows) {
  auto o = with_url();
  o.http2_prior_knowledge = true;
  o.rate = "100";
  o.retries = "2";
  o.ramp = "1s:100";
  o.h2_window = "64KiB";
  o.h2_connection_window = "1MiB";
  auto c = make_run_config(o, 1);
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_TRUE(c->open_model());
  EXPECT_EQ(c->retry.attempts, 3u);
  EXPECT_EQ(c->h2_windows.stream_window, 65536u);
  EXPECT_EQ(c->h2_windows.connection_window, 1u << 20);
  auto n = with_url();
  n.http2_prior_knowledge = true;
  n.no_keepalive = true;
  auto k = make_run_config(n, 1);
  ASSERT_TRUE(k.ok()) << k.error();
  EXPECT_FALSE(k->keepalive);
  EXPECT_EQ(k->h2_windows.stream_window, 1u << 20);  // the defaults
  EXPECT_EQ(k->h2_windows.connection_window, 16u << 20);
}

TEST(run_options, the_response_hold_is_on_by_default_and_no_response_hold_turns_it_off) {
  auto o = with_url();
  o.rate = "1000";
  auto on = make_run_config(o, 1);
  ASSERT_TRUE(on.ok()) << on.error();
  EXPECT_TRUE(on->response_hold);
  o.no_response_hold = true;
  auto off = make_run_config(o, 1);
  ASSERT_TRUE(off.ok()) << off.error();
  EXPECT_FALSE(off->response_hold);
}

}  // namespace
}  // namespace barrage::loadgen
