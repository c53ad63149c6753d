// libFuzzer harness: the response parser on arbitrary bytes. First byte: bit 0 says the
// request was HEAD, the byte also picks where to split the rest in two. Checks as for the
// request parser, plus the no-body statuses and the interim bound.
#include <array>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/body_reader.hpp"
#include "http/response_parser.hpp"

using namespace barrage::http;

namespace {

constexpr response_limits limits{.max_head_bytes = 8192, .max_status_line = 2048, .max_headers = 32, .max_interim = 4};

void check_head(const response_head& h, std::string_view in, bool to_head) {
  FUZZ_CHECK(fuzz::within(h.reason, in));
  for (const header& f : h.headers) FUZZ_CHECK(fuzz::within(f.name, in) && fuzz::within(f.value, in));
  FUZZ_CHECK(h.status >= 100 && h.status <= 599);
  FUZZ_CHECK(h.status >= 200 || h.status == 101);
  FUZZ_CHECK(h.interim <= limits.max_interim);
  if (to_head || h.status == 204 || h.status == 304 || h.status < 200) FUZZ_CHECK(h.body.kind == body_kind::none);
  if (h.body.kind == body_kind::until_close) FUZZ_CHECK(!h.keep_alive);
}

bool same_head(const response_head& a, const response_head& b) {
  return a.status == b.status && a.reason == b.reason && a.body == b.body &&
         a.keep_alive == b.keep_alive && a.headers.size() == b.headers.size() &&
         a.interim == b.interim && a.version == b.version;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool to_head = (data[0] & 1) != 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::array<header, 32> fields_a, fields_b;

  response_parser whole(fields_a, limits);
  whole.reset(to_head);
  const parse_status st = whole.parse(in);
  if (st.complete()) {
    FUZZ_CHECK(st.consumed <= in.size() && in.substr(st.consumed - 4, 4) == "\r\n\r\n");
    check_head(whole.head(), in, to_head);
    body_reader body(whole.head().body);
    const body_step step = body.skip(in.substr(st.consumed));
    FUZZ_CHECK(step.consumed <= in.size() - st.consumed);
    if (body.kind() == body_kind::until_close) FUZZ_CHECK(body.finish().done());
  }

  response_parser split(fields_b, limits);
  split.reset(to_head);
  const parse_status first = split.parse(in.substr(0, fuzz::split_point(data[0], in.size())));
  FUZZ_CHECK(first.incomplete() || first == st);
  FUZZ_CHECK(split.parse(in) == st);
  if (st.complete()) FUZZ_CHECK(same_head(whole.head(), split.head()));
  return 0;
}
