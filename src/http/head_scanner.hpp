#pragma once
// Pass 1 of head parsing: finds the start line and the end of a message head in a buffer
// that grows between calls, looking at every byte once across calls (only offsets are kept,
// so the caller may move its buffer between calls). It enforces strict CRLF (a bare LF is an
// error), the start-line limit and the head-size limit. Internal to the http layer.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/parse_error.hpp"

namespace barrage::http::detail {

struct head_limits {
  std::size_t max_head_bytes;   // start line + fields + final CRLF
  std::size_t max_start_line;   // start line without its CRLF; must be < max_head_bytes
};

class head_scanner {
 public:
  enum class event : std::uint8_t { need_more, start_line, end_of_head, error };
  struct step {
    event what = event::need_more;
    parse_error error = parse_error::none;
    std::size_t begin = 0;  // start_line: the line without CRLF is [begin, end)
    std::size_t end = 0;    // end_of_head: offset just past the final CRLF
  };

  /// Starts looking for a head that begins at offset `head_start` of the buffer.
  void reset(std::size_t head_start) noexcept {
    head_start_ = pos_ = line_start_ = head_start;
    start_line_seen_ = false;
  }

  /// Scans `data` (the same bytes as before, possibly more) from where the last call stopped
  /// and reports the next event. After end_of_head, call reset() before scanning again.
  step scan(std::string_view data, const head_limits& limits) noexcept;

 private:
  std::size_t head_start_ = 0;
  std::size_t pos_ = 0;         // next byte to look at
  std::size_t line_start_ = 0;  // first byte of the current line
  bool start_line_seen_ = false;
};

}  // namespace barrage::http::detail
