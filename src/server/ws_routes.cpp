#include "server/ws_routes.hpp"

namespace barrage::server {

void add_ws_routes(router& r) {
  for (const char* path : {"/ws/echo", "/ws/feed"}) {
    r.get(path, [](request&) -> task<response> {
      response resp(426, "this is a WebSocket endpoint: send Upgrade: websocket\n");
      resp.set_header("Upgrade", "websocket");
      resp.set_header("Sec-WebSocket-Version", "13");
      co_return resp;
    });
  }
}

}  // namespace barrage::server
