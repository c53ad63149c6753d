#pragma once
// The fields that decide framing, persistence and routing (Content-Length,
// Transfer-Encoding, Connection, Host), validated once over the parsed header views.
// Internal to the http layer; request_parser and response_parser apply the role's rules.
#include <cstdint>
#include <span>
#include <string_view>

#include "http/message.hpp"
#include "http/parse_error.hpp"

namespace barrage::http::detail {

struct field_facts {
  parse_error error = parse_error::none;  // first syntax error among the fields below
  bool has_content_length = false;
  std::uint64_t content_length = 0;
  bool has_transfer_encoding = false;
  bool chunked_seen = false;    // "chunked" appears in Transfer-Encoding (once: twice is an error)
  bool chunked_final = false;   // ... and is the final coding
  bool other_coding = false;    // a coding other than chunked appears
  bool connection_close = false;
  bool connection_keep_alive = false;
  unsigned host_count = 0;
  std::string_view host;        // value of the first Host field
};

/// strict: requests. Content-Length must be 0 or digits without a leading zero, and the
/// Content-Length and Transfer-Encoding values must be written plainly: at most one SP after
/// the colon, no HTAB, nothing after the value. RFC 9110 allows OWS there, but a server that
/// sees such spacing is looking at a smuggling probe far more often than at a real client.
/// Precondition: `headers` come from parse_field_lines (the spacing is read around the views).
field_facts collect_field_facts(std::span<const header> headers, bool strict) noexcept;

/// Persistence (RFC 9112 §9.3): HTTP/1.1 unless "close"; HTTP/1.0 only with "keep-alive".
constexpr bool wants_keep_alive(http_version v, const field_facts& f) {
  if (f.connection_close) return false;
  return v == http_version::http_1_1 || f.connection_keep_alive;
}

/// Content-Length value: 1*DIGIT; strict also rejects leading zeros ("0" itself is fine).
parse_error parse_content_length(std::string_view value, bool strict, std::uint64_t& out) noexcept;

}  // namespace barrage::http::detail
