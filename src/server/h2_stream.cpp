// One request of an HTTP/2 connection: routed as on HTTP/1.1 (the same router, the same
// answers for OPTIONS, 404, 405 and 501), its handler run as a task of its own, its response
// submitted to the session with the fields the server adds (content-length, date, server).
#include "server/h2_stream.hpp"

#include <algorithm>

#include "h2/server_session.hpp"
#include "runtime/sleep.hpp"
#include "server/h2_connection.hpp"
#include "server/state.hpp"
#include "server/worker.hpp"

namespace barrage::server::detail {

namespace {

bool is_standard_method(std::string_view m) noexcept {
  for (std::string_view s : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "CONNECT"})
    if (m == s) return true;
  return false;
}

/// The handler for the stream's request, or null with `resp` set to the server's own answer.
const handler* route(server::state& st, h2_stream& s, response& resp) {
  const http::request_head& head = s.head;
  const std::string_view method = head.method;
  if (method == "CONNECT") {  // this is no proxy (an HTTP/2 CONNECT has no :path)
    resp = response(501, "CONNECT is not supported\n");
    return nullptr;
  }
  if (http::parse_request_target(method, head.target, s.head.parts) != http::parse_error::none) {
    resp = response(400, "bad :path\n");
    return nullptr;
  }
  if (head.parts.form == http::target_form::asterisk) {  // OPTIONS *
    resp = response(204);
    resp.set_header("Allow", st.allow_all);
    return nullptr;
  }
  router::match m = st.routes.find(method, head.parts.path);
  switch (m.what) {
    case router::outcome::found:
      s.req.set_params(m.params);
      return m.target;
    case router::outcome::method_not_allowed:
      if (method == "OPTIONS") {
        resp = response(204);
        resp.set_header("Allow", st.routes.allowed(head.parts.path));
      } else if (!is_standard_method(method) && !st.routes.has_method(method)) {
        resp = response(501, "method not implemented\n");
      } else {
        resp = response(405, "method not allowed\n");
        resp.set_header("Allow", st.routes.allowed(head.parts.path));
      }
      return nullptr;
    case router::outcome::not_found:
      if (!is_standard_method(method) && !st.routes.has_method(method)) resp = response(501, "method not implemented\n");
      else resp = response(404, "not found\n");
      return nullptr;
  }
  return nullptr;
}

/// The response's fields, HTTP/2 style (lowercase names), into s.out_text / s.out_fields.
void render_fields(h2_stream& s, bool body_allowed, std::string_view server_name, std::string_view date) {
  const response& r = s.resp;
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // (offset, length) pairs: name, value
  const auto add = [&](std::string_view name, std::string_view value, bool lower) {
    spans.emplace_back(s.out_text.size(), name.size());
    for (char c : name) s.out_text.push_back(lower && c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
    spans.emplace_back(s.out_text.size(), value.size());
    s.out_text.append(value);
  };
  if (body_allowed) {
    add("content-type", r.content_type(), false);
    std::optional<std::uint64_t> length;
    if (!r.streamed()) length = r.body().size();
    else length = r.stream_length();
    if (length) add("content-length", std::to_string(*length), false);
  }
  // Each extra line is "Name: value\r\n" (response::set_header checked it).
  std::string_view lines = r.header_lines();
  while (!lines.empty()) {
    const std::size_t eol = lines.find("\r\n");
    const std::string_view line = lines.substr(0, eol);
    const std::size_t colon = line.find(':');
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    add(line.substr(0, colon), value, true);
    if (eol == std::string_view::npos) break;
    lines.remove_prefix(eol + 2);
  }
  if (!server_name.empty()) add("server", server_name, false);
  add("date", date, false);
  s.out_fields.clear();
  for (std::size_t i = 0; i + 1 < spans.size(); i += 2)
    s.out_fields.push_back({std::string_view(s.out_text).substr(spans[i].first, spans[i].second),
                            std::string_view(s.out_text).substr(spans[i + 1].first, spans[i + 1].second)});
}

/// Submits s.resp; true when its body is streamed (the producer runs next).
bool submit(h2_stream& s) {
  h2_connection& c = s.conn;
  const server_options& o = c.state().opts;
  int status = s.resp.status();
  if (status < 200 || status > 599) status = 500;  // no interim answers from handlers
  const bool body_allowed = status_allows_body(status);
  const bool head_request = s.head.method == "HEAD";
  render_fields(s, body_allowed, o.server_name, http_date(event_loop::current().now()));
  const bool streaming = body_allowed && !head_request && s.resp.streamed();
  const std::string_view body = body_allowed && !head_request && !streaming ? s.resp.body() : std::string_view{};
  const auto sent = c.session().respond(s.id, {.status = status, .fields = s.out_fields, .body = body, .streaming = streaming});
  s.responded = sent.ok();
  c.owner().metrics.record(status, mono_clock::now() - s.started);
  c.wake_writer();
  return sent.ok() && streaming;
}

task<void> handle(h2_connection& c, h2_stream& s) {
  server::state& st = c.state();
  response resp;
  const handler* h = route(st, s, resp);
  if (st.opts.stall.every > duration::zero()) {  // the stall schedule holds the server
    if (auto until = st.stall_until(event_loop::current().now())) co_await sleep_until(*until);
  }
  if (h != nullptr) {
    try {
      resp = co_await (*h)(s.req);
    } catch (const operation_cancelled&) {
      throw;
    } catch (...) {
      resp = response(500, "internal server error\n");
    }
  }
  if (c.ended() || s.closed) co_return;
  s.resp = std::move(resp);
  if (!submit(s)) co_return;
  s.stream_left = s.resp.stream_length().value_or(0);
  try {
    co_await s.resp.producer()(s);
  } catch (const operation_cancelled&) {
    throw;
  } catch (...) {
    s.write_failed = true;  // a body cut short: the stream is reset below
  }
  if (c.ended() || s.closed) co_return;
  if (s.write_failed || (s.resp.stream_length() && s.stream_left != 0)) {
    (void)c.session().reset_stream(s.id, h2::error_code::internal_error);
  } else {
    (void)c.session().stream_body(s.id, {}, true);
  }
  c.wake_writer();
}

}  // namespace

h2_stream::h2_stream(h2_connection& c, const h2::request_head& h, time_point t) : id(h.stream), conn(c), started(t) {
  std::size_t total = h.method.size() + h.path.size() + h.authority.size();
  for (const h2::field& f : h.fields) total += f.name.size() + f.value.size();
  text.reserve(total);  // the views below stay valid: no reallocation
  const auto keep = [this](std::string_view v) {
    const std::size_t at = text.size();
    text.append(v);
    return std::string_view(text).substr(at, v.size());
  };
  head.method = keep(h.method);
  head.target = keep(h.path);
  head.host = keep(h.authority);
  fields.reserve(h.fields.size());
  for (const h2::field& f : h.fields) {
    const std::string_view name = keep(f.name);
    fields.push_back({name, keep(f.value)});
    if (head.host.empty() && name == "host") head.host = fields.back().value;
  }
  head.headers = fields;
  req = request(head, {});
}

task<bool> h2_stream::write(std::string_view data) {
  if (!ok() || conn.ended()) co_return false;
  if (data.empty()) co_return true;
  if (resp.stream_length()) {
    if (data.size() > stream_left) {  // more than the announced length
      write_failed = true;
      co_return false;
    }
    stream_left -= data.size();
  }
  if (!conn.session().stream_body(id, data, false).ok()) {
    write_failed = true;
    co_return false;
  }
  conn.wake_writer();
  // The piece is framed as the client's windows allow; the watch ends a connection whose
  // windows stay shut (docs/server.md, "HTTP/2").
  while (!closed && !conn.ended() && conn.session().unsent(id) > 0) {
    progress.clear();
    co_await progress.wait();
  }
  co_return ok() && !conn.ended();
}

void answer_h2_now(h2_stream& s, response r) {
  s.resp = std::move(r);
  (void)submit(s);
}

task<void> run_h2_stream(std::shared_ptr<h2_connection> self, h2_stream* s) {
  h2_stream& st = *s;
  st.req.set_body(st.body);
  try {
    co_await handle(*self, st);
  } catch (...) {
    // Cancelled (the stream closed, the connection ended), or out of memory: the stream is
    // reset below when the session still has it.
  }
  if (!self->ended() && !st.closed && !st.responded) {  // no answer will come: the client must not wait
    (void)self->session().reset_stream(st.id, h2::error_code::internal_error);
    self->wake_writer();
  }
  st.running = false;
  st.job.detach();    // this frame frees itself when it returns
  self->task_done(st);  // may destroy the stream
}

}  // namespace barrage::server::detail
