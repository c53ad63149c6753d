#pragma once
// The WebSocket options of `barrage ws://... [options]` as typed, and what they make of
// run_config's `ws` member (ws_config.hpp). Errors are one line naming the option:
//   --message-rate: bad rate "0": ...
// In a ws:// run the HTTP-only options (-r, -n, -X, -b, --pipeline, --http2 ...) are refused,
// and in an http:// run the WebSocket ones are.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/option_values.hpp"
#include "base/result.hpp"
#include "http/url.hpp"
#include "loadgen/config.hpp"

namespace barrage::loadgen {

struct run_options;

struct ws_run_options {
  std::optional<std::string> message, message_file, message_size, message_rate, subscribe, ping_interval;
  std::vector<std::string> subprotocols;  // --subprotocol, repeatable
  bool binary = false, listen = false, reconnect = false;
};

/// Limits (barrage --help shows them).
inline constexpr std::uint64_t max_ws_message_size = 64ull << 20;
inline constexpr double max_ws_message_rate = 1e6;  // per connection

/// True for a URL that starts with ws:// or wss:// (any case).
bool is_ws_url(std::string_view url) noexcept;
/// A ws:// (wss://) URL parsed as the http:// (https://) URL of its opening handshake
/// (RFC 6455 §3); errors as parse_target_url's, quoting the URL as typed.
result<http::url, std::string> parse_ws_url(std::string_view text);

/// --message-size: 1 byte to max_ws_message_size (units: 1k, 64KiB).
result<std::uint64_t, std::string> parse_ws_message_size(std::string_view text);
/// --message-rate: messages per second per connection, above 0, at most max_ws_message_rate.
result<double, std::string> parse_ws_message_rate(std::string_view text);
/// --ping-interval: above 0.
result<duration, std::string> parse_ping_interval(std::string_view text);
/// --subprotocol: a token (RFC 6455 §4.1), the name as given.
result<std::string, std::string> parse_subprotocol(std::string_view text);
/// A generated payload of `size` bytes: printable ASCII for text, every byte value for binary.
std::string generated_payload(std::uint64_t size, bool binary);

/// Fills c.ws from the options (c.url already set), refusing what does not go together.
void read_ws_options(const run_options& o, option_reader& in, run_config& c);

}  // namespace barrage::loadgen
