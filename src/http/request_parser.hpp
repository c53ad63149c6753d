#pragma once
// Incremental, zero-copy HTTP/1.1 request head parser for the server (RFC 9112 §2-§7).
// Strict: whatever a lenient peer might read differently (smuggling shapes, odd spacing,
// bare CR/LF, obs-fold, NUL, control bytes) is an error rather than a guess. docs/http.md.
//
//   request_parser p{fields};            // fields: caller's std::span<header>
//   auto st = p.parse(buffer);           // buffer: all bytes received since the request began
//   if (st.incomplete()) read more, call parse(buffer) again;
//   if (st.complete())  use p.head(); the body starts at buffer[st.consumed]
//
// Between calls only offsets are kept: the buffer may move, but must keep its bytes. Each call
// scans only the bytes it has not seen for the end of the head. No allocation, no I/O.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "http/head_scanner.hpp"
#include "http/message.hpp"
#include "http/parse_error.hpp"
#include "http/request_target.hpp"

namespace barrage::http {

struct request_limits {
  std::size_t max_head_bytes = 64 * 1024;  // request line + fields + final CRLF
  std::size_t max_request_line = 8 * 1024;
  std::size_t max_headers = 128;  // also bounded by the size of the caller's span
};

struct request_head {
  std::string_view method;
  std::string_view target;
  request_target parts;       // form, authority, path, query of the target
  http_version version = http_version::http_1_1;
  std::span<header> headers;  // prefix of the caller's span
  std::string_view host;      // Host field value; empty when absent (HTTP/1.0 only)
  body_framing body;          // none, content_length or chunked
  bool keep_alive = true;
};

class request_parser {
 public:
  explicit request_parser(std::span<header> storage, request_limits limits = {}) noexcept;

  /// Parses the head at the start of `data`. Once complete or failed, the outcome is kept
  /// and returned again until reset(). On completion head()'s views point into this `data`.
  parse_status parse(std::string_view data) noexcept;

  /// Prepares for the next request (pipelining: pass the bytes after the previous message).
  void reset() noexcept;

  const request_head& head() const noexcept { return head_; }
  parse_status status() const noexcept { return status_; }

 private:
  parse_status fail(parse_error e) noexcept;
  parse_error on_request_line(std::string_view data, std::size_t begin, std::size_t end) noexcept;
  parse_error on_head(std::string_view data, std::size_t end) noexcept;
  parse_error apply_fields(std::span<const header> fields) noexcept;

  std::span<header> storage_;
  request_limits limits_;
  detail::head_scanner scanner_;
  parse_status status_;
  request_head head_;
  // Request line as offsets, found before the rest of the head has arrived.
  struct part_offset {
    std::size_t offset = 0, size = 0;
  };
  std::size_t method_len_ = 0, target_begin_ = 0, target_len_ = 0, fields_begin_ = 0;
  part_offset authority_at_, path_at_, query_at_;
  // The last Host value that passed the authority check: a keep-alive client sends the same
  // one with every request, and comparing it costs less than checking it again.
  static constexpr std::size_t valid_host_max = 64;
  char valid_host_[valid_host_max] = {};
  std::uint8_t valid_host_len_ = 0;
  bool host_known_valid(std::string_view host) const noexcept;
  void remember_valid_host(std::string_view host) noexcept;
};

}  // namespace barrage::http
