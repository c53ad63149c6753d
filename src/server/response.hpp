#pragma once
// response: what a handler returns. A status, a content type, a few header lines and a body,
// which is one of
//   - owned bytes (a std::string moved in),
//   - borrowed bytes (a view of data that outlives the write, such as a static string), or
//   - a stream: a coroutine that writes the body piece by piece through a body_writer, sent
//     with chunked encoding (or with a Content-Length when the length is known up front).
// The server adds Date, Server, Content-Length / Transfer-Encoding and Connection itself.
//
//   co_return response{200, "hello\n"};
//   co_return response::borrowed(200, static_bytes, "application/octet-stream");
//   co_return response::stream(200, [](body_writer& w) -> task<void> { co_await w.write("a"); });
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/task.hpp"

namespace barrage::server {

inline constexpr std::string_view text_plain = "text/plain; charset=utf-8";
inline constexpr std::string_view application_json = "application/json";
inline constexpr std::string_view octet_stream = "application/octet-stream";

/// Where a streaming handler writes its body. Each write goes out at once (one chunk in
/// chunked encoding). write() is false once the client is gone or too slow: stop producing.
class body_writer {
 public:
  virtual task<bool> write(std::string_view data) = 0;
  /// False after a failed write.
  virtual bool ok() const noexcept = 0;

 protected:
  ~body_writer() = default;
};

using stream_fn = std::function<task<void>(body_writer&)>;

class response {
 public:
  /// 200 with an empty body.
  response() noexcept = default;
  /// `status` with an empty body (100-599; anything else is sent as 500).
  explicit response(int status) noexcept : status_(status) {}
  /// `content_type` must have static storage (the constants above, a literal); a computed
  /// one goes through set_header("Content-Type", ...).
  response(int status, std::string body, std::string_view content_type = text_plain) noexcept
      : status_(status), owned_(std::move(body)), content_type_(content_type), kind_(kind::owned) {}

  /// A body that is not copied: it must stay valid until the response is written.
  static response borrowed(int status, std::string_view body, std::string_view content_type = text_plain) noexcept;
  /// A streamed body: `fn` runs after the head is sent. With a `length`, the body is sent
  /// with that Content-Length and fn must write exactly that many bytes (else the
  /// connection is closed); without, it is chunked (or close-delimited for HTTP/1.0).
  static response stream(int status, stream_fn fn, std::string_view content_type = text_plain,
                         std::optional<std::uint64_t> length = std::nullopt);

  /// Adds a header line. Throws std::invalid_argument when the name is not a token, the
  /// value holds CR, LF, NUL or another control byte, or the field is one the server writes
  /// (Content-Length, Transfer-Encoding, Connection, Date, Server). Content-Type replaces
  /// the one given at construction.
  response& set_header(std::string_view name, std::string_view value);
  /// Closes the connection after this response.
  response& close_connection() noexcept {
    close_ = true;
    return *this;
  }

  int status() const noexcept { return status_; }
  std::string_view body() const noexcept { return kind_ == kind::owned ? std::string_view(owned_) : borrowed_; }
  std::string_view content_type() const noexcept { return content_type_; }
  /// The extra header lines, each "Name: value\r\n".
  std::string_view header_lines() const noexcept { return headers_; }
  bool streamed() const noexcept { return kind_ == kind::streamed; }
  std::optional<std::uint64_t> stream_length() const noexcept { return stream_length_; }
  const stream_fn& producer() const noexcept { return stream_; }
  bool wants_close() const noexcept { return close_; }

 private:
  enum class kind : std::uint8_t { owned, borrowed, streamed };
  int status_ = 200;
  std::string owned_;
  std::string_view borrowed_;
  std::string_view content_type_ = text_plain;
  std::string headers_;
  stream_fn stream_;
  std::optional<std::uint64_t> stream_length_;
  kind kind_ = kind::owned;
  bool close_ = false;
};

/// "OK", "Not Found", ...; "Unknown" for codes without a registered phrase.
std::string_view reason_phrase(int status) noexcept;
/// 1xx, 204 and 304 never carry a body (nor, for us, a Content-Length).
constexpr bool status_allows_body(int status) noexcept {
  return status >= 200 && status != 204 && status != 304;
}

/// How the body follows a rendered head.
enum class body_framing_out : std::uint8_t {
  none,         // nothing (HEAD, 204, 304, or an empty body already counted in the head)
  inline_body,  // the body bytes: append them (or write them after the head)
  chunked,      // the stream, chunked
  sized,        // the stream, exactly Content-Length bytes
  until_close,  // the stream, then close (HTTP/1.0 client, unknown length)
};

struct render_options {
  std::string_view date;    // IMF-fixdate, e.g. from http_date()
  std::string_view server;  // Server field value; empty: no field
  bool head_request = false;
  bool keep_alive = true;   // false: "Connection: close"
  bool http10 = false;      // the client speaks HTTP/1.0
};

/// Appends the status line and header section of `r` to `out` (never the body) and says
/// how the body follows. Writes "Connection: close" when !o.keep_alive, and for an HTTP/1.0
/// client either "Connection: keep-alive" or a close; a stream of unknown length to an
/// HTTP/1.0 client forces the close (the caller must close after it).
body_framing_out render_head(std::string& out, const response& r, const render_options& o);

/// The Date field value for the wall clock now, cached per thread and refreshed at most once
/// per second of `mono_now` (pass the loop's time).
std::string_view http_date(std::chrono::steady_clock::time_point mono_now) noexcept;
/// Formats `t` (seconds since the epoch) as an IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
void format_http_date(std::int64_t unix_seconds, char (&out)[29]) noexcept;

}  // namespace barrage::server
