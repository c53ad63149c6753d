#pragma once
// The built-in target's WebSocket routes, as HTTP routes: GET /ws/echo and GET /ws/feed
// without `Upgrade: websocket` answer 426 Upgrade Required naming it. With the upgrade the
// connection never reaches them: it is handed over (ws_upgrade.hpp) to
//   /ws/echo                       every message back, text or binary
//   /ws/feed?interval=D&size=N     a text message of N bytes (default 64) every D (default 1s):
//                                  its tick number, then dots; ticks missed while the client
//                                  did not read are skipped (the numbers jump)
#include "server/router.hpp"

namespace barrage::server {

void add_ws_routes(router& r);

}  // namespace barrage::server
