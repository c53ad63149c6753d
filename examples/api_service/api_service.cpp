// api_service: a small JSON API on barrage's runtime, server and client, the full service of
// docs/library.md (steps 1-5 there build up to it).
//
//   GET  /items?limit=N&offset=M  the items, in id order                 200 | 400
//   GET  /items/{id}              one item (after --io-wait of simulated I/O) 200 | 400 | 404
//   POST /items                   {"name": "...", "price": 1.5} -> 201 + Location | 400
//   GET  /basket?ids=1,2,3        each item's price from the downstream pricing service, fetched
//                                 --fanout at a time, and their total      200 | 400 | 502
//   GET  /price/{id}              the pricing service itself (the default downstream)
//   GET  /reports/{id}            a blocking "database query" of --db-time, on a thread (or,
//                                 with --block-loop, wrongly on the loop)  200 | 400
//   GET  /metrics                 Prometheus: loop lag, slow steps, requests (the server's own)
// Errors are JSON: {"error": "...", "details": [...]}.
//
// One event loop serves everything: the item store and the downstream client belong to it
// (for more cores, run a process per core on the same port: the listener uses SO_REUSEPORT).
// SIGTERM or SIGINT: stop accepting, finish the requests in flight, exit 0; a second one cuts
// what remains.
#include <chrono>
#include <cmath>
#include <optional>
#include <cstdio>
#include <ctime>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "client/http_client.hpp"
#include "config.hpp"
#include "net/fd_limit.hpp"
#include "runtime/runtime.hpp"
#include "server/server.hpp"
#include "server/signal_watch.hpp"

using namespace barrage;
using json = nlohmann::ordered_json;  // keys in the order written
using server::request;
using server::response;

