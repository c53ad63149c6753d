#include "loadgen/report_json.hpp"

#include <string>

#include "base/version.hpp"
#include "loadgen/body_summary.hpp"
#include "loadgen/report_streams.hpp"
#include "loadgen/report_scenario.hpp"
#include "loadgen/wall_clock.hpp"
#include "loadgen/ws_report.hpp"

namespace barrage::loadgen {
namespace {

using nlohmann::json;

double ms(double ns) { return ns / 1e6; }
double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

json latency_summary(const histogram& h) {
  if (h.count() == 0) {
    return {{"count", 0},     {"min", nullptr}, {"mean", nullptr}, {"stdev", nullptr},
            {"max", nullptr}, {"p50", nullptr}, {"p75", nullptr},  {"p90", nullptr},
            {"p99", nullptr}, {"p999", nullptr}, {"p9999", nullptr}};
  }
  return {{"count", h.count()},
          {"min", ms(h.min())},
          {"mean", ms(h.mean())},
          {"stdev", ms(h.stdev())},
          {"max", ms(h.max())},
          {"p50", ms(h.value_at_percentile(50))},
          {"p75", ms(h.value_at_percentile(75))},
          {"p90", ms(h.value_at_percentile(90))},
          {"p99", ms(h.value_at_percentile(99))},
          {"p999", ms(h.value_at_percentile(99.9))},
          {"p9999", ms(h.value_at_percentile(99.99))}};
}

json sources_json(const std::vector<net::socket_address>& sources) {
  json out = json::array();
  for (const auto& s : sources) out.push_back(s.ip());
  return out;
}

json config_json(const run_config& c) {
  json ramp = json::array();
  for (const auto& s : c.ramp) ramp.push_back({{"length_s", to_seconds(s.length)}, {"target", s.target}});
  json retry_errors = json::array();
  for (auto k : c.retry.errors) retry_errors.push_back(std::string(client::to_string(k)));
  const body_summary body = summarize_body(c.body);
  json headers = json::array();  // secrets redacted unless --show-secrets (redact.hpp)
  for (const auto& h : c.headers) headers.push_back(c.secrets.header_line(h));
  return {
      {"url", c.secrets.url(c.url)},
      {"method", c.method},
      {"headers", headers},
      {"body_bytes", body.bytes},
      {"body_sha256", body.sha256},
      {"body_prefix", c.secrets.body_prefix(c.body)},
      {"model", c.open_model() ? "open" : "closed"},
      {"connections", c.connections},
      {"requests", c.requests ? json(*c.requests) : json(nullptr)},
      {"run_time_s", to_seconds(c.run_time)},
      {"has_duration", c.has_duration},
      {"threads", c.threads},
      {"rate", c.rate ? json(*c.rate) : json(nullptr)},
      {"ramp", ramp},
      {"warmup_s", to_seconds(c.warmup)},
      {"timeout_s", c.timeout >= no_time_limit ? 0.0 : to_seconds(c.timeout)},  // 0: no limit, as typed
      {"connect_timeout_s", c.connect_timeout >= no_time_limit ? 0.0 : to_seconds(c.connect_timeout)},
      {"grace_s", to_seconds(c.grace_period())},
      {"retry",
       {{"attempts", c.retry.attempts},
        {"statuses", c.retry.statuses},
        {"errors", retry_errors},
        {"backoff_s", to_seconds(c.retry.backoff)}}},
      {"pipeline", c.pipeline},
      {"streams", c.streams},
      {"redirects", c.redirects},
      {"keepalive", c.keepalive},
      {"sources", sources_json(c.sources)},
      {"dns_ttl_s", to_seconds(c.dns_ttl)},
      {"dns_servers", c.dns_servers},
      {"success_statuses", c.success_spec},
  };
}

}  // namespace

namespace {

json requests_json(const counters& c) {
  return {{"started", c.started},     {"succeeded", c.succeeded}, {"failed", c.failed},
          {"timed_out", c.timed_out}, {"in_flight_at_end", c.in_flight()}, {"retried", c.retried},
          {"resent", c.resent},       {"late", c.late},           {"dropped", c.dropped},
          {"bad_status", c.bad_status}};
}

/// Every error kind, and each unsuccessful status as status_NNN: the values add up to
/// failed + timed_out.
json errors_json(const counters& c, const success_policy& success) {
  json errors = json::object();
  for (std::size_t k = 1; k < c.errors.size(); ++k)
    errors[std::string(client::to_string(static_cast<client::error_kind>(k)))] = c.errors[k];
  for (std::size_t s = 0; s < c.status.size(); ++s)
    if (c.status[s] && !success.ok(static_cast<unsigned>(s))) errors["status_" + std::to_string(s)] = c.status[s];
  return errors;
}

/// The reasons behind the dns and tls error kinds; only reasons seen.
std::pair<json, json> reasons_json(const counters& c) {
  json dns = json::object(), tls = json::object();
  for (std::size_t d = 0; d < c.dns.size(); ++d)
    if (c.dns[d]) dns[net::to_key(static_cast<net::dns_error>(d))] = c.dns[d];
  for (std::size_t t = 0; t < c.tls.size(); ++t)
    if (c.tls[t]) tls[std::string(net::to_string(static_cast<net::tls_errc>(t)))] = c.tls[t];
  return {dns, tls};
}

json addresses_json(const run_stats& st) {
  json addresses = json::array();
  for (const auto& a : st.addresses)
    addresses.push_back({{"address", a.address.to_string()}, {"connections", a.connections}, {"failures", a.failures}});
  return addresses;
}

/// Point i's wall_second: the Unix second nearest to the instant its second began, so that
/// shards started together on a whole second (--start-at) agree whatever their jitter.
json timeline_json(const std::vector<timeline_point>& points, std::int64_t wall_start_unix_us) {
  json timeline = json::array();
  const std::int64_t first_second = (wall_start_unix_us + 500'000) / 1'000'000;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto& p = points[i];
    timeline.push_back({{"second", i},
                        {"wall_second", first_second + static_cast<std::int64_t>(i)},
                        {"requests", p.requests},
                        {"errors", p.errors},
                        {"p50_ms", p.p50_ms},
                        {"p90_ms", p.p90_ms},
                        {"p99_ms", p.p99_ms},
                        {"max_ms", p.max_ms},
                        {"histogram", p.coarse}});
  }
  return timeline;
}

json generator_json(const generator_usage& g) {
  return {{"cpu_seconds", g.cpu_seconds},
          {"cpu_percent", g.cpu_percent},
          {"busiest_thread_percent", g.busiest_thread_percent},
          {"max_rss_bytes", g.max_rss_bytes},
          {"saturated", g.saturated},
          {"saturation_reason", g.saturation_reason}};
}

/// Where the successful requests' time went, each phase in latency_ms's shape.
json phases_json(const run_stats& st) {
  json dns = latency_summary(st.phases.dns);
  dns["cached"] = st.phases.dns_cached;
  return {{"dns", dns},
          {"connect", latency_summary(st.phases.connect)},
          {"tls", latency_summary(st.tls.handshake_time)},
          {"queue", latency_summary(st.schedule_lag)},
          {"write", latency_summary(st.phases.write())},
          {"wait", latency_summary(st.phases.wait())},
          {"receive", latency_summary(st.phases.receive())}};
}

json rate_or_null(std::uint64_t part, std::uint64_t whole) {
  return whole ? json(static_cast<double>(part) / static_cast<double>(whole)) : json(nullptr);
}

/// The sections only some runs have: the scenario's origins, TLS, HTTP/2, streams, WebSocket
/// and the open model's uncorrected latency and schedule lag.
void add_protocol_sections(json& out, const run_result& r) {
  if (!r.origins.empty()) {  // a scenario or --targets run
    const bool scenario = static_cast<bool>(r.config.scenario);
    const std::string& file = scenario ? r.config.scenario->file : r.config.targets ? r.config.targets->file : r.config.url;
    out["config"][scenario ? "scenario" : "targets"] = {{"file", file}, {"origins", r.origins}};
  }
  const bool https = std::any_of(r.origins.begin(), r.origins.end(), [](const std::string& o) { return o.starts_with("https://"); });
  if (r.config.url.starts_with("https://") || https || r.stats.tls.handshakes > 0) {  // or redirects led to https
    const auto& hs = r.stats.tls;
    out["tls"] = {{"handshakes", hs.handshakes},
                  {"resumed", hs.resumed},
                  {"protocol", hs.protocol},
                  {"cipher", hs.cipher},
                  {"handshake_ms", latency_summary(hs.handshake_time)}};
  }
  if (r.stats.h2.connections > 0)
    out["h2"] = {{"connections", r.stats.h2.connections},
                 {"streams_per_connection", r.config.streams},
                 {"server_max_concurrent_streams", r.stats.h2.peer_max_streams},
                 {"peak_streams", r.stats.h2.peak_streams},
                 {"goaways", r.stats.h2.goaways}};
  if (r.config.stream) out["streams"] = streams_json(r);
  if (r.config.ws.enabled) out["websocket"] = ws_json(r);
  if (r.config.open_model()) {
    out["latency_uncorrected_ms"] = latency_summary(r.stats.latency_uncorrected());
    out["schedule_lag_ms"] = latency_summary(r.stats.schedule_lag);
    out["histogram_uncorrected"] = serialized_histogram(r.stats.latency_uncorrected());
  }
}

}  // namespace

json serialized_histogram(const histogram& h, const char* unit) {
  return {{"unit", unit}, {"format", "h1"}, {"count", h.count()}, {"data", h.serialize()}};
}

json to_json(const run_result& r, std::span<const threshold_result> thresholds) {
  const auto& c = r.stats.count;
  double secs = r.duration_s > 0 ? r.duration_s : 0;
  auto per_second = [&](std::uint64_t n) { return secs > 0 ? static_cast<double>(n) / secs : 0.0; };
  json status_codes = json::object();
  for (std::size_t s = 0; s < c.status.size(); ++s)
    if (c.status[s]) status_codes[std::to_string(s)] = c.status[s];
  auto [dns_errors, tls_errors] = reasons_json(c);
  json ts = json::array();
  for (const auto& t : thresholds) ts.push_back({{"expr", t.expr}, {"ok", t.ok}, {"actual", t.actual}});
  const auto completed = c.completed();
  json out = {
      {"schema_version", report_schema_version},
      {"secrets_shown", r.config.secrets.show_secrets},
      {"barrage_version", version_string},
      {"target_address", r.target_address},
      {"protocol", r.stats.h2.connections > 0 ? "h2" : "http/1.1"},
      {"duration_s", secs},
      {"config", config_json(r.config)},
      {"requests", requests_json(c)},
      {"rates", {{"success", rate_or_null(c.succeeded, completed)}, {"error", rate_or_null(c.failed + c.timed_out, completed)}}},
      {"status_codes", status_codes},
      {"errors", errors_json(c, r.config.success)},
      {"dns_errors", dns_errors},
      {"tls_errors", tls_errors},
      {"addresses", addresses_json(r.stats)},
      {"bytes", {{"received", c.bytes_in}, {"sent", c.bytes_out}}},
      {"connections_opened", c.connects},
      {"redirects",
       {{"followed", c.redirects},
        {"limit_reached", c.redirect_limit},
        {"not_followable", c.redirect_unfollowable},
        {"hop_ms", latency_summary(r.stats.redirect_hops)}}},
      {"latency_ms", latency_summary(r.stats.latency)},
      {"latency_failed_ms", latency_summary(r.stats.latency_failed)},
      {"phases", phases_json(r.stats)},
      {"throughput",
       {{"requests_per_second", per_second(completed)},
        {"bytes_per_second", per_second(c.bytes_in)},
        {"bytes_sent_per_second", per_second(c.bytes_out)}}},
      {"histogram", serialized_histogram(r.stats.latency)},
      {"timeline", timeline_json(r.timeline, r.wall_start_unix_us)},
      {"shard", r.config.shard ? json{{"index", r.config.shard->index}, {"count", r.config.shard->count}} : json(nullptr)},
      {"wall_clock",
       {{"start", format_rfc3339_us(r.wall_start_unix_us)},
        {"end", format_rfc3339_us(r.wall_end_unix_us)},
        {"start_unix_us", r.wall_start_unix_us},
        {"end_unix_us", r.wall_end_unix_us}}},
      {"generator", generator_json(r.generator)},
      {"thresholds", ts},
  };
  add_protocol_sections(out, r);
  add_scenario_json(out, r);
  return out;
}

std::string render_json(const run_result& r, std::span<const threshold_result> thresholds, int indent) {
  return to_json(r, thresholds).dump(indent, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace barrage::loadgen
