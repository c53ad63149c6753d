#include "report/timeline_series.hpp"

#include <algorithm>
#include <charconv>

#include "report/html_text.hpp"

namespace barrage::report {
namespace {

using nlohmann::json;

std::optional<std::uint64_t> to_number(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

/// Splits on single spaces.
std::optional<std::string_view> next_token(std::string_view& rest) {
  if (rest.empty()) return std::nullopt;
  auto space = rest.find(' ');
  auto token = rest.substr(0, space);
  rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
  return token;
}

/// A group of seconds: its counts, and its successful latencies merged.
struct group {
  double requests = 0, errors = 0;
  std::optional<double> p50, p90, p99, max;  // fallback: the seconds' highest (no histograms)
  bool histograms = true;
  histogram merged;
};

void add_second(group& g, const json& p, bool merge, histogram_digest& scratch) {
  g.requests += number(p, "requests").value_or(0);
  g.errors += number(p, "errors").value_or(0);
  auto take_max = [](std::optional<double>& into, std::optional<double> v) {
    if (v && (!into || *v > *into)) into = v;
  };
  auto h = parse_digest(text(p, "histogram"));
  if (h) {
    scratch = std::move(*h);
    if (merge) g.merged.merge(scratch);
  } else {
    g.histograms = false;
  }
  const bool successes = h ? scratch.total > 0 : number(p, "requests").value_or(0) > number(p, "errors").value_or(0);
  if (!successes) return;
  take_max(g.p50, number(p, "p50_ms"));
  take_max(g.p90, number(p, "p90_ms"));
  take_max(g.p99, number(p, "p99_ms"));
  take_max(g.max, number(p, "max_ms"));
}

void add_point(timeline_series& out, group& g, double first_second, unsigned seconds) {
  out.second.push_back(first_second);
  out.requests_per_s.push_back(round_significant(g.requests / seconds));
  out.errors_per_s.push_back(round_significant(g.errors / seconds));
  auto rounded = [](std::optional<double> v) { return v ? std::optional(round_significant(*v)) : v; };
  if (seconds > 1 && g.histograms && g.merged.count() > 0) {
    // The group's own percentiles; the max stays the exact one of its seconds.
    g.p50 = static_cast<double>(g.merged.value_at_percentile(50)) / 1e6;
    g.p90 = static_cast<double>(g.merged.value_at_percentile(90)) / 1e6;
    g.p99 = static_cast<double>(g.merged.value_at_percentile(99)) / 1e6;
  }
  out.p50.push_back(rounded(g.p50));
  out.p90.push_back(rounded(g.p90));
  out.p99.push_back(rounded(g.p99));
  out.max.push_back(rounded(g.max));
}

}  // namespace

result<histogram_digest, std::string> parse_digest(std::string_view h1) {
  auto bad = [](const char* why) { return fail(std::string("bad serialized histogram: ") + why); };
  std::string_view rest = h1;
  if (next_token(rest) != std::optional<std::string_view>("h1")) return bad("expected the \"h1\" header");
  histogram_digest d;
  std::uint64_t* fields[] = {&d.min, &d.max, &d.sum, &d.overflow};
  for (auto* f : fields) {
    auto token = next_token(rest);
    auto v = token ? to_number(*token) : std::nullopt;
    if (!v) return bad("expected min, max, sum and overflow");
    *f = *v;
  }
  std::uint64_t index = 0;
  while (auto token = next_token(rest)) {
    auto colon = token->find(':');
    auto gap = to_number(token->substr(0, colon));
    auto n = colon == std::string_view::npos ? std::optional<std::uint64_t>{1} : to_number(token->substr(colon + 1));
    if (!gap || !n || *n == 0 || (!d.counters.empty() && *gap == 0)) return bad("malformed bucket");
    if (*gap >= histogram::bucket_count - index) return bad("bucket index out of range");
    index += *gap;
    d.counters.push_back({static_cast<std::uint32_t>(index), *n});
    if (d.total + *n < d.total) return bad("count overflows");
    d.total += *n;
  }
  // As histogram::deserialize checks: merge() and reset() rely on min and max naming the end
  // counters.
  if (d.counters.empty()) {
    if (d.min || d.max || d.sum || d.overflow) return bad("empty but with a min, max, sum or overflow");
    return d;
  }
  if (d.max > histogram::max_value || d.min > d.max || histogram::index_of(d.min) != d.counters.front().index ||
      histogram::index_of(d.max) != d.counters.back().index)
    return bad("min or max disagrees with the buckets");
  return d;
}

timeline_series make_timeline_series(const json& timeline, std::size_t max_points) {
  if (!timeline.is_array() || timeline.empty()) return {};
  max_points = std::max<std::size_t>(max_points, 1);
  return group_timeline(timeline, static_cast<unsigned>((timeline.size() + max_points - 1) / max_points));
}

timeline_series group_timeline(const json& timeline, unsigned step_s) {
  timeline_series out;
  if (!timeline.is_array() || timeline.empty()) return out;
  const std::size_t n = timeline.size();
  out.step_s = std::max(step_s, 1u);
  histogram_digest scratch;
  group g;
  for (std::size_t first = 0; first < n; first += out.step_s) {
    const std::size_t end = std::min(n, first + out.step_s);
    g.requests = g.errors = 0;
    g.p50 = g.p90 = g.p99 = g.max = std::nullopt;
    g.histograms = true;
    if (out.step_s > 1) g.merged.reset();
    for (std::size_t i = first; i < end; ++i) add_second(g, timeline[i], out.step_s > 1, scratch);
    const double second = number(timeline[first], "second").value_or(static_cast<double>(first));
    add_point(out, g, second, static_cast<unsigned>(end - first));
  }
  return out;
}

}  // namespace barrage::report
