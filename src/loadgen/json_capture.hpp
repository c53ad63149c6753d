#pragma once
// A scenario's `capture: {json: POINTER}`: the value at a JSON pointer (RFC 6901) in a response
// body, found by one pass over the text, with no document built: a capture's cost is a scan of
// the body, not a tree of allocations (nlohmann's DOM parse was 60 % of a login flow's
// instructions). Pure functions over byte spans.
//
// The body must be one JSON text (RFC 8259; a UTF-8 byte order mark before it is skipped), or
// nothing is captured: the whole body is checked, also past the value. Not checked: that strings
// are valid UTF-8 and that numbers fit a double (nlohmann refuses both). Nesting deeper than
// json_max_depth is refused as invalid. Duplicate keys: the last one counts (as nlohmann does).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace barrage::loadgen {

inline constexpr std::size_t json_max_depth = 512;

/// A JSON pointer split into its reference tokens, unescaped (~1 is '/', ~0 is '~').
struct json_path {
  std::vector<std::string> tokens;
  bool operator==(const json_path&) const = default;
};

/// "" (the whole document) or "/token/...": an error names what is wrong ("must start with
/// '/'", "'~' must be followed by 0 or 1").
result<json_path, std::string> parse_json_pointer(std::string_view pointer);

enum class json_capture_status : std::uint8_t { found, not_found, invalid_json };

/// Finds the value at `path` in `text` and writes it into `out` (replacing its content) when
/// found: a string's unescaped text, any other value as its JSON text with the whitespace
/// between tokens left out (numbers exactly as written). An array index token is decimal
/// without leading zeros ("-" and other tokens find nothing in an array).
json_capture_status json_capture(std::string_view text, const json_path& path, std::string& out);

}  // namespace barrage::loadgen
