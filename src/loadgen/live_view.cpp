#include "loadgen/live_view.hpp"

#include <fmt/format.h>

#include <cmath>

#include "base/units.hpp"

namespace barrage::loadgen {
namespace {

std::string rate_text(double per_second) {
  if (!(per_second > 0)) return "0";
  if (per_second < 10) return fmt::format("{:.1f}", per_second);
  return format_count(static_cast<std::uint64_t>(std::llround(per_second)));
}

}  // namespace

std::string format_clock(duration d) {
  auto s = d.count() < 0 ? 0 : std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

std::string format_live_line(const live_snapshot& s) {
  std::string out;
  auto it = std::back_inserter(out);
  auto clock = format_clock(s.elapsed);
  if (s.planned) clock += "/" + format_clock(*s.planned);
  fmt::format_to(it, "{:>9}", clock);
  if (s.warming_up) fmt::format_to(it, " warm-up");
  auto rate = rate_text(s.requests_per_second);
  if (s.target_rate) rate += "/" + rate_text(*s.target_rate);
  fmt::format_to(it, "  {:>6} req/s", rate);
  auto lat = [&](duration d) { return s.responses ? format_duration(d) : std::string("-"); };
  fmt::format_to(it, "  p50 {:>7}  p99 {:>7}", lat(s.p50), lat(s.p99));
  fmt::format_to(it, "  err {:<5}  conn {:<5}", format_count(s.errors), format_count(s.open_connections));
  fmt::format_to(it, "  cpu {:>3.0f}%  rss {:>9}  fd {}", s.cpu_percent, format_bytes(s.rss_bytes), s.open_fds);
  return out;
}

}  // namespace barrage::loadgen
