// libFuzzer harness: the Server-Sent Events parser on arbitrary bytes. First byte: where to
// split the rest in two. Checks: the events (type, data, last id), the error, the retry and
// the comment count do not depend on the split; a feed makes progress or dispatches; the
// buffers stay within the limits; a failed parser consumes nothing more.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "http/sse_parser.hpp"

using namespace barrage::http;

namespace {

constexpr sse_limits limits{.max_line = 512, .max_event = 2048};

struct outcome {
  std::vector<std::string> events;  // type '\0' data '\0' id
  sse_error error = sse_error::none;
  std::optional<std::uint64_t> retry;
  std::uint64_t comments = 0;
  bool cut = false;
  bool operator==(const outcome&) const = default;
};

void feed_all(sse_parser& p, std::string_view in, outcome& o) {
  while (!in.empty() && o.error == sse_error::none) {
    const sse_step s = p.feed(in);
    FUZZ_CHECK(s.consumed <= in.size());
    FUZZ_CHECK(s.consumed > 0 || s.dispatched || s.error != sse_error::none);
    in.remove_prefix(s.consumed);
    if (s.dispatched) {
      const sse_event e = p.event();
      // A line's invalid bytes may each become U+FFFD (3 bytes): fields up to 3 lines long.
      FUZZ_CHECK(!e.type.empty() && e.data.size() <= limits.max_event && e.type.size() <= 3 * limits.max_line &&
                 e.last_event_id.size() <= 3 * limits.max_line);
      FUZZ_CHECK(is_utf8(e.type) && is_utf8(e.data) && is_utf8(e.last_event_id));
      std::string one(e.type);
      one.push_back('\0');
      one.append(e.data).push_back('\0');
      one.append(e.last_event_id);
      o.events.push_back(std::move(one));
    }
    o.error = s.error;
  }
  if (o.error != sse_error::none) FUZZ_CHECK(p.feed(in).consumed == 0);
}

outcome run(std::string_view a, std::string_view b) {
  sse_parser p(limits);
  outcome o;
  feed_all(p, a, o);
  feed_all(p, b, o);
  o.retry = p.retry_ms();
  o.comments = p.comments();
  o.cut = p.finish();
  FUZZ_CHECK(p.events() == o.events.size());
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const outcome whole = run(in, {});
  const std::size_t k = fuzz::split_point(data[0], in.size());
  FUZZ_CHECK(whole == run(in.substr(0, k), in.substr(k)));
  return 0;
}
