#pragma once
// Vocabulary shared by the HTTP/1.1 codec: header fields, versions, body framing.
// Views (std::string_view) always point into the caller's buffer: the codec never copies.
#include <cstdint>
#include <span>
#include <string_view>

#include "http/parse_error.hpp"

namespace barrage::http {

/// One field line. name is a token; value has its surrounding whitespace trimmed.
struct header {
  std::string_view name, value;
};

enum class http_version : std::uint8_t { http_1_0, http_1_1 };

/// HTTP-version (RFC 9112 §2.3): exactly "HTTP/" DIGIT "." DIGIT, case-sensitive. A
/// well-formed version other than 1.0 and 1.1 (HTTP/2.0, HTTP/1.2, HTTP/0.9) is
/// unsupported_version; anything else is bad_version.
parse_error parse_http_version(std::string_view text, http_version& out) noexcept;

/// How the body of a message is delimited (RFC 9112 §6.3).
enum class body_kind : std::uint8_t {
  none,            // no body at all (request without CL/TE, HEAD/1xx/204/304 response)
  content_length,  // exactly `length` bytes
  chunked,         // chunked transfer coding; ends with the last chunk and trailers
  until_close,     // response only: everything up to the end of the connection
};

struct body_framing {
  body_kind kind = body_kind::none;
  std::uint64_t length = 0;  // meaningful for content_length only
  friend constexpr bool operator==(const body_framing&, const body_framing&) = default;
};

/// ASCII case-insensitive equality (field names and tokens are case-insensitive).
bool iequals(std::string_view a, std::string_view b) noexcept;

/// The first field named `name` (case-insensitive), or nullptr.
const header* find_header(std::span<const header> headers, std::string_view name) noexcept;

/// Whether the comma-separated list `value` holds `token` (case-insensitive), e.g. the
/// Connection field holds "close".
bool list_has_token(std::string_view value, std::string_view token) noexcept;

}  // namespace barrage::http
