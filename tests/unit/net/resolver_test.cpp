#include "net/resolver.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "co_assert.hpp"
#include "dnsmasq_fixture.hpp"
#include "fake_dns.hpp"

#include "runtime/sleep.hpp"
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

// Against a real DNS server (dnsmasq on a loopback port of its own): every answer below was
// sent by it over UDP (or TCP, for the large one) and read by c-ares on our loop.

namespace {

using barrage::test::dnsmasq_process;
using barrage::test::fake_dns;

std::vector<std::string> records() {
  std::vector<std::string> r = {"one.test 127.0.0.1",    "multi.test 127.0.0.2", "multi.test 127.0.0.3",
                                "multi.test 127.0.0.4",  "v6.test ::1",          "both.test 127.0.0.1",
                                "both.test ::1"};
  for (int i = 1; i <= 40; ++i) r.push_back("big.test 127.0.1." + std::to_string(i));  // > 512 bytes: TC, then TCP
  return r;
}

dnsmasq_process& dns() {
  static dnsmasq_process server(records(), {"--local=/test/"});
  return server;
}

resolver::options through(const std::string& server) {
  resolver::options o;
  o.servers = server;
  o.query_timeout = std::chrono::milliseconds(300);
  o.tries = 1;
  return o;
}

std::vector<std::string> strings(const std::vector<socket_address>& v) {
  std::vector<std::string> s;
  for (const auto& a : v) s.push_back(a.to_string());
  return s;
}

result<std::vector<socket_address>, dns_error> lookup(const resolver::options& o, const std::string& name,
                                                      std::uint16_t port = 80) {
  return sync_wait([](resolver::options opts, std::string n, std::uint16_t p)
                       -> task<result<std::vector<socket_address>, dns_error>> {
    resolver r(opts);
    co_return co_await r.resolve(n, p);
  }(o, name, port));
}

}  // namespace

TEST(resolver_against_dnsmasq, the_test_server_is_running) {
  ASSERT_TRUE(dns().available()) << "dnsmasq (Debian package dnsmasq-base) is needed: tools/install-deps.sh";
}

TEST(resolver_against_dnsmasq, a_name_with_one_a_record_resolves_to_it) {
  auto a = lookup(through(dns().server()), "one.test", 8080);
  ASSERT_TRUE(a.ok()) << to_string(a.error());
  EXPECT_EQ(strings(*a), std::vector<std::string>{"127.0.0.1:8080"});
}

TEST(resolver_against_dnsmasq, a_name_with_several_a_records_gives_them_all) {
  auto a = lookup(through(dns().server()), "multi.test");
  ASSERT_TRUE(a.ok()) << to_string(a.error());
  auto s = strings(*a);
  std::sort(s.begin(), s.end());
  EXPECT_EQ(s, (std::vector<std::string>{"127.0.0.2:80", "127.0.0.3:80", "127.0.0.4:80"}));
}

TEST(resolver_against_dnsmasq, a_name_with_only_aaaa_gives_the_ipv6_address) {
  auto a = lookup(through(dns().server()), "v6.test", 443);
  ASSERT_TRUE(a.ok()) << to_string(a.error());
  EXPECT_EQ(strings(*a), std::vector<std::string>{"[::1]:443"});
}

TEST(resolver_against_dnsmasq, a_name_with_both_gives_ipv4_first) {
  auto a = lookup(through(dns().server()), "both.test");
  ASSERT_TRUE(a.ok()) << to_string(a.error());
  EXPECT_EQ(strings(*a), (std::vector<std::string>{"127.0.0.1:80", "[::1]:80"}));
}

TEST(resolver_against_dnsmasq, an_answer_too_large_for_udp_is_fetched_again_over_tcp) {
  auto a = lookup(through(dns().server()), "big.test");
  ASSERT_TRUE(a.ok()) << to_string(a.error());
  EXPECT_EQ(a->size(), 40u);
}

TEST(resolver_against_dnsmasq, nxdomain_is_not_found_in_plain_words) {
  auto a = lookup(through(dns().server()), "nope.test");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error(), dns_error::not_found);
  EXPECT_STREQ(to_string(a.error()), "no such name (NXDOMAIN)");
}

TEST(resolver_against_dnsmasq, a_refused_query_is_refused) {
  auto a = lookup(through(dns().server()), "elsewhere.example");  // no upstream: dnsmasq refuses
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error(), dns_error::refused);
}

