// libFuzzer harness: the scenario's JSON capture (loadgen/json_capture) on arbitrary text, with
// nlohmann-json as the oracle. The input's first line is a JSON pointer, the rest the body.
// Checks: never a crash or read past the body; where nlohmann parses the body (with no NUL byte
// in it, and nesting within json_max_depth) the capture does not call it invalid, finds exactly what
// nlohmann's contains() finds, and a string or integer captured equals nlohmann's.
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_check.hpp"
#include "loadgen/json_capture.hpp"

using namespace barrage::loadgen;

namespace {
bool deeper_than(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;  // counting brackets inside strings too: an upper bound, fine here
  for (char c : text) {
    if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::size_t nl = in.find('\n');
  const std::string_view pointer = in.substr(0, nl);
  const std::string body(nl == std::string_view::npos ? std::string_view{} : in.substr(nl + 1));
  auto path = parse_json_pointer(pointer);
  if (!path) return 0;
  std::string out = "unchanged";
  const json_capture_status s = json_capture(body, *path, out);
  if (s != json_capture_status::found) FUZZ_CHECK(out == "unchanged");

  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  // nlohmann takes a NUL byte as the end of its input ("0\0garbage" parses): not JSON text.
  if (doc.is_discarded() || deeper_than(body, json_max_depth) || body.find('\0') != std::string::npos) return 0;
  FUZZ_CHECK(s != json_capture_status::invalid_json);
  bool has = false;
  try {
    has = doc.contains(nlohmann::json::json_pointer(std::string(pointer)));
  } catch (const nlohmann::json::exception&) {
    return 0;  // a pointer nlohmann reads differently (none known): nothing to compare
  }
  FUZZ_CHECK(has == (s == json_capture_status::found));
  if (!has) return 0;
  const nlohmann::json& v = doc.at(nlohmann::json::json_pointer(std::string(pointer)));
  if (v.is_string()) FUZZ_CHECK(out == v.get<std::string>());
  if (v.is_number_integer() && out.find_first_of(".eE") == std::string::npos && out != "-0")
    FUZZ_CHECK(out == v.dump());
  return 0;
}
