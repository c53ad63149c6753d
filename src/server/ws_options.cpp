#include "server/ws_options.hpp"

#include "base/option_values.hpp"
#include "base/quote_text.hpp"
#include "base/units.hpp"

namespace barrage::server {
namespace {

constexpr std::uint64_t min_message = 125, max_message = 64u << 20;

result<std::uint64_t, std::string> message_limit(std::string_view text) {
  auto n = parse_size(text);
  if (!n) return fail(n.error());
  if (*n < min_message || *n > max_message)
    return fail("bad size " + quote_text(text) + ": must be between 125 bytes and 64MiB");
  return *n;
}

result<duration, std::string> above_zero(std::string_view text) {
  return parse_duration_in(text, std::chrono::nanoseconds(1), max_option_duration);
}

}  // namespace

result<ws_limits, std::string> make_ws_limits(const ws_serve_settings& s) {
  ws_limits l;
  option_reader in;
  std::uint64_t max_bytes = l.max_message_bytes;
  in.read("--ws-max-message", s.max_message, message_limit, max_bytes);
  in.read("--ws-ping-interval", s.ping_interval, above_zero, l.ping_interval);
  in.read("--ws-ping-timeout", s.ping_timeout, above_zero, l.ping_timeout);
  if (in.error()) return fail(*in.error());
  l.max_message_bytes = static_cast<std::size_t>(max_bytes);
  return l;
}

}  // namespace barrage::server
