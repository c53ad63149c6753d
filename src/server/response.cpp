#include "server/response.hpp"

#include <time.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

#include "http/message.hpp"

namespace barrage::server {

namespace {

bool is_tchar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// field-vchar, SP, HTAB and obs-text: no CR, LF, NUL or other control byte.
bool is_value_char(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u == '\t' || (u >= 0x20 && u != 0x7f);
}

}  // namespace

response response::borrowed(int status, std::string_view body, std::string_view content_type) noexcept {
  response r(status);
  r.borrowed_ = body;
  r.content_type_ = content_type;
  r.kind_ = kind::borrowed;
  return r;
}

response response::stream(int status, stream_fn fn, std::string_view content_type, std::optional<std::uint64_t> length) {
  response r(status);
  r.stream_ = std::move(fn);
  r.content_type_ = content_type;
  r.stream_length_ = length;
  r.kind_ = kind::streamed;
  return r;
}

response& response::set_header(std::string_view name, std::string_view value) {
  if (name.empty()) throw std::invalid_argument("empty header name");
  for (char c : name)
    if (!is_tchar(c)) throw std::invalid_argument("bad header name");
  for (char c : value)
    if (!is_value_char(c)) throw std::invalid_argument("bad header value");
  for (std::string_view reserved : {"content-length", "transfer-encoding", "connection", "date", "server"})
    if (http::iequals(name, reserved)) throw std::invalid_argument("the server writes this header itself");
  if (http::iequals(name, "content-type")) content_type_ = {};
  headers_.append(name).append(": ").append(value).append("\r\n");
  return *this;
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    case 511: return "Network Authentication Required";
    default: return "Unknown";
  }
}

namespace {

// The longest head render_head() writes besides the server name, the content type and the
// handler's header lines: status line (reason phrases are under 32 bytes), Date, the
// framing field, the Connection field, the names and line ends of the variable fields.
constexpr std::size_t fixed_head_max = 256;

template <std::size_t N>
[[gnu::always_inline]] inline void put(char*& p, const char (&literal)[N]) noexcept {
  std::memcpy(p, literal, N - 1);  // a constant size: a few moves, no call
  p += N - 1;
}

[[gnu::always_inline]] inline void put(char*& p, std::string_view s) noexcept {
  if (s.empty()) return;  // its data may be null, which memcpy must not be given
  std::memcpy(p, s.data(), s.size());
  p += s.size();
}

void put_number(char*& p, std::uint64_t n) noexcept { p = std::to_chars(p, p + 20, n).ptr; }

/// Writes the head at p (room for head_bound() bytes) and returns its end and body mode.
char* write_head(char* p, const response& r, const render_options& o, body_framing_out& mode) noexcept {
  const int status = (r.status() >= 100 && r.status() <= 599) ? r.status() : 500;
  put(p, "HTTP/1.1 ");
  p[0] = static_cast<char>('0' + status / 100);
  p[1] = static_cast<char>('0' + status / 10 % 10);
  p[2] = static_cast<char>('0' + status % 10);
  p[3] = ' ';
  p += 4;
  put(p, reason_phrase(status));
  put(p, "\r\n");
  if (!o.server.empty()) {
    put(p, "Server: ");
    put(p, o.server);
    put(p, "\r\n");
  }
  put(p, "Date: ");
  put(p, o.date.substr(0, 40));  // an IMF-fixdate is 29 bytes; fixed_head_max allows 40
  put(p, "\r\n");
  bool close = !o.keep_alive || r.wants_close();
  mode = body_framing_out::none;
  if (status_allows_body(status)) {
    if (!r.content_type().empty()) {
      put(p, "Content-Type: ");
      put(p, r.content_type());
      put(p, "\r\n");
    }
    if (r.streamed()) {
      if (r.stream_length()) {
        put(p, "Content-Length: ");
        put_number(p, *r.stream_length());
        put(p, "\r\n");
        mode = body_framing_out::sized;
      } else if (o.http10) {
        mode = body_framing_out::until_close;
        if (!o.head_request) close = true;
      } else {
        put(p, "Transfer-Encoding: chunked\r\n");
        mode = body_framing_out::chunked;
      }
    } else {
      put(p, "Content-Length: ");
      put_number(p, r.body().size());
      put(p, "\r\n");
      if (!r.body().empty()) mode = body_framing_out::inline_body;
    }
  }
  if (close) put(p, "Connection: close\r\n");
  else if (o.http10) put(p, "Connection: keep-alive\r\n");
  put(p, r.header_lines());
  put(p, "\r\n");
  return p;
}

}  // namespace

