#pragma once
// --resolve HOST:PORT:ADDR[,ADDR...] (curl's spelling): connections to HOST:PORT go to the
// addresses given instead of the ones DNS would give, and no query is sent for that name;
// everything that names the host (the Host field, TLS SNI and the certificate's name check)
// still uses HOST. The usual way to load-test one node behind a DNS name.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "net/address.hpp"

namespace barrage::net {

struct resolve_override {
  std::string host;  // as http::url holds it: a name (compared case-insensitively), or IPv6 without brackets
  std::uint16_t port = 0;
  std::vector<socket_address> addresses;  // each with `port`
};

/// Parses HOST:PORT:ADDR[,ADDR...]. HOST is a name or a bracketed IPv6 literal; PORT 1 to
/// 65535; each ADDR a numeric IPv4 address or an IPv6 one, in brackets or not. The error is
/// one line quoting the text and saying what is expected.
result<resolve_override, std::string> parse_resolve_override(std::string_view text);

/// The entry for host:port (the first given, as curl), or null.
const resolve_override* find_override(std::span<const resolve_override> entries, std::string_view host,
                                      std::uint16_t port) noexcept;

}  // namespace barrage::net
