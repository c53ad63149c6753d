#include "net/resolve_override.hpp"

#include <charconv>

namespace barrage::net {
namespace {

bool iequal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_';
}

// HOST up to its colon: a bracketed IPv6 literal, or a name (letters, digits, - . _).
result<std::string_view, std::string> take_host(std::string_view& rest) {
  std::string_view host;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) return fail(std::string("an IPv6 host has no closing bracket"));
    host = rest.substr(0, close + 1);
    if (!socket_address::from_ip(host.substr(1, host.size() - 2), 0))
      return fail("host " + std::string(host) + " is not an IPv6 address");
  } else {
    host = rest.substr(0, rest.find(':'));
    if (host.empty()) return fail(std::string("the host is empty"));
    for (char c : host)
      if (!name_char(c)) return fail("host \"" + std::string(host) + "\" is not a host name");
  }
  rest.remove_prefix(host.size());
  if (rest.empty() || rest.front() != ':') return fail(std::string("expected HOST:PORT:ADDR"));
  rest.remove_prefix(1);
  return host;
}

result<std::uint16_t, std::string> take_port(std::string_view& rest) {
  const auto colon = rest.find(':');
  if (colon == std::string_view::npos) return fail(std::string("expected HOST:PORT:ADDR"));
  const std::string_view digits = rest.substr(0, colon);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port < 1 || port > 65535)
    return fail("port \"" + std::string(digits) + "\" is not a number from 1 to 65535");
  rest.remove_prefix(colon + 1);
  return static_cast<std::uint16_t>(port);
}

}  // namespace

result<resolve_override, std::string> parse_resolve_override(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  auto bad = [&](const std::string& why) {
    return fail("bad entry " + quoted + ": " + why + " (e.g. example.com:443:127.0.0.1)");
  };
  std::string_view rest = text;
  auto host = take_host(rest);
  if (!host) return bad(host.error());
  auto port = take_port(rest);
  if (!port) return bad(port.error());
  std::string_view name = *host;
  if (name.front() == '[') name = name.substr(1, name.size() - 2);  // stored as URLs hold it
  resolve_override r{std::string(name), *port, {}};
  if (rest.empty()) return bad("no address after HOST:PORT:");
  for (;;) {
    const auto comma = rest.find(',');
    std::string_view a = rest.substr(0, comma);
    if (a.size() >= 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
    auto addr = socket_address::from_ip(a, *port);
    if (!addr) return bad("address \"" + std::string(rest.substr(0, comma)) + "\" is not a numeric IP address");
    r.addresses.push_back(*addr);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return r;
}

const resolve_override* find_override(std::span<const resolve_override> entries, std::string_view host,
                                      std::uint16_t port) noexcept {
  for (const auto& e : entries)
    if (e.port == port && iequal(e.host, host)) return &e;
  return nullptr;
}

}  // namespace barrage::net
