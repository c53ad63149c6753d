#pragma once
// The run command's scenario options (loadgen/scenario_options.hpp): the positional may name a
// scenario file, --targets FILE replaces it, --targets-order, --iterations.
#include <CLI/CLI.hpp>

#include "loadgen/scenario_options.hpp"

namespace barrage::apps {

/// Adds the options to `app`, after the load options (it makes the positional `url` optional:
/// --targets FILE gives the requests instead).
void add_scenario_options(CLI::App& app, loadgen::scenario_options& o);

}  // namespace barrage::apps
