#include "base/units.hpp"

#include <cmath>
#include <limits>
#include <optional>
#include <span>

#include "base/quote_text.hpp"

namespace barrage {
namespace {

// 128-bit intermediates keep every scaling step exact (no floating point in the integer paths).
__extension__ typedef unsigned __int128 u128;

constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t i64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::uint64_t ns_per_s = 1'000'000'000;

constexpr u128 pow10(int n) {  // n in [0, 38]
  u128 p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

// ---------------------------------------------------------------------------------------------
// Reading

// A non-negative decimal exactly as typed: mantissa × 10^-fraction_digits.
struct decimal {
  std::uint64_t mantissa = 0;
  int fraction_digits = 0;  // trailing zeros of the fraction are not counted
};

// A number and the unit written after it ("" when there is none).
struct term {
  decimal number;
  std::string_view unit;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_unit_char(char c) { return !is_digit(c) && c != '.' && c != ' '; }

// Builds `bad <what> "<text>": <reason>`.
struct complaint {
  std::string_view what;
  std::string_view text;
  failure<std::string> operator()(const std::string& reason) const {
    return fail("bad " + std::string(what) + " " + quote_text(text) + ": " + reason);
  }
};

// mantissa = mantissa × 10 + digit; false on overflow.
bool append_digit(std::uint64_t& mantissa, char c) {
  auto digit = static_cast<std::uint64_t>(c - '0');
  if (mantissa > (u64_max - digit) / 10) return false;
  mantissa = mantissa * 10 + digit;
  return true;
}

// Reads `digits[.digits]` or `.digits` from the front of `rest`; the error is the reason.
result<decimal, std::string> read_decimal(std::string_view& rest) {
  decimal d;
  std::size_t i = 0, digits = 0;
  for (; i < rest.size() && is_digit(rest[i]); ++i, ++digits)
    if (!append_digit(d.mantissa, rest[i])) return fail(std::string("too large"));
  if (i < rest.size() && rest[i] == '.') {
    std::size_t first = ++i, zeros = 0;  // zeros: pending, dropped if nothing follows them
    for (; i < rest.size() && is_digit(rest[i]); ++i, ++digits) {
      if (rest[i] == '0') {
        ++zeros;
        continue;
      }
      for (; zeros > 0; --zeros, ++d.fraction_digits)
        if (!append_digit(d.mantissa, '0')) return fail(std::string("too many digits"));
      if (!append_digit(d.mantissa, rest[i])) return fail(std::string("too many digits"));
      ++d.fraction_digits;
    }
    if (i == first) return fail(std::string("expected digits after the decimal point"));
  }
  if (digits == 0) return fail(std::string("expected a number"));
  rest.remove_prefix(i);
  return d;
}

// Reads the unit after a number: one optional space, then a run of unit characters.
std::string_view read_unit(std::string_view& rest) {
  std::size_t start = rest.size() >= 2 && rest[0] == ' ' && is_unit_char(rest[1]) ? 1 : 0;
  std::size_t end = start;
  while (end < rest.size() && is_unit_char(rest[end])) ++end;
  auto unit = rest.substr(start, end - start);
  rest.remove_prefix(end);
  return unit;
}

// Problems visible before reading anything.
std::optional<std::string> leading_problem(std::string_view text) {
  if (text.empty()) return "empty";
  if (text[0] == '-') return "negative values are not allowed";
  return std::nullopt;
}

// Parses "<number>[ ][unit]" and nothing more; the error is the reason.
result<term, std::string> read_single(std::string_view text) {
  if (auto problem = leading_problem(text)) return fail(*problem);
  std::string_view rest = text;
  auto number = read_decimal(rest);
  if (!number) return fail(number.error());
  term t{*number, read_unit(rest)};
  if (rest.empty()) return t;
  if ((t.unit == "e" || t.unit == "E") && is_digit(rest[0]))
    return fail(std::string("exponent notation is not supported (use k, M, G)"));
  return fail("unexpected " + quote_text(rest) + " after " +
              quote_text(text.substr(0, text.size() - rest.size())));
}

// number × scale as an integer, rounded half up; `exact` when no fraction was dropped.
struct scaled {
  u128 value;
  bool exact;
};
scaled scale(decimal d, std::uint64_t unit) {
  u128 num = static_cast<u128>(d.mantissa) * unit;
  if (d.fraction_digits == 0) return {num, true};
  if (d.fraction_digits > 38) return {0, num == 0};  // num < 2^128 < 10^39 / 2
  u128 div = pow10(d.fraction_digits);
  u128 q = num / div, r = num % div;
  if (r != 0 && r >= div - r) ++q;
  return {q, r == 0};
}

// The value of an SI prefix letter (k m g t p e, any case) as a power of `base`; 0 if unknown.
std::uint64_t prefix_value(char letter, std::uint64_t base) {
  static constexpr std::string_view letters = "kmgtpe";
  auto at = letters.find(static_cast<char>(letter | 0x20));  // ASCII lowercase
  if (at == std::string_view::npos) return 0;
  std::uint64_t v = 1;
  for (std::size_t i = 0; i <= at; ++i) v *= base;
  return v;
}

// Count and rate suffixes: a single prefix letter; 0 if unknown.
std::uint64_t count_unit(std::string_view name) {
  if (name.empty()) return 1;
  return name.size() == 1 ? prefix_value(name[0], 1000) : 0;
}

// Size units: "", "B", or a prefix letter, then "i" for binary, then an optional "B"; 0 if
// unknown. Case-insensitive.
std::uint64_t size_unit(std::string_view name) {
  auto is = [](char c, char lower) { return (c | 0x20) == lower; };
  if (!name.empty() && is(name.back(), 'b')) name.remove_suffix(1);
  if (name.empty()) return 1;
  bool binary = name.size() == 2 && is(name[1], 'i');
  if (name.size() != 1 && !binary) return 0;
  return prefix_value(name[0], binary ? 1024 : 1000);
}

struct duration_unit {
  std::string_view name;
  std::uint64_t ns;
};
constexpr duration_unit duration_units[] = {
    {"ns", 1},
    {"us", 1'000},
    {"\xc2\xb5s", 1'000},  // µs, MICRO SIGN
    {"\xce\xbcs", 1'000},  // μs, GREEK SMALL LETTER MU
    {"ms", 1'000'000},
    {"s", ns_per_s},
    {"m", 60 * ns_per_s},
    {"h", 3600 * ns_per_s},
};

std::optional<std::uint64_t> duration_unit_ns(std::string_view name) {
  for (const auto& u : duration_units)
    if (u.name == name) return u.ns;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Writing

// value / unit to three significant digits as digits × 10^-decimals, with 2, 1 or 0 decimals
// (1000 units or more come out whole). Rounds half up, except that it rounds down when rounding
// up would give a text that parses back above `ceiling`.
struct rounded {
  u128 digits;
  int decimals;
};
rounded three_digits(std::uint64_t value, std::uint64_t unit, std::uint64_t ceiling) {
  for (int decimals = 2;; --decimals) {
    u128 num = static_cast<u128>(value) * pow10(decimals);
    u128 q = num / unit, r = num % unit;
    if (r != 0 && r >= unit - r && (q + 1) * unit <= static_cast<u128>(ceiling) * pow10(decimals))
      ++q;
    if (q < 1000 || decimals == 0) return {q, decimals};
  }
}

// The displayed value is at least `threshold` units.
bool reaches(rounded r, std::uint64_t threshold) {
  return r.digits >= threshold * pow10(r.decimals);
}

std::string to_text(rounded r) {
  auto whole = std::to_string(static_cast<std::uint64_t>(r.digits / pow10(r.decimals)));
  if (r.decimals == 0) return whole;
  auto frac = std::to_string(static_cast<std::uint64_t>(r.digits % pow10(r.decimals)));
  return whole + "." + std::string(static_cast<std::size_t>(r.decimals) - frac.size(), '0') + frac;
}

// One minute or more: whole seconds (rounded) as "1h0m1s", dropping trailing zero parts.
std::string long_duration(std::uint64_t ns) {
  std::uint64_t s = ns / ns_per_s;
  if (ns % ns_per_s >= ns_per_s / 2 && s + 1 <= i64_max / ns_per_s) ++s;
  std::uint64_t h = s / 3600, m = s / 60 % 60;
  s %= 60;
  std::string out;
  if (h > 0) out = std::to_string(h) + "h";
  if (h == 0 || m > 0 || s > 0) out += std::to_string(m) + "m";
  if (s > 0) out += std::to_string(s) + "s";
  return out;
}

std::string short_duration(std::uint64_t ns) {
  static constexpr duration_unit units[] = {{"us", 1'000}, {"ms", 1'000'000}, {"s", ns_per_s}};
  std::size_t u = ns < 1'000'000 ? 0 : ns < ns_per_s ? 1 : 2;
  auto r = three_digits(ns, units[u].ns, i64_max);
  while (u < 2 && reaches(r, 1000)) r = three_digits(ns, units[++u].ns, i64_max);
  if (u == 2 && reaches(r, 60)) return long_duration(ns);
  return to_text(r) + std::string(units[u].name);
}

// n (at least `base`) in the largest unit of `names` (base, base², ...) that keeps it below
// `base` units once rounded: "12.3k", "1.50 MiB".
std::string with_prefix(std::uint64_t n, std::uint64_t base,
                        std::span<const std::string_view> names, std::string_view separator) {
  std::size_t u = 0;
  std::uint64_t unit = base;
  for (; u + 1 < names.size() && n / unit >= base; ++u) unit *= base;
  auto r = three_digits(n, unit, u64_max);
  if (u + 1 < names.size() && reaches(r, base)) {
    ++u;
    r = three_digits(n, unit *= base, u64_max);
  }
  return to_text(r) + std::string(separator) + std::string(names[u]);
}

}  // namespace

// ---------------------------------------------------------------------------------------------

result<duration, std::string> parse_duration(std::string_view text) {
  complaint bad{"duration", text};
  if (auto problem = leading_problem(text)) return bad(*problem);
  std::string_view rest = text;
  u128 total = 0;
  while (!rest.empty()) {
    auto done = text.substr(0, text.size() - rest.size());
    std::string_view number_text = rest;
    auto number = read_decimal(rest);
    if (!number)
      return bad(done.empty() ? number.error()
                              : "unexpected " + quote_text(number_text) + " after " + quote_text(done));
    number_text = number_text.substr(0, number_text.size() - rest.size());
    auto name = read_unit(rest);
    std::uint64_t unit_ns = ns_per_s;  // a lone bare number is seconds
    if (!name.empty()) {
      auto known = duration_unit_ns(name);
      if (!known) return bad("unknown unit " + quote_text(name) + " (use ns, us, ms, s, m, h)");
      unit_ns = *known;
    } else if (!rest.empty()) {
      return bad("unexpected " + quote_text(rest) + " after " +
                 quote_text(text.substr(0, text.size() - rest.size())));
    } else if (!done.empty()) {
      return bad("missing unit after " + quote_text(number_text));
    }
    total += scale(*number, unit_ns).value;
    if (total > i64_max) return bad("too large (the maximum is about 292 years)");
  }
  return duration{static_cast<duration::rep>(total)};
}

result<std::uint64_t, std::string> parse_count(std::string_view text) {
  complaint bad{"count", text};
  auto t = read_single(text);
  if (!t) return bad(t.error());
  std::uint64_t unit = count_unit(t->unit);
  if (unit == 0) return bad("unknown unit " + quote_text(t->unit) + " (use k, M, G, T, P, E)");
  auto v = scale(t->number, unit);
  if (!v.exact) return bad("not a whole number");
  if (v.value > u64_max) return bad("too large (the maximum is 18.4E)");
  return static_cast<std::uint64_t>(v.value);
}

result<std::uint64_t, std::string> parse_size(std::string_view text) {
  complaint bad{"size", text};
  auto t = read_single(text);
  if (!t) return bad(t.error());
  std::uint64_t unit = size_unit(t->unit);
  if (unit == 0)
    return bad("unknown unit " + quote_text(t->unit) + " (use B, kB, MB, GB, KiB, MiB, GiB)");
  auto v = scale(t->number, unit);
  if (v.value > u64_max) return bad("too large (the maximum is 16 EiB)");
  return static_cast<std::uint64_t>(v.value);
}

result<double, std::string> parse_rate(std::string_view text) {
  complaint bad{"rate", text};
  auto t = read_single(text);
  if (!t) return bad(t.error());
  std::uint64_t unit = count_unit(t->unit);
  if (unit == 0) return bad("unknown unit " + quote_text(t->unit) + " (use k, M, G)");
  if (t->number.mantissa == 0) return bad("must be greater than 0");
  // Powers of ten up to 1e22 are exact doubles, so realistic inputs are correctly rounded.
  double v = static_cast<double>(t->number.mantissa) * static_cast<double>(unit) /
             std::pow(10.0, t->number.fraction_digits);
  if (!(v > 0)) return bad("too small");
  return v;
}

std::string format_duration(duration d) {
  auto rep = d.count();
  auto ns = rep < 0 ? 0 - static_cast<std::uint64_t>(rep) : static_cast<std::uint64_t>(rep);
  std::string sign = rep < 0 ? "-" : "";
  if (ns < 1'000) return sign + std::to_string(ns) + "ns";
  if (ns < 60 * ns_per_s) return sign + short_duration(ns);
  return sign + long_duration(ns);
}

std::string format_count(std::uint64_t n) {
  static constexpr std::string_view letters[] = {"k", "M", "G", "T", "P", "E"};
  return n < 1'000 ? std::to_string(n) : with_prefix(n, 1'000, letters, "");
}

std::string format_bytes(std::uint64_t bytes) {
  static constexpr std::string_view names[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  return bytes < 1'024 ? std::to_string(bytes) + " B" : with_prefix(bytes, 1'024, names, " ");
}

}  // namespace barrage
