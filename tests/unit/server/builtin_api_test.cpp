// The built-in target's /api routes: a token from POST /login opens them, anything else is 401.
#include "server/builtin_api.hpp"

#include <gtest/gtest.h>

#include <string>

#include "raw_http.hpp"
#include "server/builtin_target.hpp"
#include "server/server.hpp"

using namespace barrage;
using namespace barrage::server;
using barrage::test::raw_conn;
using barrage::test::raw_response;
using barrage::test::running_server;
using namespace std::chrono_literals;

namespace {

server_options options() {
  server_options o;
  o.listen = *net::socket_address::parse("127.0.0.1:0");
  o.threads = 1;
  o.shutdown_grace = 2s;
  return o;
}

router builtin() {
  router r;
  add_builtin_routes(r);
  return r;
}

raw_response one(std::uint16_t port, const std::string& request) {
  raw_conn c(port);
  c.send(request);
  auto got = c.read_responses(1, 2000ms);
  if (got.empty()) return {};
  return got[0];
}

std::string get(std::string_view target, std::string_view token) {
  std::string auth = token.empty() ? "" : "Authorization: Bearer " + std::string(token) + "\r\n";
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: h\r\n" + auth + "\r\n";
}

std::string login_token(std::uint16_t port) {
  auto r = one(port, "POST /login HTTP/1.1\r\nHost: h\r\nContent-Length: 32\r\n\r\n{\"user\":\"ann\",\"password\":\"pw1\"}\n");
  const auto at = r.body.find("\"token\":\"");
  if (at == std::string::npos) return {};
  return r.body.substr(at + 9, 16);
}

}  // namespace

TEST(builtin_api, minted_tokens_are_valid_and_altered_ones_are_not) {
  const std::string t = mint_token();
  ASSERT_EQ(t.size(), 16u);
  EXPECT_TRUE(token_valid(t));
  std::string altered = t;
  altered[15] = altered[15] == '0' ? '1' : '0';
  EXPECT_FALSE(token_valid(altered));
  EXPECT_FALSE(token_valid(t.substr(0, 15)));
  EXPECT_FALSE(token_valid(""));
  EXPECT_FALSE(token_valid("zzzzzzzzzzzzzzzz"));
  std::string upper = t;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper != t) {
    EXPECT_FALSE(token_valid(upper));
  }
}

TEST(builtin_api, the_api_answers_a_login_token_and_refuses_anything_else) {
  running_server srv(builtin(), options());
  const auto port = srv.port();
  const std::string token = login_token(port);
  ASSERT_TRUE(token_valid(token)) << token;

  auto r = one(port, get("/api/items", token));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type").value_or(""), "application/json");
  EXPECT_EQ(r.body.substr(0, 46), "{\"items\": [{\"id\": 1, \"name\": \"item 1\", \"price\"");
  EXPECT_NE(r.body.find("{\"id\": 10, "), std::string::npos);
  EXPECT_EQ(r.body.find("{\"id\": 11, "), std::string::npos);
  r = one(port, get("/api/items?limit=3", token));
  EXPECT_NE(r.body.find("{\"id\": 3, "), std::string::npos);
  EXPECT_EQ(r.body.find("{\"id\": 4, "), std::string::npos);
  EXPECT_EQ(one(port, get("/api/items?limit=0", token)).status, 400);

  r = one(port, get("/api/items/42", token));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.substr(0, 32), "{\"id\": 42, \"name\": \"item 42\", \"p");
  EXPECT_EQ(one(port, get("/api/items/1001", token)).status, 404);
  EXPECT_EQ(one(port, get("/api/items/x", token)).status, 400);
  r = one(port, get("/api/me", token));
  EXPECT_EQ(r.body, "{\"token\": \"" + token + "\"}\n");

  for (const std::string& bad : {std::string(), std::string("0123456789abcdef"), token.substr(0, 15)}) {
    r = one(port, get("/api/items/1", bad));
    EXPECT_EQ(r.status, 401) << bad;
    EXPECT_EQ(r.header("www-authenticate").value_or(""), "Bearer");
  }
  EXPECT_EQ(one(port, "GET /api/items HTTP/1.1\r\nHost: h\r\nAuthorization: Basic " + token + "\r\n\r\n").status, 401);
}
