#include "loadgen/ws_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>

#include "base/units.hpp"
#include "loadgen/report_json.hpp"
#include "loadgen/schedule.hpp"

namespace barrage::loadgen {
namespace {

using nlohmann::json;

std::string dur(double ns) { return format_duration(duration(static_cast<duration::rep>(std::llround(ns)))); }

std::string mode_text(const run_config& c) {
  if (c.ws.mode == ws_mode::listen)
    return c.ws.subscribe ? "listen: one subscribe message, then what the server pushes" : "listen: what the server pushes";
  if (c.ws.open_model())
    return fmt::format("echo, open model: {} message{}/s per connection, latency from the intended send time",
                       *c.ws.message_rate, *c.ws.message_rate == 1 ? "" : "s");
  return "echo, closed model: one message in flight per connection";
}

template <class Map>
std::string by_reason(const Map& m) {
  std::string out;
  for (const auto& [k, n] : m) out += fmt::format("{}{} {}", out.empty() ? "" : ", ", k, n);
  return out;
}

class text_out {
 public:
  explicit text_out(bool colour) : colour_(colour) {}
  void heading(std::string_view title, std::string_view note = {}) {
    out_ += '\n';
    out_ += colour_ ? fmt::format("\x1b[1m{}\x1b[0m", title) : std::string(title);
    if (!note.empty()) out_ += fmt::format("  {}", note);
    out_ += '\n';
  }
  void field(std::string_view key, std::string_view value) { out_ += fmt::format("  {:<18}{}\n", key, value); }
  /// min, percentiles, max of `h` in one row each.
  void percentiles(const histogram& h) {
    auto row = [&](std::string_view label, double ns) { out_ += fmt::format("  {:<8}{:>10}\n", label, dur(ns)); };
    row("min", static_cast<double>(h.min()));
    for (double p : {50.0, 90.0, 99.0, 99.9}) row(fmt::format("p{}", p), static_cast<double>(h.value_at_percentile(p)));
    row("max", static_cast<double>(h.max()));
    row("mean", h.mean());
  }
  std::string take() { return std::move(out_); }

