#pragma once
// The command line of a run, parsed without running it: for the commands that build runs of
// their own (barrage k8s writes one into a Job).
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "loadgen/run_options.hpp"

namespace barrage::apps {

struct run_line {
  loadgen::run_options run;
  std::optional<std::string> json;     // --json
  std::optional<std::string> hdr_log;  // --hdr-log
  std::optional<std::string> html;     // --html
  std::vector<std::string> thresholds;
};

/// Parses `args` (the arguments after `barrage`, in order) with exactly the options of
/// `barrage URL [options]`; the error is CLI11's one-line message. Values are not checked
/// here: make_run_config does that.
result<run_line, std::string> parse_run_line(const std::vector<std::string>& args);

}  // namespace barrage::apps
