#pragma once
// Scenario files (`barrage run FILE.yaml|FILE.yml|FILE.json`): loaded, checked fully and
// compiled into loadgen/scenario.hpp's form before anything runs. docs/scenarios.md describes
// the format with every key. Any fault (bad YAML or JSON, an unknown key, an undefined
// variable, an unreadable data file, a bad JSON pointer, duration or weight, a duplicate step
// name ...) is a usage error "FILE:LINE:COLUMN: message" (the data file's own position for a
// fault inside it).
#include <functional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "loadgen/scenario.hpp"
#include "loadgen/source_error.hpp"

namespace barrage::loadgen {

/// Reads a file a scenario names (`data:`, `body: {file: ...}`): its bytes, or a one-line
/// reason. Paths arrive as written in the scenario.
using scenario_file_reader = std::function<result<std::string, std::string>(const std::string& path)>;

enum class scenario_syntax { yaml, json };

/// Parses and checks a scenario's text; `file` names it in errors.
result<scenario, source_error> parse_scenario(std::string_view text, const std::string& file,
                                              scenario_syntax syntax, const scenario_file_reader& read);

/// Reads FILE (JSON when it ends in ".json", YAML otherwise); the files it names are read
/// relative to its directory.
result<scenario, source_error> load_scenario_file(const std::string& file);

/// Whether a `barrage run` argument names a scenario file rather than a URL: it ends in
/// ".yaml", ".yml" or ".json" and has no "://".
bool names_scenario_file(std::string_view argument) noexcept;

}  // namespace barrage::loadgen
