#include "http/request_template.hpp"

#include <charconv>

#include "http/authority.hpp"
#include "http/char_class.hpp"
#include "http/request_target.hpp"

namespace barrage::http {

const char* to_string(template_error e) noexcept {
  switch (e) {
    case template_error::bad_method: return "method is not a valid token";
    case template_error::bad_target: return "request target is not valid for the method";
    case template_error::bad_host: return "Host value is not host[:port]";
    case template_error::bad_header_name: return "header name is not a valid token";
    case template_error::bad_header_value: return "header value contains a control character";
    case template_error::reserved_header:
      return "Host, Content-Length and Transfer-Encoding are set by the request template";
  }
  return "unknown template error";
}

namespace {

bool is_reserved(std::string_view name) {
  return iequals(name, "host") || iequals(name, "content-length") ||
         iequals(name, "transfer-encoding");
}

// The outcome of validating user fields: ok, or the first error.
struct field_check {
  bool ok = true;
  template_error error = template_error::bad_header_name;
};

field_check check_fields(std::span<const header> fields) {
  for (const header& h : fields) {
    if (!detail::is_token(h.name)) return {false, template_error::bad_header_name};
    if (is_reserved(h.name)) return {false, template_error::reserved_header};
    for (char c : h.value)
      if (!detail::is_field_char(c)) return {false, template_error::bad_header_value};
  }
  return {};
}

void append_fields(std::string& out, std::span<const header> fields) {
  for (const header& h : fields) {
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
}

}  // namespace

result<request_template, template_error> request_template::make(const request_spec& spec) {
  if (!detail::is_token(spec.method)) return fail(template_error::bad_method);
  request_target parts;
  if (parse_request_target(spec.method, spec.target, parts) != parse_error::none)
    return fail(template_error::bad_target);
  detail::authority_parts host;
  if (detail::split_authority(spec.host, host) != detail::authority_error::none)
    return fail(template_error::bad_host);
  if (const field_check c = check_fields(spec.headers); !c.ok) return fail(c.error);

  request_template t;
  t.always_length_ = spec.method == "POST" || spec.method == "PUT" || spec.method == "PATCH";
  std::string& out = t.bytes_;
  out.reserve(spec.method.size() + spec.target.size() + spec.host.size() + spec.body.size() + 128);
  out.append(spec.method).append(" ").append(spec.target).append(" HTTP/1.1\r\n");
  out.append("Host: ").append(spec.host).append("\r\n");
  append_fields(out, spec.headers);
  t.fixed_len_ = out.size();
  t.append_tail(out, spec.body);
  return t;
}

result<void, template_error> request_template::render(std::string& out, std::string_view body,
                                                      std::span<const header> extra) const {
  if (const field_check c = check_fields(extra); !c.ok) return fail(c.error);
  out.assign(bytes_, 0, fixed_len_);
  append_fields(out, extra);
  append_tail(out, body);
  return {};
}

void request_template::append_tail(std::string& out, std::string_view body) const {
  if (!body.empty() || always_length_) {
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, body.size());
    out.append("Content-Length: ").append(digits, r.ptr).append("\r\n");
  }
  out.append("\r\n").append(body);
}

}  // namespace barrage::http