namespace {

/// The last head rendered on this thread with no handler header lines and a body of its own
/// (not streamed), with what it was made of. A server answering the same kind of response
/// again within the same second (the Date) appends these bytes instead of rendering them.
struct head_cache {
  static constexpr std::size_t field_max = 64;  // longer server names or types are not kept
  bool valid = false;
  bool close = false, http10 = false;
  int status = 0;
  std::size_t body_size = 0;
  std::uint8_t server_len = 0, type_len = 0, date_len = 0;
  char server[field_max], type[field_max], date[field_max];
  body_framing_out mode = body_framing_out::none;
  std::uint16_t len = 0;
  char text[fixed_head_max + 2 * field_max];
};

// An empty view may hold a null pointer, which memcmp and memcpy must not be given.
bool cached_equals(std::string_view a, const char* b, std::uint8_t b_len) noexcept {
  return a.size() == b_len && (b_len == 0 || std::memcmp(a.data(), b, b_len) == 0);
}

void cache_copy(std::string_view a, char* b, std::uint8_t& b_len) noexcept {
  if (!a.empty()) std::memcpy(b, a.data(), a.size());
  b_len = static_cast<std::uint8_t>(a.size());
}

}  // namespace

body_framing_out render_head(std::string& out, const response& r, const render_options& o) {
  const bool close = !o.keep_alive || r.wants_close();
  const bool cacheable = !r.streamed() && r.header_lines().empty() && o.server.size() <= head_cache::field_max &&
                         r.content_type().size() <= head_cache::field_max && o.date.size() <= head_cache::field_max;
  thread_local head_cache c;
  if (cacheable && c.valid && c.status == r.status() && c.close == close && c.http10 == o.http10 &&
      c.body_size == r.body().size() && cached_equals(o.date, c.date, c.date_len) &&
      cached_equals(r.content_type(), c.type, c.type_len) && cached_equals(o.server, c.server, c.server_len)) {
    out.append(c.text, c.len);
    return o.head_request ? body_framing_out::none : c.mode;
  }
  // One resize and direct stores instead of a dozen appends (each with its own capacity
  // check and call).
  const std::size_t bound = fixed_head_max + o.server.size() + r.content_type().size() + r.header_lines().size();
  const std::size_t at = out.size();
  out.resize(at + bound);
  body_framing_out mode;
  char* end = write_head(out.data() + at, r, o, mode);
  const auto len = static_cast<std::size_t>(end - (out.data() + at));
  out.resize(at + len);
  if (cacheable && len <= sizeof c.text) {
    c.valid = true;
    c.status = r.status();
    c.close = close;
    c.http10 = o.http10;
    c.body_size = r.body().size();
    cache_copy(o.date, c.date, c.date_len);
    cache_copy(r.content_type(), c.type, c.type_len);
    cache_copy(o.server, c.server, c.server_len);
    c.mode = mode;
    c.len = static_cast<std::uint16_t>(len);
    std::memcpy(c.text, out.data() + at, len);
  }
  return o.head_request ? body_framing_out::none : mode;
}

void format_http_date(std::int64_t unix_seconds, char (&out)[29]) noexcept {
  static constexpr char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t t = static_cast<time_t>(unix_seconds);
  tm g{};
  ::gmtime_r(&t, &g);
  auto two = [](char* p, int v) {
    p[0] = static_cast<char>('0' + v / 10 % 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  char* p = out;
  for (int i = 0; i < 3; ++i) *p++ = days[g.tm_wday][i];
  *p++ = ',';
  *p++ = ' ';
  two(p, g.tm_mday);
  p += 2;
  *p++ = ' ';
  for (int i = 0; i < 3; ++i) *p++ = months[g.tm_mon][i];
  *p++ = ' ';
  const int year = g.tm_year + 1900;
  two(p, year / 100);
  two(p + 2, year % 100);
  p += 4;
  *p++ = ' ';
  two(p, g.tm_hour);
  p[2] = ':';
  two(p + 3, g.tm_min);
  p[5] = ':';
  two(p + 6, g.tm_sec);
  p += 8;
  for (char c : {' ', 'G', 'M', 'T'}) *p++ = c;
}

std::string_view http_date(std::chrono::steady_clock::time_point mono_now) noexcept {
  struct cache {
    std::int64_t mono_second = -1;
    char text[29] = {};
  };
  thread_local cache c;
  const std::int64_t s = std::chrono::duration_cast<std::chrono::seconds>(mono_now.time_since_epoch()).count();
  if (s != c.mono_second) {
    c.mono_second = s;
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    format_http_date(ts.tv_sec, c.text);
  }
  return {c.text, sizeof c.text};
}

}  // namespace barrage::server
