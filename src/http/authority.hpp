#pragma once
// uri-host [":" port] (RFC 3986 §3.2), shared by Host validation and the URL parser.
// Internal to the http layer.
#include <cstdint>
#include <string_view>

namespace barrage::http::detail {

enum class authority_error : std::uint8_t { none, empty_host, bad_host, bad_ipv6, bad_port, port_range };

struct authority_parts {
  std::string_view host;  // an IPv6 literal without its brackets
  bool ipv6 = false;
  bool has_port = false;
  std::uint16_t port = 0;
};

/// Splits and validates host[:port]. The host is an IPv6 literal in brackets or a reg-name
/// (unreserved / sub-delims / %HH). A port, when present, is 1 to 5 digits in 1..65535.
/// User information ('@') is never accepted. IPvFuture and zone identifiers are rejected.
authority_error split_authority(std::string_view s, authority_parts& out) noexcept;

/// RFC 4291 §2.2 text form, IPv4 tail allowed, no zone.
bool is_ipv6_address(std::string_view s) noexcept;

/// Dotted quad of dec-octets (no leading zeros).
bool is_ipv4_address(std::string_view s) noexcept;

}  // namespace barrage::http::detail
