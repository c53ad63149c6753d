#pragma once
// Command-line values with bounds: a count or a duration that must lie in a range. Shared by
// the load generator's and the server's options. Errors are one line that quotes the text
// (base/quote_text) and says what is allowed:
//   bad count "0": must be between 1 and 1024
//   bad duration "2y": unknown unit "y" (use ns, us, ms, s, m, h)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/result.hpp"

namespace barrage {

/// The longest duration an option takes: a year (8760h). Far below duration::max(), so that
/// time_point + value never overflows.
inline constexpr duration max_option_duration = std::chrono::hours(8760);

/// A whole count (base/units parse_count: "50", "10k") in [lo, hi].
result<std::uint64_t, std::string> parse_count_in(std::string_view text, std::uint64_t lo,
                                                  std::uint64_t hi);

/// A duration (base/units parse_duration: "250ms", "10s") in [lo, hi]; lo = 1ns reads
/// "must be above 0".
result<duration, std::string> parse_duration_in(std::string_view text, duration lo, duration hi);

/// Reads a command's options one after the other: each given text through its parser into
/// its field, until the first error, which gets the option's name in front:
///   --threads: bad count "0": must be between 1 and 1024
class option_reader {
 public:
  /// Does nothing when `text` is absent (the field keeps its default) or an error came before.
  template <class T, class Parse>
  void read(const char* name, const std::optional<std::string>& text, Parse parse, T& out) {
    if (!text || error_) return;
    auto r = parse(*text);
    if (!r) error_ = std::string(name) + ": " + r.error();
    else out = static_cast<T>(std::move(*r));
  }
  /// A problem between options ("give one or the other"), unless an error came before.
  void refuse(std::string message) {
    if (!error_) error_ = std::move(message);
  }
  const std::optional<std::string>& error() const noexcept { return error_; }

 private:
  std::optional<std::string> error_;
};

}  // namespace barrage
