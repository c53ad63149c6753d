#pragma once
// The run command's scenario inputs: `barrage run FILE.yaml|FILE.json` (the positional names a
// scenario file instead of a URL), --targets FILE, --targets-order round-robin|random and
// --iterations K, as typed; and their reading into run_config (scenario, targets, iterations).
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "loadgen/config.hpp"

namespace barrage::loadgen {

struct scenario_options {
  std::optional<std::string> targets, targets_order, iterations;
};

/// Whether the run's positional argument names a scenario file: names_scenario_file (by its
/// extension), or an existing regular file that is not a URL.
bool positional_is_scenario(const std::string& positional);

/// Loads the scenario the positional names, or --targets FILE, into `c` (c.url: the base URL, or
/// the first request's URL, for the checks that follow on the run's URL). `headers` (-H) are
/// added to every step and target that does not give that header itself. Nothing to do for a
/// plain URL (but --targets-order and --iterations are refused without a scenario or targets).
/// `request_given`: -X, -b or --body-file was given (refused: the files give each request).
/// Errors: one line, usage errors ("FILE:LINE:COLUMN: message" for the files').
result<void, std::string> read_scenario_input(const scenario_options& o, const std::string& positional,
                                              const std::vector<std::string>& headers, bool request_given,
                                              run_config& c);

}  // namespace barrage::loadgen
