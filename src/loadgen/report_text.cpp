#include "loadgen/report_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "base/units.hpp"
#include "base/version.hpp"
#include "http/redirect.hpp"
#include "loadgen/report_streams.hpp"
#include "loadgen/report_scenario.hpp"
#include "loadgen/ws_report.hpp"

namespace barrage::loadgen {
namespace {

constexpr const char* bold = "\x1b[1m";
constexpr const char* red = "\x1b[31m";
constexpr const char* green = "\x1b[32m";
constexpr const char* yellow = "\x1b[33m";
constexpr const char* reset = "\x1b[0m";

struct percentile_row {
  double p;
  const char* label;
};
constexpr percentile_row percentile_rows[] = {{50, "p50"},   {75, "p75"},     {90, "p90"},
                                              {99, "p99"},   {99.9, "p99.9"}, {99.99, "p99.99"}};

std::string dur(double ns) {
  return format_duration(duration(static_cast<duration::rep>(std::llround(ns))));
}
std::string dur(duration d) { return format_duration(d); }

// A rate or target as typed: "1000", "2.5", never "1e+06".
std::string number(double x) {
  if (x == std::floor(x) && std::fabs(x) < 1e15) return fmt::format("{:.0f}", x);
  return fmt::format("{}", x);
}

std::string share(std::uint64_t part, std::uint64_t whole) {
  return whole ? format_percent(100.0 * static_cast<double>(part) / static_cast<double>(whole)) : "n/a";
}

class writer {
 public:
  explicit writer(bool colour) : colour_(colour) {}

  void heading(std::string_view title, std::string_view note = {}) {
    if (!out_.empty()) out_ += '\n';
    paint(bold, title);
    if (!note.empty()) fmt::format_to(std::back_inserter(out_), "  {}", note);
    out_ += '\n';
  }
  void field(std::string_view key, std::string_view value) {
    fmt::format_to(std::back_inserter(out_), "  {:<18}{}\n", key, value);
  }
  template <class... A>
  void line(fmt::format_string<A...> f, A&&... a) {
    fmt::format_to(std::back_inserter(out_), f, std::forward<A>(a)...);
    out_ += '\n';
  }
  void paint(const char* code, std::string_view text) {
    if (colour_) out_ += code;
    out_ += text;
    if (colour_) out_ += reset;
  }
  std::string& raw() { return out_; }
  std::string take() { return std::move(out_); }

