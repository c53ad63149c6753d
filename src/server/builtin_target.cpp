#include "server/builtin_target.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "base/units.hpp"
#include "http/message.hpp"
#include "runtime/sleep.hpp"
#include "server/ws_routes.hpp"

namespace barrage::server {

namespace {

constexpr std::string_view hello = "hello\n";
constexpr std::size_t block_size = 1 << 20;

/// What /bytes sends: a fixed printable pattern, made once.
std::string_view byte_block() {
  static const std::string block = [] {
    std::string b(block_size, '\0');
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<char>('a' + i % 26);
    return b;
  }();
  return block;
}

std::mt19937_64& rng() {
  thread_local std::mt19937_64 r{std::random_device{}()};
  return r;
}

response bad_request(std::string why) {
  why.push_back('\n');
  return response(400, std::move(why));
}

/// A duration parameter: the parsed value, or the reason it is wrong.
result<duration, std::string> duration_param(std::string_view text, duration max) {
  auto d = parse_duration(text);
  if (!d) return fail(d.error());
  if (*d > max) return fail("duration " + std::string(text) + " is over the limit of " + format_duration(max));
  return *d;
}

task<response> root(request&) { co_return response::borrowed(200, hello); }

task<response> headers(request& req) {
  std::string out;
  for (const http::header& h : req.headers()) out.append(h.name).append(": ").append(h.value).push_back('\n');
  co_return response(200, std::move(out));
}

task<response> cookies(request& req) {
  std::string out;
  for (const http::header& h : req.headers()) {
    if (!http::iequals(h.name, "cookie")) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      const std::size_t semi = rest.find(';');
      std::string_view pair = rest.substr(0, semi);
      while (!pair.empty() && (pair.front() == ' ' || pair.front() == '\t')) pair.remove_prefix(1);
      const std::size_t eq = pair.find('=');
      if (eq != std::string_view::npos && eq > 0) out.append(pair).push_back('\n');
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
  }
  co_return response(200, std::move(out));
}

task<response> echo(request& req) {
  response r(200, std::string(req.body()), octet_stream);
  if (auto ct = req.header("Content-Type")) r.set_header("Content-Type", *ct);
  co_return r;
}

}  // namespace

duration lognormal_delay(duration median, duration p99, double z) noexcept {
  constexpr double z99 = 2.3263478740408408;
  const double m = to_seconds(median);
  const double p = to_seconds(p99);
  if (m <= 0) return duration::zero();
  const double sigma = p > m ? std::log(p / m) / z99 : 0.0;
  const double s = m * std::exp(sigma * z);
  if (!(s < 1e9)) return std::chrono::duration_cast<duration>(std::chrono::duration<double>(1e9));
  return std::chrono::duration_cast<duration>(std::chrono::duration<double>(s));
}

namespace {

/// Fixed answers and the request echoed back.
void add_plain_routes(router& r) {
  r.get("/", root);
  r.post("/", root);
  r.get("/headers", headers);
  r.post("/headers", headers);
  r.get("/cookies", cookies);
  r.post("/echo", echo);
  r.get("/echo", echo);

}

/// A fixed delay.
void add_timed_routes(router& r, const builtin_options& o) {
  r.get("/delay/{d}", [o](request& req) -> task<response> {
    auto d = duration_param(req.param("d"), o.max_delay);
    if (!d) co_return bad_request(d.error());
    co_await sleep_for(*d);
    co_return response::borrowed(200, "ok\n");
  });

}

/// Answers of a chosen status or size.
void add_shaped_routes(router& r, const builtin_options& o) {
  r.get("/status/{code}", [](request& req) -> task<response> {
    const std::string_view text = req.param("code");
    int code = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), code);
    if (ec != std::errc() || end != text.data() + text.size() || code < 200 || code > 599)
      co_return bad_request("status must be a number from 200 to 599, not \"" + std::string(text) + "\"");
    if (!status_allows_body(code)) co_return response(code);
    std::string body(reason_phrase(code));
    body.push_back('\n');
    co_return response(code, std::move(body));
  });

