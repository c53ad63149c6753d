#pragma once
// Why the codec rejected a message, and the outcome of one parse call.
// Every kind is a reason to answer 400 (server) or to drop the connection (client), except
// where noted: unsupported_version → 505, unknown_transfer_coding → 501,
// head_too_large / too_many_headers → 431, start_line_too_long → 414 (or 400).
#include <cstddef>
#include <cstdint>

namespace barrage::http {

enum class parse_error : std::uint8_t {
  none = 0,
  // start line
  bad_request_line,       // wrong separators, missing parts, empty line before the request
  bad_method,             // method is not a token
  bad_target,             // request-target syntax, or a form the method does not allow
  asterisk_without_options,  // "*" target on a method other than OPTIONS
  bad_version,            // not exactly HTTP/DIGIT.DIGIT
  unsupported_version,    // well-formed but not HTTP/1.0 or HTTP/1.1
  bad_status,             // status code not three digits in 100..599
  bad_reason,             // control byte in the reason phrase
  start_line_too_long,
  // header section
  bad_header_name,        // empty or non-token field name
  bad_header_value,       // control byte (other than HTAB) or DEL in a field value
  missing_colon,
  space_before_colon,     // "Name : value" (RFC 9112 §5.1: MUST reject)
  obs_fold,               // line folding (RFC 9112 §5.2: rejected)
  space_after_start_line, // whitespace-led line before the first field (RFC 9112 §2.2)
  bare_cr,                // CR not followed by LF
  bare_lf,                // LF not preceded by CR (strict CRLF)
  nul_byte,
  head_too_large,
  too_many_headers,
  // framing (RFC 9112 §6)
  bad_content_length,       // not 1*DIGIT (sign, hex, spaces, empty, leading zero when strict)
  duplicate_content_length, // more than one Content-Length value, equal or not
  content_length_overflow,  // does not fit in 64 bits
  te_and_cl,                // Transfer-Encoding together with Content-Length
  transfer_encoding_in_http10,
  bad_transfer_encoding,    // list syntax, parameters, chunked twice or (request) not final
  unknown_transfer_coding,  // request coding other than chunked: answer 501
  // Host (RFC 9112 §3.2)
  missing_host,             // HTTP/1.1 request without Host
  duplicate_host,
  bad_host,                 // empty or not uri-host [":" port]
  host_mismatch,            // absolute-form authority differs from Host
  // responses
  too_many_interim_responses,
  // body
  bad_chunk_size,           // not 1*HEXDIG followed by ';' or CRLF
  chunk_size_overflow,
  chunk_ext_too_long,       // chunk-size line (size + extensions) over the limit
  bad_chunk_extension,
  bad_chunk_terminator,     // chunk data not followed by CRLF (runaway chunk)
  trailer_too_large,
  forbidden_trailer,        // framing, routing or auth field in the trailer (RFC 9110 §6.5.1)
  truncated_body,           // connection closed before the framed end of the body
};

/// A stable identifier for logs and tests, e.g. "bad_content_length". Never null.
const char* to_string(parse_error e) noexcept;

enum class parse_state : std::uint8_t { incomplete, complete, error };

/// The outcome of a head parse: complete (with the bytes the head used), incomplete
/// (feed more), or error (the connection must not be reused).
struct parse_status {
  parse_state state = parse_state::incomplete;
  parse_error error = parse_error::none;
  std::size_t consumed = 0;  // when complete: bytes of the head, interim responses included

  static constexpr parse_status done(std::size_t n) { return {parse_state::complete, parse_error::none, n}; }
  static constexpr parse_status need_more() { return {}; }
  static constexpr parse_status failed(parse_error e) { return {parse_state::error, e, 0}; }

  constexpr bool complete() const { return state == parse_state::complete; }
  constexpr bool incomplete() const { return state == parse_state::incomplete; }
  constexpr bool is_error() const { return state == parse_state::error; }
  friend constexpr bool operator==(const parse_status&, const parse_status&) = default;
};

}  // namespace barrage::http
