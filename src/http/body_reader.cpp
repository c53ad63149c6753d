#include "http/body_reader.hpp"

#include <algorithm>

namespace barrage::http {

body_reader::body_reader(body_framing framing, chunked_limits limits) noexcept
    : framing_(framing), chunked_(limits), remaining_(framing.length) {}

body_state body_reader::state() const noexcept {
  if (truncated_) return body_state::error;
  switch (framing_.kind) {
    case body_kind::none:
      return body_state::done;
    case body_kind::content_length:
      return remaining_ == 0 ? body_state::done : body_state::in_progress;
    case body_kind::chunked:
      return chunked_.state();
    case body_kind::until_close:
      return eof_ ? body_state::done : body_state::in_progress;
  }
  return body_state::error;
}

parse_error body_reader::error() const noexcept {
  if (truncated_) return parse_error::truncated_body;
  return framing_.kind == body_kind::chunked ? chunked_.error() : parse_error::none;
}

body_step body_reader::feed(std::string_view in) noexcept {
  if (state() != body_state::in_progress) return {{}, 0, state(), error()};
  body_step step;
  switch (framing_.kind) {
    case body_kind::none:
      break;
    case body_kind::content_length: {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
      remaining_ -= n;
      step.data = in.substr(0, n);
      step.consumed = n;
      break;
    }
    case body_kind::chunked:
      step = chunked_.feed(in);
      break;
    case body_kind::until_close:
      step.data = in;
      step.consumed = in.size();
      break;
  }
  bytes_read_ += step.data.size();
  step.state = state();
  step.error = error();
  return step;
}

body_step body_reader::skip(std::string_view in) noexcept {
  body_step total;
  do {
    const body_step step = feed(in.substr(total.consumed));
    total.consumed += step.consumed;
    total.state = step.state;
    total.error = step.error;
    if (step.consumed == 0) break;
  } while (total.state == body_state::in_progress && total.consumed < in.size());
  return total;
}

body_step body_reader::finish() noexcept {
  if (framing_.kind == body_kind::until_close && !truncated_)
    eof_ = true;
  else if (state() == body_state::in_progress)
    truncated_ = true;
  return {{}, 0, state(), error()};
}

}  // namespace barrage::http
