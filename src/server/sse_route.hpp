#pragma once
// GET /sse?interval=D&count=N on the built-in target: Server-Sent Events (text/event-stream,
// chunked, Cache-Control: no-cache). N events (default 10, at most builtin_options::max_chunks),
// the first at once and then one every D (default 100ms, at most max_delay), each
//   id: <i>\ndata: tick <i>\n\n      (i from 0)
// in its own chunk; then the body ends. Bad parameters get 400 with a one-line reason.
#include "server/builtin_target.hpp"
#include "server/router.hpp"

namespace barrage::server {

void add_sse_route(router& r, const builtin_options& o);

}  // namespace barrage::server
