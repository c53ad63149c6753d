#pragma once
// The Prometheus text exposition format (0.0.4): what `barrage serve`'s /metrics and the
// generator's --metrics-listen page are both written with.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace barrage {

/// Writes the text exposition format: families with their # HELP and # TYPE lines, then
/// their samples.
class exposition {
 public:
  explicit exposition(std::string& out) noexcept : out_(out) {}
  void family(std::string_view name, std::string_view type, std::string_view help);
  /// `labels` rendered without braces, e.g. `code="200"`; empty for none.
  void sample(std::string_view name, std::string_view labels, double value);
  void sample(std::string_view name, std::string_view labels, std::uint64_t value);
  void sample(std::string_view name, std::string_view labels, std::int64_t value);
  /// _bucket lines (cumulative, ending with le="+Inf"), then _sum and _count. `counts` has
  /// one entry per bound plus the last for +Inf, each counting its bucket alone.
  void histogram(std::string_view name, std::string_view labels, std::span<const double> bounds,
                 std::span<const std::uint64_t> counts, double sum);

 private:
  void begin_sample(std::string_view name, std::string_view suffix, std::string_view labels, std::string_view extra);
  std::string& out_;
};

/// Formats a sample value: shortest round-trip decimal, "+Inf", "-Inf" or "NaN".
void append_metric_value(std::string& out, double v);

}  // namespace barrage
