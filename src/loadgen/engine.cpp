#include "loadgen/engine.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cctype>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <memory>
#include <thread>

#include "http/request_template.hpp"
#include "http/url.hpp"
#include "loadgen/options.hpp"
#include "loadgen/process_usage.hpp"
#include "loadgen/timeline.hpp"
#include "loadgen/wall_clock.hpp"
#include "loadgen/worker.hpp"
#include "loadgen/worker_scenario.hpp"
#include "loadgen/ws_engine.hpp"
#include "net/fd_limit.hpp"
#include "net/resolver.hpp"
#include "runtime/spawn.hpp"

namespace barrage::loadgen {
namespace {

/// How often the engine looks at the interrupt flag (see run_load).
constexpr duration interrupt_check = std::chrono::milliseconds(50);
/// How long after a whole second the engine reads what the workers published for it.
constexpr duration tick_after_publish = std::chrono::milliseconds(100);

std::uint64_t current_rss_bytes() {
  std::ifstream f("/proc/self/statm");
  std::uint64_t size = 0, resident = 0;
  f >> size >> resident;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

struct prepared {
  std::unique_ptr<run_plan> plan;
  std::string address;
};

/// The request's fields, as views into `headers`; the error quotes none of them (a value may
/// be a credential).
result<std::vector<http::header>, std::string> header_fields(const std::vector<std::string>& headers, bool keepalive) {
  std::vector<http::header> fields;
  for (const auto& h : headers) {
    auto colon = h.find(':');
    if (colon == std::string::npos || colon == 0) return fail(std::string("bad header: expected \"Name: value\""));
    std::string_view name(h.data(), colon), value(h.data() + colon + 1, h.size() - colon - 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    fields.push_back({name, value});
  }
  if (!keepalive) fields.push_back({"Connection", "close"});
  return fields;
}

/// The request as HTTP/2 sends it: lowercase field names, Host as :authority, none of the
/// connection-specific fields (RFC 9113 §8.2.2).
void h2_request_for(run_plan& plan, const http::url& u) {
  auto& s = plan.h2_strings;
  s.reserve(2 * plan.fields.size() + 2);  // views into it stay valid: no reallocation
  s.push_back(u.host_header());
  s.push_back(u.target());
  for (const auto& f : plan.fields) {
    std::string name(f.name);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    if (name == "host" || name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
        name == "transfer-encoding" || name == "upgrade" || name == "te")
      continue;
    s.push_back(std::move(name));
    s.emplace_back(f.value);
  }
  for (std::size_t i = 2; i + 1 < s.size(); i += 2) plan.h2_fields.push_back({s[i], s[i + 1]});
  plan.h2_request.method = plan.config.method;
  plan.h2_request.scheme = u.scheme == http::url_scheme::https ? "https" : "http";
  plan.h2_request.authority = s[0];
  plan.h2_request.path = s[1];
  plan.h2_request.fields = plan.h2_fields;
  plan.h2_request.body = plan.config.body;
}

/// Where the connections to `u`'s origin go (engine.cpp's part of the run plan): its --resolve
/// addresses, its address, or its name, looked up by each worker (through a cache with the
/// run's --dns-ttl) when it opens a connection, so that a lookup that fails is that request's
/// `dns` error, accounted like any other, and a name with several addresses spreads the
/// connections over them. Errors: no address of the --source family.
result<origin_route, std::string> route_to(const http::url& u, const run_config& cfg) {
  origin_route r;
  r.url = u;
  const net::resolve_override* pinned = net::find_override(cfg.resolves, u.host, u.port);
  auto literal = pinned ? std::optional<net::socket_address>() : net::socket_address::from_ip(u.host, u.port);
  for (const auto& s : cfg.sources) {
    if (literal && s.family() != literal->family())
      return fail("--source " + s.ip() + " is not of the target's address family (" + literal->to_string() + ")");
    if (pinned && std::none_of(pinned->addresses.begin(), pinned->addresses.end(),
                               [&](const net::socket_address& a) { return a.family() == s.family(); }))
      return fail("--source " + s.ip() + " is not of the address family of --resolve " + pinned->host + ":" +
                  std::to_string(pinned->port));
  }
  if (pinned) r.pinned = pinned->addresses;
  else if (literal) r.target = *literal;
  else r.resolve = true;
  return r;
}

/// A bad --dns-server list is a setup failure, before the run: its message, or empty.
std::string check_dns_servers(const run_config& cfg) {
  if (cfg.dns_servers.empty()) return {};
  return sync_wait([](net::resolver::options o) -> task<std::string> {
    try {
      net::resolver r(o);
      co_return std::string();
    } catch (const std::runtime_error& e) {
      co_return std::string(e.what());
    }
  }([&] {
    net::resolver::options o;
    o.servers = cfg.dns_servers;
    return o;
  }()));
}

/// A scenario's or --targets list's plan, and the routes to its origins after the URL's.
result<void, std::string> prepare_scenario(run_plan& plan, const http::url& u) {
  const run_config& cfg = plan.config;
  auto sp = make_scenario_plan(cfg, u);
  if (!sp) return fail(sp.error());
  for (std::size_t i = 1; i < (*sp)->origins.size(); ++i) {
    auto r = route_to((*sp)->origins[i], cfg);
    if (!r) return fail(origin_text((*sp)->origins[i]) + ": " + r.error());
    plan.origins.push_back(std::move(*r));
  }
  plan.scenario = std::move(*sp);
  return {};
}

result<prepared, std::string> prepare(const run_config& cfg) {
  auto u = parse_target_url(cfg.url);
  if (!u) return fail(u.error());
  auto fields = header_fields(cfg.headers, cfg.keepalive);
  if (!fields) return fail(fields.error());
  std::string target = u->target(), host = u->host_header();
  http::request_spec spec{cfg.method, target, host, *fields, cfg.body};
  auto tmpl = http::request_template::make(spec);
  if (!tmpl) return fail(std::string("bad request: ") + http::to_string(tmpl.error()));
  auto home = route_to(*u, cfg);
  if (!home) return fail(home.error());
  if (auto bad = check_dns_servers(cfg); !bad.empty()) return fail("--dns-server: " + bad);

  auto plan = std::make_unique<run_plan>();
  plan->config = cfg;
  plan->origins.push_back(std::move(*home));
  if (cfg.scenario || cfg.targets)
    if (auto ok = prepare_scenario(*plan, *u); !ok) return fail(ok.error());
  net::raise_fd_limit();
  // A virtual user keeps a connection to each origin it uses.
  const std::size_t origins = plan->origins.size();
  if (auto err = net::check_fd_budget(std::size_t{cfg.connections} * origins + 8 * cfg.threads))
    return fail(origins == 1 ? *err : "a connection per user to each of " + std::to_string(origins) + " origins: " + *err);
  // Redirects may lead from http:// to https://: the context is made for them too.
  const bool https = std::any_of(plan->origins.begin(), plan->origins.end(),
                                 [](const origin_route& r) { return r.url.scheme == http::url_scheme::https; });
  if (https || cfg.redirects > 0) {
    auto ctx = net::tls_context::client(cfg.tls);
    if (!ctx) return fail("TLS: " + ctx.error());
    plan->tls = std::move(*ctx);
  }
  plan->request.assign(tmpl->bytes());
  plan->url = *u;
  plan->fields = *header_fields(plan->config.headers, cfg.keepalive);  // views into the plan's own copy
  plan->head_request = cfg.method == "HEAD";
  if (cfg.http != http_choice::http1_1) h2_request_for(*plan, *u);
  plan->may_resend = client::may_resend(client::is_idempotent(cfg.method), cfg.retry);
  const origin_route& r = plan->origins.front();
  std::string address = r.pinned.empty() && !r.resolve ? r.target.to_string() : std::string();
  for (const auto& a : r.pinned) address += (address.empty() ? "" : ",") + a.to_string();
  return prepared{std::move(plan), std::move(address)};
}

ramp_profile worker_profile(const run_config& cfg, double share) {
  std::vector<ramp_stage> stages = cfg.ramp;
  for (auto& s : stages) s.target *= share;
  double constant = cfg.open_model() ? *cfg.rate * share : cfg.connections * share;
  return ramp_profile(constant, std::move(stages), 0);
}

/// Counts the worker threads still running, for the engine to sleep on.
class running_threads {
 public:
  explicit running_threads(unsigned n) : running_(n) {}
  void one_ended() {
    {
      std::lock_guard lock(mutex_);
      --running_;
    }
    ended_.notify_all();
  }
  /// Waits until every thread ended (true) or `until` (false).
  bool wait_all_until(time_point until) {
    std::unique_lock lock(mutex_);
    return ended_.wait_until(lock, until, [this] { return running_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable ended_;
  unsigned running_;
};

/// Once a second: the seconds the workers published go into the timeline; the live view's figures.
live_snapshot follow_second(std::vector<std::unique_ptr<worker>>& workers, timeline_builder& timeline,
                            const run_plan& plan, time_point now, double& last_cpu) {
  live_snapshot p;
  for (auto& w : workers) {
    for (auto& s : w->take_seconds()) timeline.add(std::move(s));
    counters c = w->live_counters();
    p.errors += c.failed + c.timed_out;
    p.open_connections += w->open_connections();
    p.totals.merge(c);
    p.loops.push_back(w->loop_health());
  }
  timeline.so_far().digest(p.latency);
  const run_config& cfg = plan.config;
  p.elapsed = now - plan.start;
  if (plan.end != time_point::max()) p.planned = plan.end - plan.start;
  p.warming_up = now < plan.counted_from;
  p.requests_per_second = static_cast<double>(timeline.last_second_requests());
  if (cfg.rate) p.target_rate = worker_profile(cfg, 1.0).at(now - plan.start);
  p.responses = timeline.so_far().count();
  p.p50 = std::chrono::nanoseconds(timeline.so_far().value_at_percentile(50));
  p.p99 = std::chrono::nanoseconds(timeline.so_far().value_at_percentile(99));
  double cpu = process_cpu_seconds();
  p.cpu_seconds = cpu;
  p.cpu_percent = 100.0 * (cpu - last_cpu);
  last_cpu = cpu;
  p.rss_bytes = current_rss_bytes();
  p.open_fds = net::open_fd_count();
  return p;
}

/// One worker per thread, with its share of the connections, of -n and of the rate.
std::vector<std::unique_ptr<worker>> make_workers(const run_plan& plan) {
  const run_config& cfg = plan.config;
  std::vector<std::unique_ptr<worker>> workers;
  unsigned first_connection = 0;
  for (unsigned i = 0; i < cfg.threads; ++i) {
    unsigned conns = cfg.connections / cfg.threads + (i < cfg.connections % cfg.threads ? 1 : 0);
    std::optional<std::uint64_t> quota;
    if (cfg.requests) quota = *cfg.requests / cfg.threads + (i < *cfg.requests % cfg.threads ? 1 : 0);
    double share = static_cast<double>(conns) / cfg.connections;
    if (cfg.open_model()) share = 1.0 / cfg.threads;
    workers.push_back(std::make_unique<worker>(plan, conns, quota, worker_profile(cfg, share), first_connection));
    first_connection += conns;
  }
  return workers;
}

/// What the run cost the generator, and whether the generator rather than the server was the limit.
generator_usage generator_use(const run_result& r, double cpu_seconds, double busiest_thread_seconds, double wall) {
  generator_usage g;
  g.cpu_seconds = cpu_seconds;
  g.cpu_percent = 100.0 * cpu_seconds / std::max(1e-9, wall);
  g.busiest_thread_percent = 100.0 * busiest_thread_seconds / std::max(1e-9, wall);
  g.max_rss_bytes = max_rss_bytes();
  if (g.busiest_thread_percent >= 95.0) {
    g.saturated = true;
    g.saturation_reason = "a worker thread was busy " + std::to_string(int(g.busiest_thread_percent)) +
                          "% of the time: the generator, not the server, may be the limit";
  } else if (r.config.open_model() && r.stats.count.started > 0 &&
             r.stats.schedule_lag.value_at_percentile(99) > 10e6) {
    g.saturated = true;
    g.saturation_reason =
        "p99 schedule lag above 10 ms: requests could not be sent on time (all connections busy or the generator "
        "overloaded); raise -c or -t";
  }
  return g;
}

// The run's clock: its start (5 ms from now, or --start-at), the end of the warm-up and its end.
// False when interrupted while waiting for --start-at.
bool place_in_time(run_plan& plan, const run_config& cfg, const std::atomic<bool>* interrupt) {
  const bool bounded_by_count = cfg.requests.has_value() && !cfg.has_duration;
  duration length = cfg.run_time;
  if (!cfg.has_duration && !cfg.ramp.empty()) length = ramp_profile(0, cfg.ramp).length();
  plan.start = mono_clock::now() + std::chrono::milliseconds(5);
  if (cfg.start_at_unix_ns) {  // --start-at: the workers are made in the last 50 ms, then wait for it
    if (!sleep_until_shortly_before(*cfg.start_at_unix_ns, std::chrono::milliseconds(50), interrupt)) return false;
    plan.start = std::max(monotonic_at(*cfg.start_at_unix_ns), mono_clock::now() + std::chrono::milliseconds(1));
  }
  plan.counted_from = plan.start + cfg.warmup;
  plan.end = bounded_by_count ? time_point::max() : plan.counted_from + length;
  return true;
}

// The ended workers' counts, histograms and seconds merged into `r`, with the run's times and
// what the generator used.
void collect(run_result& r, std::vector<std::unique_ptr<worker>>& workers, timeline_builder& timeline,
             const run_plan& plan, double cpu0, std::int64_t wall_start_ns) {
  time_point last = plan.counted_from;
  double busiest = 0;
  for (auto& w : workers) {
    r.stats.merge(w->stats());
    for (auto& s : w->take_seconds()) timeline.add(std::move(s));
    last = std::max(last, w->last_done());
    busiest = std::max(busiest, w->cpu_seconds());
  }
  r.timeline = timeline.finish();
  r.duration_s = std::max(1e-9, to_seconds(last - plan.counted_from));
  r.wall_start_unix_us = wall_start_ns / 1000;
  r.wall_end_unix_us = r.wall_start_unix_us + std::llround(r.duration_s * 1e6);
  r.generator = generator_use(r, process_cpu_seconds() - cpu0, busiest, to_seconds(mono_clock::now() - plan.start));
}

}  // namespace

result<run_result, std::string> run_load(const run_config& config, const progress_fn& progress,
                                         const std::atomic<bool>* interrupt, const second_observer& on_second) {
  if (config.ws.enabled) return run_ws_load(config, progress, interrupt);  // ws://, wss://
  run_config cfg = config;
  if (!cfg.open_model() && !cfg.ramp.empty())
    for (const auto& s : cfg.ramp) cfg.connections = std::max(cfg.connections, static_cast<unsigned>(std::lround(s.target)));
  cfg.threads = std::max(1u, std::min(cfg.threads, cfg.connections));
  if ((cfg.scenario || cfg.targets) && cfg.url.empty()) {  // the scenario's origin
    auto url = scenario_url(cfg);
    if (!url) return fail(url.error());
    cfg.url = *url;
  }
  auto prep = prepare(cfg);
  if (!prep) return fail(prep.error());
  run_plan& plan = *prep->plan;

  if (!place_in_time(plan, cfg, interrupt)) return fail(std::string("interrupted while waiting for --start-at"));

  plan.per_second_uncorrected = static_cast<bool>(on_second);
  std::vector<std::unique_ptr<worker>> workers = make_workers(plan);
  const double cpu0 = process_cpu_seconds();
  std::vector<std::thread> threads;
  running_threads running(cfg.threads);
  for (auto& w : workers)
    threads.emplace_back([&w, &running] {
      w->run();
      running.one_ended();
    });

  const std::int64_t wall_start_ns = spin_until(plan.start) + to_ns(cfg.warmup);
  timeline_builder timeline(workers.size());
  if (on_second)
    timeline.observe(on_second, std::chrono::system_clock::now() + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                                                      plan.counted_from - mono_clock::now()));
  double last_cpu = cpu0;
  // Just after the workers publish their second (worker::ticker, on whole seconds), so that the
  // live view and metrics hold that second rather than the one before.
  time_point next_tick = plan.start + std::chrono::seconds(1) + tick_after_publish;
  bool interrupt_forwarded = false;
  for (;;) {
    // Woken when the last worker ends, at the next second's tick, and while SIGINT may come,
    // every interrupt_check: a signal handler can only store to a lock-free atomic (notifying
    // a condition variable is not async-signal-safe), so the interrupt is polled.
    time_point wake = next_tick;
    if (interrupt && !interrupt_forwarded) wake = std::min(wake, mono_clock::now() + interrupt_check);
    if (running.wait_all_until(wake)) break;
    if (interrupt && !interrupt_forwarded && interrupt->load()) {
      interrupt_forwarded = true;
      plan.interrupted.store(true);
      for (auto& w : workers) w->interrupt();
    }
    const time_point now = mono_clock::now();
    if (now < next_tick) continue;
    next_tick += std::chrono::seconds(1);
    live_snapshot p = follow_second(workers, timeline, plan, now, last_cpu);
    if (progress) progress(p);
  }
  for (auto& t : threads) t.join();

  run_result r;
  r.config = cfg;
  r.target_address = prep->address;
  if (plan.scenario)
    for (const auto& o : plan.scenario->origins) r.origins.push_back(origin_text(o));
  collect(r, workers, timeline, plan, cpu0, wall_start_ns);
  return r;
}

}  // namespace barrage::loadgen
