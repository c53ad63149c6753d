// libFuzzer harness: the chunked decoder on arbitrary bytes. First byte: where to split the
// rest in two. Checks: data views inside the input and never more data than input, the
// decoded bytes, consumed count and final state do not depend on the split, and a decoder
// that stopped consumes nothing more.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/chunked_decoder.hpp"

using namespace barrage::http;

namespace {

constexpr chunked_limits limits{.max_chunk_line = 256, .max_trailer_bytes = 1024};

struct outcome {
  std::string data;
  std::size_t consumed = 0;
  body_state state = body_state::in_progress;
  parse_error error = parse_error::none;
  bool operator==(const outcome&) const = default;
};

void feed_all(chunked_decoder& d, std::string_view piece, outcome& o) {
  while (!piece.empty() && o.state == body_state::in_progress) {
    const body_step step = d.feed(piece);
    FUZZ_CHECK(step.consumed <= piece.size());
    FUZZ_CHECK(fuzz::within(step.data, piece.substr(0, step.consumed)));
    FUZZ_CHECK(step.consumed > 0 || step.state != body_state::in_progress);
    o.data.append(step.data);
    o.consumed += step.consumed;
    o.state = step.state;
    o.error = step.error;
    piece.remove_prefix(step.consumed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  chunked_decoder whole(limits);
  outcome a;
  feed_all(whole, in, a);
  FUZZ_CHECK(a.consumed <= in.size() && a.data.size() <= a.consumed);
  FUZZ_CHECK((a.state == body_state::error) == (a.error != parse_error::none));
  if (a.state != body_state::in_progress) FUZZ_CHECK(whole.feed(in).consumed == 0);
  if (a.state == body_state::in_progress) FUZZ_CHECK(a.consumed == in.size());

  chunked_decoder split(limits);
  outcome b;
  const std::size_t k = fuzz::split_point(data[0], in.size());
  feed_all(split, in.substr(0, k), b);
  if (b.state == body_state::in_progress) feed_all(split, in.substr(k), b);
  FUZZ_CHECK(a == b);
  return 0;
}
