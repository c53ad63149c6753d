#pragma once
// YAML text for a JSON tree, in block style (the form people read and `kubectl apply` takes).
// Every string that YAML could read as anything but that string (a number, true/no/null, a
// value with ':', '#', quotes, spaces at its ends, control or non-printable characters) is
// written double-quoted with escapes; mapping keys keep their order (ordered_json).
#include <nlohmann/json.hpp>
#include <span>
#include <string>

namespace barrage::report {

/// One YAML document (no "---" line) for `value`, an object or an array; ends with "\n".
std::string to_yaml(const nlohmann::ordered_json& value);

/// The documents joined as one YAML stream: "---\n" before each of them.
std::string to_yaml_stream(std::span<const nlohmann::ordered_json> documents);

/// `text` as a YAML double-quoted scalar: "..." with \", \\, \n, \t and \uXXXX for control
/// characters, DEL, C1 controls, U+2028, U+2029 and U+FEFF; invalid UTF-8 becomes U+FFFD.
std::string yaml_quoted(std::string_view text);

}  // namespace barrage::report
