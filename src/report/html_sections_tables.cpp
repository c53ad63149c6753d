// The HTML report's tables: latency, status codes, errors, accounting, phases, the generator,
// TLS, HTTP/2, merged inputs and the configuration.
#include <algorithm>

#include "base/units.hpp"
#include "report/html_sections.hpp"
#include "report/html_text.hpp"

namespace barrage::report {

using nlohmann::json;

namespace {

std::string cell_ms(const json* summary, std::string_view key) {
  return escape_html(format_ms(summary ? number(*summary, key) : std::nullopt));
}

std::string cell_number(const json& obj, std::string_view key) { return escape_html(format_number(number(obj, key))); }

std::string bytes_cell(const json& obj, std::string_view key) {
  auto v = number(obj, key);
  return v && *v >= 0 ? escape_html(format_bytes(static_cast<std::uint64_t>(*v))) : "–";
}

/// A count, its share of `whole` and a bar as wide as the share.
std::string share_cells(double count, double whole) {
  const double share = whole > 0 ? count / whole : 0;
  return "<td>" + escape_html(format_number(count)) + "</td><td>" + escape_html(format_percent(share)) +
         "</td><td class=\"bar\"><span style=\"width:" + std::to_string(std::clamp(share, 0.0, 1.0) * 100) +
         "%\"></span></td>";
}

double completed(const json& r) {
  const json* req = field(r, "requests");
  if (!req) return 0;
  return number(*req, "succeeded").value_or(0) + number(*req, "failed").value_or(0) + number(*req, "timed_out").value_or(0);
}

/// Rows "name: count" of an object of counts, the non-zero ones, largest first.
std::vector<std::pair<std::string, double>> nonzero_counts(const json* obj) {
  std::vector<std::pair<std::string, double>> out;
  if (!obj || !obj->is_object()) return out;
  for (const auto& [k, v] : obj->items())
    if (v.is_number() && v.get<double>() > 0) out.emplace_back(k, v.get<double>());
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  return out;
}

}  // namespace

void latency_table_section(const json& r, html_page& p) {
  const json* corrected = field(r, "latency_ms");
  if (!corrected) return;
  const json* uncorrected = field(r, "latency_uncorrected_ms");
  const json* failed = field(r, "latency_failed_ms");
  const json* lag = field(r, "schedule_lag_ms");
  std::string out = open_section("latency", "Latency");
  out += "<table class=\"figures\">\n<tr><th></th><th>" + std::string(uncorrected ? "corrected" : "successful") + "</th>";
  if (uncorrected) out += "<th>uncorrected</th><th>schedule lag</th>";
  out += "<th>failed and timed out</th></tr>\n";
  const std::pair<const char*, const char*> rows[] = {{"count", "count"}, {"min", "min"},     {"p50", "p50"},
                                                      {"p75", "p75"},     {"p90", "p90"},     {"p99", "p99"},
                                                      {"p99.9", "p999"},  {"p99.99", "p9999"}, {"max", "max"},
                                                      {"mean", "mean"},   {"stdev", "stdev"}};
  for (const auto& row : rows) {  // not a structured binding: clang 14 cannot capture one
    const char* label = row.first;
    const char* key = row.second;
    auto cell = [&](const json* s) {
      if (std::string_view(key) == "count") return s ? cell_number(*s, key) : std::string("–");
      return cell_ms(s, key);
    };
    out += "<tr><th>" + std::string(label) + "</th><td>" + cell(corrected) + "</td>";
    if (uncorrected) out += "<td>" + cell(uncorrected) + "</td><td>" + cell(lag) + "</td>";
    out += "<td>" + cell(failed) + "</td></tr>\n";
  }
  p.add(out + "</table>\n</section>\n");
}

void status_codes_section(const json& r, html_page& p) {
  auto codes = nonzero_counts(field(r, "status_codes"));
  std::string out = open_section("status-codes", "Status codes");
  if (codes.empty()) {
    p.add(out + "<p class=\"muted\">No responses.</p>\n</section>\n");
    return;
  }
  std::sort(codes.begin(), codes.end());
  double total = 0;
  for (const auto& c : codes) total += c.second;
  out += "<table class=\"figures shares\">\n" + table_row({"status", "responses", "share", ""}, "th");
  for (const auto& [code, n] : codes) out += "<tr><th>" + escape_html(code) + "</th>" + share_cells(n, total) + "</tr>\n";
  const json* config = field(r, "config");
  if (config) out += "</table>\n<p class=\"muted\">Success: " + escape_html(text(*config, "success_statuses")) + "</p>\n";
  else out += "</table>\n";
  p.add(out + "</section>\n");
}

void errors_section(const json& r, html_page& p) {
  auto errors = nonzero_counts(field(r, "errors"));
  std::string out = open_section("errors", "Errors by kind");
  if (errors.empty()) {
    p.add(out + "<p class=\"muted\">None: every completed request succeeded.</p>\n</section>\n");
    return;
  }
  const double whole = completed(r);
  out += "<table class=\"figures shares\">\n" + table_row({"kind", "requests", "of completed", ""}, "th");
  for (const auto& [kind, n] : errors) out += "<tr><th>" + escape_html(kind) + "</th>" + share_cells(n, whole) + "</tr>\n";
  out += "</table>\n";
  for (const auto& [key, title] : {std::pair{"dns_errors", "DNS reasons"}, std::pair{"tls_errors", "TLS reasons"}}) {
    auto reasons = nonzero_counts(field(r, key));
    if (reasons.empty()) continue;
    out += "<h3>" + std::string(title) + "</h3>\n<table class=\"figures\">\n";
    for (const auto& [why, n] : reasons)
      out += table_row({escape_html(why), escape_html(format_number(n))});
    out += "</table>\n";
  }
  p.add(out + "</section>\n");
}

void accounting_section(const json& r, html_page& p) {
  const json* req = field(r, "requests");
  if (!req) return;
  std::string out = open_section("accounting", "Accounting");
  out += "<p>started " + cell_number(*req, "started") + " = succeeded " + cell_number(*req, "succeeded") +
         " + failed " + cell_number(*req, "failed") + " + timed out " + cell_number(*req, "timed_out") +
         " + in flight at end " + cell_number(*req, "in_flight_at_end") + "</p>\n<table class=\"figures\">\n";
  for (const char* key : {"bad_status", "retried", "resent", "late", "dropped"})
    if (number(*req, key)) out += table_row({escape_html(key), cell_number(*req, key)});
  if (number(r, "connections_opened")) out += table_row({"connections opened", cell_number(r, "connections_opened")});
  if (const json* bytes = field(r, "bytes")) {
    out += table_row({"bytes received", bytes_cell(*bytes, "received")});
    out += table_row({"bytes sent", bytes_cell(*bytes, "sent")});
  }
  out += "</table>\n";
  if (const json* addrs = field(r, "addresses"); addrs && addrs->is_array() && !addrs->empty()) {
    out += "<h3>Addresses</h3>\n<table class=\"figures\">\n" + table_row({"address", "connections", "failures"}, "th");
    for (const auto& a : *addrs)
      out += table_row({escape_html(text(a, "address")), cell_number(a, "connections"), cell_number(a, "failures")});
    out += "</table>\n";
  }
  p.add(out + "</section>\n");
}

void phases_section(const json& r, html_page& p) {
  const json* phases = field(r, "phases");
  if (!phases || !phases->is_object()) return;
  std::string out = open_section("phases", "Phases");
  out += "<table class=\"figures\">\n" + table_row({"phase", "count", "p50", "p90", "p99", "max"}, "th");
  for (const char* name : {"dns", "connect", "tls", "queue", "write", "wait", "receive"}) {
    const json* phase = field(*phases, name);
    if (!phase || number(*phase, "count").value_or(0) == 0) continue;
    const json& s = *phase;
    out += table_row({escape_html(name), cell_number(s, "count"), cell_ms(&s, "p50"), cell_ms(&s, "p90"),
                      cell_ms(&s, "p99"), cell_ms(&s, "max")});
  }
  p.add(out + "</table>\n<p class=\"muted\">dns, connect and tls once per connection opened; queue to receive per "
              "successful request (docs/report.md, Phases).</p>\n</section>\n");
}

void generator_section(const json& r, html_page& p) {
  const json* g = field(r, "generator");
  if (!g) return;
  std::string out = open_section("generator", "Generator health");
  if (flag(*g, "saturated"))
    out += "<p class=\"warning\">Saturated: " + escape_html(text(*g, "saturation_reason")) +
           ". Give it more threads (-t), more connections (-c), or another machine.</p>\n";
  else
    out += "<p class=\"pass\">Not saturated: no worker thread busy 95 % of the time or more, no schedule lag "
           "above 10 ms at p99.</p>\n";
  out += "<table class=\"figures\">\n";
  auto pct = [&](std::string_view key) {
    auto v = number(*g, key);
    return escape_html(v ? format_number(round_significant(*v, 3)) + " %" : "–");
  };
  out += table_row({"CPU (of one core)", pct("cpu_percent")});
  out += table_row({"busiest worker thread", pct("busiest_thread_percent")});
  out += table_row({"CPU time", escape_html(format_ms(number(*g, "cpu_seconds").value_or(0) * 1000))});
  out += table_row({"peak memory (RSS)", bytes_cell(*g, "max_rss_bytes")});
  p.add(out + "</table>\n</section>\n");
}

void tls_section(const json& r, html_page& p) {
  const json* t = field(r, "tls");
  if (!t) return;
  const json* hs = field(*t, "handshake_ms");
  std::string out = open_section("tls", "TLS");
  out += "<table class=\"figures\">\n";
  out += table_row({"handshakes", cell_number(*t, "handshakes")});
  out += table_row({"resumed", cell_number(*t, "resumed")});
  out += table_row({"protocol", escape_html(text(*t, "protocol"))});
  out += table_row({"cipher", escape_html(text(*t, "cipher"))});
  out += table_row({"handshake p50", cell_ms(hs, "p50")});
  out += table_row({"handshake p99", cell_ms(hs, "p99")});
  out += table_row({"handshake max", cell_ms(hs, "max")});
  p.add(out + "</table>\n</section>\n");
}

void h2_section(const json& r, html_page& p) {
  const json* h = field(r, "h2");
  if (!h) return;
  std::string out = open_section("h2", "HTTP/2");
  out += "<table class=\"figures\">\n";
  for (const char* key : {"connections", "streams_per_connection", "server_max_concurrent_streams", "peak_streams", "goaways"})
    out += table_row({escape_html(key), cell_number(*h, key)});
  p.add(out + "</table>\n</section>\n");
}

void merged_section(const json& r, html_page& p) {
  const json* m = field(r, "merged");
  if (!m) return;
  std::string out = open_section("merged", "Merged from");
  out += "<p>" + escape_html(format_number(number(*m, "inputs"))) + " reports" +
         (flag(*m, "partial") ? ", <strong>partial</strong>" : "") + "; starts spread over " +
         escape_html(format_ms(number(*m, "start_spread_ms"))) + "</p>\n";
  if (const json* shards = field(*m, "shards"); shards && shards->is_array()) {
    out += "<table class=\"figures\">\n" + table_row({"shard", "start", "end"}, "th");
    for (const auto& s : *shards)
      out += table_row({escape_html(display_value(member(s, "index"))), escape_html(display_value(member(s, "start"))),
                        escape_html(display_value(member(s, "end")))});
    out += "</table>\n";
  }
  p.add(out + "</section>\n");
}

void config_section(const json& r, html_page& p) {
  const json* config = field(r, "config");
  if (!config || !config->is_object()) return;
  std::string out = open_section("config", "Configuration");
  out += "<table class=\"config\">\n";
  for (const auto& [key, v] : config->items()) out += table_row({escape_html(key), escape_html(display_value(v))});
  p.add(out + "</table>\n<p class=\"muted\">As the JSON report holds it: credentials redacted unless the run had "
              "--show-secrets.</p>\n</section>\n");
}

}  // namespace barrage::report
