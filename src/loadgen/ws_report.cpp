#include "loadgen/ws_report.hpp"

#include <fmt/format.h>

#include <cmath>

#include "base/units.hpp"

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
  };
}

}  // namespace barrage::loadgen
