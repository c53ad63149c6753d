// libFuzzer harness: the scenario file parser (YAML through yaml-cpp, JSON checked by
// nlohmann-json first) on arbitrary text; the first byte's bit 0 picks JSON. The data file
// "users.csv" exists (two columns), every other file is unreadable. Checks: no exception escapes
// (a crash), an error has a message and no line break, a success has flows of steps whose
// templates name variables that exist, with the built-ins first.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "loadgen/scenario_file.hpp"

using namespace barrage;
using namespace barrage::loadgen;

namespace {

bool vars_exist(const text_template& t, std::size_t count) {
  for (const auto& p : t.parts)
    if (p.k == template_part::variable && p.var >= count) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto read = [](const std::string& path) -> result<std::string, std::string> {
    if (path == "users.csv") return std::string("name,pw\nann,\"x,y\"\n");
    return fail("cannot read '" + path + "'");
  };
  auto sc = parse_scenario(in, "s", (data[0] & 1) != 0 ? scenario_syntax::json : scenario_syntax::yaml, read);
  if (!sc) {
    FUZZ_CHECK(!sc.error().message.empty());
    FUZZ_CHECK(sc.error().to_string().find('\n') == std::string::npos);
    return 0;
  }
  FUZZ_CHECK(!sc->flows.empty());
  FUZZ_CHECK(sc->variables.size() >= builtin_variable_count && sc->variables[var_user] == "user");
  const std::size_t n = sc->variables.size();
  for (const flow& f : sc->flows) {
    FUZZ_CHECK(!f.steps.empty() && f.weight > 0);
    for (const step& s : f.steps) {
      FUZZ_CHECK(!s.name.empty() && vars_exist(s.target, n) && vars_exist(s.body, n));
      for (const auto& [name, value] : s.headers) FUZZ_CHECK(!name.empty() && vars_exist(value, n));
      for (const capture& c : s.captures) FUZZ_CHECK(c.var < n && sc->variables[c.var] == c.name);
      FUZZ_CHECK(s.think.min <= s.think.max);
    }
  }
  return 0;
}
