#include "server/sse_route.hpp"

#include <string>

#include "base/units.hpp"
#include "runtime/sleep.hpp"

namespace barrage::server {

namespace {

constexpr std::string_view event_stream = "text/event-stream";

response bad_request(std::string why) {
  why.push_back('\n');
  return response(400, std::move(why));
}

}  // namespace

void add_sse_route(router& r, const builtin_options& o) {
  r.get("/sse", [o](request& req) -> task<response> {
    duration interval = std::chrono::milliseconds(100);
    std::uint64_t count = 10;
    if (auto text = req.query_param("interval")) {
      auto d = parse_duration(*text);
      if (!d) co_return bad_request("interval: " + d.error());
      if (*d > o.max_delay) co_return bad_request("interval: at most " + format_duration(o.max_delay));
      interval = *d;
    }
    if (auto text = req.query_param("count")) {
      auto n = parse_count(*text);
      if (!n) co_return bad_request("count: " + n.error());
      if (*n > o.max_chunks) co_return bad_request("count: at most " + std::to_string(o.max_chunks) + " events");
      count = *n;
    }
    response res = response::stream(
        200,
        [count, interval](body_writer& w) -> task<void> {
          for (std::uint64_t i = 0; i < count; ++i) {
            if (i > 0) co_await sleep_for(interval);
            const std::string n = std::to_string(i);
            const bool sent = co_await w.write("id: " + n + "\ndata: tick " + n + "\n\n");
            if (!sent) co_return;
          }
        },
        event_stream);
    res.set_header("Cache-Control", "no-cache");
    co_return res;
  });
}

}  // namespace barrage::server
