#pragma once
// The WebSocket load (ws://, wss://): run_load hands a run whose config.ws.enabled is set
// here. It prepares the plan (URL, address, TLS context, fd budget), starts one ws_worker per
// thread with its share of the connections, follows them once a second (live view) and merges
// what they counted. Setup problems are one-line errors; everything after is counted.
#include <atomic>
#include <string>

#include "base/result.hpp"
#include "loadgen/engine.hpp"

namespace barrage::loadgen {

result<run_result, std::string> run_ws_load(const run_config& config, const progress_fn& progress,
                                            const std::atomic<bool>* interrupt);

}  // namespace barrage::loadgen
