#pragma once
// The request-target (RFC 9112 §3.2) and its four forms, validated strictly: only the
// characters RFC 3986 allows, "%" followed by two hex digits, no fragment, no user info.
#include <cstdint>
#include <string_view>

#include "http/parse_error.hpp"

namespace barrage::http {

enum class target_form : std::uint8_t {
  origin,     // "/path?query"
  absolute,   // "http://host/path?query" (http and https only)
  authority,  // "host:port", CONNECT only
  asterisk,   // "*", OPTIONS only
};

struct request_target {
  target_form form = target_form::origin;
  std::string_view authority;  // absolute and authority forms
  std::string_view path;       // origin and absolute forms; may be empty in absolute form
  std::string_view query;      // without the '?'
};

/// Splits and validates `target` for `method`. A percent-encoded control byte (%00-%1F, %7F)
/// in the path is rejected: a decoded NUL or CRLF in a path is an attack, never a resource
/// (it stays allowed in the query, where forms legitimately encode newlines).
parse_error parse_request_target(std::string_view method, std::string_view target,
                                 request_target& out) noexcept;

}  // namespace barrage::http
