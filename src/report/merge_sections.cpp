#include "report/merge_sections.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>

#include "loadgen/scenario_stats.hpp"
#include "loadgen/stream_stats.hpp"
#include "loadgen/ws_stats.hpp"
#include "loadgen/ws_timeline.hpp"
#include "report/saved_report.hpp"

namespace barrage::report {
namespace {

using nlohmann::json;

std::uint64_t u64(const json& j, const char* key) { return j.at(key).get<std::uint64_t>(); }

duration seconds_of(const json& v) {
  return std::chrono::duration_cast<duration>(std::chrono::duration<double>(v.get<double>()));
}

/// The serialized histogram `key` of `histograms`, or a refusal naming what is missing.
histogram section_histogram(const merge_input& in, const char* section, const json& histograms, const char* key) {
  if (!histograms.is_object() || !histograms.contains(key))
    throw std::runtime_error(in.name + ": its " + section + " section has no serialized " + key +
                             " histogram (written by an older barrage): run it again to merge");
  return read_histogram(histograms.at(key));
}

/// A section's "histograms", or null when it has none (section_histogram then says so).
const json& histograms_of(const json& section) {
  static const json none;
  return section.contains("histograms") ? section.at("histograms") : none;
}

/// Which of the inputs have `key`: all of them, none, or a refusal.
bool in_all_or_none(std::span<const merge_input> in, const char* key) {
  const bool first = in[0].doc.contains(key);
  for (const auto& i : in)
    if (i.doc.contains(key) != first)
      throw std::runtime_error((first ? i.name : in[0].name) + " has no \"" + key + "\" section but " +
                               (first ? in[0].name : i.name) + " has one: different runs");
  return first;
}

/// Refuses inputs whose `section`'s member `key` differs from the first input's.
void same_setting(std::span<const merge_input> in, const char* section, const char* key) {
  const json& first = in[0].doc.at(section).at(key);
  for (const auto& i : in)
    if (i.doc.at(section).at(key) != first)
      throw std::runtime_error(in[0].name + " and " + i.name + " are from different runs: " + section + "." + key +
                               " differs: " + first.dump() + " vs " + i.doc.at(section).at(key).dump());
}

// ---- websocket ----

template <class Map, class Key>
void add_counts(Map& to, const json& obj, Key key_of) {
  for (const auto& [k, n] : obj.items()) to[key_of(k)] += n.template get<std::uint64_t>();
}

loadgen::ws_stats read_ws_stats(const merge_input& in) {
  const json& w = in.doc.at("websocket");
  const json& c = w.at("connections");
  const json& m = w.at("messages");
  const json& h = histograms_of(w);
  loadgen::ws_stats s;
  auto same = [](const std::string& k) { return k; };
  s.attempts = u64(c, "attempts");
  s.opened = u64(c, "opened");
  add_counts(s.failed, c.at("failed"), same);
  s.held_at_end = u64(c, "held_at_end");
  add_counts(s.closed_by_peer, c.at("closed").at("by_peer"),
             [](const std::string& k) { return static_cast<std::uint16_t>(std::stoul(k)); });
  s.closed_by_us = u64(c.at("closed"), "by_us");
  add_counts(s.dropped, c.at("dropped"), same);
  s.reconnects = u64(c, "reconnects");
  s.sent = u64(m, "sent");
  s.received = u64(m, "received");
  s.answered = u64(m, "answered");
  s.timed_out = u64(m, "timed_out");
  s.lost = u64(m, "lost");
  s.in_flight_at_end = u64(m, "in_flight_at_end");
  s.unmatched = u64(m, "unmatched");
  s.late = u64(m, "late");
  s.subscribes = u64(m, "subscribes");
  s.bytes_sent = u64(w.at("bytes"), "sent");
  s.bytes_received = u64(w.at("bytes"), "received");
  s.pings = u64(w.at("pings"), "sent");
  s.pongs = u64(w.at("pings"), "answered");
  s.latency = section_histogram(in, "websocket", h, "latency");
  s.gap = section_histogram(in, "websocket", h, "gap");
  s.handshake = section_histogram(in, "websocket", h, "handshake");
  s.ping_rtt = section_histogram(in, "websocket", h, "ping_rtt");
  return s;
}

/// The shards' timelines by wall second: counts summed (a second a shard did not run adds
/// nothing: its connections were not open yet, or no longer), the largest maximum, and the
/// percentiles of the merged 7-bit histograms. The result's second 0 is `first_second`.
std::vector<loadgen::ws_timeline_point> merged_ws_timeline(std::span<const merge_input> in, std::int64_t first_second) {
  struct second_sum {
    loadgen::ws_timeline_point point;
    histogram times;
  };
  std::map<std::int64_t, second_sum> seconds;
  for (const auto& i : in)
    for (const auto& p : i.doc.at("websocket").at("timeline")) {
      if (!p.contains("histogram"))
        throw std::runtime_error(i.name + ": its websocket timeline has no serialized histograms (written by an "
                                 "older barrage): run it again to merge");
      auto& s = seconds[std::max(first_second, p.at("wall_second").get<std::int64_t>())];
      loadgen::ws_second_counts c;
      c.held = u64(p, "held");
      c.opened = u64(p, "opened");
      c.failed = u64(p, "failed");
      c.closed = u64(p, "closed");
      c.dropped = u64(p, "dropped");
      c.reconnected = u64(p, "reconnected");
      c.sent = u64(p, "sent");
      c.received = u64(p, "received");
      s.point.counts.add(c);
      if (!p.at("max_ms").is_null()) s.point.max_ms = std::max(s.point.max_ms, p.at("max_ms").get<double>());
      auto h = histogram::deserialize(p.at("histogram").get<std::string>());
      if (!h) throw std::runtime_error(i.name + ": bad websocket timeline histogram: " + h.error());
      s.times.merge(*h);
    }
  std::vector<loadgen::ws_timeline_point> out;
  if (seconds.empty()) return out;
  out.resize(static_cast<std::size_t>(seconds.rbegin()->first - first_second + 1));
  for (auto& [second, s] : seconds) {
    auto& p = out[static_cast<std::size_t>(second - first_second)];
    p = s.point;
    p.timed = s.times.count();
    p.p50_ms = static_cast<double>(s.times.value_at_percentile(50)) / 1e6;
    p.p99_ms = static_cast<double>(s.times.value_at_percentile(99)) / 1e6;
    p.coarse = s.times.serialize();
  }
  return out;
}

/// The settings the text report's WebSocket heading shows.
void read_ws_config(loadgen::ws_config& ws, const json& section, std::uint64_t subscribes) {
  const json& c = section.at("config");
  ws.enabled = true;
  ws.mode = section.at("mode") == "listen" ? loadgen::ws_mode::listen : loadgen::ws_mode::echo;
  if (!c.at("message_rate").is_null()) ws.message_rate = c.at("message_rate").get<double>();
  ws.binary = c.at("binary").get<bool>();
  ws.ping_interval = seconds_of(c.at("ping_interval_s"));
  ws.reconnect = c.at("reconnect").get<bool>();
  if (subscribes > 0) ws.subscribe = std::string();  // the message itself is not in the report
}

// ---- streams ----

loadgen::stream_stats read_stream_stats(const merge_input& in) {
  const json& j = in.doc.at("streams");
  loadgen::stream_stats s;
  s.responses = u64(j, "responses");
  s.event_streams = u64(j, "event_streams");
  s.stalled = u64(j, "stalled");
  s.cut = u64(j, "cut");
  s.event_stream_errors = u64(j, "event_stream_errors");
  const json& h = histograms_of(j);
  loadgen::stream_histograms& f = s.figures();
  f.ttfb = section_histogram(in, "streams", h, "ttfb");
  f.gap = section_histogram(in, "streams", h, "gap");
  f.length_bytes = section_histogram(in, "streams", h, "length_bytes");
  f.events = section_histogram(in, "streams", h, "events");
  f.events_per_second_milli = section_histogram(in, "streams", h, "events_per_second");
  return s;
}

// ---- steps and targets ----

std::size_t abort_index(const std::string& name) {
  for (std::size_t a = 0; a < loadgen::abort_reason_count; ++a)
    if (name == loadgen::to_string(static_cast<loadgen::abort_reason>(a))) return a;
  throw std::runtime_error("unknown abort reason \"" + name + "\"");
}

void add_aborted(std::array<std::uint64_t, loadgen::abort_reason_count>& to, const json& obj) {
  for (const auto& [k, n] : obj.items()) to[abort_index(k)] += n.get<std::uint64_t>();
}

loadgen::step_stats read_step(const merge_input& in, const char* group, const std::string& name, const json& j) {
  loadgen::step_stats s{name};
  s.started = u64(j, "requests");
  s.succeeded = u64(j, "succeeded");
  s.failed = u64(j, "failed");
  s.timed_out = u64(j, "timed_out");
  s.bad_status = u64(j, "bad_status");
  for (const auto& [code, n] : j.at("statuses").items())
    s.statuses.emplace_back(static_cast<std::uint16_t>(std::stoul(code)), n.get<std::uint64_t>());
  for (const auto& [kind, n] : j.at("errors").items())
    if (auto k = client::error_kind_from(kind); k != client::error_kind::none)
      s.errors[static_cast<std::size_t>(k)] = n.get<std::uint64_t>();
  add_aborted(s.aborted, j.at("aborted"));
  const std::string where = std::string(group) + " \"" + name + "\"";
  s.latency.merge(section_histogram(in, where.c_str(), j, "histogram"));
  s.latency_failed.merge(section_histogram(in, where.c_str(), j, "histogram_failed"));
  return s;
}

loadgen::scenario_stats read_scenario_stats(const merge_input& in) {
  loadgen::scenario_stats sc;
  sc.targets = in.doc.contains("targets");
  const char* group = sc.targets ? "targets" : "steps";
  for (const auto& [name, step] : in.doc.at(group).items()) sc.steps.push_back(read_step(in, group, name, step));
  if (sc.targets) return sc;
  const json& it = in.doc.at("iterations");
  sc.iterations.started = u64(it, "started");
  sc.iterations.completed = u64(it, "completed");
  add_aborted(sc.iterations.aborted, it.at("aborted"));
  sc.iterations.duration = section_histogram(in, "iterations", it, "histogram");
  return sc;
}

}  // namespace

void merge_sections_into(loadgen::run_result& r, std::span<const merge_input> in) {
  if (in_all_or_none(in, "websocket")) {
    same_setting(in, "websocket", "mode");
    same_setting(in, "websocket", "config");
    for (const auto& i : in) r.stats.ws.merge(read_ws_stats(i));
    read_ws_config(r.config.ws, in[0].doc.at("websocket"), r.stats.ws.subscribes);
    r.ws_timeline = merged_ws_timeline(in, (r.wall_start_unix_us + 500'000) / 1'000'000);
  }
  if (in_all_or_none(in, "streams")) {
    same_setting(in, "streams", "stall_s");
    r.config.stream = true;
    r.config.stall = seconds_of(in[0].doc.at("streams").at("stall_s"));
    for (const auto& i : in) r.stats.streams.merge(read_stream_stats(i));
  }
  const bool steps = in_all_or_none(in, "steps"), targets = in_all_or_none(in, "targets");
  if (steps || targets) {
    if (steps) in_all_or_none(in, "iterations");
    for (const auto& i : in) r.stats.scenario.merge(read_scenario_stats(i));  // steps by name, iterations add
  }
}

void copy_section_settings(json& doc, std::span<const merge_input> in) {
  if (doc.contains("websocket")) doc["websocket"]["config"] = in[0].doc.at("websocket").at("config");
}

}  // namespace barrage::report
