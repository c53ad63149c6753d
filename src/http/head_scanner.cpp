#include "http/head_scanner.hpp"

#include <algorithm>
#include <cstring>

namespace barrage::http::detail {

namespace {
head_scanner::step error_step(parse_error e) {
  return {head_scanner::event::error, e, 0, 0};
}
}  // namespace

// The start-line limit is checked on the raw bytes before the LF (at most limit + 1 with the
// CR), both when the LF is found and when it is still missing, so that every split of the
// input gives the same verdict.
head_scanner::step head_scanner::scan(std::string_view data, const head_limits& limits) noexcept {
  const std::size_t limit_end = std::min(data.size(), head_start_ + limits.max_head_bytes);
  const char* base = data.data();
  while (pos_ < limit_end) {
    const void* hit = std::memchr(base + pos_, '\n', limit_end - pos_);
    if (hit == nullptr) {
      pos_ = limit_end;
      break;
    }
    const std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(hit) - base);
    const std::size_t line_start = line_start_;
    pos_ = line_start_ = lf + 1;
    if (!start_line_seen_ && lf - line_start > limits.max_start_line + 1)
      return error_step(parse_error::start_line_too_long);
    if (lf == line_start || base[lf - 1] != '\r') return error_step(parse_error::bare_lf);
    if (!start_line_seen_) {
      start_line_seen_ = true;
      return {event::start_line, parse_error::none, line_start, lf - 1};
    }
    if (lf - 1 == line_start) return {event::end_of_head, parse_error::none, 0, lf + 1};
  }
  if (!start_line_seen_ && pos_ - line_start_ > limits.max_start_line + 1)
    return error_step(parse_error::start_line_too_long);
  if (pos_ - head_start_ >= limits.max_head_bytes) return error_step(parse_error::head_too_large);
  return {};
}

}  // namespace barrage::http::detail
