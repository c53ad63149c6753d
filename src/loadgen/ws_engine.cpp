#include "loadgen/ws_engine.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <thread>

#include "loadgen/options.hpp"
#include "loadgen/process_usage.hpp"
#include "loadgen/wall_clock.hpp"
#include "loadgen/ws_options.hpp"
#include "loadgen/ws_worker.hpp"
#include "net/fd_limit.hpp"

namespace barrage::loadgen {
namespace {

constexpr duration follow_step = std::chrono::milliseconds(50);

/// -H "Name: value" as the handshake's extra fields (make_run_config checked them).
std::vector<std::pair<std::string, std::string>> handshake_fields(const std::vector<std::string>& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& h : headers) {
    const auto colon = h.find(':');
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    out.emplace_back(h.substr(0, colon), std::move(value));
  }
  return out;
}

result<std::unique_ptr<ws_plan>, std::string> prepare(const run_config& cfg) {
  auto u = parse_ws_url(cfg.url);
  if (!u) return fail(u.error());
  auto plan = std::make_unique<ws_plan>();
  plan->config = cfg;
  plan->url = *u;
  plan->headers = handshake_fields(cfg.headers);
  if (const auto* pinned = net::find_override(cfg.resolves, u->host, u->port)) {
    plan->pinned = pinned->addresses;
  } else if (auto literal = net::socket_address::from_ip(u->host, u->port)) {
    plan->target = *literal;
  } else {
    plan->resolve = true;
  }
  if (cfg.ws.secure) {
    auto ctx = net::tls_context::client(cfg.tls);
    if (!ctx) return fail("TLS: " + ctx.error());
    plan->tls = std::move(*ctx);
  }
  net::raise_fd_limit();
  if (auto err = net::check_fd_budget(cfg.connections + 8 * cfg.threads)) return fail(*err);
  return plan;
}

/// The live line's figures: connections held, messages received in the last second.
live_snapshot follow(const std::vector<std::unique_ptr<ws_worker>>& workers, const ws_plan& plan, time_point now,
                     std::uint64_t& last_messages, double& last_cpu) {
  live_snapshot p;
  std::uint64_t messages = 0;
  for (const auto& w : workers) {
    p.open_connections += w->open_connections();
    messages += w->live_messages();
  }
  p.elapsed = now - plan.start;
  p.planned = plan.end - plan.start;
  p.requests_per_second = static_cast<double>(messages - std::min(messages, last_messages));
  last_messages = messages;
  const double cpu = process_cpu_seconds();
  p.cpu_seconds = cpu;
  p.cpu_percent = 100.0 * (cpu - last_cpu);
  last_cpu = cpu;
  p.open_fds = net::open_fd_count();
  return p;
}

/// After the workers ended: the merged counts, the timeline, the times and the generator's use.
run_result collect_ws_result(const run_config& cfg, const ws_plan& plan,
                             const std::vector<std::unique_ptr<ws_worker>>& workers, ws_timeline_builder& timeline,
                             double cpu0, std::int64_t wall_start_ns) {
  run_result r;
  r.ws_timeline = timeline.finish();
  r.config = cfg;
  r.target_address = plan.resolve ? std::string() : plan.pinned.empty() ? plan.target.to_string() : plan.pinned[0].to_string();
  double busiest = 0;
  for (auto& w : workers) {
    r.stats.merge(w->stats());
    busiest = std::max(busiest, w->cpu_seconds());
  }
  const time_point stopped = std::min(mono_clock::now(), plan.end);
  r.duration_s = std::max(1e-9, to_seconds(stopped - plan.start));
  r.wall_start_unix_us = wall_start_ns / 1000;
  r.wall_end_unix_us = r.wall_start_unix_us + std::llround(r.duration_s * 1e6);
  const double wall = std::max(1e-9, to_seconds(mono_clock::now() - plan.start));
  r.generator.cpu_seconds = process_cpu_seconds() - cpu0;
  r.generator.cpu_percent = 100.0 * r.generator.cpu_seconds / wall;
  r.generator.busiest_thread_percent = 100.0 * busiest / wall;
  r.generator.max_rss_bytes = max_rss_bytes();
  if (r.generator.busiest_thread_percent >= 95.0) {
    r.generator.saturated = true;
    r.generator.saturation_reason = "a worker thread was busy " + std::to_string(int(r.generator.busiest_thread_percent)) +
                                    "% of the time: the generator, not the server, may be the limit";
  }
  return r;
}

}  // namespace

