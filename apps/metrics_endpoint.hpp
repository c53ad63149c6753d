#pragma once
// --metrics-listen: the running generator's figures for Prometheus. Each second's figures (the
// engine's live_snapshot) become a page on the engine's thread, published to a page_endpoint
// (server/page_endpoint.hpp: its own thread, GET /metrics, 404 elsewhere); after the run the
// page holds the final totals (the JSON report's) for --linger.
#include <atomic>
#include <optional>
#include <string>

#include "loadgen/live_view.hpp"
#include "loadgen/metrics_options.hpp"
#include "loadgen/run_result.hpp"
#include "net/address.hpp"
#include "report/generator_metrics.hpp"
#include "server/page_endpoint.hpp"

namespace barrage::apps {

class metrics_endpoint {
 public:
  /// Binds and starts serving now. Throws std::system_error when it cannot listen.
  explicit metrics_endpoint(const loadgen::metrics_endpoint_config& config);

  net::socket_address local_address() const noexcept { return page_.local_address(); }
  /// The engine's progress callback: this second's figures.
  void on_second(const loadgen::live_snapshot& s);
  /// The run ended: from now on the page holds the result's final totals.
  void on_end(const loadgen::run_result& r);
  /// Blocks for --linger, or until `interrupt` is set (polled every 50 ms).
  void linger(const std::atomic<bool>& interrupt) const;
  /// Why the endpoint stopped serving early, if it did.
  std::optional<std::string> failure() const { return page_.failure(); }

 private:
  loadgen::metrics_endpoint_config config_;
  report::generator_metrics last_;  // the engine's thread only
  server::page_endpoint page_;
};

}  // namespace barrage::apps
