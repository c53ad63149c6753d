#pragma once
// The scenario sections of the reports (present only when the run had a scenario or
// --targets): per step (`steps`) or per target (`targets`), and the flow's `iterations`.
#include <string>

#include <nlohmann/json.hpp>

#include "loadgen/run_result.hpp"

namespace barrage::loadgen {

/// Adds `steps` and `iterations` (a scenario) or `targets` (a --targets run) to `out`.
void add_scenario_json(nlohmann::json& out, const run_result& r);

/// The text sections "Steps"/"Targets" and "Iterations", each starting with a blank line;
/// empty when the run had neither. `colour`: bold headings.
std::string scenario_text(const run_result& r, bool colour);

}  // namespace barrage::loadgen
