#include "apps/metrics_endpoint.hpp"

#include <cstdio>

#include "report/live_metrics.hpp"
#include "runtime/event_loop.hpp"
#include "server/metrics.hpp"

namespace barrage::apps {
namespace {

server::server_options endpoint_options(const net::socket_address& listen) {
  server::server_options o;
  o.listen = listen;
  o.threads = 1;
  o.max_connections = 64;       // a few scrapers, a curl
  o.expose_metrics = false;     // /metrics is ours: the generator's figures, not the server's
  o.shutdown_grace = std::chrono::seconds(1);
  return o;
}

}  // namespace

metrics_endpoint::metrics_endpoint(const loadgen::metrics_endpoint_config& config)
    : config_(config), last_(report::empty_metrics(config.bounds_s)) {
  page_ = report::render_prometheus(last_);
  server::router routes;
  routes.get("/metrics", [this](server::request&) -> task<server::response> {
    co_return server::response(200, page(), report::prometheus_content_type);
  });
  server_ = std::make_unique<server::server>(std::move(routes), endpoint_options(config.listen));
  thread_ = std::thread([this] {
    try {
      event_loop loop;
      loop.run(server_->serve());
    } catch (const std::exception& e) {  // the run goes on without its metrics
      std::fprintf(stderr, "barrage: the metrics endpoint stopped: %s\n", e.what());
    }
  });
}

metrics_endpoint::~metrics_endpoint() {
  server_->stop_now();
  thread_.join();
}

void metrics_endpoint::on_second(const loadgen::live_snapshot& s) {
  last_ = report::live_metrics(s, config_.bounds_s);
  publish(last_);
}

void metrics_endpoint::on_end(const loadgen::run_result& r) {
  const server::process_figures proc = server::read_process_figures();
  report::settle(last_, r, proc.cpu_seconds, static_cast<std::uint64_t>(proc.resident_bytes),
                 static_cast<std::uint64_t>(proc.open_fds));
  publish(last_);
}

void metrics_endpoint::linger(const std::atomic<bool>& interrupt) const {
  const time_point until = mono_clock::now() + config_.linger;
  while (!interrupt.load() && mono_clock::now() < until)
    std::this_thread::sleep_for(std::min<duration>(std::chrono::milliseconds(50), until - mono_clock::now()));
}

void metrics_endpoint::publish(const report::generator_metrics& m) {
  std::string text = report::render_prometheus(m);
  std::lock_guard lock(mutex_);
  page_.swap(text);
}

std::string metrics_endpoint::page() const {
  std::lock_guard lock(mutex_);
  return page_;
}

}  // namespace barrage::apps
