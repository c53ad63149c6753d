#pragma once
// Internal to the server (not API): whether an HTTP/1.1 request hands its connection over to
// WebSocket. The hand-over itself is connection::serve_websocket (ws_upgrade.cpp).
#include "http/request_parser.hpp"
#include "server/router.hpp"

namespace barrage::server::detail {

/// A request asking for `Upgrade: websocket` on a WebSocket route (/ws/echo, /ws/feed) that
/// the router serves: its connection becomes a WebSocket (or is refused as one). Any other
/// request is HTTP as usual (GET /ws/echo without Upgrade gets the route's 426).
bool wants_websocket(const http::request_head& head, const router& routes) noexcept;

}  // namespace barrage::server::detail
