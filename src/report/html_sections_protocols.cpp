// The HTML report's tables of the optional sections: WebSocket runs, --stream runs, and the
// steps or targets (with the iterations) of scenario and --targets runs.
#include <algorithm>

#include "base/units.hpp"
#include "report/html_sections.hpp"
#include "report/html_text.hpp"

namespace barrage::report {

using nlohmann::json;

namespace {

/// A targets file of thousands of URLs: the page keeps a readable size.
constexpr std::size_t max_scenario_rows = 1000;

std::string count_of(const json* obj, std::string_view key) {
  return escape_html(format_number(obj ? number(*obj, key) : std::nullopt));
}

std::string ms_of(const json* summary, std::string_view key) {
  return escape_html(format_ms(summary ? number(*summary, key) : std::nullopt));
}

std::string bytes_of(const json* obj, std::string_view key) {
  auto v = obj ? number(*obj, key) : std::nullopt;
  return v && *v >= 0 ? escape_html(format_bytes(static_cast<std::uint64_t>(*v))) : "–";
}

/// The sum of an object of counts (connections.failed, dropped ...).
double sum_of(const json* obj) {
  double sum = 0;
  if (obj && obj->is_object())
    for (const auto& [k, v] : obj->items())
      if (v.is_number()) sum += v.get<double>();
  return sum;
}

/// "reason n, reason n" of an object of counts (escaped), "–" when it has none.
std::string counts_text(const json* obj) {
  std::string out;
  if (obj && obj->is_object())
    for (const auto& [k, v] : obj->items())
      if (v.is_number() && v.get<double>() > 0) out += (out.empty() ? "" : ", ") + k + " " + format_number(v.get<double>());
  return escape_html(out.empty() ? "–" : out);
}

/// A row of a latency summary in ms: count, p50, p90, p99, max (none when it has no samples).
std::string summary_row(std::string_view label, const json* s) {
  if (!s || number(*s, "count").value_or(0) == 0) return "";
  return table_row({escape_html(label), count_of(s, "count"), ms_of(s, "p50"), ms_of(s, "p90"), ms_of(s, "p99"),
                    ms_of(s, "max")});
}

/// A row of a summary of plain numbers divided by nothing (events, bytes via `bytes`).
std::string plain_row(std::string_view label, const json* s, bool bytes) {
  if (!s || number(*s, "count").value_or(0) == 0) return "";
  auto cell = [&](std::string_view k) { return bytes ? bytes_of(s, k) : count_of(s, k); };
  return table_row({escape_html(label), count_of(s, "count"), cell("p50"), cell("p90"), cell("p99"), cell("max")});
}

std::string ws_accounting(const json& w) {
  const json* c = field(w, "connections");
  const json* closed = c ? field(*c, "closed") : nullptr;
  const json* m = field(w, "messages");
  std::string out = "<p>attempted " + count_of(c, "attempts") + " = opened " + count_of(c, "opened") + " + failed " +
                    escape_html(format_number(sum_of(c ? field(*c, "failed") : nullptr))) + "</p>\n";
  out += "<p>opened " + count_of(c, "opened") + " = held at end " + count_of(c, "held_at_end") + " + closed by peer " +
         escape_html(format_number(sum_of(closed ? field(*closed, "by_peer") : nullptr))) + " + closed by us " +
         count_of(closed, "by_us") + " + dropped " + escape_html(format_number(sum_of(c ? field(*c, "dropped") : nullptr))) +
         "</p>\n";
  if (text(w, "mode") != "listen")
    out += "<p>messages sent " + count_of(m, "sent") + " = answered " + count_of(m, "answered") + " + timed out " +
           count_of(m, "timed_out") + " + lost " + count_of(m, "lost") + " + in flight at end " +
           count_of(m, "in_flight_at_end") + "</p>\n";
  return out;
}

}  // namespace

void websocket_section(const json& r, html_page& p) {
  const json* w = field(r, "websocket");
  if (!w || !w->is_object()) return;
  const json* c = field(*w, "connections");
  const json* m = field(*w, "messages");
  const json* b = field(*w, "bytes");
  const json* config = field(*w, "config");
  std::string out = open_section("websocket", "WebSocket");
  out += "<p class=\"muted\">" + escape_html(text(*w, "mode") + " mode, " + (config ? text(*config, "model") : "") + " model") +
         "</p>\n" + ws_accounting(*w);
  out += "<table class=\"figures\">\n";
  out += table_row({"failed to open", counts_text(c ? field(*c, "failed") : nullptr)});
  out += table_row({"closed by peer (code)", counts_text(c && field(*c, "closed") ? field(*field(*c, "closed"), "by_peer") : nullptr)});
  out += table_row({"dropped", counts_text(c ? field(*c, "dropped") : nullptr)});
  out += table_row({"reconnects", count_of(c, "reconnects")});
  out += table_row({"messages received", count_of(m, "received") + " (" + count_of(m, "received_per_second") + "/s)"});
  for (const char* key : {"unmatched", "late", "subscribes"})
    if (m && number(*m, key).value_or(0) > 0) out += table_row({escape_html(key), count_of(m, key)});
  out += table_row({"bytes sent", bytes_of(b, "sent")});
  out += table_row({"bytes received", bytes_of(b, "received")});
  if (const json* pings = field(*w, "pings"); pings && number(*pings, "sent").value_or(0) > 0)
    out += table_row({"pings sent, answered", count_of(pings, "sent") + ", " + count_of(pings, "answered")});
  out += "</table>\n<table class=\"figures\">\n" + table_row({"", "count", "p50", "p90", "p99", "max"}, "th");
  out += summary_row("message round trip", field(*w, "latency"));
  out += summary_row("gap between messages", field(*w, "gap"));
  out += summary_row("handshake", field(*w, "handshake"));
  out += summary_row("ping round trip", field(*w, "ping_rtt"));
  p.add(out + "</table>\n</section>\n");
}

void streams_section(const json& r, html_page& p) {
  const json* s = field(r, "streams");
  if (!s || !s->is_object()) return;
  std::string out = open_section("streams", "Streams");
  out += "<p>" + count_of(s, "responses") + " streamed responses (" + count_of(s, "event_streams") +
         " text/event-stream); " + count_of(s, "stalled") + " stalled (a gap above " +
         escape_html(format_ms(number(*s, "stall_s").value_or(0) * 1000)) + "), " + count_of(s, "cut") +
         " cut by an error</p>\n";
  out += "<table class=\"figures\">\n" + table_row({"per stream", "count", "p50", "p90", "p99", "max"}, "th");
  out += summary_row("time to first byte", field(*s, "ttfb"));
  out += summary_row("gap between events", field(*s, "gap"));
  out += plain_row("events", field(*s, "events"), false);
  out += plain_row("events per second", field(*s, "events_per_second"), false);
  out += plain_row("length", field(*s, "length_bytes"), true);
  p.add(out + "</table>\n</section>\n");
}

void scenario_section(const json& r, html_page& p) {
  const bool targets = field(r, "targets") != nullptr;
  const json* group = field(r, targets ? "targets" : "steps");
  if (!group || !group->is_object()) return;
  std::string out = open_section(targets ? "targets" : "steps", targets ? "Targets" : "Steps");
  out += "<table class=\"figures\">\n" +
         table_row({targets ? "target" : "step", "requests", "succeeded", "failed", "timed out", "in flight", "req/s",
                    "p50", "p99", "max", "errors and statuses"},
                   "th");
  std::size_t rows = 0;
  for (const auto& [name, s] : group->items()) {
    if (++rows > max_scenario_rows) break;
    const json* latency = field(s, "latency");
    out += table_row({escape_html(name), count_of(&s, "requests"), count_of(&s, "succeeded"), count_of(&s, "failed"),
                      count_of(&s, "timed_out"), count_of(&s, "in_flight_at_end"), count_of(&s, "rps"),
                      ms_of(latency, "p50"), ms_of(latency, "p99"), ms_of(latency, "max"),
                      counts_text(field(s, "errors")) + "; " + counts_text(field(s, "statuses"))});
  }
  out += "</table>\n";
  if (group->size() > max_scenario_rows)
    out += "<p class=\"muted\">The first " + std::to_string(max_scenario_rows) + " of " + std::to_string(group->size()) +
           " (by name); every one is in the JSON report.</p>\n";
  if (const json* it = field(r, "iterations")) {
    const json* d = field(*it, "duration");
    out += "<h3>Iterations</h3>\n<p>started " + count_of(it, "started") + " = completed " + count_of(it, "completed") +
           " + aborted " + escape_html(format_number(sum_of(field(*it, "aborted")))) + " + in flight at end " +
           count_of(it, "in_flight_at_end") + "; aborted by reason: " + counts_text(field(*it, "aborted")) +
           "; duration p50 " + ms_of(d, "p50") + ", p99 " + ms_of(d, "p99") + "</p>\n";
  }
  p.add(out + "</section>\n");
}

}  // namespace barrage::report
