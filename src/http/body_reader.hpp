#pragma once
// Reads a message body framed as the head parser decided (body_framing): counts
// Content-Length bytes, decodes chunked, or takes everything until the caller signals EOF.
// A pure state machine: feed() it whatever arrived; body bytes come back as views into the
// input; bytes past `consumed` once done belong to the next message (pipelining).
//
//   body_reader body{parser.head().body};
//   while (!body.done()) {
//     auto step = body.feed(bytes);      // or skip(bytes) to count without looking
//     use(step.data); bytes.remove_prefix(step.consumed);
//     if (step.is_error()) ...; if (bytes.empty()) read more (or body.finish() on EOF)
//   }
#include <cstdint>
#include <string_view>

#include "http/body_step.hpp"
#include "http/chunked_decoder.hpp"
#include "http/message.hpp"

namespace barrage::http {

class body_reader {
 public:
  /// No body: done at once.
  body_reader() noexcept : body_reader(body_framing{}) {}
  explicit body_reader(body_framing framing, chunked_limits limits = {}) noexcept;

  /// Consumes `in` up to the end of the next run of body bytes (returned in `data`), the end
  /// of the body, or an error. Call again with the unconsumed rest.
  body_step feed(std::string_view in) noexcept;

  /// Like feed() until `in` is used up or the body ends; `data` stays empty. For callers that
  /// only count body bytes (see bytes_read()).
  body_step skip(std::string_view in) noexcept;

  /// The peer closed the connection: completes an until_close body; any other unfinished body
  /// becomes truncated_body.
  body_step finish() noexcept;

  bool done() const noexcept { return state() == body_state::done; }
  bool is_error() const noexcept { return state() == body_state::error; }
  body_state state() const noexcept;
  parse_error error() const noexcept;
  body_kind kind() const noexcept { return framing_.kind; }
  std::uint64_t bytes_read() const noexcept { return bytes_read_; }  // body bytes so far

 private:
  body_framing framing_;
  chunked_decoder chunked_;
  std::uint64_t remaining_ = 0;  // content_length
  std::uint64_t bytes_read_ = 0;
  bool eof_ = false;             // until_close: finish() was called
  bool truncated_ = false;
};

}  // namespace barrage::http
