// Step 2 of docs/library.md: routes with path parameters and JSON bodies.
//   GET /items             the list
//   GET /items/{id}        one item, 404 when there is none, 400 when {id} is not a number
//   POST /items            {"name": "...", "price": 1.5} -> 201 with a Location; 400 with the
//                          problems as JSON when the body is not a valid item
//
//   step2_routes [ADDR:PORT]
#include <cstdio>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "runtime/runtime.hpp"
#include "server/server.hpp"
#include "server/signal_watch.hpp"

using namespace barrage;
using json = nlohmann::ordered_json;

namespace {

struct item {
  std::string name;
  double price = 0;
};

// The store belongs to the one loop that serves every request: no lock is needed.
struct store {
  std::map<std::uint64_t, item> items{{1, {"widget", 2.5}}, {2, {"gadget", 10.0}}};
  std::uint64_t next_id = 3;
};

server::response json_response(int status, const json& body) {
  return server::response(status, body.dump(), server::application_json);
}

std::optional<std::uint64_t> parse_id(std::string_view text) {
  if (text.empty() || text.size() > 16 || text.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  return std::stoull(std::string(text));
}

json item_json(std::uint64_t id, const item& i) { return {{"id", id}, {"name", i.name}, {"price", i.price}}; }

task<server::response> list_items(store& s, server::request&) {
  json list = json::array();
  for (const auto& [id, i] : s.items) list.push_back(item_json(id, i));
  co_return json_response(200, {{"items", list}});
}

task<server::response> get_item(store& s, server::request& r) {
  auto id = parse_id(r.param("id"));  // the {id} segment of the path
  if (!id) co_return json_response(400, {{"error", "invalid id"}});
  auto it = s.items.find(*id);
  if (it == s.items.end()) co_return json_response(404, {{"error", "no such item"}});
  co_return json_response(200, item_json(it->first, it->second));
}

task<server::response> create_item(store& s, server::request& r) {
  json body = json::parse(r.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) co_return json_response(400, {{"error", "the body is not a JSON object"}});
  json problems = json::array();
  auto name = body.find("name");
  auto price = body.find("price");
  if (name == body.end() || !name->is_string() || name->get<std::string>().empty())
    problems.push_back({{"field", "name"}, {"message", "required: a non-empty string"}});
  if (price == body.end() || !price->is_number() || !(price->get<double>() >= 0))
    problems.push_back({{"field", "price"}, {"message", "required: a number from 0"}});
  if (!problems.empty()) co_return json_response(400, {{"error", "invalid item"}, {"details", problems}});

  const std::uint64_t id = s.next_id++;
  const item& stored = s.items[id] = item{name->get<std::string>(), price->get<double>()};
  server::response resp = json_response(201, item_json(id, stored));
  resp.set_header("Location", "/items/" + std::to_string(id));
  co_return resp;
}

}  // namespace

int main(int argc, char** argv) {
  server::signal_watch signals;
  store s;
  server::router routes;
  // Each route calls a coroutine with the store: the lambdas are plain functions returning
  // the task, so nothing the coroutine uses lives in a lambda's captures.
  routes.get("/items", [&s](server::request& r) { return list_items(s, r); });
  routes.get("/items/{id}", [&s](server::request& r) { return get_item(s, r); });
  routes.post("/items", [&s](server::request& r) { return create_item(s, r); });

  server::server_options opts;
  auto listen = net::socket_address::parse(argc > 1 ? argv[1] : "127.0.0.1:8080");
  if (!listen || argc > 2) {
    std::fprintf(stderr, "usage: %s [ADDR:PORT]\n", argv[0]);
    return 2;
  }
  opts.listen = *listen;
  server::server srv(std::move(routes), opts);
  std::fprintf(stderr, "listening on http://%s\n", srv.local_address().to_string().c_str());
  auto main_task = [&]() -> task<void> {
    auto watcher = spawn(server::stop_on_signals(srv, signals));
    co_await srv.serve();
    watcher.cancel();
  };
  sync_wait(main_task());
  return 0;
}