 private:
  bool colour_;
  std::string out_;
};

std::string length_text(const run_config& c) {
  if (c.requests && !c.has_duration) return fmt::format("{} requests", *c.requests);
  if (c.requests) return fmt::format("{} requests or {}, whichever comes first", *c.requests, dur(c.run_time));
  return dur(c.run_time);
}

std::string ramp_text(const std::vector<ramp_stage>& ramp, std::string_view unit) {
  std::string out;
  for (const auto& s : ramp) {
    if (!out.empty()) out += ", ";
    fmt::format_to(std::back_inserter(out), "{}{} over {}", number(s.target), unit, dur(s.length));
  }
  return out;
}

void what_ran(writer& w, const run_result& r) {
  const auto& c = r.config;
  w.heading(fmt::format("barrage {}", version_string));
  const std::string url = c.secrets.url(c.url);  // its password redacted unless --show-secrets
  const std::string method = c.ws.enabled ? std::string() : c.method + " ";
  w.field("Target", r.target_address.empty() ? fmt::format("{}{}", method, url)
                                             : fmt::format("{}{}  ({})", method, url, r.target_address));
  if (r.origins.size() > 1) {  // a scenario's steps go to several: each has its connections
    std::string list;
    for (const auto& o : r.origins) list += (list.empty() ? "" : ", ") + o;
    w.field("Origins", list);
  }
  auto threads = fmt::format("{} thread{}", c.threads, c.threads == 1 ? "" : "s");
  if (c.open_model()) {
    w.field("Model", fmt::format("open: {} req/s on up to {} connections, {}", number(*c.rate), c.connections, threads));
    if (!c.ramp.empty()) w.field("Ramp", ramp_text(c.ramp, " req/s"));
  } else {
    w.field("Model", fmt::format("closed: {} connections, {}", c.connections, threads));
    if (!c.ramp.empty()) w.field("Ramp", ramp_text(c.ramp, " connections"));
  }
  const auto& used = r.stats.addresses;
  if (used.size() > 1 || (used.size() == 1 && r.target_address.empty())) {
    std::string list;
    for (const auto& a : used) {
      if (!list.empty()) list += ", ";
      fmt::format_to(std::back_inserter(list), "{} ({} connection{}{})", a.address.to_string(), a.connections,
                     a.connections == 1 ? "" : "s", a.failures ? fmt::format(", {} failed", a.failures) : "");
    }
    w.field("Addresses", list);
  }
  w.field("Length", length_text(c));
  if (c.warmup.count() > 0) w.field("Warm-up", fmt::format("{} (not counted)", dur(c.warmup)));
  auto limit = [](duration d) { return d >= no_time_limit ? std::string("none") : dur(d); };
  w.field("Timeouts", fmt::format("{} {}, connect {}", c.ws.enabled ? "reply" : "request", limit(c.timeout),
                                  limit(c.connect_timeout)));
}

void summary(writer& w, const run_result& r) {
  const auto& c = r.stats.count;
  const auto& h = r.stats.latency;
  w.heading("Summary");
  w.field("Total requests", fmt::format("{}", c.started));
  w.field("Successful", fmt::format("{}", c.succeeded));
  w.field("Success rate", c.completed() ? share(c.succeeded, c.completed()) + " of completed" : "n/a");
  w.field("Average latency", h.count() ? dur(h.mean()) : "n/a");
  w.field("Total time", fmt::format("{:.3f}s", r.duration_s));
  double secs = r.duration_s > 0 ? r.duration_s : 0;
  double rps = secs > 0 ? static_cast<double>(c.completed()) / secs : 0;
  w.field("Requests/s", rps >= 1000 ? fmt::format("{:.1f}  ({})", rps, format_count(static_cast<std::uint64_t>(std::llround(rps))))
                                    : fmt::format("{:.1f}", rps));
  auto per_second = [&](std::uint64_t bytes) {
    return secs > 0 ? format_bytes(static_cast<std::uint64_t>(std::llround(static_cast<double>(bytes) / secs))) + "/s"
                    : std::string("n/a");
  };
  w.field("Received", fmt::format("{}  ({})", format_bytes(c.bytes_in), per_second(c.bytes_in)));
  w.field("Sent", fmt::format("{}  ({})", format_bytes(c.bytes_out), per_second(c.bytes_out)));
}

void latency(writer& w, const run_result& r) {
  const auto& h = r.stats.latency;
  bool open = r.config.open_model();
  if (h.count() == 0) {
    w.heading("Latency", "no successful responses");
    return;
  }
  if (!open) {
    w.heading("Latency", fmt::format("{} successful responses", h.count()));
    auto row = [&](std::string_view label, std::string value) { w.line("  {:<8}{:>10}", label, value); };
    row("min", dur(static_cast<double>(h.min())));
    for (const auto& p : percentile_rows) row(p.label, dur(static_cast<double>(h.value_at_percentile(p.p))));
    row("max", dur(static_cast<double>(h.max())));
    row("mean", dur(h.mean()));
    row("stdev", dur(h.stdev()));
    return;
  }
  const auto& u = r.stats.latency_uncorrected();
  w.heading("Latency", fmt::format("{} successful responses", h.count()));
  w.line("  corrected is measured from the intended send time, uncorrected from the actual send");
  w.line("  {:<8}{:>12}{:>14}", "", "corrected", "uncorrected");
  auto row = [&](std::string_view label, double a, double b) {
    w.line("  {:<8}{:>12}{:>14}", label, dur(a), u.count() ? dur(b) : std::string("n/a"));
  };
  row("min", static_cast<double>(h.min()), static_cast<double>(u.min()));
  for (const auto& p : percentile_rows)
    row(p.label, static_cast<double>(h.value_at_percentile(p.p)), static_cast<double>(u.value_at_percentile(p.p)));
  row("max", static_cast<double>(h.max()), static_cast<double>(u.max()));
  row("mean", h.mean(), u.mean());
  row("stdev", h.stdev(), u.stdev());
  const auto& lag = r.stats.schedule_lag;
  if (lag.count())
    w.line("  schedule lag (how late requests were sent): p50 {}, p99 {}, max {}",
           dur(static_cast<double>(lag.value_at_percentile(50))), dur(static_cast<double>(lag.value_at_percentile(99))),
           dur(static_cast<double>(lag.max())));
}

/// p50, p90, p99 and max of each phase that happened (docs/report.md draws how they add up).
void phases_section(writer& w, const run_result& r) {
  const auto& st = r.stats;
  struct phase_row {
    const char* name;
    const histogram& h;
  };
  const histogram write = st.phases.write(), receive = st.phases.receive();
  const phase_row rows[] = {{"dns", st.phases.dns},     {"connect", st.phases.connect}, {"tls", st.tls.handshake_time},
                            {"queue", st.schedule_lag}, {"write", write},               {"wait", st.phases.wait()},
                            {"receive", receive}};
  if (std::none_of(std::begin(rows), std::end(rows), [](const phase_row& p) { return p.h.count() > 0; })) return;
  w.heading("Phases", "per connection: dns, connect, tls; per successful request: queue to receive");
  w.line("  {:<9}{:>9}{:>10}{:>10}{:>10}{:>10}", "", "count", "p50", "p90", "p99", "max");
  for (const auto& p : rows) {
    if (p.h.count() == 0) continue;
    auto at = [&](double q) { return dur(static_cast<double>(p.h.value_at_percentile(q))); };
    w.line("  {:<9}{:>9}{:>10}{:>10}{:>10}{:>10}{}", p.name, p.h.count(), at(50), at(90), at(99),
           dur(static_cast<double>(p.h.max())),
           &p.h == &st.phases.dns && st.phases.dns_cached ? fmt::format("  ({} cached)", st.phases.dns_cached) : "");
  }
}

std::string bar(std::uint64_t n, std::uint64_t most, int width) {
  static constexpr const char* eighths[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  if (most == 0 || n == 0) return {};
  auto units = static_cast<std::uint64_t>(std::llround(static_cast<double>(n) * width * 8 / static_cast<double>(most)));
  if (units == 0) units = 1;  // a non-empty row always shows
  std::string out;
  for (std::uint64_t i = 0; i < units / 8; ++i) out += "█";
  out += eighths[units % 8];
  return out;
}

void histogram_section(writer& w, const run_result& r) {
  const auto& h = r.stats.latency;
  if (h.count() == 0) return;
  auto rows = histogram_rows(h);
  w.heading("Latency histogram", r.config.open_model() ? "corrected" : "");
  std::uint64_t most = 0;
  for (const auto& row : rows) most = std::max(most, row.count);
  for (const auto& row : rows)
    w.line("  ≤ {:>8}{:>11}{:>9}{}{}", dur(row.highest), row.count, share(row.count, h.count()), row.count ? "  " : "",
           bar(row.count, most, 40));
}

void status_section(writer& w, const run_result& r) {
  const auto& c = r.stats.count;
  std::uint64_t responses = 0, unfollowed = 0;
  for (std::size_t s = 0; s < c.status.size(); ++s) {
    responses += c.status[s];
    if (http::is_followed_redirect(static_cast<unsigned>(s))) unfollowed += c.status[s];
  }
  w.heading("Status codes", responses ? "share of responses" : "no responses");
  for (std::size_t s = 0; s < c.status.size(); ++s)
    if (c.status[s]) w.line("  {:<24}{:>11}{:>9}", s, c.status[s], share(c.status[s], responses));
  if (unfollowed && r.config.redirects == 0)
    w.line("  redirects are not followed by default: --redirects N follows up to N");
}

void errors(writer& w, const run_result& r) {
  const auto& c = r.stats.count;
  std::uint64_t total = 0;
  for (std::size_t k = 1; k < c.errors.size(); ++k) total += c.errors[k];
  auto bad = [&](std::size_t s) { return c.status[s] && !r.config.success.ok(static_cast<unsigned>(s)); };
  for (std::size_t s = 0; s < c.status.size(); ++s)
    if (bad(s)) total += c.status[s];
  w.heading("Errors", total ? "share of completed requests" : "none");
  for (std::size_t k = 1; k < c.errors.size(); ++k) {
    if (!c.errors[k]) continue;
    w.line("  {:<24}{:>11}{:>9}", client::to_string(static_cast<client::error_kind>(k)), c.errors[k],
           share(c.errors[k], c.completed()));
    if (static_cast<client::error_kind>(k) == client::error_kind::dns)
      for (std::size_t d = 0; d < c.dns.size(); ++d)
        if (c.dns[d]) w.line("    {}: {}", net::to_string(static_cast<net::dns_error>(d)), c.dns[d]);
    const auto kind = static_cast<client::error_kind>(k);
    if (kind == client::error_kind::tls_verify || kind == client::error_kind::tls_handshake)
      for (std::size_t t = 0; t < c.tls.size(); ++t) {
        const auto why = static_cast<net::tls_errc>(t);
        const bool mine = net::is_certificate_failure(why) == (kind == client::error_kind::tls_verify);
        if (c.tls[t] && mine) w.line("    {}: {}: {}", net::to_string(why), c.tls[t], r.stats.tls.reasons[t]);
      }
  }
  // Responses outside --success-status are failures: listed with their code.
  for (std::size_t s = 0; s < c.status.size(); ++s)
    if (bad(s)) w.line("  {:<24}{:>11}{:>9}", fmt::format("status {}", s), c.status[s], share(c.status[s], c.completed()));
  // Kept out of the latency figures above, so that fast failures cannot flatter them.
  const auto& f = r.stats.latency_failed;
  if (f.count())
    w.line("  latency of these {}: p50 {}, p90 {}, p99 {}, max {}", f.count(),
           dur(static_cast<double>(f.value_at_percentile(50))), dur(static_cast<double>(f.value_at_percentile(90))),
           dur(static_cast<double>(f.value_at_percentile(99))), dur(static_cast<double>(f.max())));
}

void redirects(writer& w, const run_result& r) {
  const auto& c = r.stats.count;
  const auto& h = r.stats.redirect_hops;
  if (r.config.redirects == 0 && c.redirects == 0) return;
  w.line("  redirects followed {} (up to {} per request){}; limit reached {}, not followable {}", c.redirects,
         r.config.redirects,
         h.count() ? fmt::format(", per hop p50 {}, p99 {}, max {}", dur(static_cast<double>(h.value_at_percentile(50))),
                                 dur(static_cast<double>(h.value_at_percentile(99))), dur(static_cast<double>(h.max())))
                   : std::string(),
         c.redirect_limit, c.redirect_unfollowable);
}

void tls_line(writer& w, const run_result& r) {
  const auto& t = r.stats.tls;
  if (t.handshakes == 0) return;
  const auto& h = t.handshake_time;
  w.line("  TLS {} handshakes ({} full, {} resumed), p50 {}, p99 {}; {} {}", t.handshakes, t.handshakes - t.resumed,
         t.resumed, dur(static_cast<double>(h.value_at_percentile(50))),
         dur(static_cast<double>(h.value_at_percentile(99))), t.protocol, t.cipher);
}

void protocol_line(writer& w, const run_result& r) {
  const auto& h = r.stats.h2;
  if (h.connections == 0) {
    w.line("  protocol http/1.1");
    return;
  }
  w.line("  protocol h2: {} connections, {} streams each{}{}", h.connections, r.config.streams,
         h.peer_max_streams && h.peer_max_streams < r.config.streams
             ? fmt::format(" (the server allows {} at a time)", h.peer_max_streams)
             : std::string(),
         h.goaways ? fmt::format(", {} GOAWAY received", h.goaways) : std::string());
}

void accounting(writer& w, const run_result& r) {
  const auto& c = r.stats.count;
  w.heading("Accounting");
  w.line("  started {} = succeeded {} + failed {} + timed out {} + in flight at end {}", c.started, c.succeeded,
         c.failed, c.timed_out, c.in_flight());
  if (c.bad_status) w.line("  failed includes {} responses with an unsuccessful status ({})", c.bad_status,
                           r.config.success_spec.empty() ? "200-399" : r.config.success_spec);
  if (r.config.open_model())
    w.line("  retried {}, re-sent {}, late {}, dropped {}; connections opened {}", c.retried, c.resent, c.late,
           c.dropped, c.connects);
  else
    w.line("  retried {}, re-sent {}; connections opened {}", c.retried, c.resent, c.connects);
  if (c.resent)
    w.line("  re-sent: unanswered when their connection closed (RFC 9112 §9.3.2), sent again on a new one");
  redirects(w, r);
  tls_line(w, r);
  protocol_line(w, r);
}

void generator(writer& w, const run_result& r) {
  const auto& g = r.generator;
  w.heading("Generator");
  w.line("  CPU {:.1f}% of one core (busiest thread {:.1f}%), max RSS {}", g.cpu_percent, g.busiest_thread_percent,
         format_bytes(g.max_rss_bytes));
  if (g.saturated) {
    w.raw() += "  ";
    w.paint(yellow, fmt::format("WARNING: the load generator was saturated: {}",
                                g.saturation_reason.empty() ? "no reason recorded" : g.saturation_reason));
    w.raw() += '\n';
  }
}

void thresholds_section(writer& w, std::span<const threshold_result> ts) {
  if (ts.empty()) return;
  std::size_t failed = 0, width = 0;
  for (const auto& t : ts) {
    failed += !t.ok;
    width = std::max(width, t.expr.size());
  }
  w.heading("Thresholds", failed ? fmt::format("{} of {} failed", failed, ts.size()) : "all passed");
  for (const auto& t : ts) {
    w.raw() += "  ";
    w.paint(t.ok ? green : red, t.ok ? "✓ pass" : "✗ FAIL");
    w.line("  {:<{}}  actual {}", t.expr, width, t.actual);
  }
}

}  // namespace

std::vector<histogram_row> histogram_rows(const histogram& h, std::size_t rows) {
  std::vector<histogram_row> out;
  if (h.count() == 0 || rows == 0) return out;
  double lo = static_cast<double>(h.min()), hi = static_cast<double>(h.max());
  if (lo == hi) {
    out.push_back({lo, hi, h.count()});
    return out;
  }
  double base = std::max(lo, 1.0);
  double ratio = hi / base;
  out.resize(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    out[i].lowest = i == 0 ? lo : base * std::pow(ratio, static_cast<double>(i) / static_cast<double>(rows));
    out[i].highest = i + 1 == rows ? hi : base * std::pow(ratio, static_cast<double>(i + 1) / static_cast<double>(rows));
  }
  for (auto b : h.buckets()) {
    double v = static_cast<double>(std::min(b.highest, h.max()));
    std::size_t i = 0;
    while (i + 1 < rows && v > out[i].highest) ++i;
    out[i].count += b.count;
  }
  return out;
}

std::string render_text(const run_result& r, std::span<const threshold_result> thresholds, bool colour) {
  writer w(colour);
  if (r.config.secrets.show_secrets) {
    w.paint(yellow, secrets_shown_notice);
    w.raw() += '\n';
  }
  what_ran(w, r);
  if (r.config.ws.enabled) {  // WebSocket runs: their own sections in place of the requests'
    w.raw() += ws_text(r, colour);
  } else {
    summary(w, r);
    latency(w, r);
    phases_section(w, r);
    histogram_section(w, r);
    status_section(w, r);
    errors(w, r);
    w.raw() += scenario_text(r, colour);
    accounting(w, r);
    if (r.config.stream) w.raw() += streams_text(r, colour);
  }
  generator(w, r);
  thresholds_section(w, thresholds);
  return w.take();
}

}  // namespace barrage::loadgen
