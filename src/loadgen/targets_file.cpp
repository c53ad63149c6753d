#include "loadgen/targets_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "http/url.hpp"
#include "loadgen/scenario_template.hpp"

namespace barrage::loadgen {
namespace {

bool token_char(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s)
    if (!token_char(c)) return false;
  return true;
}
bool is_field_value(std::string_view s) noexcept {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}
std::string_view trim_line(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

/// Builds one target's flow, or a message (the URL's or the method's fault).
result<flow, std::string> make_target(std::string method, std::string url,
                                      std::vector<std::pair<std::string, std::string>> headers,
                                      std::string body) {
  if (!is_token(method)) return fail("bad method '" + method + "'");
  const auto parsed = http::parse_url(url);
  if (!parsed) return fail("bad URL '" + url + "': " + http::to_string(parsed.error()));
  step s;
  s.name = method + ' ' + url;
  s.method = std::move(method);
  s.target = literal_template(url);
  s.absolute = true;
  for (auto& [name, value] : headers) s.headers.emplace_back(std::move(name), literal_template(std::move(value)));
  s.body = literal_template(std::move(body));
  flow f;
  f.name = s.name;
  f.steps.push_back(std::move(s));
  return f;
}

struct line_reader {
  std::string_view text;
  std::size_t pos = 0;
  unsigned number = 0;
  bool next(std::string_view& line) {
    if (pos >= text.size()) return false;
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end + 1;
    ++number;
    return true;
  }
};

/// "METHOD URL" (one or more spaces between; nothing after).
bool split_request_line(std::string_view line, std::string& method, std::string& url) {
  const std::size_t sp = line.find_first_of(" \t");
  if (sp == std::string_view::npos) return false;
  const std::string_view m = line.substr(0, sp);
  const std::string_view u = trim_line(line.substr(sp));
  if (!is_token(m) || u.empty() || u.find_first_of(" \t") != std::string_view::npos) return false;
  method = std::string(m);
  url = std::string(u);
  return true;
}

result<targets_list, source_error> parse_http_format(std::string_view text, const std::string& file,
                                                     const body_file_reader& read_body) {
  targets_list list;
  list.file = file;
  line_reader lines{text};
  std::string_view line;
  auto error = [&](std::string message) { return fail(source_error{file, lines.number, 0, std::move(message)}); };
  bool have = lines.next(line);
  while (have) {
    if (trim_line(line).empty() || line.front() == '#') {
      have = lines.next(line);
      continue;
    }
    std::string method, url;
    if (!split_request_line(trim_line(line), method, url))
      return error("expected a target line 'METHOD URL', got '" + std::string(trim_line(line)) + "'");
    const unsigned target_line = lines.number;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool has_body = false;
    while ((have = lines.next(line))) {
      if (trim_line(line).empty()) break;
      if (line.front() == '#') continue;
      std::string m2, u2;
      if (line.front() != '@' && split_request_line(trim_line(line), m2, u2) && u2.find("://") != std::string::npos)
        break;  // the next target, without a blank line before it
      if (has_body) return error("nothing may follow the '@' body line of a target (a blank line ends it)");
      if (line.front() == '@') {
        const std::string path(trim_line(line.substr(1)));
        if (path.empty()) return error("'@' needs a file name (the body's file)");
        auto content = read_body(path);
        if (!content) return error(content.error());
        body = std::move(*content);
        has_body = true;
        continue;
      }
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos)
        return error("expected a header line 'Name: value', got '" + std::string(trim_line(line)) + "'");
      const std::string_view name = trim_line(line.substr(0, colon)), value = trim_line(line.substr(colon + 1));
      if (!is_token(name) || name != line.substr(0, colon))
        return error("bad header name '" + std::string(line.substr(0, colon)) + "'");
      if (!is_field_value(value)) return error("bad header value for '" + std::string(name) + "' (a control character)");
      headers.emplace_back(std::string(name), std::string(value));
    }
    auto f = make_target(std::move(method), std::move(url), std::move(headers), std::move(body));
    if (!f) return fail(source_error{file, target_line, 0, f.error()});
    list.targets.push_back(std::move(*f));
  }
  if (list.targets.empty()) return fail(source_error{file, 0, 0, "no targets in the file"});
  return list;
}

/// One JSON line: {"method", "url", "header", "body"} as vegeta writes them.
result<flow, std::string> json_target(std::string_view line, unsigned& column) {
  using nlohmann::json;
  json j;
  try {
    j = json::parse(line);
  } catch (const json::parse_error& e) {
    column = static_cast<unsigned>(e.byte);
    std::string what = e.what();
    const std::size_t at = what.find("syntax error");
    return fail("bad JSON: " + (at == std::string::npos ? what : what.substr(at)));
  } catch (const json::exception& e) {  // a number beyond a double
    std::string what = e.what();
    return fail("bad JSON: " + what.substr(what.find("] ") == std::string::npos ? 0 : what.find("] ") + 2));
  }
  if (!j.is_object()) return fail(std::string("a JSON target is an object {\"method\": ..., \"url\": ...}"));
  std::string method, url, body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool has_method = false, has_url = false;
  for (const auto& [key, value] : j.items()) {
    if (key == "method" || key == "url") {
      if (!value.is_string()) return fail("\"" + key + "\" must be a string");
      (key == "method" ? method : url) = value.get<std::string>();
      (key == "method" ? has_method : has_url) = true;
    } else if (key == "body") {
      if (value.is_null()) continue;
      if (!value.is_string()) return fail(std::string("\"body\" must be a base64 string"));
      auto decoded = decode_base64(value.get<std::string>());
      if (!decoded) return fail("\"body\": " + decoded.error());
      body = std::move(*decoded);
    } else if (key == "header") {
      if (value.is_null()) continue;
      if (!value.is_object()) return fail(std::string("\"header\" must be an object {\"Name\": [\"value\", ...]}"));
      for (const auto& [name, values] : value.items()) {
        if (!is_token(name)) return fail("bad header name '" + name + "'");
        if (!values.is_array()) return fail("header '" + name + "': the values are an array of strings");
        for (const auto& v : values) {
          if (!v.is_string()) return fail("header '" + name + "': the values are an array of strings");
          if (!is_field_value(v.get<std::string>())) return fail("bad header value for '" + name + "' (a control character)");
          headers.emplace_back(name, v.get<std::string>());
        }
      }
    } else {
      return fail("unknown key \"" + key + "\" (method, url, header, body)");
    }
  }
  if (!has_method) return fail(std::string("missing \"method\""));
  if (!has_url) return fail(std::string("missing \"url\""));
  return make_target(std::move(method), std::move(url), std::move(headers), std::move(body));
}

result<targets_list, source_error> parse_json_lines(std::string_view text, const std::string& file) {
  targets_list list;
  list.file = file;
  line_reader lines{text};
  std::string_view line;
  while (lines.next(line)) {
    if (trim_line(line).empty() || line.front() == '#') continue;
    unsigned column = 0;
    auto f = json_target(line, column);
    if (!f) return fail(source_error{file, lines.number, column, f.error()});
    list.targets.push_back(std::move(*f));
  }
  if (list.targets.empty()) return fail(source_error{file, 0, 0, "no targets in the file"});
  return list;
}

std::string directory_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

}  // namespace

