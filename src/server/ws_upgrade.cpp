// The hand-over of an HTTP/1.1 connection to WebSocket after a valid upgrade request: the
// 101 behind any answers still pending, then the connection's transport and read buffer
// belong to a ws_session until it ends. A bad upgrade request is answered (400, or 426 with
// the version we speak) and the connection closed.
#include "server/ws_upgrade.hpp"

#include <algorithm>

#include "server/connection.hpp"
#include "server/state.hpp"
#include "server/worker.hpp"
#include "server/ws_session.hpp"
#include "ws/handshake.hpp"

namespace barrage::server::detail {

bool wants_websocket(const http::request_head& head, const router& routes) noexcept {
  const bool upgrade = std::any_of(head.headers.begin(), head.headers.end(), [](const http::header& h) {
    return http::iequals(h.name, "upgrade") && http::list_has_token(h.value, "websocket");
  });
  if (!upgrade || ws_route_for(head.parts.path) == ws_route::none) return false;
  return routes.find("GET", head.parts.path).what == router::outcome::found;
}

task<void> connection::serve_websocket(const http::request_head& head) {
  const ws_limits& limits = o_.ws;
  const ws_route route = ws_route_for(head.parts.path);
  auto up = ws::check_upgrade_request(head);
  ws_feed_params feed;
  std::string refusal;
  int status = 400;
  if (!up) {
    refusal = std::string(ws::to_string(up.error()));
    if (up.error() == ws::handshake_error::bad_version) status = 426;
  } else if (route == ws_route::feed) {
    auto p = parse_feed_params(head.parts.query, limits);
    if (p) feed = *p;
    else refusal = "/ws/feed " + p.error();
  }
  if (!refusal.empty()) {
    w_.ws.refused();
    response r(status, refusal + "\n");
    r.set_header("Sec-WebSocket-Version", "13");
    r.close_connection();
    const render_options ro{http_date(loop_->now()), o_.server_name, false, false, false};
    render_head(out_, r, ro);
    out_.append(r.body());
    w_.metrics.record(status, duration::zero());
    const bool sent = co_await flush();
    if (sent) co_await linger();
    co_return;
  }
  out_.append(ws::build_accept_response(up->key));
  w_.metrics.record(101, duration::zero());
  // Frames the client sent right behind its request are the session's first input.
  const std::string early(buf_.data() + next_, end_ - next_);
  begin_ = end_ = next_ = 0;
  const bool sent = co_await flush();
  if (!sent) co_return;
  phase_ = phase::idle;  // a drain may stop it while it waits to read
  clear_deadline();
  // The HTTP/1.1 buffers (the read buffer, the output and a grown field array `head` may point
  // into: not used past here) are done with: a held WebSocket keeps only its session's
  // (issue 17: <= 16 KiB per held connection, wslay's 8.6 KiB included).
  buf_.release();
  more_fields_.reset();
  std::string().swap(out_);
  std::string().swap(body_buf_);
  ws_session session({io_, io_waiting_, w_.draining, o_.write_timeout}, w_.ws,
                     limits, route, feed);
  co_await session.run(early);
}

}  // namespace barrage::server::detail
