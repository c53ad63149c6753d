#include "report/merge.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "base/quote_text.hpp"
#include "loadgen/report_json.hpp"
#include "loadgen/timeline.hpp"
#include "loadgen/wall_clock.hpp"
#include "report/merge_sections.hpp"
#include "report/saved_report.hpp"

namespace barrage::report {
namespace {

using nlohmann::json;

/// The config without what each shard holds a share of: what must be equal between inputs.
json comparable_config(const json& config) {
  json c = config;
  for (const char* k : {"connections", "requests", "rate", "threads", "sources"}) c.erase(k);
  for (auto& stage : c["ramp"]) stage.erase("target");
  return c;
}

/// The first key (as config.a.b) where `a` and `b` differ, and both values:
///   config.url differs: "http://a/" vs "http://b/"
std::string first_difference(const json& a, const json& b, const std::string& at) {
  if (a.is_object() && b.is_object()) {
    for (const auto& [k, v] : a.items()) {
      if (!b.contains(k)) return at + "." + k + " is only in the first";
      if (v != b[k]) return first_difference(v, b[k], at + "." + k);
    }
    for (const auto& [k, v] : b.items())
      if (!a.contains(k)) return at + "." + k + " is only in the second";
  }
  auto shown = [](const json& v) { return quote_text(v.is_string() ? v.get<std::string>() : v.dump(), 60); };
  return at + " differs: " + shown(a) + " vs " + shown(b);
}

/// Each input's shard, checked: all sharded with one count, each index once, and all there
/// unless allow_partial. Returns whether the merge is partial.
result<bool, std::string> check_shards(std::span<const merge_input> in, bool allow_partial) {
  const json& first = in[0].doc.at("shard");
  std::map<unsigned, const std::string*> seen;
  for (const auto& i : in) {
    const json& s = i.doc.at("shard");
    if (s.is_null() != first.is_null())
      return fail(fmt::format("{} is {} but {} is {}: merge the shards of one run", in[0].name,
                              first.is_null() ? "not a shard" : "a shard", i.name, s.is_null() ? "not" : "one"));
    if (s.is_null()) continue;
    const auto index = s.at("index").get<unsigned>(), count = s.at("count").get<unsigned>();
    if (count != first.at("count").get<unsigned>())
      return fail(fmt::format("{} is shard {} of {} but {} is shard {} of {}: different runs", in[0].name,
                              first.at("index").get<unsigned>(), first.at("count").get<unsigned>(), i.name, index,
                              count));
    if (auto [it, fresh] = seen.emplace(index, &i.name); !fresh)
      return fail(fmt::format("shard {} of {} is given twice ({} and {})", index, count, *it->second, i.name));
  }
  if (first.is_null()) return false;
  const auto count = first.at("count").get<unsigned>();
  if (seen.size() == count) return false;
  std::string missing;
  for (unsigned i = 0, listed = 0; i < count && listed < 5; ++i)
    if (!seen.count(i)) missing += (listed++ ? ", " : "") + std::to_string(i);
  if (count - seen.size() > 5) missing += ", ...";
  if (!allow_partial)
    return fail(fmt::format("{} of {} shards: missing {} (--allow-partial merges anyway)", seen.size(), count, missing));
  return true;
}

result<void, std::string> check_inputs(std::span<const merge_input> in) {
  for (const auto& i : in) {
    if (!i.doc.is_object() || !i.doc.contains("schema_version") || !i.doc.contains("config"))
      return fail(i.name + ": not a barrage JSON report (no schema_version or config)");
    if (i.doc["schema_version"] != in[0].doc["schema_version"])
      return fail(fmt::format("{} has schema_version {} but {} has {}: made by different barrage versions",
                              in[0].name, in[0].doc["schema_version"].dump(), i.name, i.doc["schema_version"].dump()));
    if (!i.doc.contains("wall_clock") || !i.doc.contains("shard"))
      return fail(i.name + ": no wall_clock or shard (from a barrage before merge existed): run it again to merge");
    const json a = comparable_config(in[0].doc["config"]), b = comparable_config(i.doc["config"]);
    if (a != b)
      return fail(fmt::format("{} and {} are from different runs: {}", in[0].name, i.name,
                              first_difference(a, b, "config")));
  }
  return {};
}

/// The first input's config with the shares added back up (sources in input order).
json merged_config(std::span<const merge_input> in) {
  json c = in[0].doc["config"];
  std::uint64_t connections = 0, threads = 0, requests = 0;
  double rate = 0;
  json sources = json::array();
  std::vector<double> targets(c["ramp"].size(), 0.0);
  for (const auto& i : in) {
    const json& x = i.doc["config"];
    connections += x["connections"].get<std::uint64_t>();
    threads += x["threads"].get<std::uint64_t>();
    if (!x["requests"].is_null()) requests += x["requests"].get<std::uint64_t>();
    if (!x["rate"].is_null()) rate += x["rate"].get<double>();
    for (const auto& s : x["sources"]) sources.push_back(s);
    for (std::size_t k = 0; k < targets.size(); ++k) targets[k] += x["ramp"][k]["target"].get<double>();
  }
  c["connections"] = connections;
  c["threads"] = threads;
  if (!c["requests"].is_null()) c["requests"] = requests;
  if (!c["rate"].is_null()) c["rate"] = rate;
  c["sources"] = sources;
  for (std::size_t k = 0; k < targets.size(); ++k) c["ramp"][k]["target"] = targets[k];
  return c;
}

std::vector<const json*> all_at(std::span<const merge_input> in, std::initializer_list<const char*> path) {
  std::vector<const json*> out;
  for (const auto& i : in) {
    const json* at = &i.doc;
    for (const char* k : path) at = at && at->contains(k) ? &(*at)[k] : nullptr;
    if (at) out.push_back(at);
  }
  return out;
}

/// Each second's requests, errors, largest latency and coarse histogram, by wall_second.
struct second_sum {
  std::uint64_t requests = 0, errors = 0;
  double max_ms = 0;
  histogram coarse;
};

std::vector<loadgen::timeline_point> merged_timeline(std::span<const merge_input> in, std::int64_t first_second) {
  std::map<std::int64_t, second_sum> seconds;
  for (const auto& i : in)
    for (const auto& p : i.doc.at("timeline")) {
      auto& s = seconds[std::max(first_second, p.at("wall_second").get<std::int64_t>())];
      s.requests += p.at("requests").get<std::uint64_t>();
      s.errors += p.at("errors").get<std::uint64_t>();
      s.max_ms = std::max(s.max_ms, p.at("max_ms").get<double>());
      auto h = histogram::deserialize(p.at("histogram").get<std::string>());
      if (!h) throw std::runtime_error("bad timeline histogram: " + h.error());
      s.coarse.merge(*h);
    }
  std::vector<loadgen::timeline_point> out;
  if (seconds.empty()) return out;
  out.resize(static_cast<std::size_t>(seconds.rbegin()->first - first_second + 1));
  histogram empty;
  for (auto& p : out) p.coarse = empty.serialize();
  for (const auto& [second, s] : seconds) {
    auto& p = out[static_cast<std::size_t>(second - first_second)];
    p = {s.requests,
         s.errors,
         static_cast<double>(s.coarse.value_at_percentile(50)) / 1e6,
         static_cast<double>(s.coarse.value_at_percentile(90)) / 1e6,
         static_cast<double>(s.coarse.value_at_percentile(99)) / 1e6,
         s.max_ms,
         s.coarse.serialize()};
  }
  return out;
}

loadgen::generator_usage merged_generator(std::span<const merge_input> in) {
  loadgen::generator_usage g;
  for (const auto& i : in) {
    const json& x = i.doc.at("generator");
    g.cpu_seconds += x.at("cpu_seconds").get<double>();
    g.cpu_percent += x.at("cpu_percent").get<double>();
    g.busiest_thread_percent = std::max(g.busiest_thread_percent, x.at("busiest_thread_percent").get<double>());
    g.max_rss_bytes = std::max(g.max_rss_bytes, x.at("max_rss_bytes").get<std::uint64_t>());
    if (x.at("saturated").get<bool>()) {
      g.saturated = true;
      if (!g.saturation_reason.empty()) g.saturation_reason += "; ";
      g.saturation_reason += i.name + ": " + x.at("saturation_reason").get<std::string>();
    }
  }
  return g;
}

/// What the text report and thresholds read, rebuilt exactly from the inputs.
loadgen::run_result merged_result(std::span<const merge_input> in, const json& config, std::int64_t start_us,
                                  std::int64_t end_us) {
  loadgen::run_result r;
  json with_config = in[0].doc;
  with_config["config"] = config;
  r.config = read_config(with_config);
  std::string address = in[0].doc.at("target_address").get<std::string>();
  bool open = !config["rate"].is_null();
  histogram uncorrected;
  for (const auto& i : in) {
    if (i.doc.at("target_address") != in[0].doc.at("target_address")) address.clear();  // several: not one to name
    r.stats.count.merge(read_counters(i.doc));
    r.stats.latency.merge(read_histogram(i.doc.at("histogram")));
    if (open) uncorrected.merge(read_histogram(i.doc.at("histogram_uncorrected")));
    if (i.doc.contains("h2")) {
      loadgen::h2_stats h;
      h.connections = i.doc["h2"].at("connections").get<std::uint64_t>();
      h.goaways = i.doc["h2"].at("goaways").get<std::uint64_t>();
      h.peer_max_streams = i.doc["h2"].at("server_max_concurrent_streams").get<std::uint32_t>();
      h.peak_streams = i.doc["h2"].at("peak_streams").get<std::uint32_t>();
      r.stats.h2.merge(h);
    }
  }
  if (open) r.stats.set_uncorrected(std::move(uncorrected));
  r.target_address = address;
  r.wall_start_unix_us = start_us;
  r.wall_end_unix_us = end_us;
  r.duration_s = static_cast<double>(end_us - start_us) / 1e6;
  r.timeline = merged_timeline(in, (start_us + 500'000) / 1'000'000);
  r.generator = merged_generator(in);
  merge_sections_into(r, in);
  return r;
}

/// The parts of the report with no histogram behind them, merged from the inputs' JSON.
void merge_summaries_into(json& doc, std::span<const merge_input> in) {
  doc["latency_failed_ms"] = merge_summaries(all_at(in, {"latency_failed_ms"}));
  for (const char* phase : {"dns", "connect", "tls", "queue", "write", "wait", "receive"})
    doc["phases"][phase] = merge_summaries(all_at(in, {"phases", phase}));
  doc["redirects"]["hop_ms"] = merge_summaries(all_at(in, {"redirects", "hop_ms"}));
  if (doc.contains("schedule_lag_ms")) doc["schedule_lag_ms"] = merge_summaries(all_at(in, {"schedule_lag_ms"}));
  json addresses = json::array();
  for (const auto* list : all_at(in, {"addresses"}))
    for (const auto& a : *list) {
      auto it = std::find_if(addresses.begin(), addresses.end(), [&](const json& x) { return x["address"] == a["address"]; });
      if (it == addresses.end()) {
        addresses.push_back(a);
      } else {
        (*it)["connections"] = (*it)["connections"].get<std::uint64_t>() + a["connections"].get<std::uint64_t>();
        (*it)["failures"] = (*it)["failures"].get<std::uint64_t>() + a["failures"].get<std::uint64_t>();
      }
    }
  doc["addresses"] = addresses;
  const auto tls = all_at(in, {"tls"});
  doc.erase("tls");
  if (!tls.empty()) {
    json t = *tls[0];
    std::uint64_t handshakes = 0, resumed = 0;
    for (const auto* x : tls) {
      handshakes += (*x)["handshakes"].get<std::uint64_t>();
      resumed += (*x)["resumed"].get<std::uint64_t>();
    }
    t["handshakes"] = handshakes;
    t["resumed"] = resumed;
    t["handshake_ms"] = merge_summaries(all_at(in, {"tls", "handshake_ms"}));
    doc["tls"] = t;
  }
}

json merged_section(std::span<const merge_input> in, bool partial) {
  std::vector<const merge_input*> order;
  for (const auto& i : in) order.push_back(&i);
  auto index = [](const merge_input* i) {
    const json& s = i->doc["shard"];
    return s.is_null() ? 0u : s["index"].get<unsigned>();
  };
  std::stable_sort(order.begin(), order.end(), [&](auto* a, auto* b) { return index(a) < index(b); });
  json shards = json::array();
  std::int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (const auto* i : order) {
    const json& w = i->doc["wall_clock"];
    const auto start = w.at("start_unix_us").get<std::int64_t>();
    lo = std::min(lo, start);
    hi = std::max(hi, start);
    shards.push_back({{"index", i->doc["shard"].is_null() ? json(nullptr) : json(index(i))},
                      {"start", w.at("start")},
                      {"end", w.at("end")}});
  }
  return {{"inputs", in.size()}, {"partial", partial}, {"shards", shards}, {"start_spread_ms", static_cast<double>(hi - lo) / 1e3}};
}

}  // namespace

result<nlohmann::json, std::string> parse_report(std::string_view text, std::string_view name) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return fail(quote_text(name) + ": not JSON (a barrage --json report)");
  return doc;
}

result<merged_run, std::string> merge_reports(std::span<const merge_input> in, bool allow_partial) {
  if (in.empty()) return fail(std::string("nothing to merge: give the reports (JSON files)"));
  try {
    if (auto ok = check_inputs(in); !ok) return fail(ok.error());
    auto partial = check_shards(in, allow_partial);
    if (!partial) return fail(partial.error());
    std::int64_t start = INT64_MAX, end = INT64_MIN;
    for (const auto& i : in) {
      start = std::min(start, i.doc.at("wall_clock").at("start_unix_us").get<std::int64_t>());
      end = std::max(end, i.doc.at("wall_clock").at("end_unix_us").get<std::int64_t>());
    }
    const json config = merged_config(in);
    merged_run m;
    m.result = merged_result(in, config, start, end);
    m.doc = loadgen::to_json(m.result);
    m.doc["config"] = config;
    m.doc["barrage_version"] = in[0].doc.at("barrage_version");
    merge_summaries_into(m.doc, in);
    copy_section_settings(m.doc, in);
    m.doc["merged"] = merged_section(in, *partial);
    return m;
  } catch (const std::exception& e) {  // nlohmann's type_error, out_of_range; a bad histogram
    return fail(std::string("not a barrage report as expected: ") + e.what());
  }
}

json with_thresholds(json doc, std::span<const loadgen::threshold_result> thresholds) {
  json ts = json::array();
  for (const auto& t : thresholds) ts.push_back({{"expr", t.expr}, {"ok", t.ok}, {"actual", t.actual}});
  doc["thresholds"] = ts;
  return doc;
}

}  // namespace barrage::report
