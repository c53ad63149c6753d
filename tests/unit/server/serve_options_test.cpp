#include "server/serve_options.hpp"

#include <gtest/gtest.h>

#include <string>

namespace barrage::server {
namespace {

using namespace std::chrono;

TEST(serve_options, absent_options_keep_the_server_defaults) {
  auto o = make_server_options({});
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->listen.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(o->threads, 1u);
  EXPECT_EQ(o->max_connections, 10'000u);
  EXPECT_EQ(o->max_body_bytes, 1u << 20);
  EXPECT_EQ(o->max_head_bytes, 16u * 1024);
  EXPECT_TRUE(o->expose_metrics);
  EXPECT_EQ(o->stall.every, duration::zero());
  EXPECT_EQ(o->h2_max_streams, 100u);
  EXPECT_EQ(o->write_timeout, 10s);
}

TEST(serve_options, every_value_goes_through_its_parser) {
  serve_settings s;
  s.listen = "[::1]:0";
  s.threads = "4";
  s.max_connections = "20k";
  s.max_body = "64KiB";
  s.max_head = "8KiB";
  s.head_timeout = "2s";
  s.idle_timeout = "1m";
  s.grace = "0";
  s.stall_every = "10s";
  s.stall_for = "1s";
  s.write_timeout = "1500ms";
  s.h2_max_streams = "8";
  s.no_metrics = true;
  auto o = make_server_options(s);
  ASSERT_TRUE(o.ok()) << o.error();
  EXPECT_EQ(o->listen.to_string(), "[::1]:0");
  EXPECT_EQ(o->threads, 4u);
  EXPECT_EQ(o->max_connections, 20'000u);
  EXPECT_EQ(o->max_body_bytes, 65'536u);
  EXPECT_EQ(o->max_head_bytes, 8192u);
  EXPECT_EQ(o->head_timeout, 2s);
  EXPECT_EQ(o->idle_timeout, 60s);
  EXPECT_EQ(o->shutdown_grace, 0s);
  EXPECT_EQ(o->stall.every, 10s);
  EXPECT_EQ(o->stall.length, 1s);
  EXPECT_FALSE(o->expose_metrics);
  EXPECT_EQ(o->write_timeout, 1500ms);
  EXPECT_EQ(o->h2_max_streams, 8u);
}

struct bad_case {
  const char* name;
  void (*set)(serve_settings&);
  const char* message;  // the whole error
};
const bad_case bad_cases[] = {
    {"threads_zero", [](serve_settings& s) { s.threads = "0"; }, "--threads: bad count \"0\": must be between 1 and 1024"},
    {"threads_negative", [](serve_settings& s) { s.threads = "-1"; },
     "--threads: bad count \"-1\": negative values are not allowed"},
    {"threads_empty", [](serve_settings& s) { s.threads = ""; }, "--threads: bad count \"\": empty"},
    {"threads_beyond_64_bits", [](serve_settings& s) { s.threads = "99999999999999999999"; },
     "--threads: bad count \"99999999999999999999\": too large"},
    {"threads_trailing_garbage", [](serve_settings& s) { s.threads = "2x"; },
     "--threads: bad count \"2x\": unknown unit \"x\" (use k, M, G, T, P, E)"},
    {"max_connections_zero", [](serve_settings& s) { s.max_connections = "0"; },
     "--max-connections: bad count \"0\": must be between 1 and 10000000"},
    {"max_body_not_a_size", [](serve_settings& s) { s.max_body = "abc"; },
     "--max-body: bad size \"abc\": expected a number"},
    {"max_body_wrong_unit", [](serve_settings& s) { s.max_body = "1s"; }, "--max-body: bad size \"1s\": unknown unit"},
    {"max_body_negative", [](serve_settings& s) { s.max_body = "-1"; },
     "--max-body: bad size \"-1\": negative values are not allowed"},
    {"max_head_too_small", [](serve_settings& s) { s.max_head = "10"; },
     "--max-head: bad size \"10\": must be between 1KiB and 64MiB"},
    {"max_head_too_large", [](serve_settings& s) { s.max_head = "1GiB"; },
     "--max-head: bad size \"1GiB\": must be between 1KiB and 64MiB"},
    {"head_timeout_zero", [](serve_settings& s) { s.head_timeout = "0"; },
     "--head-timeout: bad duration \"0\": must be above 0"},
    {"idle_timeout_wrong_unit", [](serve_settings& s) { s.idle_timeout = "1 day"; },
     "--idle-timeout: bad duration \"1 day\": unknown unit"},
    {"grace_negative", [](serve_settings& s) { s.grace = "-1s"; },
     "--grace: bad duration \"-1s\": negative values are not allowed"},
    {"stall_every_alone", [](serve_settings& s) { s.stall_every = "1s"; },
     "--stall-every and --stall-for go together: give both or neither"},
    {"stall_longer_than_its_period", [](serve_settings& s) { s.stall_every = "1s", s.stall_for = "2s"; },
     "--stall-for: \"2s\" must be shorter than --stall-every \"1s\""},
    {"stall_zero", [](serve_settings& s) { s.stall_every = "1s", s.stall_for = "0"; },
     "--stall-for: bad duration \"0\": must be above 0"},
    {"write_timeout_zero", [](serve_settings& s) { s.write_timeout = "0"; },
     "--write-timeout: bad duration \"0\": must be above 0"},
    {"h2_max_streams_zero", [](serve_settings& s) { s.h2_max_streams = "0"; },
     "--h2-max-streams: bad count \"0\": must be between 1 and 100000"},
    {"h2_max_streams_too_many", [](serve_settings& s) { s.h2_max_streams = "200k"; },
     "--h2-max-streams: bad count \"200k\": must be between 1 and 100000"},
    {"listen_port_above_65535", [](serve_settings& s) { s.listen = "127.0.0.1:99999"; },
     "--listen: bad address \"127.0.0.1:99999\": the port must be 0 to 65535"},
    {"listen_port_beyond_64_bits", [](serve_settings& s) { s.listen = "127.0.0.1:99999999999999999999"; },
     "--listen: bad address \"127.0.0.1:99999999999999999999\": expected a numeric HOST:PORT"},
    {"listen_name", [](serve_settings& s) { s.listen = "example.com:80"; },
     "--listen: bad address \"example.com:80\": expected a numeric HOST:PORT"},
    {"listen_empty", [](serve_settings& s) { s.listen = ""; }, "--listen: bad address \"\": empty"},
    {"listen_negative_port", [](serve_settings& s) { s.listen = "127.0.0.1:-1"; },
     "--listen: bad address \"127.0.0.1:-1\": expected a numeric HOST:PORT"},
};
class bad_serve_option : public ::testing::TestWithParam<bad_case> {};
TEST_P(bad_serve_option, is_refused_with_one_line_naming_the_option_and_the_value) {
  const auto& c = GetParam();
  serve_settings s;
  c.set(s);
  auto o = make_server_options(s);
  ASSERT_FALSE(o.ok());
  EXPECT_TRUE(o.error().starts_with(c.message)) << o.error();
  EXPECT_EQ(o.error().find('\n'), std::string::npos) << o.error();
}
INSTANTIATE_TEST_SUITE_P(serve_options, bad_serve_option, ::testing::ValuesIn(bad_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(listen_address, takes_ipv4_ipv6_a_bare_port_and_localhost) {
  EXPECT_EQ(parse_listen_address("0.0.0.0:80")->to_string(), "0.0.0.0:80");
  EXPECT_EQ(parse_listen_address("[::]:8080")->to_string(), "[::]:8080");
  EXPECT_EQ(parse_listen_address("9000")->to_string(), "127.0.0.1:9000");
  EXPECT_EQ(parse_listen_address("localhost:0")->to_string(), "127.0.0.1:0");
  EXPECT_EQ(parse_listen_address("127.0.0.1:65535")->port(), 65535);
}

}  // namespace
}  // namespace barrage::server