TEST(resolver_against_dnsmasq, the_cache_sends_one_query_per_ttl) {
  dnsmasq_process server(records(), {"--local=/test/"});
  ASSERT_TRUE(server.available());
  sync_wait([](std::string where, dnsmasq_process& srv) -> task<void> {
    resolver::options o = through(where);
    o.cache_ttl = std::chrono::milliseconds(200);
    resolver r(o);
    for (int i = 0; i < 5; ++i) CO_ASSERT_TRUE((co_await r.resolve("one.test", 80)).ok());
    EXPECT_EQ(srv.queries("one.test"), 1);
    co_await sleep_for(std::chrono::milliseconds(250));
    for (int i = 0; i < 5; ++i) CO_ASSERT_TRUE((co_await r.resolve("one.test", 80)).ok());
    EXPECT_EQ(srv.queries("one.test"), 2);
    EXPECT_EQ(r.queries(), 2u);
    EXPECT_EQ(r.cache_hits(), 8u);
  }(server.server(), server));
}

TEST(resolver_against_dnsmasq, a_zero_ttl_asks_the_server_every_time) {
  dnsmasq_process server(records(), {"--local=/test/"});
  ASSERT_TRUE(server.available());
  sync_wait([](std::string where, dnsmasq_process& srv) -> task<void> {
    resolver::options o = through(where);
    o.cache_ttl = duration::zero();
    resolver r(o);
    for (int i = 0; i < 4; ++i) CO_ASSERT_TRUE((co_await r.resolve("multi.test", 80)).ok());
    EXPECT_EQ(srv.queries("multi.test"), 4);
  }(server.server(), server));
}

TEST(resolver_against_dnsmasq, many_lookups_at_once_all_complete) {
  sync_wait([](std::string where) -> task<void> {
    resolver::options o = through(where);
    o.cache_ttl = duration::zero();
    resolver r(o);
    std::vector<join_handle<result<std::vector<socket_address>, dns_error>>> all;
    const char* names[] = {"one.test", "multi.test", "v6.test", "both.test", "nope.test", "big.test"};
    for (int i = 0; i < 60; ++i) all.push_back(spawn(r.resolve(names[i % 6], 80)));
    int ok = 0, nx = 0;
    for (auto& h : all) {
      auto a = co_await h;
      if (a.ok()) ++ok;
      else if (a.error() == dns_error::not_found) ++nx;
    }
    EXPECT_EQ(ok, 50);
    EXPECT_EQ(nx, 10);
  }(dns().server()));
}

TEST(resolver_against_dnsmasq, a_resolver_destroyed_during_a_lookup_ends_it_cleanly) {
  fake_dns silent(fake_dns::mode::silent);
  sync_wait([](std::string where) -> task<void> {
    auto r = std::make_unique<resolver>(through(where));
    auto h = spawn(r->resolve("one.test", 80));
    co_await sleep_for(std::chrono::milliseconds(20));
    r.reset();
    auto a = co_await h;
    CO_ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.error(), dns_error::cancelled);
    co_await sleep_for(std::chrono::milliseconds(400));  // past the query timeout: nothing fires
  }(silent.server()));
}

TEST(resolver_against_dnsmasq, a_cancelled_lookup_leaves_the_resolver_usable) {
  fake_dns silent(fake_dns::mode::silent);
  sync_wait([](std::string where, std::string good) -> task<void> {
    resolver r(through(where));
    auto h = spawn(r.resolve("one.test", 80));
    co_await sleep_for(std::chrono::milliseconds(20));
    h.cancel();
    try {
      (void)co_await h;
    } catch (const operation_cancelled&) {
    }
    co_await sleep_for(std::chrono::milliseconds(400));  // its answer (a timeout) arrives to nobody
    resolver r2(through(good));
    auto a = co_await r2.resolve("one.test", 80);
    CO_ASSERT_TRUE(a.ok());
  }(silent.server(), dns().server()));
}

TEST(resolver_faults, servfail_is_a_server_failure) {
  fake_dns server(fake_dns::mode::servfail);
  auto a = lookup(through(server.server()), "one.test");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error(), dns_error::servfail);
  EXPECT_STREQ(to_string(a.error()), "the DNS server failed (SERVFAIL)");
}

