#include "http/chunked_decoder.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "http/char_class.hpp"
#include "http/message.hpp"

namespace barrage::http {

enum class chunked_decoder::st : std::uint8_t {
  size_start,        // first hex digit of a chunk size
  size,              // more hex digits, ';' or CR
  ext_name_start,    // after ';'
  ext_name,
  ext_value_start,   // after '='
  ext_token,
  ext_quoted,
  ext_quoted_pair,   // after '\' in a quoted string
  ext_after_quoted,
  size_lf,           // CR of the chunk-size line seen
  data,
  data_cr,
  data_lf,
  trailer_start,     // start of a trailer line, or CR of the final CRLF
  trailer_name,
  trailer_value,
  trailer_lf,
  final_lf,
  done,
  failed,
};

namespace {

using detail::is_field_char;
using detail::is_token_char;

// Fields a trailer must not carry (RFC 9110 §6.5.1): framing, routing, request modifiers,
// authentication, and what describes the content as a whole.
constexpr std::array<std::string_view, 22> forbidden_trailers = {
    "content-length", "transfer-encoding", "trailer",       "te",
    "connection",     "keep-alive",        "upgrade",       "host",
    "authorization",  "proxy-authorization", "www-authenticate", "proxy-authenticate",
    "cookie",         "set-cookie",        "content-type",  "content-encoding",
    "content-range",  "expect",            "range",         "max-forwards",
    "cache-control",  "proxy-connection"};

}  // namespace

body_state chunked_decoder::state() const noexcept {
  if (state_ == st::done) return body_state::done;
  if (state_ == st::failed) return body_state::error;
  return body_state::in_progress;
}

body_step chunked_decoder::feed(std::string_view in) noexcept {
  std::size_t i = 0;
  while (i < in.size() && state_ != st::done && state_ != st::failed) {
    if (state_ == st::data) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size_, in.size() - i));
      const std::string_view data = in.substr(i, n);
      i += n;
      size_ -= n;
      if (size_ == 0) state_ = st::data_cr;
      return {data, i, body_state::in_progress, parse_error::none};
    }
    if (!step(in[i++])) return {{}, i, body_state::error, error_};
  }
  return {{}, i, state(), error_};
}

bool chunked_decoder::fail(parse_error e) noexcept {
  state_ = st::failed;
  error_ = e;
  return false;
}

bool chunked_decoder::step(char c) noexcept {
  switch (state_) {
    case st::size_lf:
      if (c != '\n') return fail(parse_error::bare_cr);
      state_ = size_ == 0 ? st::trailer_start : st::data;
      return true;
    case st::data_cr:
      if (c != '\r') return fail(parse_error::bad_chunk_terminator);
      state_ = st::data_lf;
      return true;
    case st::data_lf:
      if (c != '\n') return fail(parse_error::bad_chunk_terminator);
      state_ = st::size_start;
      line_len_ = 0;
      return true;
    case st::trailer_start:
    case st::trailer_name:
    case st::trailer_value:
    case st::trailer_lf:
    case st::final_lf:
      return trailer_byte(c);
    case st::data:
    case st::done:
    case st::failed:
      return false;  // not reached: feed() handles these states
    default:
      return chunk_line_byte(c);
  }
}

// chunk-size [ chunk-ext ] CRLF, where chunk-size = 1*HEXDIG.
bool chunked_decoder::chunk_line_byte(char c) noexcept {
  if (c == '\n') return fail(parse_error::bare_lf);
  if (c != '\r' && ++line_len_ > limits_.max_chunk_line) return fail(parse_error::chunk_ext_too_long);
  const int digit = detail::hex_value(c);
  switch (state_) {
    case st::size_start:
      if (digit < 0) return fail(parse_error::bad_chunk_size);
      size_ = static_cast<std::uint64_t>(digit);
      state_ = st::size;
      return true;
    case st::size:
      if (digit >= 0) {
        if (size_ > (std::numeric_limits<std::uint64_t>::max() >> 4))
          return fail(parse_error::chunk_size_overflow);
        size_ = size_ << 4 | static_cast<std::uint64_t>(digit);
      } else if (c == ';') {
        state_ = st::ext_name_start;
      } else if (c == '\r') {
        state_ = st::size_lf;
      } else {
        return fail(parse_error::bad_chunk_size);
      }
      return true;
    default:
      return extension_byte(c);
  }
}

