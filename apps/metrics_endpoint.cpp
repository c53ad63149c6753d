#include "apps/metrics_endpoint.hpp"

#include <thread>

#include "report/live_metrics.hpp"
#include "server/metrics.hpp"

namespace barrage::apps {

metrics_endpoint::metrics_endpoint(const loadgen::metrics_endpoint_config& config)
    : config_(config),
      last_(report::empty_metrics(config.bounds_s)),
      page_(config.listen, "/metrics", report::prometheus_content_type, report::render_prometheus(last_)) {}

void metrics_endpoint::on_second(const loadgen::live_snapshot& s) {
  last_ = report::live_metrics(s, config_.bounds_s);
  page_.publish(report::render_prometheus(last_));
}

void metrics_endpoint::on_end(const loadgen::run_result& r) {
  const server::process_figures proc = server::read_process_figures();
  report::settle(last_, r, proc.cpu_seconds, static_cast<std::uint64_t>(proc.resident_bytes),
                 static_cast<std::uint64_t>(proc.open_fds));
  page_.publish(report::render_prometheus(last_));
}

void metrics_endpoint::linger(const std::atomic<bool>& interrupt) const {
  const time_point until = mono_clock::now() + config_.linger;
  while (!interrupt.load() && mono_clock::now() < until)
    std::this_thread::sleep_for(std::min<duration>(std::chrono::milliseconds(50), until - mono_clock::now()));
}

}  // namespace barrage::apps
