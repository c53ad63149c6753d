#include "http/request_parser.hpp"

#include <algorithm>
#include <cstring>

#include "http/authority.hpp"
#include "http/char_class.hpp"
#include "http/field_facts.hpp"
#include "http/field_lines.hpp"

namespace barrage::http {

namespace {

// Why the method stopped at line[i] instead of at a single SP.
parse_error method_error(std::string_view line, std::size_t i) {
  if (i == line.size() || detail::is_ows(line[i])) return parse_error::bad_request_line;
  return parse_error::bad_method;
}

// A CR or NUL anywhere in a start line explains whatever else went wrong with it.
parse_error reclassify(std::string_view line, parse_error e) {
  if (line.find('\r') != std::string_view::npos) return parse_error::bare_cr;
  if (line.find('\0') != std::string_view::npos) return parse_error::nul_byte;
  return e;
}

// known_valid: f.host passed the authority check before (the parser remembers the last one).
parse_error check_host(const detail::field_facts& f, const request_head& h, bool known_valid) {
  if (f.host_count > 1) return parse_error::duplicate_host;
  if (f.host_count == 0)
    return h.version == http_version::http_1_1 ? parse_error::missing_host : parse_error::none;
  detail::authority_parts parts;
  if (!known_valid && detail::split_authority(f.host, parts) != detail::authority_error::none)
    return parse_error::bad_host;
  // RFC 9112 §3.2.2 lets the target's authority win; two names for one request are a routing
  // ambiguity, so we refuse instead.
  if (h.parts.form == target_form::absolute && !iequals(h.parts.authority, f.host))
    return parse_error::host_mismatch;
  return parse_error::none;
}

// RFC 9112 §6.1 and §6.3 for requests.
parse_error decide_framing(const detail::field_facts& f, request_head& h) {
  if (f.has_transfer_encoding) {
    if (h.version == http_version::http_1_0) return parse_error::transfer_encoding_in_http10;
    if (f.has_content_length) return parse_error::te_and_cl;
    if (f.chunked_seen && !f.chunked_final) return parse_error::bad_transfer_encoding;
    if (f.other_coding) return parse_error::unknown_transfer_coding;
    h.body = {body_kind::chunked, 0};
  } else if (f.has_content_length) {
    h.body = {body_kind::content_length, f.content_length};
  } else {
    h.body = {};
  }
  return parse_error::none;
}

}  // namespace

request_parser::request_parser(std::span<header> storage, request_limits limits) noexcept
    : storage_(storage.first(std::min(storage.size(), limits.max_headers))), limits_(limits) {
  reset();
}

void request_parser::reset() noexcept {
  scanner_.reset(0);
  status_ = parse_status::need_more();
  head_ = {};
}

parse_status request_parser::fail(parse_error e) noexcept {
  status_ = parse_status::failed(e);
  return status_;
}

parse_status request_parser::parse(std::string_view data) noexcept {
  if (!status_.incomplete()) return status_;
  const detail::head_limits limits{limits_.max_head_bytes,
                                   std::min(limits_.max_request_line, limits_.max_head_bytes - 1)};
  for (;;) {
    const auto step = scanner_.scan(data, limits);
    using event = detail::head_scanner::event;
    switch (step.what) {
      case event::need_more:
        return status_;
      case event::error:
        return fail(step.error);
      case event::start_line:
        if (const parse_error e = on_request_line(data, step.begin, step.end); e != parse_error::none)
          return fail(reclassify(data.substr(step.begin, step.end - step.begin), e));
        fields_begin_ = step.end + 2;
        break;
      case event::end_of_head:
        if (const parse_error e = on_head(data, step.end); e != parse_error::none) return fail(e);
        status_ = parse_status::done(step.end);
        return status_;
    }
  }
}

// method SP request-target SP HTTP-version (RFC 9112 §3), single SPs only. The version is
// checked before the target so that "PRI * HTTP/2.0" reads as a version problem (505).
parse_error request_parser::on_request_line(std::string_view data, std::size_t begin,
                                            std::size_t end) noexcept {
  const std::string_view line = data.substr(begin, end - begin);
  std::size_t i = 0;
  while (i < line.size() && detail::is_token_char(line[i])) ++i;
  if (i == 0 || i == line.size() || line[i] != ' ') return method_error(line, i);
  const std::size_t last_sp = line.rfind(' ');
  if (last_sp == i) return parse_error::bad_request_line;  // no version: HTTP/0.9 shape
  if (const parse_error e = parse_http_version(line.substr(last_sp + 1), head_.version);
      e != parse_error::none)
    return e;
  const std::string_view target = line.substr(i + 1, last_sp - i - 1);
  if (target.front() == ' ' || target.back() == ' ') return parse_error::bad_request_line;
  if (const parse_error e = parse_request_target(line.substr(0, i), target, head_.parts);
      e != parse_error::none)
    return e;
  method_len_ = i;
  target_begin_ = begin + i + 1;
  target_len_ = target.size();
  const auto offset_of = [&](std::string_view part) {
    return part_offset{part.empty() ? 0 : static_cast<std::size_t>(part.data() - target.data()),
                       part.size()};
  };
  authority_at_ = offset_of(head_.parts.authority);
  path_at_ = offset_of(head_.parts.path);
  query_at_ = offset_of(head_.parts.query);
  return parse_error::none;
}

parse_error request_parser::on_head(std::string_view data, std::size_t end) noexcept {
  const auto fields =
      detail::parse_field_lines(data.data() + fields_begin_, data.data() + end - 2, storage_);
  if (fields.error != parse_error::none) return fields.error;
  head_.method = data.substr(0, method_len_);
  head_.target = data.substr(target_begin_, target_len_);
  // The target parts were found in a buffer that may since have moved: re-point them.
  const auto rebase = [&](std::string_view& part, const part_offset& at) {
    part = head_.target.substr(at.offset, at.size);
  };
  rebase(head_.parts.authority, authority_at_);
  rebase(head_.parts.path, path_at_);
  rebase(head_.parts.query, query_at_);
  head_.headers = storage_.first(fields.count);
  return apply_fields(head_.headers);
}

parse_error request_parser::apply_fields(std::span<const header> fields) noexcept {
  const detail::field_facts f = detail::collect_field_facts(fields, true);
  if (f.error != parse_error::none) return f.error;
  if (const parse_error e = decide_framing(f, head_); e != parse_error::none) return e;
  const bool known = f.host_count == 1 && host_known_valid(f.host);
  if (const parse_error e = check_host(f, head_, known); e != parse_error::none) return e;
  if (f.host_count == 1 && !known) remember_valid_host(f.host);
  head_.host = f.host;
  head_.keep_alive = detail::wants_keep_alive(head_.version, f);
  return parse_error::none;
}

bool request_parser::host_known_valid(std::string_view host) const noexcept {
  return valid_host_len_ != 0 && host.size() == valid_host_len_ && std::memcmp(host.data(), valid_host_, host.size()) == 0;
}

void request_parser::remember_valid_host(std::string_view host) noexcept {
  if (host.empty() || host.size() > valid_host_max) return;
  std::memcpy(valid_host_, host.data(), host.size());
  valid_host_len_ = static_cast<std::uint8_t>(host.size());
}

}  // namespace barrage::http
