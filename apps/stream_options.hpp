#pragma once
// --stream and --stall on the run command line (loadgen/stream_options.hpp reads them).
#include <CLI/CLI.hpp>

#include "loadgen/run_options.hpp"

namespace barrage::apps {

void add_stream_options(CLI::App& app, loadgen::run_options& o);

}  // namespace barrage::apps
