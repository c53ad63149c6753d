// Step 3 of docs/library.md: a handler that calls another HTTP service with barrage's client,
// many calls at once (when_all), at most a few at a time (async_semaphore), each with a
// timeout and retries on 503.
//   GET /price/{id}        the "pricing service": answers 503 to the first call for each id
//                          (a service restarting), then {"id": N, "price": P}
//   GET /basket?ids=1,2,3  the prices of those items from /price, 3 calls at a time, and their
//                          total; 502 when a call fails after its retries
//
//   step3_downstream [ADDR:PORT]
#include <cstdio>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "client/http_client.hpp"
#include "runtime/runtime.hpp"
#include "server/server.hpp"
#include "server/signal_watch.hpp"

using namespace barrage;
using json = nlohmann::ordered_json;

namespace {

server::response json_response(int status, const json& body) {
  return server::response(status, body.dump(), server::application_json);
}

std::optional<std::uint64_t> parse_id(std::string_view text) {
  if (text.empty() || text.size() > 16 || text.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  return std::stoull(std::string(text));
}

struct app {
  client::http_client downstream;
  std::string base;                   // "http://127.0.0.1:PORT", this server's own address
  std::set<std::uint64_t> seen;       // ids /price has answered 503 to once
  int in_flight = 0, max_in_flight = 0;  // /price calls at once, to show the bound
};

client::client_options downstream_options() {
  client::client_options o;
  o.pool.limit_per_host = 3;                      // connections to one service at most
  o.total_timeout = std::chrono::seconds(2);      // a whole call, its retries included
  o.retry.attempts = 3;                           // the first try and two retries...
  o.retry.statuses = {503};                       // ...when the answer is 503
  o.retry.backoff = std::chrono::milliseconds(20);  // 20 ms, then 40 ms (with jitter)
  return o;
}

task<server::response> price(app& a, server::request& r) {
  auto id = parse_id(r.param("id"));
  if (!id) co_return json_response(400, {{"error", "invalid id"}});
  if (a.seen.insert(*id).second) co_return json_response(503, {{"error", "warming up"}});
  a.max_in_flight = std::max(a.max_in_flight, ++a.in_flight);
  co_await sleep_for(std::chrono::milliseconds(10));  // its own work, asynchronous
  --a.in_flight;
  co_return json_response(200, {{"id", *id}, {"price", static_cast<double>(*id) * 1.25}});
}

/// One call, holding one of the request's permits while it runs.
task<std::optional<double>> fetch_price(app& a, async_semaphore& permits, std::uint64_t id) {
  auto permit = co_await permits.scoped();
  auto r = co_await a.downstream.get(a.base + "/price/" + std::to_string(id));

  if (!r.result.ok() || r.result.status != 200) co_return std::nullopt;  // failed after its retries
  json body = json::parse(r.data.body, nullptr, false);
  if (!body.is_object() || !body.contains("price") || !body["price"].is_number()) co_return std::nullopt;
  co_return body["price"].get<double>();
}

task<server::response> basket(app& a, server::request& r) {
  std::vector<std::uint64_t> ids;
  std::string_view list = r.query_param("ids").value_or("");
  for (std::size_t start = 0; start <= list.size() && !list.empty();) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    auto id = parse_id(list.substr(start, comma - start));
    if (!id) co_return json_response(400, {{"error", "ids: comma-separated numbers"}});
    ids.push_back(*id);
    start = comma + 1;
  }
  if (ids.empty() || ids.size() > 100) co_return json_response(400, {{"error", "ids: 1 to 100 of them"}});

  async_semaphore permits(3);  // at most 3 calls of this request at once
  std::vector<task<std::optional<double>>> calls;
  for (auto id : ids) calls.push_back(fetch_price(a, permits, id));
  auto prices = co_await when_all(std::move(calls));  // all of them, concurrently; results in order

  json lines = json::array();
  double total = 0;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!prices[i]) co_return json_response(502, {{"error", "no price for item " + std::to_string(ids[i])}});
    lines.push_back({{"id", ids[i]}, {"price", *prices[i]}});
    total += *prices[i];
  }
  co_return json_response(200, {{"items", lines},
                                {"total", total},
                                {"retries", a.downstream.retries()},
                                {"max_concurrent_calls", a.max_in_flight}});
}

}  // namespace

int main(int argc, char** argv) {
  auto listen = net::socket_address::parse(argc > 1 ? argv[1] : "127.0.0.1:8080");
  if (!listen || argc > 2) {
    std::fprintf(stderr, "usage: %s [ADDR:PORT]\n", argv[0]);
    return 2;
  }
  server::signal_watch signals;
  event_loop loop;  // made first: the client's connections belong to it and close before it
  app a{client::http_client(downstream_options()), {}, {}, 0, 0};
  server::router routes;
  routes.get("/price/{id}", [&a](server::request& r) { return price(a, r); });
  routes.get("/basket", [&a](server::request& r) { return basket(a, r); });
  server::server_options opts;
  opts.listen = *listen;
  server::server srv(std::move(routes), opts);
  a.base = "http://" + srv.local_address().to_string();
  std::fprintf(stderr, "listening on %s\n", a.base.c_str());
  auto main_task = [&]() -> task<void> {
    auto watcher = spawn(server::stop_on_signals(srv, signals));
    co_await srv.serve();
    watcher.cancel();
  };
  loop.run(main_task());
  return 0;
}
