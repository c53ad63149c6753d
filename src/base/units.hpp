#pragma once
// Quantities a user types on the command line or in a config file — durations, counts, sizes,
// rates — and their short human rendering for reports.
//
// Grammar shared by every parser: a non-negative decimal number (`12`, `1.5`, `.5`; no sign,
// no exponent, at most 19 significant digits), then an optional unit, optionally separated from
// the number by one space ("1.50 MiB"). Nothing else may follow. Errors are one line of text:
//   bad duration "10x": unknown unit "x" (use ns, us, ms, s, m, h)
//
// Every format_* output parses back with the matching parser, and formatting the parsed value
// gives the same text again (the fuzz harness checks both).
#include <cstdint>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/result.hpp"

namespace barrage {

/// "250ms", "1.5m", "1h30m", "500us" (also "µs"), "100ns", "0.5s". A bare number means seconds
/// ("10" = 10 s). Units are case-sensitive: ns, us, ms, s, m (minute), h. Several terms may be
/// chained as in "2m30s" (then each needs a unit). Sub-nanosecond parts round to the nearest ns.
/// Rejects negatives and values beyond duration::max() (about 292 years).
result<duration, std::string> parse_duration(std::string_view text);

/// "1000", "10k", "1.5M", "2G". Suffixes are SI and case-insensitive: k = 1e3, m/M = 1e6 (a count
/// has no "milli", so lowercase m means million), g = 1e9, t = 1e12, p = 1e15, e = 1e18.
/// The value must be a whole number: "1.5k" = 1500, but "1.5" and "0.0001k" are errors.
result<std::uint64_t, std::string> parse_count(std::string_view text);

/// Bytes: "512", "512B", "64k" / "64kB" (SI, 64'000), "64KiB" (binary, 65'536), up to E / EiB.
/// Unit letters are case-insensitive and the trailing B is optional; "i" selects powers of
/// 1024. Fractions round to the nearest byte ("1.5KiB" = 1536).
result<std::uint64_t, std::string> parse_size(std::string_view text);

/// Requests per second, > 0: "1000", "2.5", "10k" (same suffixes as parse_count).
result<double, std::string> parse_rate(std::string_view text);

/// Three significant digits below one minute ("999ns", "12.3us", "250ms", "1.50s", "59.9s"),
/// whole seconds as h/m/s above ("1m", "2m30s", "1h", "1h0m1s"). Negative values get a "-".
std::string format_duration(duration d);

/// Below 1000 exactly ("999"), then three significant digits with k, M, G, T, P, E ("12.3k").
std::string format_count(std::uint64_t n);

/// Below 1 KiB exactly ("512 B"), then three significant digits in binary units ("1.50 MiB",
/// "64.0 KiB"; 1000–1023 of a unit show four digits, "1023 KiB").
std::string format_bytes(std::uint64_t bytes);

}  // namespace barrage
