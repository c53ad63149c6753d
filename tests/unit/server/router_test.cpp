#include "server/router.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "runtime/spawn.hpp"

using namespace barrage;
using namespace barrage::server;

namespace {

handler named(int id) {
  return [id](request&) -> task<response> { co_return response(200 + id); };
}

int id_of(const router::match& m) {
  if (!m.target) return -1;
  request req;
  auto t = (*m.target)(req);
  return sync_wait([](task<response> tt) -> task<int> { co_return (co_await tt).status() - 200; }(std::move(t)));
}

}  // namespace

TEST(router, exact_paths_match_and_others_are_not_found) {
  router r;
  r.get("/", named(1)).get("/a/b", named(2));
  EXPECT_EQ(r.find("GET", "/").what, router::outcome::found);
  EXPECT_EQ(r.find("GET", "/a/b").what, router::outcome::found);
  EXPECT_EQ(r.find("GET", "/a").what, router::outcome::not_found);
  EXPECT_EQ(r.find("GET", "/a/b/").what, router::outcome::not_found);
  EXPECT_EQ(r.find("GET", "/a/bc").what, router::outcome::not_found);
  EXPECT_EQ(r.find("GET", "").what, router::outcome::not_found);
  EXPECT_EQ(r.find("GET", "a/b").what, router::outcome::not_found);
}

TEST(router, path_parameters_take_one_non_empty_segment) {
  router r;
  r.get("/delay/{d}", named(1)).get("/users/{id}/posts/{post}", named(2));
  auto m = r.find("GET", "/delay/20ms");
  ASSERT_EQ(m.what, router::outcome::found);
  EXPECT_EQ(m.params.size, 1u);
  EXPECT_EQ(m.params.get("d"), "20ms");
  EXPECT_EQ(m.params.get("nope"), "");
  m = r.find("GET", "/users/7/posts/abc");
  ASSERT_EQ(m.what, router::outcome::found);
  EXPECT_EQ(m.params.get("id"), "7");
  EXPECT_EQ(m.params.get("post"), "abc");
  EXPECT_EQ(id_of(m), 2);
  EXPECT_EQ(r.find("GET", "/delay/").what, router::outcome::not_found);
  EXPECT_EQ(r.find("GET", "/delay").what, router::outcome::not_found);
  EXPECT_EQ(r.find("GET", "/delay/1/2").what, router::outcome::not_found);
}

TEST(router, a_known_path_with_another_method_is_405_with_allow) {
  router r;
  r.get("/x", named(1)).post("/x", named(2)).put("/y/{id}", named(3));
  EXPECT_EQ(r.find("DELETE", "/x").what, router::outcome::method_not_allowed);
  EXPECT_EQ(r.find("GET", "/y/1").what, router::outcome::method_not_allowed);
  EXPECT_EQ(r.allowed("/x"), "GET, HEAD, POST, OPTIONS");
  EXPECT_EQ(r.allowed("/y/9"), "PUT, OPTIONS");
  EXPECT_EQ(r.allowed("/nowhere"), "");
  EXPECT_EQ(r.allowed("*"), "GET, HEAD, POST, PUT, OPTIONS");
  EXPECT_TRUE(r.has_method("PUT"));
  EXPECT_FALSE(r.has_method("PATCH"));
}

TEST(router, head_falls_back_to_get_unless_a_head_route_exists) {
  router r;
  r.get("/a", named(1)).get("/b", named(2)).add("HEAD", "/b", named(3));
  auto a = r.find("HEAD", "/a");
  ASSERT_EQ(a.what, router::outcome::found);
  EXPECT_EQ(id_of(a), 1);
  auto b = r.find("HEAD", "/b");
  ASSERT_EQ(b.what, router::outcome::found);
  EXPECT_EQ(id_of(b), 3);
}

TEST(router, routes_are_tried_in_the_order_they_were_added) {
  router r;
  r.get("/items/new", named(1)).get("/items/{id}", named(2));
  EXPECT_EQ(id_of(r.find("GET", "/items/new")), 1);
  EXPECT_EQ(id_of(r.find("GET", "/items/42")), 2);
  EXPECT_EQ(r.find("GET", "/items/42").params.get("id"), "42");
}

TEST(router, methods_are_case_sensitive) {
  router r;
  r.get("/", named(1));
  EXPECT_EQ(r.find("get", "/").what, router::outcome::method_not_allowed);
}

TEST(router, bad_patterns_and_duplicates_are_refused) {
  router r;
  r.get("/a/{id}", named(1));
  EXPECT_THROW(r.get("/a/{id}", named(2)), std::invalid_argument);
  EXPECT_NO_THROW(r.post("/a/{id}", named(2)));
  EXPECT_THROW(r.get("relative", named(1)), std::invalid_argument);
  EXPECT_THROW(r.get("", named(1)), std::invalid_argument);
  EXPECT_THROW(r.get("/x/{}", named(1)), std::invalid_argument);
  EXPECT_THROW(r.get("/x/{open", named(1)), std::invalid_argument);
  EXPECT_THROW(r.get("/x/a{b}", named(1)), std::invalid_argument);
  EXPECT_THROW(r.add("BAD METHOD", "/x", named(1)), std::invalid_argument);
  EXPECT_THROW(r.get("/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}", named(1)), std::invalid_argument);
}
