// libFuzzer harness: the --targets file parser (vegeta's HTTP format and JSON lines) on
// arbitrary text; "@path" bodies read as "<PATH>" except "missing", which fails. Checks: a
// success has targets, each one flow of one step keyed "METHOD URL" with constant templates,
// a URL that parses and header names without ':' or spaces; an error is one line with a name.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/url.hpp"
#include "loadgen/targets_file.hpp"

using namespace barrage;
using namespace barrage::loadgen;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto read = [](const std::string& path) -> result<std::string, std::string> {
    if (path == "missing") return fail(std::string("cannot read 'missing'"));
    return "<" + path + ">";
  };
  auto list = parse_targets(in, "t.txt", read);
  if (!list) {
    const std::string line = list.error().to_string();
    FUZZ_CHECK(line.rfind("t.txt", 0) == 0);
    FUZZ_CHECK(!list.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(!list->targets.empty());
  for (const flow& f : list->targets) {
    FUZZ_CHECK(f.steps.size() == 1);
    const step& s = f.steps[0];
    FUZZ_CHECK(s.absolute && s.target.constant() && s.body.constant());
    const std::string url = s.target.literal_text();
    FUZZ_CHECK(f.name == s.name && s.name == s.method + ' ' + url);
    FUZZ_CHECK(http::parse_url(url).ok());
    FUZZ_CHECK(!s.method.empty() && s.method.find_first_of(" \t\r\n") == std::string::npos);
    for (const auto& [name, value] : s.headers) {
      FUZZ_CHECK(!name.empty() && name.find_first_of(": \t\r\n") == std::string::npos);
      FUZZ_CHECK(value.constant());
      FUZZ_CHECK(value.literal_text().find_first_of("\r\n") == std::string::npos);
    }
  }
  return 0;
}
