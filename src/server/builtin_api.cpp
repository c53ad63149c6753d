#include "server/builtin_api.hpp"

#include <charconv>
#include <cstdint>
#include <random>

#include "http/message.hpp"

namespace barrage::server {
namespace {

constexpr unsigned max_item = 1000;
constexpr unsigned max_list = 100;

std::uint64_t secret() {
  static const std::uint64_t s = [] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }();
  return s;
}

/// splitmix64's finaliser: a cheap keyed mix, enough for a test target's tokens.
std::uint32_t mac(std::uint32_t nonce) noexcept {
  std::uint64_t z = (static_cast<std::uint64_t>(nonce) ^ secret()) + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return static_cast<std::uint32_t>(z ^ (z >> 31));
}

void hex8(std::uint32_t v, char* out) noexcept {
  for (int i = 0; i < 8; ++i) out[i] = "0123456789abcdef"[(v >> (28 - 4 * i)) & 0xf];
}

bool unhex8(std::string_view s, std::uint32_t& v) noexcept {
  if (s.size() != 8) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + 8, v, 16);
  if (ec != std::errc() || end != s.data() + 8) return false;
  for (char c : s)
    if (c >= 'A' && c <= 'F') return false;  // minted lowercase
  return true;
}

/// The bearer token of `req`, when valid; empty otherwise.
std::string_view bearer(const request& req) noexcept {
  auto auth = req.header("Authorization");
  if (!auth) return {};
  std::string_view v = *auth;
  constexpr std::string_view scheme = "Bearer ";
  if (v.size() <= scheme.size() || !http::iequals(v.substr(0, scheme.size()), scheme)) return {};
  v.remove_prefix(scheme.size());
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  return token_valid(v) ? v : std::string_view{};
}

response unauthorized(std::string_view why) {
  response r(401, "{\"error\": \"" + std::string(why) + "\"}\n", application_json);
  r.set_header("WWW-Authenticate", "Bearer");
  return r;
}

std::string item_json(unsigned id) {
  const unsigned cents = 100 + (id * 7919u) % 9900u;
  return "{\"id\": " + std::to_string(id) + ", \"name\": \"item " + std::to_string(id) + "\", \"price\": " +
         std::to_string(cents / 100) + "." + (cents % 100 < 10 ? "0" : "") + std::to_string(cents % 100) + "}";
}

std::string item_list(unsigned n) {
  std::string out = "{\"items\": [";
  for (unsigned i = 1; i <= n; ++i) out.append(i > 1 ? ", " : "").append(item_json(i));
  return out + "]}\n";
}

/// The default list, made once.
std::string_view ten_items() {
  static const std::string list = item_list(10);
  return list;
}

bool parse_uint(std::string_view s, unsigned& v) noexcept {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::string mint_token() {
  thread_local std::mt19937 rng{std::random_device{}()};
  const auto nonce = static_cast<std::uint32_t>(rng());
  std::string t(16, '0');
  hex8(nonce, t.data());
  hex8(mac(nonce), t.data() + 8);
  return t;
}

bool token_valid(std::string_view token) noexcept {
  std::uint32_t nonce = 0, tag = 0;
  if (token.size() != 16 || !unhex8(token.substr(0, 8), nonce) || !unhex8(token.substr(8), tag)) return false;
  return mac(nonce) == tag;
}

void add_api_routes(router& r) {
  r.get("/api/me", [](request& req) -> task<response> {
    const std::string_view t = bearer(req);
    if (t.empty()) co_return unauthorized("want Authorization: Bearer <token from POST /login>");
    co_return response(200, "{\"token\": \"" + std::string(t) + "\"}\n", application_json);
  });
  r.get("/api/items", [](request& req) -> task<response> {
    if (bearer(req).empty()) co_return unauthorized("want Authorization: Bearer <token from POST /login>");
    auto limit = req.query_param("limit");
    if (!limit) co_return response::borrowed(200, ten_items(), application_json);
    unsigned n = 0;
    if (!parse_uint(*limit, n) || n < 1 || n > max_list)
      co_return response(400, "{\"error\": \"limit must be a number from 1 to 100\"}\n", application_json);
    co_return response(200, item_list(n), application_json);
  });
  r.get("/api/items/{id}", [](request& req) -> task<response> {
    if (bearer(req).empty()) co_return unauthorized("want Authorization: Bearer <token from POST /login>");
    unsigned id = 0;
    if (!parse_uint(req.param("id"), id))
      co_return response(400, "{\"error\": \"the id must be a number\"}\n", application_json);
    if (id < 1 || id > max_item) co_return response(404, "{\"error\": \"no such item\"}\n", application_json);
    co_return response(200, item_json(id) + "\n", application_json);
  });
}

}  // namespace barrage::server
