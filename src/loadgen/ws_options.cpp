#include "loadgen/ws_options.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "base/quote_text.hpp"
#include "base/units.hpp"
#include "loadgen/options.hpp"
#include "loadgen/run_options.hpp"
#include "ws/handshake.hpp"
#include "ws/utf8.hpp"

namespace barrage::loadgen {
namespace {

bool starts_with_nocase(std::string_view s, std::string_view prefix) noexcept {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i)
    if ((s[i] | 0x20) != prefix[i]) return false;
  return true;
}

result<std::string, std::string> read_message_file(const std::string& path) {
  if (path.empty()) return fail(std::string("bad file name \"\": empty"));
  std::ifstream f(path, std::ios::binary);
  if (!f) return fail("cannot read " + quote_text(path) + ": " + std::strerror(errno));
  std::string text(std::istreambuf_iterator<char>(f), {});
  if (f.bad()) return fail("cannot read " + quote_text(path) + ": " + std::strerror(errno));
  if (text.empty()) return fail("cannot use " + quote_text(path) + ": empty");
  if (text.size() > max_ws_message_size) return fail("cannot use " + quote_text(path) + ": larger than 64 MiB");
  return text;
}

/// -r, -n, -X ... given in a ws:// run: the first one, named.
std::optional<std::string> http_only_option(const run_options& o) {
  const std::pair<bool, const char*> given[] = {
      {o.rate.has_value(), "-r/--rate (use --message-rate)"},
      {o.requests.has_value(), "-n/--requests"},
      {o.method.has_value(), "-X/--method"},
      {o.body.has_value() || o.body_file.has_value(), "-b/--body-file (use --message, --message-file)"},
      {o.pipeline.has_value(), "--pipeline"},
      {o.streams.has_value(), "--streams"},
      {o.http2 || o.http2_prior_knowledge, "--http2"},
      {o.redirects.has_value(), "--redirects"},
      {o.retries.has_value() || o.retry_on.has_value(), "--retries"},
      {o.no_keepalive, "--no-keepalive"},
      {o.warmup.has_value(), "--warmup"},
      {o.success_status.has_value(), "--success-status"},
  };
  for (const auto& [yes, name] : given)
    if (yes) return std::string(name);
  return std::nullopt;
}

bool any_ws_option(const ws_run_options& w) {
  return w.message || w.message_file || w.message_size || w.message_rate || w.subscribe || w.ping_interval ||
         w.binary || w.listen || w.reconnect || !w.subprotocols.empty();
}

/// The payload: --message, --message-file or --message-size (one of them), checked for UTF-8
/// in text mode; the open model's id goes in front of it (ws_message.hpp).
void read_payload(const ws_run_options& w, option_reader& in, ws_config& ws) {
  if (int(w.message.has_value()) + int(w.message_file.has_value()) + int(w.message_size.has_value()) > 1)
    in.refuse("--message, --message-file and --message-size: give one of them");
  in.read("--message", w.message, [](const std::string& t) -> result<std::string, std::string> {
    if (t.empty()) return fail(std::string("bad message \"\": empty"));
    return t;
  }, ws.message);
  in.read("--message-file", w.message_file, read_message_file, ws.message);
  std::uint64_t size = 0;
  in.read("--message-size", w.message_size, parse_ws_message_size, size);
  if (w.message_size && !in.error()) {
    const std::uint64_t id = ws.open_model() ? ws_message_id_chars : 0;
    if (size < id) in.refuse("--message-size: with --message-rate at least 16 bytes (the message id)");
    else ws.message = generated_payload(size - id, ws.binary);
  }
  if (!ws.binary && !in.error() && !ws::valid_utf8(ws.message))
    in.refuse("--message, --message-file: not UTF-8, which text messages must be; add --binary");
}

/// --subprotocol, each a token, none twice (RFC 6455 §4.1: the offers are unique); -H may not
/// set Sec-WebSocket-Protocol beside them (the server's choice is checked against these).
void read_subprotocols(const run_options& o, option_reader& in, const run_config& c, ws_config& ws) {
  for (const auto& name : o.ws.subprotocols) {
    std::string parsed;
    in.read("--subprotocol", std::optional<std::string>(name), parse_subprotocol, parsed);
    if (in.error()) return;
    if (std::find(ws.subprotocols.begin(), ws.subprotocols.end(), parsed) != ws.subprotocols.end()) {
      in.refuse("--subprotocol: " + quote_text(parsed) + " given twice (each is offered once)");
      return;
    }
    ws.subprotocols.push_back(std::move(parsed));
  }
  for (const auto& h : c.headers) {
    const std::string_view name = std::string_view(h).substr(0, h.find(':'));
    if (name.size() == 22 && starts_with_nocase(name, "sec-websocket-protocol")) {
      in.refuse("-H Sec-WebSocket-Protocol: use --subprotocol NAME (repeatable), whose choice the report shows");
      return;
    }
  }
}

}  // namespace