 private:
  bool colour_;
  std::string out_;
};

std::string short_summary(const histogram& h) {
  if (h.count() == 0) return "none";
  return fmt::format("{}: p50 {}, p99 {}, max {}", h.count(), dur(static_cast<double>(h.value_at_percentile(50))),
                     dur(static_cast<double>(h.value_at_percentile(99))), dur(static_cast<double>(h.max())));
}

/// The chosen subprotocol, the connections that got another (a mixed pool), the offers.
std::string subprotocol_text(const ws_stats& s, const std::vector<std::string>& offered) {
  const std::string chosen = s.chosen_subprotocol();
  std::string out = chosen.empty() ? "none" : chosen;
  std::uint64_t with_any = 0;
  for (const auto& [name, n] : s.subprotocols) {
    with_any += n;
    if (name != chosen) out += fmt::format("; {} on {} connection{}", name, n, n == 1 ? "" : "s");
  }
  if (!chosen.empty() && with_any < s.opened) out += fmt::format("; none on {}", s.opened - with_any);
  if (!offered.empty()) {
    out += " (offered ";
    for (std::size_t i = 0; i < offered.size(); ++i) out += (i ? ", " : "") + offered[i];
    out += ")";
  }
  return out;
}

void connections_text(text_out& t, const ws_stats& s, const std::vector<std::string>& offered) {
  t.field("Connections", fmt::format("attempted {} = opened {} + failed {}", s.attempts, s.opened, s.failed_total()));
  t.field("", fmt::format("opened {} = held at end {} + closed by peer {} + closed by us {} + dropped {}", s.opened,
                          s.held_at_end, s.closed_by_peer_total(), s.closed_by_us, s.dropped_total()));
  if (!s.failed.empty()) t.field("  failed", by_reason(s.failed));
  if (!s.closed_by_peer.empty()) t.field("  closed by peer", "code " + by_reason(s.closed_by_peer));
  if (!s.dropped.empty()) t.field("  dropped", by_reason(s.dropped));
  t.field("Reconnects", fmt::format("{}", s.reconnects));
  if (!offered.empty() || !s.subprotocols.empty()) t.field("Subprotocol", subprotocol_text(s, offered));
  t.field("Handshake", short_summary(s.handshake));
}

double per_second(std::uint64_t n, double secs) { return secs > 0 ? static_cast<double>(n) / secs : 0.0; }

/// The timeline in one line: the fewest and most connections held over the seconds after the
/// ramp (all of them without --ramp, or when the ramp is the whole run), and the second with
/// the worst p99.
std::string stability_text(const run_result& r) {
  const auto& points = r.ws_timeline;
  std::size_t from = 0;
  if (!r.config.ramp.empty()) {
    const std::uint64_t ramp_seconds = ws_timeline_seconds(ramp_profile(0, r.config.ramp).length());
    if (ramp_seconds < points.size()) from = static_cast<std::size_t>(ramp_seconds);
  }
  std::uint64_t least = UINT64_MAX, most = 0;
  std::size_t worst = points.size();
  for (std::size_t i = from; i < points.size(); ++i) {
    least = std::min(least, points[i].counts.held);
    most = std::max(most, points[i].counts.held);
    if (points[i].timed && (worst == points.size() || points[i].p99_ms > points[worst].p99_ms)) worst = i;
  }
  const bool listen = r.config.ws.mode == ws_mode::listen;
  std::string out = fmt::format("second{} {}{}: held {} to {} connections", points.size() - from == 1 ? "" : "s", from,
                                points.size() - from == 1 ? "" : fmt::format("-{}", points.size() - 1), least, most);
  if (from > 0) out += " (after the ramp)";
  if (worst == points.size()) return out + (listen ? "; no gaps" : "; no round trips");
  return out + fmt::format("; worst second's {}p99 {} (second {})", listen ? "gap " : "",
                           dur(points[worst].p99_ms * 1e6), worst);
}

json timeline_points(const run_result& r) {
  json out = json::array();
  const std::int64_t first_second = (r.wall_start_unix_us + 500'000) / 1'000'000;
  auto ms = [](const ws_timeline_point& p, double v) { return p.timed ? json(v) : json(nullptr); };
  for (std::size_t i = 0; i < r.ws_timeline.size(); ++i) {
    const ws_timeline_point& p = r.ws_timeline[i];
    const ws_second_counts& c = p.counts;
    out.push_back({{"second", i},
                   {"wall_second", first_second + static_cast<std::int64_t>(i)},
                   {"held", c.held},
                   {"opened", c.opened},
                   {"failed", c.failed},
                   {"closed", c.closed},
                   {"dropped", c.dropped},
                   {"reconnected", c.reconnected},
                   {"sent", c.sent},
                   {"received", c.received},
                   {"timed", p.timed},
                   {"p50_ms", ms(p, p.p50_ms)},
                   {"p99_ms", ms(p, p.p99_ms)},
                   {"max_ms", ms(p, p.max_ms)},
                   {"histogram", p.coarse.empty() ? histogram().serialize() : p.coarse}});
  }
  return out;
}

}  // namespace

std::string ws_text(const run_result& r, bool colour) {
  const ws_stats& s = r.stats.ws;
  const double secs = r.duration_s;
  text_out t(colour);
  t.heading("WebSocket", mode_text(r.config));
  connections_text(t, s, r.config.ws.subprotocols);
  if (r.config.ws.mode == ws_mode::echo)
    t.field("Messages", fmt::format("sent {} = answered {} + timed out {} + lost {} + in flight at end {}", s.sent,
                                    s.answered, s.timed_out, s.lost, s.in_flight_at_end));
  t.field("Received", fmt::format("{} messages ({:.1f}/s){}", s.received, per_second(s.received, secs),
                                  s.unmatched ? fmt::format(", {} matching no message of ours", s.unmatched) : ""));
  if (s.late) t.field("Late", fmt::format("{} messages sent after their intended time", s.late));
  if (s.subscribes) t.field("Subscribe", fmt::format("{} sent", s.subscribes));
  t.field("Bytes", fmt::format("sent {} ({}/s), received {} ({}/s)", format_bytes(s.bytes_sent),
                               format_bytes(static_cast<std::uint64_t>(per_second(s.bytes_sent, secs))),
                               format_bytes(s.bytes_received),
                               format_bytes(static_cast<std::uint64_t>(per_second(s.bytes_received, secs)))));
  if (!r.ws_timeline.empty()) t.field("Stability", stability_text(r));
  if (s.pings) t.field("Pings", fmt::format("{} sent, {} answered; RTT {}", s.pings, s.pongs, short_summary(s.ping_rtt)));
  if (r.config.ws.mode == ws_mode::echo) {
    if (s.latency.count() == 0) {
      t.heading("Message latency", "no answered messages");
    } else {
      t.heading("Message latency", fmt::format("round trip of {} answered messages{}", s.latency.count(),
                                               r.config.ws.open_model() ? ", from the intended send time" : ""));
      t.percentiles(s.latency);
    }
  } else if (s.gap.count()) {
    t.heading("Gaps", fmt::format("between two messages on one connection, {} gaps", s.gap.count()));
    t.percentiles(s.gap);
  }
  return t.take();
}

namespace {

json summary_ms(const histogram& h) {
  auto ms = [](double ns) { return ns / 1e6; };
  if (h.count() == 0)
    return {{"count", 0},     {"min", nullptr}, {"mean", nullptr}, {"stdev", nullptr}, {"max", nullptr},  {"p50", nullptr},
            {"p75", nullptr}, {"p90", nullptr}, {"p99", nullptr},  {"p999", nullptr},  {"p9999", nullptr}};
  auto at = [&](double p) { return ms(static_cast<double>(h.value_at_percentile(p))); };
  return {{"count", h.count()}, {"min", ms(static_cast<double>(h.min()))}, {"mean", ms(h.mean())},
          {"stdev", ms(h.stdev())}, {"max", ms(static_cast<double>(h.max()))}, {"p50", at(50)}, {"p75", at(75)},
          {"p90", at(90)}, {"p99", at(99)}, {"p999", at(99.9)}, {"p9999", at(99.99)}};
}

}  // namespace

json ws_json(const run_result& r) {
  const ws_stats& s = r.stats.ws;
  const double secs = r.duration_s;
  json by_peer = json::object();
  for (const auto& [code, n] : s.closed_by_peer) by_peer[std::to_string(code)] = n;
  json config = {{"mode", r.config.ws.mode == ws_mode::listen ? "listen" : "echo"},
                 {"model", r.config.ws.open_model() ? "open" : "closed"},
                 {"message_rate", r.config.ws.message_rate ? json(*r.config.ws.message_rate) : json(nullptr)},
                 {"message_bytes", r.config.ws.mode == ws_mode::echo
                                       ? json(r.config.ws.message.size() + (r.config.ws.open_model() ? ws_message_id_chars : 0))
                                       : json(nullptr)},
                 {"binary", r.config.ws.binary},
                 {"ping_interval_s", to_seconds(r.config.ws.ping_interval)},
                 {"reconnect", r.config.ws.reconnect},
                 {"subprotocols", r.config.ws.subprotocols}};
  const std::string chosen = s.chosen_subprotocol();
  return {
      {"mode", r.config.ws.mode == ws_mode::listen ? "listen" : "echo"},
      {"config", config},
      {"subprotocol", chosen.empty() ? json(nullptr) : json(chosen)},
      {"connections",
       {{"attempts", s.attempts},
        {"opened", s.opened},
        {"failed", s.failed},
        {"held_at_end", s.held_at_end},
        {"closed", {{"by_peer", by_peer}, {"by_us", s.closed_by_us}}},
        {"dropped", s.dropped},
        {"reconnects", s.reconnects},
        {"by_subprotocol", s.subprotocols}}},
      {"messages",
       {{"sent", s.sent},
        {"received", s.received},
        {"answered", s.answered},
        {"timed_out", s.timed_out},
        {"lost", s.lost},
        {"in_flight_at_end", s.in_flight_at_end},
        {"unmatched", s.unmatched},
        {"late", s.late},
        {"subscribes", s.subscribes},
        {"sent_per_second", per_second(s.sent, secs)},
        {"received_per_second", per_second(s.received, secs)}}},
      {"bytes",
       {{"sent", s.bytes_sent},
        {"received", s.bytes_received},
        {"sent_per_second", per_second(s.bytes_sent, secs)},
        {"received_per_second", per_second(s.bytes_received, secs)}}},
      {"latency", summary_ms(s.latency)},
      {"gap", summary_ms(s.gap)},
      {"handshake", summary_ms(s.handshake)},
      {"ping_rtt", summary_ms(s.ping_rtt)},
      {"pings", {{"sent", s.pings}, {"answered", s.pongs}}},
      {"histograms",  // lossless, for barrage merge and compare
       {{"latency", serialized_histogram(s.latency)},
        {"gap", serialized_histogram(s.gap)},
        {"handshake", serialized_histogram(s.handshake)},
        {"ping_rtt", serialized_histogram(s.ping_rtt)}}},
      {"timeline", timeline_points(r)},
  };
}

}  // namespace barrage::loadgen
