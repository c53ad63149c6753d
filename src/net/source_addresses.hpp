#pragma once
// Source addresses for outgoing connections: "127.0.0.2,127.0.0.3" or a range
// "127.0.0.2-127.0.0.9" (mixable, comma-separated). Connections bound to several local
// addresses get one ephemeral port range each, so a client is no longer limited to ~28k
// connections per destination (ip_local_port_range) on one source address.
#include <optional>
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

struct port_range {
  unsigned first = 32768, last = 60999;  // Linux's default
  unsigned size() const noexcept { return last >= first ? last - first + 1 : 0; }
};

/// net.ipv4.ip_local_port_range (the default range when it cannot be read).
port_range ephemeral_port_range() noexcept;

/// A one-line note when `connections` to one destination, spread over `sources` source
/// addresses (0: the kernel's one), exceed half the ephemeral range per address. Linux's
/// connect() takes even ports first and probes them one by one: past half the range every
/// connect scans the used ports, so opening the connections costs time quadratic in their
/// number (15,000 on 28,232 ports: 2.6 s of kernel time instead of 0.5 s); past the whole
/// range it fails with EADDRNOTAVAIL. The fix is more source addresses (--source).
std::optional<std::string> port_range_note(std::size_t connections, std::size_t sources, port_range range);

}  // namespace barrage::net
