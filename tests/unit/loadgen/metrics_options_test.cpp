#include "loadgen/metrics_options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "loadgen/run_options.hpp"

namespace barrage::loadgen {
namespace {

using namespace std::chrono_literals;

struct bounds_case {
  const char* name;
  const char* text;
  std::vector<double> bounds;  // when good
  const char* reason;          // a part of the one-line error when bad
};

TEST(metrics_options, bucket_lists_are_increasing_seconds_or_durations) {
  const bounds_case good[] = {
      {"seconds", "0.001,0.005,0.01", {0.001, 0.005, 0.01}, ""},
      {"one bound", "1", {1}, ""},
      {"units", "500us,5ms,1s,2m", {0.0005, 0.005, 1, 120}, ""},
      {"a bound as Prometheus reads it", "0.1", {0.1}, ""},
  };
  for (const auto& c : good) {
    SCOPED_TRACE(c.name);
    auto b = parse_latency_bounds(c.text);
    ASSERT_TRUE(b.ok()) << b.error();
    EXPECT_EQ(*b, c.bounds);
  }
  const bounds_case bad[] = {
      {"empty", "", {}, "an empty bound"},
      {"a trailing comma", "0.1,", {}, "an empty bound"},
      {"two commas", "0.1,,0.2", {}, "an empty bound"},
      {"decreasing", "0.1,0.05", {}, "the bounds must increase (0.05 after 0.1)"},
      {"repeated", "1ms,0.001", {}, "the bounds must increase (0.001 after 1ms)"},
      {"zero", "0", {}, "is not above 0"},
      {"negative", "-1", {}, "negative"},
      {"not a number", "fast", {}, "bad bucket list \"fast\""},
      {"an unknown unit", "5y", {}, "unknown unit"},
      {"+Inf is implied", "1,+Inf", {}, "bad bucket list"},
      {"above a year", "9000h", {}, "above a year"},
  };
  for (const auto& c : bad) {
    SCOPED_TRACE(c.name);
    auto b = parse_latency_bounds(c.text);
    ASSERT_FALSE(b.ok());
    EXPECT_NE(b.error().find(c.reason), std::string::npos) << b.error();
    EXPECT_EQ(b.error().find('\n'), std::string::npos) << b.error();
  }
  std::string many = "1";
  for (int i = 2; i <= 65; ++i) many += "," + std::to_string(i);
  ASSERT_FALSE(parse_latency_bounds(many).ok());
  EXPECT_NE(parse_latency_bounds(many).error().find("more than 64 bounds"), std::string::npos);
}

TEST(metrics_options, the_listen_address_is_a_numeric_host_and_port) {
  struct listen_case {
    const char* name;
    const char* text;
    const char* shown;   // when good: as printed
    const char* reason;  // when bad
  };
  const listen_case cases[] = {
      {"ipv4", "127.0.0.1:9464", "127.0.0.1:9464", nullptr},
      {"port 0 picks one", "127.0.0.1:0", "127.0.0.1:0", nullptr},
      {"ipv6", "[::1]:9464", "[::1]:9464", nullptr},
      {"every interface", "0.0.0.0:9464", "0.0.0.0:9464", nullptr},
      {"a bare port is loopback", "9464", "127.0.0.1:9464", nullptr},
      {"empty", "", nullptr, "empty"},
      {"port too large", "127.0.0.1:70000", nullptr, "the port must be 0 to 65535"},
      {"localhost is loopback", "localhost:9464", "127.0.0.1:9464", nullptr},
      {"another host name", "example.com:9464", nullptr, "expected a numeric HOST:PORT"},
      {"no port", "127.0.0.1:", nullptr, "expected a numeric HOST:PORT"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto a = parse_metrics_listen(c.text);
    if (c.shown) {
      ASSERT_TRUE(a.ok()) << a.error();
      EXPECT_EQ(a->to_string(), c.shown);
    } else {
      ASSERT_FALSE(a.ok());
      EXPECT_NE(a.error().find(c.reason), std::string::npos) << a.error();
    }
  }
}

TEST(metrics_options, linger_and_buckets_need_a_listen_address_and_have_defaults) {
  run_options o;
  o.url = "http://127.0.0.1:8080/";
  auto none = make_run_config(o, 1);
  ASSERT_TRUE(none.ok()) << none.error();
  EXPECT_FALSE(none->metrics.has_value());

  o.linger = "5s";
  auto alone = make_run_config(o, 1);
  ASSERT_FALSE(alone.ok());
  EXPECT_EQ(alone.error(), "--linger needs --metrics-listen (it keeps the metrics served after the run)");
  o.linger.reset();
  o.metrics_buckets = "0.1";
  ASSERT_FALSE(make_run_config(o, 1).ok());
  o.metrics_buckets.reset();

  o.metrics_listen = "127.0.0.1:0";
  auto defaults = make_run_config(o, 1);
  ASSERT_TRUE(defaults.ok()) << defaults.error();
  ASSERT_TRUE(defaults->metrics.has_value());
  EXPECT_EQ(defaults->metrics->linger, 0s);
  EXPECT_EQ(defaults->metrics->bounds_s, default_latency_bounds_s);

  o.linger = "2s";
  o.metrics_buckets = "1ms,10ms";
  auto given = make_run_config(o, 1);
  ASSERT_TRUE(given.ok()) << given.error();
  EXPECT_EQ(given->metrics->linger, 2s);
  EXPECT_EQ(given->metrics->bounds_s, (std::vector<double>{0.001, 0.01}));

  o.linger = "25h";
  auto long_linger = make_run_config(o, 1);
  ASSERT_FALSE(long_linger.ok());
  EXPECT_NE(long_linger.error().find("--linger: "), std::string::npos) << long_linger.error();
  o.linger = "2s";
  o.metrics_listen = "nowhere";
  auto bad = make_run_config(o, 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().find("--metrics-listen: bad address \"nowhere\""), std::string::npos) << bad.error();
}

}  // namespace
}  // namespace barrage::loadgen
