#pragma once
// The WebSocket options of `barrage ws://... [options]` (loadgen/ws_options.hpp parses them).
#include <CLI/CLI.hpp>

#include "loadgen/ws_options.hpp"

namespace barrage::apps {

void add_ws_options(CLI::App& app, loadgen::ws_run_options& o);

}  // namespace barrage::apps
