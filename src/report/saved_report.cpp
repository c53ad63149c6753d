#include "report/saved_report.hpp"

#include <cmath>
#include <stdexcept>

#include "loadgen/options.hpp"
#include "loadgen/stats.hpp"  // and through it the error kinds and the dns and tls reasons

namespace barrage::report {
namespace {

using nlohmann::json;

duration seconds(const json& v) {
  return std::chrono::duration_cast<duration>(std::chrono::duration<double>(v.get<double>()));
}

// A time limit as the report writes it: 0 for none.
duration limit(const json& v) { return v.get<double>() == 0 ? loadgen::no_time_limit : seconds(v); }

bool is_latency_key(const std::string& k) {
  static const char* keys[] = {"count", "min", "mean", "stdev", "max", "p50", "p75", "p90", "p99", "p999", "p9999"};
  for (const char* key : keys)
    if (k == key) return true;
  return false;
}

}  // namespace

histogram read_histogram(const json& h) {
  auto parsed = histogram::deserialize(h.at("data").get<std::string>());
  if (!parsed) throw std::runtime_error("bad histogram data: " + parsed.error());
  return std::move(*parsed);
}

loadgen::counters read_counters(const json& doc) {
  loadgen::counters c;
  const json& r = doc.at("requests");
  c.started = r.at("started").get<std::uint64_t>();
  c.succeeded = r.at("succeeded").get<std::uint64_t>();
  c.failed = r.at("failed").get<std::uint64_t>();
  c.timed_out = r.at("timed_out").get<std::uint64_t>();
  c.retried = r.at("retried").get<std::uint64_t>();
  c.resent = r.at("resent").get<std::uint64_t>();
  c.late = r.at("late").get<std::uint64_t>();
  c.dropped = r.at("dropped").get<std::uint64_t>();
  c.bad_status = r.at("bad_status").get<std::uint64_t>();
  for (const auto& [code, n] : doc.at("status_codes").items()) {
    const unsigned s = static_cast<unsigned>(std::stoul(code));
    if (s < c.status.size()) c.status[s] = n.get<std::uint64_t>();
  }
  for (const auto& [name, n] : doc.at("errors").items())
    if (auto k = client::error_kind_from(name); k != client::error_kind::none)
      c.errors[static_cast<std::size_t>(k)] = n.get<std::uint64_t>();
  for (const auto& [name, n] : doc.at("dns_errors").items())
    for (std::size_t d = 0; d < c.dns.size(); ++d)
      if (name == net::to_key(static_cast<net::dns_error>(d))) c.dns[d] = n.get<std::uint64_t>();
  for (const auto& [name, n] : doc.at("tls_errors").items())
    for (std::size_t t = 0; t < c.tls.size(); ++t)
      if (name == net::to_string(static_cast<net::tls_errc>(t))) c.tls[t] = n.get<std::uint64_t>();
  c.bytes_in = doc.at("bytes").at("received").get<std::uint64_t>();
  c.bytes_out = doc.at("bytes").at("sent").get<std::uint64_t>();
  c.connects = doc.at("connections_opened").get<std::uint64_t>();
  const json& red = doc.at("redirects");
  c.redirects = red.at("followed").get<std::uint64_t>();
  c.redirect_limit = red.at("limit_reached").get<std::uint64_t>();
  c.redirect_unfollowable = red.at("not_followable").get<std::uint64_t>();
  return c;
}

loadgen::run_config read_config(const json& doc) {
  const json& j = doc.at("config");
  loadgen::run_config c;
  c.url = j.at("url").get<std::string>();
  c.method = j.at("method").get<std::string>();
  c.headers = j.at("headers").get<std::vector<std::string>>();
  c.connections = j.at("connections").get<unsigned>();
  if (!j.at("requests").is_null()) c.requests = j.at("requests").get<std::uint64_t>();
  c.run_time = seconds(j.at("run_time_s"));
  c.has_duration = j.at("has_duration").get<bool>();
  c.threads = j.at("threads").get<unsigned>();
  if (!j.at("rate").is_null()) c.rate = j.at("rate").get<double>();
  for (const auto& s : j.at("ramp")) c.ramp.push_back({seconds(s.at("length_s")), s.at("target").get<double>()});
  c.warmup = seconds(j.at("warmup_s"));
  c.timeout = limit(j.at("timeout_s"));
  c.connect_timeout = limit(j.at("connect_timeout_s"));
  c.grace = seconds(j.at("grace_s"));
  c.retry.attempts = j.at("retry").at("attempts").get<unsigned>();
  c.pipeline = j.at("pipeline").get<unsigned>();
  c.streams = j.at("streams").get<unsigned>();
  c.redirects = j.at("redirects").get<unsigned>();
  c.keepalive = j.at("keepalive").get<bool>();
  c.success_spec = j.at("success_statuses").get<std::string>();
  if (auto policy = loadgen::parse_success_statuses(c.success_spec)) c.success = *policy;
  c.secrets.show_secrets = doc.at("secrets_shown").get<bool>();
  return c;
}

json merge_summaries(const std::vector<const json*>& parts) {
  json out = json::object();
  std::uint64_t n = 0;
  double sum = 0, squares = 0;
  const json* only = nullptr;  // the one summary with samples, if just one has any
  std::size_t with_samples = 0;
  for (const json* p : parts) {
    for (const auto& [k, v] : p->items())  // extra counts ("cached") add
      if (!is_latency_key(k)) out[k] = out.value(k, std::uint64_t{0}) + v.get<std::uint64_t>();
    const auto count = p->at("count").get<std::uint64_t>();
    if (count == 0) continue;
    ++with_samples;
    only = p;
    const double mean = p->at("mean").get<double>(), stdev = p->at("stdev").get<double>();
    n += count;
    sum += static_cast<double>(count) * mean;
    squares += static_cast<double>(count) * (stdev * stdev + mean * mean);
    const double lo = p->at("min").get<double>(), hi = p->at("max").get<double>();
    out["min"] = out.contains("min") ? std::min(out["min"].get<double>(), lo) : lo;
    out["max"] = out.contains("max") ? std::max(out["max"].get<double>(), hi) : hi;
  }
  for (const char* k : {"count", "min", "mean", "stdev", "max", "p50", "p75", "p90", "p99", "p999", "p9999"})
    if (!out.contains(k)) out[k] = nullptr;
  out["count"] = n;
  if (with_samples == 1) {
    for (const char* k : {"min", "mean", "stdev", "max", "p50", "p75", "p90", "p99", "p999", "p9999"}) out[k] = (*only)[k];
  } else if (n > 0) {
    const double mean = sum / static_cast<double>(n);
    out["mean"] = mean;
    out["stdev"] = std::sqrt(std::max(0.0, squares / static_cast<double>(n) - mean * mean));
  }
  return out;
}

}  // namespace barrage::report
