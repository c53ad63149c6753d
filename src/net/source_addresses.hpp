#pragma once
// Source addresses for outgoing connections: "127.0.0.2,127.0.0.3" or a range
// "127.0.0.2-127.0.0.9" (mixable, comma-separated). Connections bound to several local
// addresses get one ephemeral port range each, so a client is no longer limited to ~28k
// connections per destination (ip_local_port_range) on one source address.
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "net/address.hpp"

namespace barrage::net {

/// Ranges larger than this are refused: a typo like 127.0.0.1-127.255.255.255 should not
/// allocate 16 million addresses.
inline constexpr std::size_t max_source_addresses = 65'536;

/// Parses a comma list of numeric IPv4 or IPv6 addresses and IPv4 ranges FIRST-LAST
/// (inclusive, FIRST <= LAST), each with port 0. All addresses must be of one family.
/// The error is one line naming the offending item.
result<std::vector<socket_address>, std::string> parse_source_addresses(std::string_view text);

}  // namespace barrage::net