// chunk-ext = *( ";" chunk-ext-name [ "=" chunk-ext-val ] ), name a token, value a token or
// a quoted-string (RFC 9112 §7.1.1). The BWS the ABNF allows is refused.
bool chunked_decoder::extension_byte(char c) noexcept {
  const auto go = [this](st next) {
    state_ = next;
    return true;
  };
  const bool end_of_element = state_ == st::ext_name || state_ == st::ext_token ||
                              state_ == st::ext_after_quoted;
  if (end_of_element && c == ';') return go(st::ext_name_start);
  if (end_of_element && c == '\r') return go(st::size_lf);
  switch (state_) {
    case st::ext_name_start:
      if (is_token_char(c)) return go(st::ext_name);
      break;
    case st::ext_name:
      if (is_token_char(c)) return true;
      if (c == '=') return go(st::ext_value_start);
      break;
    case st::ext_value_start:
      if (is_token_char(c)) return go(st::ext_token);
      if (c == '"') return go(st::ext_quoted);
      break;
    case st::ext_token:
      if (is_token_char(c)) return true;
      break;
    case st::ext_quoted:
      if (c == '"') return go(st::ext_after_quoted);
      if (c == '\\') return go(st::ext_quoted_pair);
      if (is_field_char(c)) return true;
      break;
    case st::ext_quoted_pair:
      if (is_field_char(c)) return go(st::ext_quoted);
      break;
    default:
      break;
  }
  return fail(parse_error::bad_chunk_extension);
}

// trailer-section = *( field-line CRLF ) CRLF, checked like the header section.
bool chunked_decoder::trailer_byte(char c) noexcept {
  if (++trailer_len_ > limits_.max_trailer_bytes) return fail(parse_error::trailer_too_large);
  if (c == '\n' && state_ != st::trailer_lf && state_ != st::final_lf) return fail(parse_error::bare_lf);
  if (c == '\0') return fail(parse_error::nul_byte);
  switch (state_) {
    case st::trailer_start:
      if (c == '\r') {
        state_ = st::final_lf;
      } else if (is_token_char(c)) {
        name_len_ = 0;
        name_[name_len_++] = detail::to_lower(c);
        state_ = st::trailer_name;
      } else {
        return fail(detail::is_ows(c) && trailer_lines_ ? parse_error::obs_fold : parse_error::bad_header_name);
      }
      return true;
    case st::trailer_name:
      if (is_token_char(c)) {
        if (name_len_ < name_cap) name_[name_len_] = detail::to_lower(c);
        ++name_len_;
        return true;
      }
      if (c == ':') return trailer_name_end();
      if (detail::is_ows(c)) return fail(parse_error::space_before_colon);
      return fail(c == '\r' ? parse_error::missing_colon : parse_error::bad_header_name);
    case st::trailer_value:
      if (c == '\r') {
        state_ = st::trailer_lf;
      } else if (!is_field_char(c)) {
        return fail(parse_error::bad_header_value);
      }
      return true;
    case st::trailer_lf:
      if (c != '\n') return fail(parse_error::bare_cr);
      trailer_lines_ = true;
      state_ = st::trailer_start;
      return true;
    default:  // final_lf
      if (c != '\n') return fail(parse_error::bare_cr);
      state_ = st::done;
      return true;
  }
}

bool chunked_decoder::trailer_name_end() noexcept {
  if (name_len_ <= name_cap) {
    const std::string_view name(name_, name_len_);
    for (std::string_view f : forbidden_trailers)
      if (name == f) return fail(parse_error::forbidden_trailer);
  }
  state_ = st::trailer_value;
  return true;
}

}  // namespace barrage::http