namespace {

// ---------------------------------------------------------------------------------------------
// JSON responses and validation

response json_response(int status, const json& body) {
  return response(status, body.dump(), server::application_json);
}

response error_response(int status, std::string_view error, json details = json::array()) {
  return json_response(status, {{"error", error}, {"details", std::move(details)}});
}

/// A decimal id in 1..2^53 (what a JSON number holds exactly), or nothing.
std::optional<std::uint64_t> parse_id(std::string_view text) {
  if (text.empty() || text.size() > 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v == 0 || v > (1ull << 53)) return std::nullopt;
  return v;
}

struct item {
  std::uint64_t id = 0;
  std::string name;
  double price = 0;
};

json to_json(const item& i) { return {{"id", i.id}, {"name", i.name}, {"price", i.price}}; }

/// The fields of a POST /items body that are wrong, each {"field", "message"}; empty when
/// the item is good (then `out` holds it).
json validate_item(const json& body, item& out) {
  json problems = json::array();
  auto name = body.find("name");
  if (name == body.end() || !name->is_string() || name->get_ref<const std::string&>().empty() ||
      name->get_ref<const std::string&>().size() > 100) {
    problems.push_back({{"field", "name"}, {"message", "required: a string of 1 to 100 characters"}});
  } else {
    out.name = name->get<std::string>();
  }
  auto price = body.find("price");
  if (price == body.end() || !price->is_number() || !(price->get<double>() >= 0) ||
      price->get<double>() > 1e9) {
    problems.push_back({{"field", "price"}, {"message", "required: a number from 0 to 1e9"}});
  } else {
    out.price = price->get<double>();
  }
  for (auto it = body.begin(); it != body.end(); ++it)
    if (it.key() != "name" && it.key() != "price")
      problems.push_back({{"field", it.key()}, {"message", "unknown field"}});
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The service's state: one loop owns it, so nothing here needs a lock.

struct service {
  api::config cfg;
  std::map<std::uint64_t, item> items;
  std::uint64_t next_id = 1;
  client::http_client downstream;
  std::string downstream_base;

  static client::client_options client_options(const api::config& c) {
    client::client_options o;
    o.pool.limit = 64;                    // connections to all downstreams together
    o.pool.limit_per_host = c.fanout;     // never more than one fan-out's worth per host
    o.pool.connect_timeout = std::chrono::milliseconds(500);
    o.total_timeout = c.downstream_timeout;  // per call, the retries included
    o.retry.attempts = 3;                 // 503 is "try again": twice more, 20 ms then 40 ms later
    o.retry.statuses = {503};
    o.retry.backoff = std::chrono::milliseconds(20);
    return o;
  }
  explicit service(api::config c) : cfg(std::move(c)), downstream(client_options(cfg)) {
    for (auto [name, price] : {std::pair{"widget", 2.5}, std::pair{"gadget", 10.0}, std::pair{"gizmo", 99.99}})
      add(name, price);
  }
  item& add(std::string name, double price) {
    const std::uint64_t id = next_id++;
    return items[id] = item{id, std::move(name), price};
  }
};

// ---------------------------------------------------------------------------------------------
// Handlers: coroutines taking the service and the request, returning a response.

task<response> list_items(service& s, request& r) {
  std::uint64_t limit = 100, offset = 0;
  json problems = json::array();
  for (auto [name, out, max] : {std::tuple{"limit", &limit, 1000ull}, std::tuple{"offset", &offset, ~0ull}}) {
    auto v = r.query_param(name);
    if (!v) continue;
    auto n = parse_count(*v);
    if (!n || *n > max) problems.push_back({{"field", name}, {"message", "a whole number up to " + std::to_string(max)}});
    else *out = *n;
  }
  if (!problems.empty()) co_return error_response(400, "invalid query", std::move(problems));
  json list = json::array();
  for (auto it = s.items.begin(); it != s.items.end() && list.size() < limit; ++it)
    if (offset > 0) --offset;
    else list.push_back(to_json(it->second));
  co_return json_response(200, {{"items", std::move(list)}});
}

task<response> get_item(service& s, request& r) {
  auto id = parse_id(r.param("id"));
  if (!id) co_return error_response(400, "invalid id", {{{"field", "id"}, {"message", "a whole number from 1"}}});
  if (s.cfg.io_wait > duration::zero()) co_await sleep_for(s.cfg.io_wait);  // the store's I/O, asynchronous
  auto it = s.items.find(*id);
  if (it == s.items.end()) co_return error_response(404, "no such item");
  co_return json_response(200, to_json(it->second));
}

task<response> create_item(service& s, request& r) {
  json body = json::parse(r.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) co_return error_response(400, "the body is not JSON");
  if (!body.is_object()) co_return error_response(400, "the body is not a JSON object");
  item fresh;
  json problems = validate_item(body, fresh);
  if (!problems.empty()) co_return error_response(400, "invalid item", std::move(problems));
  item& stored = s.add(std::move(fresh.name), fresh.price);
  response resp = json_response(201, to_json(stored));
  resp.set_header("Location", "/items/" + std::to_string(stored.id));
  co_return resp;
}

/// The pricing service (another process in real life): a price per id, after 5 ms of work.
task<response> price(service&, request& r) {
  auto id = parse_id(r.param("id"));
  if (!id) co_return error_response(400, "invalid id");
  co_await sleep_for(std::chrono::milliseconds(5));
  co_return json_response(200, {{"id", *id}, {"price", static_cast<double>(*id % 1000) * 1.25}});
}

struct priced {
  std::uint64_t id = 0;
  std::optional<double> price;
  std::string problem;  // why there is no price
};

/// One downstream call, holding one of the fan-out's permits while it runs.
task<priced> fetch_price(service& s, async_semaphore& permits, std::uint64_t id) {
  auto permit = co_await permits.scoped();
  auto r = co_await s.downstream.get(s.downstream_base + "/price/" + std::to_string(id));
  priced p{id, std::nullopt, {}};
  if (!r.result.ok()) {
    p.problem = std::string(client::to_string(r.result.error));
  } else if (r.result.status != 200) {
    p.problem = "status " + std::to_string(r.result.status);
  } else {
    json body = json::parse(r.data.body, nullptr, false);
    auto v = body.is_object() ? body.find("price") : body.end();
    if (v != body.end() && v->is_number()) p.price = v->get<double>();
    else p.problem = "no price in the answer";
  }
  co_return p;
}

task<response> basket(service& s, request& r) {
  std::vector<std::uint64_t> ids;
  std::string_view list = r.query_param("ids").value_or("");
  while (!list.empty()) {
    auto comma = list.find(',');
    auto id = parse_id(list.substr(0, comma));
    if (!id || ids.size() == 100)
      co_return error_response(400, "invalid ids", {{{"field", "ids"}, {"message", "1 to 100 ids, comma-separated"}}});
    ids.push_back(*id);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  if (ids.empty()) co_return error_response(400, "invalid ids", {{{"field", "ids"}, {"message", "required"}}});

  async_semaphore permits(s.cfg.fanout);  // at most --fanout calls at once for this request
  std::vector<task<priced>> calls;
  for (auto id : ids) calls.push_back(fetch_price(s, permits, id));
  std::vector<priced> prices = co_await when_all(std::move(calls));

  json lines = json::array(), failed = json::array();
  double total = 0;
  for (const auto& p : prices) {
    if (p.price) {
      lines.push_back({{"id", p.id}, {"price", *p.price}});
      total += *p.price;
    } else {
      failed.push_back({{"id", p.id}, {"message", p.problem}});
    }
  }
  if (!failed.empty()) co_return error_response(502, "the pricing service failed", std::move(failed));
  co_return json_response(200, {{"items", std::move(lines)}, {"total", total}});
}

/// The database driver's call: it blocks its thread for `time` (a synchronous client library).
json blocking_query(std::uint64_t id, duration time) {
  std::this_thread::sleep_for(time);
  return {{"id", id}, {"rows", id * 7 % 100}};
}

task<response> report(service& s, request& r) {
  auto id = parse_id(r.param("id"));
  if (!id) co_return error_response(400, "invalid id");
  json rows;
  if (s.cfg.block_loop) {
    rows = blocking_query(*id, s.cfg.db_time);  // WRONG: every other request waits meanwhile
  } else {
    auto query = [id = *id, t = s.cfg.db_time] { return blocking_query(id, t); };
    rows = co_await to_thread(query);  // right: the loop serves others while a thread waits
  }
  co_return json_response(200, {{"report", std::move(rows)}});
}

// ---------------------------------------------------------------------------------------------
// Access log: one JSON line per answered request on stdout (buffered; flushed at exit).

task<response> log_access(const server::handler& inner, request& r) {
  const time_point start = now();
  response resp = co_await inner(r);
  const double ms = to_seconds(now() - start) * 1e3;
  char when[32];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
  json line = {{"time", when}, {"method", r.method()}, {"path", r.path()}, {"status", resp.status()},
               {"ms", std::round(ms * 1000) / 1000}};
  std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace);
  text += '\n';
  std::fwrite(text.data(), 1, text.size(), stdout);
  co_return resp;
}

server::router routes(service& s) {
  // A route's handler: `fn(s, request)`, wrapped in the access log when it is on.
  auto h = [&s](task<response> (*fn)(service&, request&)) -> server::handler {
    server::handler plain = [&s, fn](request& r) { return fn(s, r); };
    if (!s.cfg.access_log) return plain;
    return [plain = std::move(plain)](request& r) { return log_access(plain, r); };
  };
  server::router r;
  r.get("/items", h(list_items));
  r.get("/items/{id}", h(get_item));
  r.post("/items", h(create_item));
  r.get("/basket", h(basket));
  r.get("/price/{id}", h(price));
  r.get("/reports/{id}", h(report));
  return r;
}

// ---------------------------------------------------------------------------------------------

int run(const api::config& cfg) {
  net::raise_fd_limit();
  server::signal_watch signals;  // first: the server's threads inherit the blocked signals
  event_loop loop;               // the client's connections belong to this loop: made on it
  service s(cfg);
  server::server_options opts;
  opts.listen = cfg.listen;
  opts.shutdown_grace = cfg.grace;
  opts.server_name = "api_service";
  server::server srv(routes(s), opts);
  s.downstream_base = cfg.downstream.empty() ? "http://" + srv.local_address().to_string() : cfg.downstream;
  std::fprintf(stderr, "api_service: listening on http://%s (downstream %s, fanout %u, io-wait %s, db-time %s%s)\n",
               srv.local_address().to_string().c_str(), s.downstream_base.c_str(), cfg.fanout,
               format_duration(cfg.io_wait).c_str(), format_duration(cfg.db_time).c_str(),
               cfg.block_loop ? ", BLOCKING THE LOOP" : "");

  auto watch = [&]() -> task<void> {
    int sig = co_await signals.next();
    std::fprintf(stderr, "api_service: signal %d: finishing the requests in flight\n", sig);
    srv.stop();
    co_await signals.next();
    srv.stop_now();
  };
  auto main_task = [&]() -> task<void> {
    auto watcher = spawn(watch(), "signals");
    co_await srv.serve();
    watcher.cancel();
  };
  loop.run(main_task());
  std::fflush(stdout);
  std::fprintf(stderr, "api_service: stopped\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--help") {
      std::fputs(api::usage.data(), stdout);
      return 0;
    }
  auto cfg = api::load_config(argc, argv);
  if (!cfg) {
    std::fprintf(stderr, "api_service: %s\n%s", cfg.error().c_str(), api::usage.data());
    return 2;
  }
  try {
    return run(*cfg);
  } catch (const std::exception& e) {  // setup failures: the port is taken, no signalfd, ...
    std::fprintf(stderr, "api_service: %s\n", e.what());
    return 1;
  }
}
