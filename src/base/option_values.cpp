#include "base/option_values.hpp"

#include "base/quote_text.hpp"
#include "base/units.hpp"

namespace barrage {

result<std::uint64_t, std::string> parse_count_in(std::string_view text, std::uint64_t lo,
                                                  std::uint64_t hi) {
  auto n = parse_count(text);
  if (!n) return fail(n.error());
  if (*n < lo || *n > hi)
    return fail("bad count " + quote_text(text) + ": must be between " + std::to_string(lo) +
                " and " + std::to_string(hi));
  return *n;
}

result<duration, std::string> parse_duration_in(std::string_view text, duration lo, duration hi) {
  auto d = parse_duration(text);
  if (!d) return fail(d.error());
  const std::string bad = "bad duration " + quote_text(text) + ": must be ";
  if (*d < lo) return fail(bad + (lo == std::chrono::nanoseconds(1) ? "above 0" : "at least " + format_duration(lo)));
  if (*d > hi) return fail(bad + "at most " + format_duration(hi));
  return *d;
}

}  // namespace barrage