  r.get("/bytes/{n}", [o](request& req) -> task<response> {
    auto n = parse_size(req.param("n"));
    if (!n) co_return bad_request(n.error());
    if (*n > o.max_bytes) co_return bad_request("at most " + format_bytes(o.max_bytes) + " per response");
    if (*n <= block_size) co_return response::borrowed(200, byte_block().substr(0, static_cast<std::size_t>(*n)), octet_stream);
    const std::uint64_t total = *n;
    co_return response::stream(
        200,
        [total](body_writer& w) -> task<void> {
          std::uint64_t left = total;
          while (left > 0) {
            const auto piece = static_cast<std::size_t>(std::min<std::uint64_t>(left, 256 * 1024));
            const bool sent = co_await w.write(byte_block().substr(0, piece));
            if (!sent) co_return;
            left -= piece;
          }
        },
        octet_stream, total);
  });

}

/// A body sent in chunks over time.
void add_stream_route(router& r, const builtin_options& o) {
  r.get("/stream/{n}", [o](request& req) -> task<response> {
    auto n = parse_count(req.param("n"));
    if (!n) co_return bad_request(n.error());
    if (*n > o.max_chunks) co_return bad_request("at most " + std::to_string(o.max_chunks) + " chunks");
    duration interval = std::chrono::milliseconds(100);
    if (auto text = req.query_param("interval")) {
      auto d = duration_param(*text, o.max_delay);
      if (!d) co_return bad_request(d.error());
      interval = *d;
    }
    const std::uint64_t count = *n;
    co_return response::stream(200, [count, interval](body_writer& w) -> task<void> {
      for (std::uint64_t i = 0; i < count; ++i) {
        if (i > 0) co_await sleep_for(interval);
        const bool sent = co_await w.write("chunk " + std::to_string(i) + "\n");
        if (!sent) co_return;
      }
    });
  });

}

/// A delay drawn from a lognormal distribution with the given median and p99.
void add_jitter_route(router& r, const builtin_options& o) {
  r.get("/jitter", [o](request& req) -> task<response> {
    duration median = std::chrono::milliseconds(10), p99 = std::chrono::milliseconds(100);
    if (auto text = req.query_param("median")) {
      auto d = duration_param(*text, o.max_delay);
      if (!d) co_return bad_request(d.error());
      median = *d;
    }
    if (auto text = req.query_param("p99")) {
      auto d = duration_param(*text, o.max_delay);
      if (!d) co_return bad_request(d.error());
      p99 = *d;
    }
    if (p99 < median) co_return bad_request("p99 must not be below the median");
    std::normal_distribution<double> normal;
    const duration d = std::min(lognormal_delay(median, p99, normal(rng())), o.max_delay);
    co_await sleep_for(d);
    co_return response::borrowed(200, "ok\n");
  });

}

/// The reference's login: a JSON check, a simulated user-store wait, a token.
void add_login_route(router& r, const builtin_options& o) {
  r.post("/login", [o](request& req) -> task<response> {
    const nlohmann::json doc = nlohmann::json::parse(req.body(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) co_return bad_request("the body is not JSON");
    if (!doc.is_object() || !doc.contains("user") || !doc.contains("password") || !doc["user"].is_string() ||
        !doc["password"].is_string())
      co_return bad_request("want {\"user\": \"...\", \"password\": \"...\"}");
    const std::string user = doc["user"].get<std::string>();
    if (user.empty()) co_return bad_request("the user is empty");
    co_await sleep_for(o.login_wait);  // the simulated check against a user store
    char token[17];
    const std::uint64_t v = rng()();
    for (int i = 0; i < 16; ++i) token[i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
    token[16] = '\0';
    nlohmann::json answer = {{"token", token}, {"user", user}};
    co_return response(200, answer.dump() + "\n", application_json);
  });
}

}  // namespace

void add_builtin_routes(router& r, const builtin_options& o) {
  add_plain_routes(r);
  add_timed_routes(r, o);
  add_shaped_routes(r, o);
  add_stream_route(r, o);
  add_jitter_route(r, o);
  add_login_route(r, o);
  add_ws_routes(r);
}

}  // namespace barrage::server
