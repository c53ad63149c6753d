// libFuzzer harness: the request parser on arbitrary bytes. First byte: where to split the
// rest in two. Checks: no crash or over-read (ASan), views inside the input, the outcome does
// not depend on how the input is split, a complete head re-parses to the same outcome, and
// the body reader consumes no more than it is given.
#include <array>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/body_reader.hpp"
#include "http/request_parser.hpp"

using namespace barrage::http;

namespace {

constexpr request_limits limits{.max_head_bytes = 8192, .max_request_line = 2048, .max_headers = 32};

void check_head(const request_head& h, std::string_view in) {
  FUZZ_CHECK(fuzz::within(h.method, in) && fuzz::within(h.target, in));
  FUZZ_CHECK(fuzz::within(h.parts.path, h.target) && fuzz::within(h.parts.query, h.target));
  FUZZ_CHECK(fuzz::within(h.parts.authority, h.target) && fuzz::within(h.host, in));
  for (const header& f : h.headers) FUZZ_CHECK(fuzz::within(f.name, in) && fuzz::within(f.value, in));
  FUZZ_CHECK(!h.method.empty() && !h.target.empty());
  FUZZ_CHECK(h.body.kind != body_kind::until_close);
}

bool same_head(const request_head& a, const request_head& b) {
  return a.method == b.method && a.target == b.target && a.body == b.body &&
         a.keep_alive == b.keep_alive && a.headers.size() == b.headers.size() &&
         a.version == b.version && a.host == b.host && a.parts.path == b.parts.path;
}

void check_body(const request_head& h, std::string_view rest) {
  body_reader body(h.body);
  const body_step step = body.skip(rest);
  FUZZ_CHECK(step.consumed <= rest.size());
  FUZZ_CHECK(body.bytes_read() <= step.consumed);
  if (h.body.kind == body_kind::content_length && step.done()) FUZZ_CHECK(body.bytes_read() == h.body.length);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::array<header, 32> fields_a, fields_b;

  request_parser whole(fields_a, limits);
  const parse_status st = whole.parse(in);
  FUZZ_CHECK(!st.incomplete() || in.size() < limits.max_head_bytes);
  if (st.complete()) {
    FUZZ_CHECK(st.consumed <= in.size() && st.consumed >= 4);
    FUZZ_CHECK(in.substr(st.consumed - 4, 4) == "\r\n\r\n");
    check_head(whole.head(), in);
    check_body(whole.head(), in.substr(st.consumed));
  }

  request_parser split(fields_b, limits);
  const std::size_t k = fuzz::split_point(data[0], in.size());
  const parse_status first = split.parse(in.substr(0, k));
  FUZZ_CHECK(first.incomplete() || first == st);
  FUZZ_CHECK(split.parse(in) == st);
  if (st.complete()) FUZZ_CHECK(same_head(whole.head(), split.head()));

  if (st.complete()) {  // the head alone parses the same
    request_parser again(fields_b, limits);
    FUZZ_CHECK(again.parse(in.substr(0, st.consumed)) == st);
  }
  return 0;
}
