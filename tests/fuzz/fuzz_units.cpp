// libFuzzer harness for base/units: the four parsers never crash, errors are one line, and
// whatever parses survives format → parse → format unchanged and within rounding.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "base/units.hpp"

namespace {

using namespace barrage;

void check(bool ok, const char* what, std::string_view input) {
  if (ok) return;
  std::fprintf(stderr, "invariant broken: %s (input %zu bytes: \"%.*s\")\n", what, input.size(),
               static_cast<int>(input.size()), input.data());
  std::abort();
}

bool relative_close(double got, double want, double tolerance) {
  return want == 0 ? got == 0 : std::abs(got - want) <= std::abs(want) * tolerance;
}

template <class T>
void check_error(const result<T, std::string>& r, std::string_view prefix, std::string_view input) {
  if (r.ok()) return;
  check(r.error().rfind(prefix, 0) == 0, "error starts with bad <what>", input);
  check(r.error().find('\n') == std::string::npos, "error is one line", input);
}

// The format → parse → format cycle for one value. Three significant digits, or whole seconds
// past a minute, mean at most 1 % away (0.5 % when rounding to nearest is allowed).
template <class Parse, class Format, class V>
void check_round_trip(V value, Parse parse, Format format, std::string_view input) {
  auto text = format(value);
  auto back = parse(text);
  check(back.ok(), "formatted text parses", text);
  check(format(*back) == text, "format(parse(format(v))) == format(v)", text);
  check(relative_close(static_cast<double>(*back), static_cast<double>(value), 0.01),
        "round trip within 1 %", input);
}

// Durations as plain nanosecond counts, so they go through the same checks as the integers.
result<std::int64_t, std::string> parse_ns(std::string_view text) {
  auto r = parse_duration(text);
  if (!r.ok()) return fail(r.error());
  return r->count();
}
std::string format_ns(std::int64_t ns) { return format_duration(duration{ns}); }

void check_text(std::string_view text) {
  auto d = parse_duration(text);
  check_error(d, "bad duration \"", text);
  if (d.ok()) {
    check(d->count() >= 0, "durations are never negative", text);
    check_round_trip(d->count(), parse_ns, format_ns, text);
  }
  auto c = parse_count(text);
  check_error(c, "bad count \"", text);
  if (c.ok()) check_round_trip(*c, parse_count, format_count, text);
  auto s = parse_size(text);
  check_error(s, "bad size \"", text);
  if (s.ok()) check_round_trip(*s, parse_size, format_bytes, text);
  auto r = parse_rate(text);
  check_error(r, "bad rate \"", text);
  if (r.ok()) check(std::isfinite(*r) && *r > 0, "rates are finite and positive", text);
  // Counts and rates share their grammar: a non-zero count is the same rate.
  if (c.ok() && *c != 0)
    check(r.ok() && relative_close(*r, static_cast<double>(*c), 1e-12), "count == rate", text);
}

void check_value(std::uint64_t v) {
  std::string_view none;
  check_round_trip(v, parse_count, format_count, none);
  check_round_trip(v, parse_size, format_bytes, none);
  auto ns = static_cast<std::int64_t>(v >> 1);  // every non-negative duration
  check_round_trip(ns, parse_ns, format_ns, none);
  check(format_duration(duration{-ns - 1})[0] == '-', "negative durations format with a sign",
        none);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check_text(std::string_view(reinterpret_cast<const char*>(data), size));
  std::uint64_t v = 0;
  std::memcpy(&v, data, size < sizeof v ? size : sizeof v);
  check_value(v);
  return 0;
}
