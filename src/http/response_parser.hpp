#pragma once
// Incremental, zero-copy HTTP/1.1 response head parser for the client (RFC 9112 §4-§6).
// Interim 1xx responses (other than 101) are validated and skipped, up to max_interim; the
// head returned is the final response's. Strict CRLF, no obs-fold, no NUL or control bytes;
// framing per RFC 9112 §6.3. docs/http.md.
//
//   response_parser p{fields};
//   p.reset(/*response_to_head=*/request_was_head);
//   auto st = p.parse(buffer);   // all bytes received since the response began
//   if (st.complete()) use p.head(); the body (p.head().body) starts at buffer[st.consumed]
//
// Between calls only offsets are kept: the buffer may move, but must keep its bytes. Each call
// scans only the bytes it has not seen for the end of the head. No allocation, no I/O.
#include <cstddef>
#include <span>
#include <string_view>

#include "http/head_scanner.hpp"
#include "http/message.hpp"
#include "http/parse_error.hpp"

namespace barrage::http {

struct response_limits {
  std::size_t max_head_bytes = 64 * 1024;  // per response head, interim ones included
  std::size_t max_status_line = 8 * 1024;
  std::size_t max_headers = 128;  // also bounded by the size of the caller's span
  unsigned max_interim = 8;       // 1xx responses skipped before the final one
};

struct response_head {
  http_version version = http_version::http_1_1;
  int status = 0;
  std::string_view reason;
  std::span<header> headers;  // prefix of the caller's span
  body_framing body;          // none for HEAD, 1xx, 204, 304 whatever the fields say
  bool keep_alive = true;     // false when the body runs until close, or after a 101
  unsigned interim = 0;       // 1xx responses skipped
};

class response_parser {
 public:
  explicit response_parser(std::span<header> storage, response_limits limits = {}) noexcept;

  /// Parses the response at the start of `data`. Once complete or failed, the outcome is kept
  /// and returned again until reset(). On completion head()'s views point into this `data`.
  parse_status parse(std::string_view data) noexcept;

  /// Prepares for the next response; response_to_head: the request was HEAD (no body).
  void reset(bool response_to_head = false) noexcept;

  const response_head& head() const noexcept { return head_; }
  parse_status status() const noexcept { return status_; }

 private:
  parse_status fail(parse_error e) noexcept;
  parse_error on_status_line(std::string_view data, std::size_t begin, std::size_t end) noexcept;
  parse_error on_head(std::string_view data, std::size_t end) noexcept;
  parse_error decide_framing(std::span<const header> fields) noexcept;

  std::span<header> storage_;
  response_limits limits_;
  detail::head_scanner scanner_;
  parse_status status_;
  response_head head_;
  bool response_to_head_ = false;
  // Status line as offsets, found before the rest of the head has arrived.
  std::size_t reason_begin_ = 0, reason_len_ = 0, fields_begin_ = 0;
};

}  // namespace barrage::http
