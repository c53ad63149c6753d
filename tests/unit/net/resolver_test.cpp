#include "net/resolver.hpp"

#include <gtest/gtest.h>

#include "co_assert.hpp"

#include "runtime/spawn.hpp"

using namespace barrage;
using namespace barrage::net;

TEST(resolver, numeric_hosts_need_no_lookup) {
  sync_wait([]() -> task<void> {
    resolver r;
    auto a = co_await r.resolve("127.0.0.1", 80);
    CO_ASSERT_TRUE(a.ok());
    EXPECT_EQ((*a)[0].to_string(), "127.0.0.1:80");
    auto b = co_await r.resolve("::1", 8080);
    CO_ASSERT_TRUE(b.ok());
    EXPECT_EQ((*b)[0].to_string(), "[::1]:8080");
    EXPECT_EQ(r.queries(), 0u);
  }());
}

TEST(resolver, localhost_resolves_from_the_hosts_file_and_is_cached) {
  sync_wait([]() -> task<void> {
    resolver r;
    auto a = co_await r.resolve("localhost", 8080);
    CO_ASSERT_TRUE(a.ok());
    EXPECT_TRUE((*a)[0].is_loopback());
    EXPECT_EQ((*a)[0].port(), 8080);
    auto b = co_await r.resolve("localhost", 9090);
    CO_ASSERT_TRUE(b.ok());
    EXPECT_EQ((*b)[0].port(), 9090);
    EXPECT_EQ(r.queries(), 1u);
    EXPECT_EQ(r.cache_hits(), 1u);
  }());
}

TEST(resolver, a_zero_ttl_disables_the_cache) {
  sync_wait([]() -> task<void> {
    resolver::options o;
    o.cache_ttl = duration::zero();
    resolver r(o);
    (void)co_await r.resolve("localhost", 1);
    (void)co_await r.resolve("localhost", 1);
    EXPECT_EQ(r.queries(), 2u);
    EXPECT_EQ(r.cache_hits(), 0u);
  }());
}

TEST(resolver, a_name_that_does_not_resolve_is_an_error_value) {
  sync_wait([]() -> task<void> {
    resolver::options o;
    o.servers = "127.0.0.1:9";  // a loopback port where no DNS server listens
    o.query_timeout = std::chrono::milliseconds(300);
    o.tries = 1;
    resolver r(o);
    auto a = co_await r.resolve("no-such-host.invalid", 80);
    CO_ASSERT_FALSE(a.ok());
    EXPECT_NE(a.error(), dns_error::bad_name);
  }());
}

TEST(resolver, an_empty_name_is_a_bad_name) {
  sync_wait([]() -> task<void> {
    resolver r;
    auto a = co_await r.resolve("", 80);
    CO_ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error(), dns_error::bad_name);
  }());
}