result<run_result, std::string> run_ws_load(const run_config& config, const progress_fn& progress,
                                            const std::atomic<bool>* interrupt) {
  run_config cfg = config;
  for (const auto& s : cfg.ramp) cfg.connections = std::max(cfg.connections, static_cast<unsigned>(std::lround(s.target)));
  cfg.threads = std::max(1u, std::min(cfg.threads, cfg.connections));
  auto prep = prepare(cfg);
  if (!prep) return fail(prep.error());
  ws_plan& plan = **prep;
  const duration length = !cfg.has_duration && !cfg.ramp.empty() ? ramp_profile(0, cfg.ramp).length() : cfg.run_time;
  plan.start = mono_clock::now() + std::chrono::milliseconds(5);
  if (cfg.start_at_unix_ns) {
    if (!sleep_until_shortly_before(*cfg.start_at_unix_ns, std::chrono::milliseconds(50), interrupt))
      return fail(std::string("interrupted while waiting for --start-at"));
    plan.start = std::max(monotonic_at(*cfg.start_at_unix_ns), mono_clock::now() + std::chrono::milliseconds(1));
  }
  plan.end = plan.start + length;

  std::vector<std::unique_ptr<ws_worker>> workers;
  for (unsigned i = 0; i < cfg.threads; ++i) {
    const unsigned conns = cfg.connections / cfg.threads + (i < cfg.connections % cfg.threads ? 1 : 0);
    const double share = static_cast<double>(conns) / cfg.connections;
    std::vector<ramp_stage> stages = cfg.ramp;
    for (auto& s : stages) s.target *= share;
    workers.push_back(std::make_unique<ws_worker>(plan, conns, ramp_profile(conns, std::move(stages), 0)));
  }
  const double cpu0 = process_cpu_seconds();
  std::atomic<unsigned> running{cfg.threads};
  std::vector<std::thread> threads;
  for (auto& w : workers)
    threads.emplace_back([&w, &running] {
      w->run();
      running.fetch_sub(1);
    });
  const std::int64_t wall_start_ns = spin_until(plan.start);
  time_point next_tick = plan.start + std::chrono::seconds(1);
  std::uint64_t last_messages = 0;
  double last_cpu = cpu0;
  ws_timeline_builder timeline(workers.size());
  auto take_seconds = [&] {  // merged as they come, so that a long run keeps only its points
    for (std::size_t i = 0; i < workers.size(); ++i)
      for (auto& s : workers[i]->take_seconds()) timeline.add(i, std::move(s));
  };
  bool interrupted = false;
  while (running.load() > 0) {
    std::this_thread::sleep_for(follow_step);
    if (interrupt && !interrupted && interrupt->load()) {
      interrupted = true;
      plan.interrupted.store(true);
      for (auto& w : workers) w->interrupt();
    }
    const time_point now = mono_clock::now();
    if (now < next_tick) continue;
    next_tick += std::chrono::seconds(1);
    take_seconds();
    const live_snapshot p = follow(workers, plan, now, last_messages, last_cpu);
    if (progress) progress(p);
  }
  for (auto& t : threads) t.join();
  take_seconds();

  return collect_ws_result(cfg, plan, workers, timeline, cpu0, wall_start_ns);
}

}  // namespace barrage::loadgen