TEST(resolver_faults, a_server_that_never_answers_times_out_within_the_query_timeout) {
  fake_dns server(fake_dns::mode::silent);
  auto t0 = mono_clock::now();
  auto a = lookup(through(server.server()), "one.test");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error(), dns_error::timed_out);
  EXPECT_GE(server.queries(), 1);
  EXPECT_LT(mono_clock::now() - t0, std::chrono::seconds(3));
}

TEST(resolver_faults, a_truncated_answer_with_no_tcp_server_is_an_error_value) {
  fake_dns server(fake_dns::mode::truncated);
  auto a = lookup(through(server.server()), "one.test");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.error(), dns_error::not_found);
  EXPECT_GE(server.queries(), 1);
}

TEST(resolver_faults, a_port_with_no_dns_server_is_unreachable_or_a_timeout) {
  auto a = lookup(through("127.0.0.1:9"), "one.test");
  ASSERT_FALSE(a.ok());
  EXPECT_TRUE(a.error() == dns_error::unreachable || a.error() == dns_error::timed_out) << to_string(a.error());
}

TEST(resolver_faults, a_bad_server_list_is_refused_at_construction) {
  sync_wait([]() -> task<void> {
    EXPECT_THROW(resolver(through("not an address")), std::runtime_error);
    co_return;
  }());
}

TEST(dns_server_option, good_values_take_the_canonical_form) {
  struct {
    const char* text;
    const char* canonical;
  } cases[] = {
      {"127.0.0.1", "127.0.0.1:53"},
      {"127.0.0.1:5353", "127.0.0.1:5353"},
      {"::1", "[::1]:53"},
      {"[::1]", "[::1]:53"},
      {"[::1]:5353", "[::1]:5353"},
      {"10.0.0.1,10.0.0.2:54", "10.0.0.1:53,10.0.0.2:54"},
  };
  for (const auto& c : cases) {
    auto r = parse_dns_servers(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.error();
    EXPECT_EQ(*r, c.canonical) << c.text;
    auto again = parse_dns_servers(*r);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *r);
  }
}

TEST(dns_server_option, bad_values_are_one_line_errors_naming_the_item) {
  const char* cases[] = {"",          "dns.example", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
                         "127.0.0.1:53x", ":53",       "1.2.3",      "127.0.0.1,", "[::1",
                         "[::1]:",    "127.0.0.1:99999999999999999999"};
  for (const char* c : cases) {
    auto r = parse_dns_servers(c);
    ASSERT_FALSE(r.ok()) << c;
    EXPECT_EQ(r.error().find('\n'), std::string::npos);
    EXPECT_EQ(r.error().rfind("bad DNS server \"", 0), 0u) << r.error();
  }
}

TEST(resolver, a_fully_qualified_name_is_found_in_the_hosts_file_without_its_dot) {
  sync_wait([]() -> task<void> {
    resolver r(through("127.0.0.1:9"));  // no DNS server: only the hosts file can answer
    auto a = co_await r.resolve("localhost.", 8080);
    CO_ASSERT_TRUE(a.ok());
    EXPECT_TRUE((*a)[0].is_loopback());
    EXPECT_EQ((*a)[0].port(), 8080);
  }());
}

TEST(resolver_against_dnsmasq, lookups_of_a_name_already_being_looked_up_share_its_query) {
  dnsmasq_process server(records(), {"--local=/test/"});
  ASSERT_TRUE(server.available());
  sync_wait([](std::string where, dnsmasq_process& srv) -> task<void> {
    resolver::options o = through(where);
    o.cache_ttl = duration::zero();  // no cache: only the sharing can save the queries
    resolver r(o);
    std::vector<join_handle<result<std::vector<socket_address>, dns_error>>> all;
    for (int i = 0; i < 20; ++i) all.push_back(spawn(r.resolve("multi.test", static_cast<std::uint16_t>(80 + i))));
    std::vector<std::string> first;
    for (int i = 0; i < 20; ++i) {
      auto a = co_await all[static_cast<std::size_t>(i)];
      CO_ASSERT_TRUE(a.ok());
      CO_ASSERT_TRUE(a->size() == 3u);
      EXPECT_EQ((*a)[0].port(), 80 + i);  // each waiter gets its own port
      std::vector<std::string> ips;
      for (const auto& x : *a) ips.push_back(x.ip());
      if (first.empty()) first = ips;
      EXPECT_EQ(ips, first);  // and the one answer, in one order
    }
    EXPECT_EQ(srv.queries("multi.test"), 1);
    EXPECT_EQ(r.queries(), 1u);
  }(server.server(), server));
}
