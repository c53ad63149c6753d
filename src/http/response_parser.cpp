#include "http/response_parser.hpp"

#include <algorithm>

#include "http/char_class.hpp"
#include "http/field_facts.hpp"
#include "http/field_lines.hpp"

namespace barrage::http {

namespace {

parse_error check_reason(std::string_view reason) {
  for (char c : reason)
    if (!detail::is_field_char(c)) return parse_error::bad_reason;
  return parse_error::none;
}

// A CR or NUL anywhere in a start line explains whatever else went wrong with it.
parse_error reclassify(std::string_view line, parse_error e) {
  if (line.find('\r') != std::string_view::npos) return parse_error::bare_cr;
  if (line.find('\0') != std::string_view::npos) return parse_error::nul_byte;
  return e;
}

// status-code: three digits, 100..599 (RFC 9110 §15).
bool parse_status_code(std::string_view s, int& out) {
  if (s.size() != 3 || !detail::is_digit(s[0]) || !detail::is_digit(s[1]) || !detail::is_digit(s[2]))
    return false;
  out = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
  return out >= 100 && out <= 599;
}

bool is_interim(int status) { return status >= 100 && status < 200 && status != 101; }

}  // namespace

response_parser::response_parser(std::span<header> storage, response_limits limits) noexcept
    : storage_(storage.first(std::min(storage.size(), limits.max_headers))), limits_(limits) {
  reset();
}

void response_parser::reset(bool response_to_head) noexcept {
  scanner_.reset(0);
  status_ = parse_status::need_more();
  head_ = {};
  response_to_head_ = response_to_head;
}

parse_status response_parser::fail(parse_error e) noexcept {
  status_ = parse_status::failed(e);
  return status_;
}

parse_status response_parser::parse(std::string_view data) noexcept {
  if (!status_.incomplete()) return status_;
  const detail::head_limits limits{limits_.max_head_bytes,
                                   std::min(limits_.max_status_line, limits_.max_head_bytes - 1)};
  for (;;) {
    const auto step = scanner_.scan(data, limits);
    using event = detail::head_scanner::event;
    switch (step.what) {
      case event::need_more:
        return status_;
      case event::error:
        return fail(step.error);
      case event::start_line:
        if (const parse_error e = on_status_line(data, step.begin, step.end); e != parse_error::none)
          return fail(reclassify(data.substr(step.begin, step.end - step.begin), e));
        fields_begin_ = step.end + 2;
        break;
      case event::end_of_head:
        if (const parse_error e = on_head(data, step.end); e != parse_error::none) return fail(e);
        if (!is_interim(head_.status)) {
          status_ = parse_status::done(step.end);
          return status_;
        }
        if (++head_.interim > limits_.max_interim) return fail(parse_error::too_many_interim_responses);
        scanner_.reset(step.end);  // the next response starts right after this one
        break;
    }
  }
}

// HTTP-version SP status-code SP [reason-phrase] (RFC 9112 §4). "HTTP/1.1 200" without the
// second SP is accepted: common in the wild and unambiguous.
parse_error response_parser::on_status_line(std::string_view data, std::size_t begin,
                                            std::size_t end) noexcept {
  const std::string_view line = data.substr(begin, end - begin);
  // "HTTP/1.x " puts the space at 8: no search for it (the version is checked all the same).
  const std::size_t sp = line.size() > 8 && line[8] == ' ' ? 8 : line.find(' ');
  if (const parse_error e = parse_http_version(line.substr(0, sp), head_.version); e != parse_error::none)
    return e;
  const std::string_view rest = line.substr(sp + 1);
  if (!parse_status_code(rest.substr(0, 3), head_.status)) return parse_error::bad_status;
  if (rest.size() > 3 && rest[3] != ' ') return parse_error::bad_status;
  const std::string_view reason = rest.size() > 3 ? rest.substr(4) : std::string_view{};
  if (const parse_error e = check_reason(reason); e != parse_error::none) return e;
  reason_begin_ = end - reason.size();
  reason_len_ = reason.size();
  return parse_error::none;
}

parse_error response_parser::on_head(std::string_view data, std::size_t end) noexcept {
  const auto fields =
      detail::parse_field_lines(data.data() + fields_begin_, data.data() + end - 2, storage_);
  if (fields.error != parse_error::none) return fields.error;
  head_.reason = data.substr(reason_begin_, reason_len_);
  head_.headers = storage_.first(fields.count);
  return decide_framing(head_.headers);
}

// RFC 9112 §6.3 for responses. The fields are validated even when the status rules the body
// out: a malformed Content-Length on a 304 is still a malformed message.
parse_error response_parser::decide_framing(std::span<const header> fields) noexcept {
  const detail::field_facts f = detail::collect_field_facts(fields, false);
  if (f.error != parse_error::none) return f.error;
  if (f.has_transfer_encoding) {
    if (head_.version == http_version::http_1_0) return parse_error::transfer_encoding_in_http10;
    if (f.has_content_length) return parse_error::te_and_cl;
  }
  const int s = head_.status;
  const bool no_body = response_to_head_ || s < 200 || s == 204 || s == 304;
  if (no_body)
    head_.body = {};
  else if (f.has_transfer_encoding)  // chunked not final: the body runs until close
    head_.body = {f.chunked_final ? body_kind::chunked : body_kind::until_close, 0};
  else if (f.has_content_length)
    head_.body = {body_kind::content_length, f.content_length};
  else
    head_.body = {body_kind::until_close, 0};
  head_.keep_alive = detail::wants_keep_alive(head_.version, f) &&
                     head_.body.kind != body_kind::until_close && s != 101;
  return parse_error::none;
}

}  // namespace barrage::http