result<std::string, std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("cannot read '" + path + "': " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return fail("cannot read '" + path + "': " + std::strerror(errno));
  return s.str();
}

result<std::string, std::string> decode_base64(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return fail(std::string("not base64 (bad length)"));
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) return fail(std::string("not base64 (a character outside A-Z a-z 0-9 + /)"));
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

result<targets_list, source_error> parse_targets(std::string_view text, const std::string& file,
                                                 const body_file_reader& read_body) {
  line_reader lines{text};
  std::string_view line;
  while (lines.next(line)) {
    const std::string_view t = trim_line(line);
    if (t.empty() || t.front() == '#') continue;
    if (t.front() == '{') return parse_json_lines(text, file);
    break;
  }
  return parse_http_format(text, file, read_body);
}

result<targets_list, source_error> load_targets_file(const std::string& file) {
  auto text = read_whole_file(file);
  if (!text) return fail(source_error{file, 0, 0, text.error()});
  const std::string dir = directory_of(file);
  std::map<std::string, std::string> bodies;
  auto read_body = [&](const std::string& path) -> result<std::string, std::string> {
    const std::string full = !path.empty() && path.front() == '/' ? path : dir + path;
    if (auto it = bodies.find(full); it != bodies.end()) return it->second;
    auto content = read_whole_file(full);
    if (!content) return fail("body file: " + content.error());
    return bodies.emplace(full, std::move(*content)).first->second;
  };
  return parse_targets(*text, file, read_body);
}

}  // namespace barrage::loadgen
