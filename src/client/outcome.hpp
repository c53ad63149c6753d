#pragma once
// The outcome of one HTTP request: a status with its byte counts and phase timings, or an
// error kind from one fixed list. Every request ends in exactly one outcome.
#include <cstdint>
#include <string_view>

#include "base/clock.hpp"

namespace barrage::client {

enum class error_kind : std::uint8_t {
  none,
  dns,                     // the name did not resolve
  refused,                 // connection refused
  connect_timeout,         // no connection within the connect timeout
  reset,                   // connection reset by the peer
  closed_before_response,  // the peer closed before a complete response head
  truncated_body,          // the peer closed inside the body
  parse_error,             // the response was not valid HTTP/1.1 (parse_detail says why)
  timeout_first_byte,      // no response byte within the first-byte timeout
  timeout,                 // the whole request took longer than the total timeout
  too_many_open_files,     // EMFILE / ENFILE
  io_error,                // any other socket error
  tls_verify,              // the server's certificate was refused (untrusted, another name, expired)
  tls_handshake,           // the TLS handshake failed otherwise (plain HTTP, no shared version, ...)
  h2_refused_stream,       // HTTP/2: the server reset the stream with REFUSED_STREAM (not processed)
  h2_goaway,               // HTTP/2: the stream was above a GOAWAY's last stream id (not processed)
  h2_stream_reset,         // HTTP/2: the server reset the stream with another code (RST_STREAM)
  h2_protocol_error,       // HTTP/2: the session ended on a protocol error (a GOAWAY with an error code either way)
};
inline constexpr std::size_t error_kind_count = 18;

/// Stable, snake_case names: they are the keys of the JSON report's `errors` object.
constexpr std::string_view to_string(error_kind k) noexcept {
  switch (k) {
    case error_kind::none: return "none";
    case error_kind::dns: return "dns";
    case error_kind::refused: return "refused";
    case error_kind::connect_timeout: return "connect_timeout";
    case error_kind::reset: return "reset";
    case error_kind::closed_before_response: return "closed_before_response";
    case error_kind::truncated_body: return "truncated_body";
    case error_kind::parse_error: return "parse_error";
    case error_kind::timeout_first_byte: return "timeout_first_byte";
    case error_kind::timeout: return "timeout";
    case error_kind::too_many_open_files: return "too_many_open_files";
    case error_kind::io_error: return "io_error";
    case error_kind::tls_verify: return "tls_verify";
    case error_kind::tls_handshake: return "tls_handshake";
    case error_kind::h2_refused_stream: return "h2_refused_stream";
    case error_kind::h2_goaway: return "h2_goaway";
    case error_kind::h2_stream_reset: return "h2_stream_reset";
    case error_kind::h2_protocol_error: return "h2_protocol_error";
  }
  return "unknown";
}
/// The inverse of to_string, for --retry-on lists; error_kind::none when unknown.
error_kind error_kind_from(std::string_view name) noexcept;

/// The kinds that carry a TLS reason (outcome::tls_detail).
constexpr bool is_tls(error_kind k) noexcept { return k == error_kind::tls_verify || k == error_kind::tls_handshake; }

constexpr bool is_timeout(error_kind k) noexcept {
  return k == error_kind::timeout || k == error_kind::timeout_first_byte || k == error_kind::connect_timeout;
}

/// Phase timings, from the request's start (nanoseconds; 0 when the phase did not happen).
struct phase_times {
  std::int64_t dns = 0;
  std::int64_t connect = 0;
  std::int64_t written = 0;
  std::int64_t first_byte = 0;
  std::int64_t complete = 0;
};

struct outcome {
  error_kind error = error_kind::none;
  std::uint16_t status = 0;         // 0 when no response
  std::uint8_t parse_detail = 0;    // the parser's error kind, for error_kind::parse_error
  std::uint8_t dns_detail = 0;      // the resolver's reason (net::dns_error), for error_kind::dns
  std::uint8_t tls_detail = 0;      // the session's reason (net::tls_errc), for the tls_ kinds
  std::uint8_t attempts = 1;        // tries made, the first included
  bool reused_connection = false;
  std::uint64_t bytes_in = 0;       // response bytes read, head and body
  std::uint64_t body_bytes = 0;
  phase_times times;
  bool ok() const noexcept { return error == error_kind::none; }
};

}  // namespace barrage::client
