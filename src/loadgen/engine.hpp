#pragma once
// The load generator: prepares a run (URL, name, request bytes, fd budget), starts one
// worker per thread, follows them once a second (live view, timeline), and merges what
// they counted. Setup problems are one-line errors; everything after is counted.
#include <atomic>
#include <functional>
#include <string>

#include "base/result.hpp"
#include "loadgen/config.hpp"
#include "loadgen/live_view.hpp"
#include "loadgen/run_result.hpp"
#include "loadgen/timeline.hpp"

namespace barrage::loadgen {

/// Called once a second while the run goes on.
using progress_fn = std::function<void(const live_snapshot&)>;

/// Runs the load. `interrupt` (set from a signal handler) stops starting requests; what is
/// in flight is then finished as at a normal end. `on_second` gets each second's exact latency
/// histograms as the second ends (timeline.hpp), on this thread. Errors: bad URL, unresolvable
/// host, too many connections for the fd limit, an invalid request.
result<run_result, std::string> run_load(const run_config& config, const progress_fn& progress = {},
                                         const std::atomic<bool>* interrupt = nullptr,
                                         const second_observer& on_second = {});

}  // namespace barrage::loadgen
