#pragma once
// A fixed request formatted once into bytes; the load generator's hot path writes the same
// bytes again and again (bytes()). render() re-formats only the dynamic tail (extra fields and
// the body) behind the unchanged request line and fixed fields.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "http/message.hpp"

namespace barrage::http {

struct request_spec {
  std::string_view method = "GET";
  std::string_view target = "/";  // origin-form (or absolute-form), valid per RFC 9112 §3.2
  std::string_view host;          // Host value, e.g. url::host_header()
  std::span<const header> headers;  // sent in order; not Host, Content-Length, Transfer-Encoding
  std::string_view body;
};

enum class template_error : std::uint8_t {
  bad_method,       // not a token
  bad_target,       // not a valid request-target for the method
  bad_host,         // not host[:port]
  bad_header_name,  // not a token
  bad_header_value, // CR, LF, NUL or another control byte
  reserved_header,  // Host, Content-Length or Transfer-Encoding: the template writes those
};

/// A readable sentence, e.g. "header value contains a control character". Never null.
const char* to_string(template_error e) noexcept;

class request_template {
 public:
  /// Validates `spec` and formats it. Content-Length is sent when there is a body, and always
  /// for POST, PUT and PATCH (RFC 9110 §8.6).
  static result<request_template, template_error> make(const request_spec& spec);

  /// The whole request: request line, Host, fields, Content-Length, CRLF, body.
  std::string_view bytes() const noexcept { return bytes_; }

  /// Writes the same request with another body and extra fields (after the fixed ones) into
  /// `out`, replacing its contents; `out`'s capacity is reused.
  result<void, template_error> render(std::string& out, std::string_view body,
                                      std::span<const header> extra = {}) const;

 private:
  request_template() = default;
  void append_tail(std::string& out, std::string_view body) const;

  std::string bytes_;
  std::size_t fixed_len_ = 0;     // request line, Host and the spec's fields
  bool always_length_ = false;    // POST, PUT, PATCH
};

}  // namespace barrage::http
