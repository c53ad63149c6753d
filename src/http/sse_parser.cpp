#include "http/sse_parser.hpp"

#include <charconv>

namespace barrage::http {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

/// The length of the well-formed UTF-8 sequence at s[i], or 0 with `skip` set to the length
/// of its maximal ill-formed subpart (what one U+FFFD replaces).
std::size_t sequence_at(std::string_view s, std::size_t i, std::size_t& skip) noexcept {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return 1;
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) need = 1;
  else if (b == 0xE0) need = 2, lo = 0xA0;
  else if (b == 0xED) need = 2, hi = 0x9F;  // no surrogates
  else if (b >= 0xE1 && b <= 0xEF) need = 2;
  else if (b == 0xF0) need = 3, lo = 0x90;
  else if (b == 0xF4) need = 3, hi = 0x8F;  // nothing above U+10FFFF
  else if (b >= 0xF1 && b <= 0xF3) need = 3;
  else {
    skip = 1;
    return 0;
  }
  std::size_t j = i + 1;
  for (std::size_t k = 0; k < need; ++k, ++j) {
    if (j >= s.size() || static_cast<unsigned char>(s[j]) < lo || static_cast<unsigned char>(s[j]) > hi) {
      skip = j - i;
      return 0;
    }
    lo = 0x80;
    hi = 0xBF;
  }
  return need + 1;
}

}  // namespace

std::string_view to_string(sse_error e) noexcept {
  switch (e) {
    case sse_error::none: return "none";
    case sse_error::line_too_long: return "line_too_long";
    case sse_error::event_too_large: return "event_too_large";
  }
  return "unknown";
}

bool is_utf8(std::string_view in) noexcept {
  std::size_t skip = 0;
  for (std::size_t i = 0; i < in.size();) {
    if (static_cast<unsigned char>(in[i]) < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = sequence_at(in, i, skip);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void append_utf8_replacing(std::string& out, std::string_view in) {
  std::size_t skip = 0;
  for (std::size_t i = 0; i < in.size();) {
    const std::size_t n = sequence_at(in, i, skip);
    if (n > 0) {
      out.append(in.substr(i, n));
      i += n;
    } else {
      out.append(replacement);
      i += skip;
    }
  }
}

sse_step sse_parser::feed(std::string_view in) {
  sse_step s;
  if (error_ != sse_error::none) {
    s.error = error_;
    return s;
  }
  if (dispatched_) {  // the caller has had the last event: its buffers start over
    data_.clear();
    type_.clear();
    dispatched_ = false;
  }
  std::size_t pos = 0;
  if (!started_) {
    static constexpr unsigned char bom[3] = {0xEF, 0xBB, 0xBF};
    while (pos < in.size() && bom_ < 3 && static_cast<unsigned char>(in[pos]) == bom[bom_]) ++bom_, ++pos;
    if (bom_ < 3 && pos == in.size()) {  // all of it may still be a BOM
      s.consumed = pos;
      return s;
    }
    if (bom_ < 3) line_.assign(reinterpret_cast<const char*>(bom), bom_);  // not a BOM: text
    started_ = true;
  }
  while (pos < in.size()) {
    if (cr_pending_) {
      cr_pending_ = false;
      if (in[pos] == '\n') {
        ++pos;
        continue;
      }
    }
    const std::size_t end = in.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) {
      if (!line_fits(in.size() - pos)) break;
      line_.append(in.substr(pos));
      pos = in.size();
      break;
    }
    if (!line_fits(end - pos)) break;
    std::string_view text = in.substr(pos, end - pos);
    if (!line_.empty()) {
      line_.append(text);
      text = line_;
    }
    pos = end + 1;
    if (in[end] == '\r') {
      if (pos == in.size()) cr_pending_ = true;
      else if (in[pos] == '\n') ++pos;
    }
    const bool dispatched = line(text);
    line_.clear();
    if (error_ != sse_error::none) break;
    if (dispatched) {
      s.dispatched = true;
      break;
    }
  }
  s.consumed = pos;
  s.error = error_;
  return s;
}

bool sse_parser::line_fits(std::size_t bytes) noexcept {
  if (line_.size() + bytes <= limits_.max_line) return true;
  error_ = sse_error::line_too_long;
  return false;
}

bool sse_parser::line(std::string_view text) {
  if (!is_utf8(text)) {
    fixed_.clear();
    append_utf8_replacing(fixed_, text);
    text = fixed_;
  }
  if (text.empty()) {  // dispatch
    last_id_.assign(id_);
    if (data_.empty()) {
      type_.clear();
      return false;
    }
    if (data_.back() == '\n') data_.pop_back();
    ++events_;
    dispatched_ = true;
    return true;
  }
  if (text.front() == ':') {
    ++comments_;
    return false;
  }
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    field(text, {});
    return false;
  }
  std::string_view value = text.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  field(text.substr(0, colon), value);
  return false;
}

void sse_parser::field(std::string_view name, std::string_view value) {
  if (name == "data") {
    if (data_.size() + value.size() + 1 > limits_.max_event) {
      error_ = sse_error::event_too_large;
      return;
    }
    data_.append(value).push_back('\n');
  } else if (name == "event") {
    type_.assign(value);
  } else if (name == "id") {
    if (value.find('\0') == std::string_view::npos) id_.assign(value);
  } else if (name == "retry") {
    std::uint64_t ms = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    // Only ASCII digits (from_chars takes no sign for unsigned); a value past 64 bits is ignored.
    if (!value.empty() && ec == std::errc() && end == value.data() + value.size()) retry_ = ms;
  }
}

sse_event sse_parser::event() const noexcept {
  return {type_.empty() ? std::string_view("message") : std::string_view(type_), data_, last_id_};
}

bool sse_parser::finish() noexcept {
  // After an error nothing is pending: what was buffered when it struck depends on the split.
  const bool cut = error_ == sse_error::none &&
                   (!line_.empty() || (!started_ && bom_ > 0) || (!dispatched_ && (!data_.empty() || !type_.empty())));
  line_.clear();
  data_.clear();
  type_.clear();
  dispatched_ = false;
  cr_pending_ = false;
  return cut;
}

void sse_parser::reset() noexcept {
  finish();
  id_.clear();
  last_id_.clear();
  retry_.reset();
  comments_ = events_ = 0;
  error_ = sse_error::none;
  bom_ = 0;
  started_ = false;
}

}  // namespace barrage::http
