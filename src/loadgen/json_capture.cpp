#include "loadgen/json_capture.hpp"

#include <cstring>
#include <limits>

namespace barrage::loadgen {

result<json_path, std::string> parse_json_pointer(std::string_view pointer) {
  json_path p;
  if (pointer.empty()) return p;
  if (pointer.front() != '/') return fail(std::string("a JSON pointer is empty or starts with '/'"));
  pointer.remove_prefix(1);
  for (;;) {
    const std::size_t slash = pointer.find('/');
    const std::string_view raw = pointer.substr(0, slash);
    std::string token;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '~') {
        token += raw[i];
      } else if (i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        token += raw[++i] == '0' ? '~' : '/';
      } else {
        return fail(std::string("'~' must be followed by 0 or 1 (~0 is '~', ~1 is '/')"));
      }
    }
    p.tokens.push_back(std::move(token));
    if (slash == std::string_view::npos) return p;
    pointer.remove_prefix(slash + 1);
  }
}

namespace {

constexpr std::size_t off_path = std::numeric_limits<std::size_t>::max();

/// An array index token: decimal, no leading zero, or off_path when it can name no element.
std::size_t array_index(std::string_view token) noexcept {
  if (token.empty() || (token.size() > 1 && token[0] == '0') || token.size() > 18) return off_path;
  std::size_t n = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return off_path;
    n = n * 10 + static_cast<std::size_t>(c - '0');
  }
  return n;
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

/// One pass over the text: a recursive descent that checks the grammar and follows the path.
/// `m` is the number of path tokens the ancestors of the value at hand matched, or off_path.
class json_scan {
 public:
  json_scan(std::string_view text, const json_path& path) : p_(text.data()), end_(text.data() + text.size()), path_(path) {}

  json_capture_status run(std::string& out) {
    if (end_ - p_ >= 3 && std::memcmp(p_, "\xEF\xBB\xBF", 3) == 0) p_ += 3;
    if (!value(0, 0)) return json_capture_status::invalid_json;
    skip_space();
    if (p_ != end_) return json_capture_status::invalid_json;
    if (!found_) return json_capture_status::not_found;
    out.swap(value_);
    return json_capture_status::found;
  }

 private:
  void skip_space() noexcept {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool value(std::size_t depth, std::size_t m) {
    skip_space();
    if (p_ == end_) return false;
    const bool target = m == path_.tokens.size();
    const char* start = p_;
    bool ok;
    switch (*p_) {
      case '{': ok = object(depth + 1, target ? off_path : m); break;
      case '[': ok = array(depth + 1, target ? off_path : m); break;
      case '"':
        if (!target) return string(nullptr);
        value_.clear();
        found_ = string(&value_);
        return found_;
      case 't': ok = literal("true"); break;
      case 'f': ok = literal("false"); break;
      case 'n': ok = literal("null"); break;
      default: ok = number(); break;
    }
    if (ok && target) {
      compact(start, p_);
      found_ = true;
    }
    return ok;
  }

  bool object(std::size_t depth, std::size_t m) {
    if (depth > json_max_depth) return false;
    ++p_;
    skip_space();
    if (p_ != end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    for (;;) {
      skip_space();
      if (p_ == end_ || *p_ != '"') return false;
      std::size_t child = off_path;
      if (m == off_path) {
        if (!string(nullptr)) return false;
      } else {
        key_.clear();
        if (!string(&key_)) return false;
        if (key_ == path_.tokens[m]) {
          child = m + 1;
          found_ = false;  // a later member of the same name replaces an earlier one
        }
      }
      skip_space();
      if (p_ == end_ || *p_ != ':') return false;
      ++p_;
      if (!value(depth, child)) return false;
      skip_space();
      if (p_ == end_) return false;
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      if (*p_++ != ',') return false;
    }
  }

  bool array(std::size_t depth, std::size_t m) {
    if (depth > json_max_depth) return false;
    const std::size_t wanted = m == off_path ? off_path : array_index(path_.tokens[m]);
    ++p_;
    skip_space();
    if (p_ != end_ && *p_ == ']') {
      ++p_;
      return true;
    }
    for (std::size_t i = 0;; ++i) {
      if (!value(depth, i == wanted ? m + 1 : off_path)) return false;
      skip_space();
      if (p_ == end_) return false;
      if (*p_ == ']') {
        ++p_;
        return true;
      }
      if (*p_++ != ',') return false;
    }
  }

  /// A string at p_ ('"'); its unescaped text appended to `out` when given.
  bool string(std::string* out) {
    ++p_;
    for (;;) {
      const char* run = p_;
      while (p_ != end_ && *p_ != '"' && *p_ != '\\' && static_cast<unsigned char>(*p_) >= 0x20) ++p_;
      if (out != nullptr) out->append(run, p_);
      if (p_ == end_ || static_cast<unsigned char>(*p_) < 0x20) return false;
      if (*p_++ == '"') return true;
      if (!escape(out)) return false;
    }
  }

  /// After a backslash: one escape, or \uXXXX (a surrogate pair as one code point).
  bool escape(std::string* out) {
    if (p_ == end_) return false;
    const char c = *p_++;
    const char* simple = std::strchr("\"\\/bfnrt", c);
    if (c != '\0' && simple != nullptr) {
      if (out != nullptr) *out += "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
      return true;
    }
    if (c != 'u') return false;
    int cp = hex4();
    if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
      p_ += 2;
      const int low = hex4();
      if (low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    if (out != nullptr) append_utf8(*out, static_cast<unsigned>(cp));
    return true;
  }

  int hex4() noexcept {
    if (end_ - p_ < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = hex_value(*p_++);
      if (h < 0) return -1;
      v = v * 16 + h;
    }
    return v;
  }

  bool digits() noexcept {
    const char* from = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ != from;
  }

  bool number() noexcept {
    if (p_ != end_ && *p_ == '-') ++p_;
    if (p_ == end_) return false;
    if (*p_ == '0') {
      ++p_;
    } else if (!digits()) {
      return false;
    }
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (!digits()) return false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!digits()) return false;
    }
    return true;
  }

  bool literal(std::string_view word) noexcept {
    if (static_cast<std::size_t>(end_ - p_) < word.size() || std::memcmp(p_, word.data(), word.size()) != 0)
      return false;
    p_ += word.size();
    return true;
  }

  /// The JSON text [from, to) of a checked value, without the whitespace between tokens.
  void compact(const char* from, const char* to) {
    value_.clear();
    bool in_string = false;
    for (const char* c = from; c != to; ++c) {
      if (in_string) {
        value_ += *c;
        if (*c == '\\') {
          value_ += *++c;
        } else if (*c == '"') {
          in_string = false;
        }
      } else if (*c != ' ' && *c != '\n' && *c != '\r' && *c != '\t') {
        value_ += *c;
        in_string = *c == '"';
      }
    }
  }

  const char* p_;
  const char* end_;
  const json_path& path_;
  bool found_ = false;
  std::string value_;  // the value found (moved to the caller's string at the end)
  std::string key_;    // an on-path member's name, unescaped
};

}  // namespace

json_capture_status json_capture(std::string_view text, const json_path& path, std::string& out) {
  return json_scan(text, path).run(out);
}

}  // namespace barrage::loadgen