bool is_ws_url(std::string_view url) noexcept {
  return starts_with_nocase(url, "ws://") || starts_with_nocase(url, "wss://");
}

result<http::url, std::string> parse_ws_url(std::string_view text) {
  const bool secure = starts_with_nocase(text, "wss://");
  const std::size_t scheme = secure ? 3 : 2;
  std::string mapped = std::string(secure ? "https" : "http") + std::string(text.substr(scheme));
  auto u = parse_target_url(mapped);
  if (u) return *u;
  std::string error = u.error();  // it quotes the mapped URL: put the typed scheme back
  const std::string shown = "\"" + std::string(secure ? "https" : "http") + "://";
  if (auto at = error.find(shown); at != std::string::npos)
    error.replace(at, shown.size(), "\"" + std::string(text.substr(0, scheme + 3)));
  return fail(error);
}

result<std::uint64_t, std::string> parse_ws_message_size(std::string_view text) {
  auto n = parse_size(text);
  if (!n) return fail(n.error());
  if (*n == 0 || *n > max_ws_message_size)
    return fail("bad size " + quote_text(text) + ": must be between 1 byte and 64MiB");
  return *n;
}

result<double, std::string> parse_ws_message_rate(std::string_view text) {
  auto r = parse_rate(text);
  if (!r) return fail(r.error());
  if (*r > max_ws_message_rate)
    return fail("bad rate " + quote_text(text) + ": must be at most 1M (messages per second per connection)");
  return *r;
}

result<std::string, std::string> parse_subprotocol(std::string_view text) {
  if (!ws::valid_subprotocol(text))
    return fail("bad subprotocol " + quote_text(text) +
                ": a token (letters, digits, !#$%&'*+-.^_`|~; no spaces, commas or quotes)");
  return std::string(text);
}

result<duration, std::string> parse_ping_interval(std::string_view text) {
  return parse_duration_in(text, std::chrono::milliseconds(1), max_option_duration);
}

std::string generated_payload(std::uint64_t size, bool binary) {
  std::string out(size, '\0');
  for (std::uint64_t i = 0; i < size; ++i)
    out[i] = binary ? static_cast<char>(i * 131 % 256) : static_cast<char>('a' + i % 26);
  return out;
}

void read_ws_options(const run_options& o, option_reader& in, run_config& c) {
  const ws_run_options& w = o.ws;
  if (!is_ws_url(c.url)) {
    if (any_ws_option(w)) in.refuse("--message, --listen, --ping-interval ...: need a ws:// or wss:// URL");
    return;
  }
  ws_config& ws = c.ws;
  ws.enabled = true;
  ws.secure = starts_with_nocase(c.url, "wss://");
  if (auto name = http_only_option(o)) in.refuse(*name + " is for HTTP runs, not for ws:// and wss://");
  ws.binary = w.binary;
  ws.reconnect = w.reconnect;
  read_subprotocols(o, in, c, ws);
  in.read("--ping-interval", w.ping_interval, parse_ping_interval, ws.ping_interval);
  if (w.listen) {
    ws.mode = ws_mode::listen;
    if (w.message || w.message_file || w.message_size || w.message_rate || w.binary)
      in.refuse("--listen sends nothing (but --subscribe): not with --message, --message-file, --message-size, "
                "--message-rate or --binary");
    in.read("--subscribe", w.subscribe, [](const std::string& t) -> result<std::string, std::string> {
      if (!ws::valid_utf8(t)) return fail(std::string("not UTF-8, which a text message must be"));
      return t;
    }, ws.subscribe);
    return;
  }
  if (w.subscribe) in.refuse("--subscribe needs --listen");
  in.read("--message-rate", w.message_rate, parse_ws_message_rate, ws.message_rate);
  read_payload(w, in, ws);
}

}  // namespace barrage::loadgen
