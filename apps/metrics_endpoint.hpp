#pragma once
// --metrics-listen: the running generator's figures for Prometheus, on a server of its own (one
// thread, barrage::server) that answers GET /metrics with the last page made (404 elsewhere).
// The page is made on the engine's thread once a second and swapped in under a mutex; after
// the run it holds the final totals (the JSON report's) for --linger.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "loadgen/live_view.hpp"
#include "loadgen/metrics_options.hpp"
#include "loadgen/run_result.hpp"
#include "net/address.hpp"
#include "report/generator_metrics.hpp"
#include "server/server.hpp"

namespace barrage::apps {

class metrics_endpoint {
 public:
  /// Binds and starts serving now. Throws std::system_error when it cannot listen.
  explicit metrics_endpoint(const loadgen::metrics_endpoint_config& config);
  /// Stops the server (connections cut) and joins its thread.
  ~metrics_endpoint();
  metrics_endpoint(const metrics_endpoint&) = delete;
  metrics_endpoint& operator=(const metrics_endpoint&) = delete;

  /// Where it listens (the real port when the configuration asked for port 0).
  net::socket_address local_address() const noexcept { return server_->local_address(); }
  /// The engine's progress callback: this second's figures.
  void on_second(const loadgen::live_snapshot& s);
  /// The run ended: from now on the page holds the result's final totals.
  void on_end(const loadgen::run_result& r);
  /// Blocks for --linger, or until `interrupt` is set (polled every 50 ms).
  void linger(const std::atomic<bool>& interrupt) const;

 private:
  void publish(const report::generator_metrics& m);
  std::string page() const;

  loadgen::metrics_endpoint_config config_;
  report::generator_metrics last_;  // the engine's thread only
  mutable std::mutex mutex_;
  std::string page_;  // under mutex_
  std::unique_ptr<server::server> server_;
  std::thread thread_;
};

}  // namespace barrage::apps
