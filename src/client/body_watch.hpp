#pragma once
// body_watch: an observer of a response body as it arrives, for measuring streams (the load
// generator's --stream). A connection with no watch set pays one pointer test per read and
// per run of body bytes, nothing else; with one, it reads the clock after each read.
//
// For each response read on the connection: on_head() once its head is parsed, on_body() for
// each run of body bytes (a chunk's data, or part of one), then on_end() once, with the
// response's outcome (error_kind::none when the body ended as framed). Times are those of the
// read that brought the bytes: runs that came in one read share it.
#include <string_view>

#include "base/clock.hpp"
#include "client/outcome.hpp"
#include "http/response_parser.hpp"

namespace barrage::client {

class body_watch {
 public:
  virtual ~body_watch() = default;
  /// `start`: when the request started (what the response's times count from); `at`: when
  /// the read that completed the head returned.
  virtual void on_head(const http::response_head& head, time_point start, time_point at) noexcept = 0;
  virtual void on_body(std::string_view bytes, time_point at) noexcept = 0;
  /// `at`: when the last read returned (the end of the body, or the failure).
  virtual void on_end(error_kind error, time_point at) noexcept = 0;
};

}  // namespace barrage::client
