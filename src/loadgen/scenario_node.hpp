#pragma once
// Reading a scenario's document tree (yaml-cpp nodes; JSON files are parsed as YAML after
// nlohmann-json has checked their syntax): typed values with their positions. Internal to
// loadgen/scenario_file.cpp. A fault unwinds the checker as scenario_fault; the loader turns it
// into a source_error value at its boundary.
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "base/clock.hpp"
#include "loadgen/scenario_template.hpp"

namespace barrage::loadgen::scenario_doc {

struct scenario_fault {
  unsigned line = 0;  // from 1
  unsigned column = 0;
  std::string message;
};

[[noreturn]] void fault_at(const YAML::Node& node, std::string message);
[[noreturn]] void fault_at(const YAML::Mark& mark, std::string message);
/// Where byte `offset` of a string node's text is: exact for a plain (unquoted) scalar on one
/// line, else the node's own position.
YAML::Mark mark_at(const YAML::Node& node, std::size_t offset);

/// The node must be a mapping whose keys are distinct strings among `allowed`; `what` names it
/// in messages ("a step").
void check_keys(const YAML::Node& map, std::string_view what, std::initializer_list<std::string_view> allowed);

/// A scalar's text (a string, a number, a boolean as written); `what` names the value.
std::string text(const YAML::Node& node, std::string_view what);
/// A number (plain scalar) > 0.
double positive_number(const YAML::Node& node, std::string_view what);
/// "500ms" (fixed) or "200ms-1s" (uniform in between).
think_time think(const YAML::Node& node);
/// Statuses: 200, "200-299", or a list of these.
std::vector<std::pair<unsigned, unsigned>> statuses(const YAML::Node& node);

/// A variable's index, or why the name cannot be used here (the whole message).
using name_lookup = std::function<result<unsigned, std::string>(std::string_view name)>;

/// Compiles a string node as a template, faults at the node (at the bad reference when the
/// position inside the node is known).
text_template compile(const YAML::Node& node, std::string_view what, template_part::escape esc,
                      const name_lookup& resolve);

/// A node (mapping, sequence, scalar) as JSON text with the string values' {{variables}}
/// written escaped for a JSON string. Plain scalars that are JSON numbers, true, false or null
/// stay so; every other scalar is a string.
text_template json_body(const YAML::Node& node, const name_lookup& resolve);

}  // namespace barrage::loadgen::scenario_doc
