#include "loadgen/histogram.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

namespace barrage {

double histogram::mean() const noexcept {
  return total_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(total_);
}

double histogram::stdev() const noexcept {
  if (total_ == 0) return 0.0;
  double m = mean(), squares = 0.0;
  for (bucket b : buckets()) {
    double mid = static_cast<double>(b.lowest) + static_cast<double>(b.highest - b.lowest) / 2;
    squares += static_cast<double>(b.count) * (mid - m) * (mid - m);
  }
  return std::sqrt(squares / static_cast<double>(total_));
}

namespace {

/// The rank value_at_percentile(p) looks for: as HdrHistogram, p nudged down by one ulp so
/// that p × count landing a hair above a whole number through rounding (99.9 % of 1000 =
/// 999.0000000000001) does not skip a rank.
std::uint64_t rank_of(double p, std::uint64_t total) noexcept {
  double wanted = std::ceil(std::nextafter(std::min(p, 100.0), 0.0) / 100.0 * static_cast<double>(total));
  return std::clamp(static_cast<std::uint64_t>(wanted), std::uint64_t{1}, total);
}

}  // namespace

void histogram::values_at_percentiles(std::span<const double> ps, std::span<std::uint64_t> out) const noexcept {
  std::size_t k = 0;
  for (; k < ps.size() && (total_ == 0 || !(ps[k] > 0.0)); ++k) out[k] = total_ == 0 ? 0 : min_;
  std::uint64_t seen = 0;
  for (std::size_t i = first_index(), last = last_index(); k < ps.size() && i <= last; ++i) {
    seen += counts_[i];
    for (; k < ps.size() && seen >= rank_of(ps[k], total_); ++k) out[k] = std::min(highest_equivalent(i), max_);
  }
  for (; k < ps.size(); ++k) out[k] = max_;
}

std::uint64_t histogram::value_at_percentile(double p) const noexcept {
  if (total_ == 0) return 0;
  if (!(p > 0.0)) return min_;
  const std::uint64_t rank = rank_of(p, total_);
  std::uint64_t seen = 0;
  for (std::size_t i = first_index(), last = last_index(); i <= last; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(highest_equivalent(i), max_);
  }
  return max_;  // unreachable: the counters add up to total_
}

void histogram::merge(const histogram& other) noexcept {
  if (other.total_ == 0) return;
  for (std::size_t i = other.first_index(), last = other.last_index(); i <= last; ++i)
    counts_[i] += other.counts_[i];
  total_ += other.total_;
  overflow_ += other.overflow_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void histogram::merge(const histogram_digest& d) noexcept {
  if (d.total == 0) return;
  for (const auto& c : d.counters) counts_[c.index] += c.count;
  total_ += d.total;
  overflow_ += d.overflow;
  sum_ += d.sum;
  min_ = std::min(min_, d.min);
  max_ = std::max(max_, d.max);
}

void histogram::digest(histogram_digest& out) const {
  out.counters.clear();
  out.total = total_;
  out.overflow = overflow_;
  out.sum = sum_;
  out.min = min();
  out.max = max_;
  if (total_ == 0) return;
  const std::size_t first = first_index(), last = last_index();
  // Counted first, so that the vector is allocated once, at its size.
  out.counters.reserve(static_cast<std::size_t>(
      std::count_if(counts_.begin() + first, counts_.begin() + last + 1, [](std::uint64_t n) { return n != 0; })));
  for (std::size_t i = first; i <= last; ++i)
    if (counts_[i] != 0) out.counters.push_back({static_cast<std::uint32_t>(i), counts_[i]});
}

void histogram::reset() noexcept {
  if (total_ != 0)
    std::fill(counts_.begin() + first_index(), counts_.begin() + last_index() + 1, 0);
  total_ = overflow_ = sum_ = max_ = 0;
  min_ = UINT64_MAX;
}

// ---------------------------------------------------------------------------------------------
// Serialization

namespace {

constexpr std::string_view header = "h1";

// The space-separated tokens of a text, exactly: "a  b " is "a", "", "b", "".
class tokens {
 public:
  explicit tokens(std::string_view text) : rest_(text) {}
  std::optional<std::string_view> next() {
    if (done_) return std::nullopt;
    auto space = rest_.find(' ');
    auto token = rest_.substr(0, space);
    done_ = space == std::string_view::npos;
    rest_.remove_prefix(done_ ? rest_.size() : space + 1);
    return token;
  }

 private:
  std::string_view rest_;
  bool done_ = false;
};

// A whole token of decimal digits.
std::optional<std::uint64_t> to_number(std::optional<std::string_view> token) {
  if (!token) return std::nullopt;
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(token->data(), token->data() + token->size(), v);
  if (ec != std::errc{} || end != token->data() + token->size() || token->empty())
    return std::nullopt;
  return v;
}

// Appends `separator` and the decimal digits of `v`.
void append(std::string& out, char separator, std::uint64_t v) {
  char digits[20];
  auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
  out += separator;
  out.append(digits, end);
}

failure<std::string> bad(std::string_view reason) {
  return fail("bad histogram: " + std::string(reason));
}

}  // namespace

std::string histogram::serialize() const {
  std::string out{header};
  for (std::uint64_t v : {min(), max_, sum_, overflow_}) append(out, ' ', v);
  if (total_ == 0) return out;
  std::size_t previous = 0;
  for (std::size_t i = first_index(), last = last_index(); i <= last; ++i) {
    if (counts_[i] == 0) continue;
    append(out, ' ', i - previous);
    if (counts_[i] != 1) append(out, ':', counts_[i]);
    previous = i;
  }
  return out;
}

result<histogram, std::string> histogram::deserialize(std::string_view text) {
  tokens in(text);
  if (in.next() != header) return bad("expected the \"h1\" header");
  std::uint64_t fields[4];  // min, max, sum, overflow
  for (auto& field : fields) {
    auto v = to_number(in.next());
    if (!v) return bad("expected min, max, sum and overflow");
    field = *v;
  }
  histogram h;
  std::size_t index = 0, first = 0;
  bool any = false;
  while (auto next = in.next()) {
    auto token = *next;
    auto colon = token.find(':');
    auto gap = to_number(token.substr(0, colon));
    auto n = colon == std::string_view::npos ? std::optional<std::uint64_t>{1}
                                             : to_number(token.substr(colon + 1));
    if (!gap || !n || *n == 0 || (any && *gap == 0))
      return bad("malformed bucket \"" + std::string(token.substr(0, 40)) + "\"");
    if (*gap >= bucket_count - index) return bad("bucket index out of range");
    index += *gap;
    if (!any) first = index;
    any = true;
    h.counts_[index] = *n;
    if (h.total_ + *n < h.total_) return bad("count overflows");
    h.total_ += *n;
  }
  auto [min, max, sum, overflow] = fields;
  if (!any) {
    if (min != 0 || max != 0 || sum != 0 || overflow != 0)
      return bad("empty but with a min, max, sum or overflow");
    return h;
  }
  if (max > max_value || min > max || index_of(min) != first || index_of(max) != index)
    return bad("min or max disagrees with the buckets");
  if (overflow > h.counts_[index] || (overflow != 0 && max != max_value))
    return bad("overflow disagrees with the top bucket");
  auto floor_mean = sum / h.total_, ceil_mean = floor_mean + (sum % h.total_ != 0);
  if (floor_mean < min || ceil_mean > max) return bad("sum outside count × [min, max]");
  h.min_ = min;
  h.max_ = max;
  h.sum_ = sum;
  h.overflow_ = overflow;
  return h;
}

}  // namespace barrage
