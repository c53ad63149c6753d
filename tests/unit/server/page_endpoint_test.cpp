#include "server/page_endpoint.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <system_error>
#include <thread>

#include "raw_http.hpp"
#include "server/response.hpp"

namespace barrage::server {
namespace {

using namespace std::chrono_literals;

net::socket_address any_port() { return *net::socket_address::parse("127.0.0.1:0"); }

std::string get(test::raw_conn& c, std::string_view path) {
  c.send("GET " + std::string(path) + " HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r = c.read_responses(1);
  if (r.size() != 1) return "no response";
  return std::to_string(r[0].status) + " " + r[0].header("content-type").value_or("") + "\n" + r[0].body;
}

TEST(page_endpoint, answers_its_path_with_the_last_page_and_other_paths_with_404) {
  page_endpoint ep(any_port(), "/metrics", text_plain, "first\n");
  test::raw_conn c(ep.local_address().port());
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(get(c, "/metrics"), "200 text/plain; charset=utf-8\nfirst\n");
  ep.publish("second\n");
  EXPECT_EQ(get(c, "/metrics"), "200 text/plain; charset=utf-8\nsecond\n");
  EXPECT_EQ(get(c, "/").substr(0, 3), "404");
  EXPECT_EQ(get(c, "/metrics/x").substr(0, 3), "404");
  EXPECT_FALSE(ep.failure().has_value());
}

TEST(page_endpoint, a_reader_sees_whole_pages_while_another_thread_publishes) {
  auto page_of = [](int n) { return "page " + std::to_string(n) + "\n" + std::string(4096, 'x') + "\n"; };
  page_endpoint ep(any_port(), "/metrics", text_plain, page_of(0));
  std::atomic<bool> done{false};
  std::thread publisher([&] {
    for (int n = 1; !done.load(); ++n) {
      ep.publish(page_of(n));
      std::this_thread::sleep_for(100us);
    }
  });
  test::raw_conn c(ep.local_address().port());
  int last = -1, changes = 0;
  for (int i = 0; i < 200; ++i) {
    c.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    auto r = c.read_responses(1);
    ASSERT_EQ(r.size(), 1u);
    const int n = std::stoi(r[0].body.substr(5));
    ASSERT_EQ(r[0].body, page_of(n));  // never a mix of two pages
    ASSERT_GE(n, last);
    changes += n != last;
    last = n;
  }
  done.store(true);
  publisher.join();
  EXPECT_GT(changes, 10);
}

TEST(page_endpoint, a_port_in_use_is_refused_up_front) {
  page_endpoint first(any_port(), "/metrics", text_plain, "");
  try {
    page_endpoint second(first.local_address(), "/metrics", text_plain, "");
    FAIL() << "the second endpoint bound the same port";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen on"), std::string::npos) << e.what();
  }
}

TEST(page_endpoint, it_stops_at_once_with_a_scraper_still_connected) {
  auto ep = std::make_unique<page_endpoint>(any_port(), "/metrics", text_plain, "x\n");
  test::raw_conn c(ep->local_address().port());
  EXPECT_EQ(get(c, "/metrics").substr(0, 3), "200");  // the connection stays open (keep-alive)
  const auto t0 = std::chrono::steady_clock::now();
  ep.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
  EXPECT_TRUE(c.closed_within(1000ms));
}

}  // namespace
}  // namespace barrage::server
