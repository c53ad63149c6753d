// libFuzzer harness: the scenario template parser ({{name}}) on arbitrary text, then the
// compiled template rendered raw and JSON-escaped. Checks: pieces cover the text in order, names
// are well formed, a template without "{{" is one literal equal to the text, rendering the
// names' own references gives back the text without the spaces inside the braces, and JSON
// escaping leaves no control byte or lone quote.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "loadgen/scenario_template.hpp"

using namespace barrage::loadgen;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto pieces = parse_template(in);
  if (!pieces) {
    FUZZ_CHECK(pieces.error().offset < in.size());
    FUZZ_CHECK(in.substr(pieces.error().offset, 2) == "{{");
    FUZZ_CHECK(!pieces.error().message.empty());
    return 0;
  }
  std::vector<std::string> names;
  std::size_t last = 0;
  for (const auto& p : *pieces) {
    FUZZ_CHECK(!p.text.empty());
    FUZZ_CHECK(p.offset >= last && p.offset < in.size());
    last = p.offset;
    if (p.variable) {
      FUZZ_CHECK(p.text.find_first_of(" {}") == std::string::npos);
      names.push_back(p.text);
    } else {
      FUZZ_CHECK(in.substr(p.offset, p.text.size()) == p.text);
    }
  }
  if (in.find("{{") == std::string_view::npos) FUZZ_CHECK(pieces->size() == (in.empty() ? 0u : 1u));

  // Each reference resolves to its own variable, whose value is the reference written back.
  std::vector<std::string> values(builtin_variable_count);
  auto resolve = [&](std::string_view name) -> std::optional<unsigned> {
    values.push_back("{{" + std::string(name) + "}}");
    return static_cast<unsigned>(values.size() - 1);
  };
  auto raw = compile_template(in, template_part::raw, resolve);
  FUZZ_CHECK(raw.ok());
  std::string out;
  render(*raw, {values, nullptr}, out);
  std::string expected;
  for (const auto& p : *pieces) expected += p.variable ? "{{" + p.text + "}}" : p.text;
  FUZZ_CHECK(out == expected);
  FUZZ_CHECK(raw->constant() == names.empty());

  auto json = compile_template(in, template_part::json_string, resolve);
  FUZZ_CHECK(json.ok());
  for (auto& v : values) v = std::string(in);  // arbitrary bytes as every value
  std::uint64_t random_state = size;
  std::string escaped;
  render(*json, {values, &random_state}, escaped);
  for (const auto& p : json->parts) {
    if (p.k != template_part::variable) continue;
    std::string one;
    append_json_escaped(in, one);
    for (std::size_t i = 0; i < one.size(); ++i) {
      FUZZ_CHECK(static_cast<unsigned char>(one[i]) >= 0x20);
      if (one[i] == '"') FUZZ_CHECK(i > 0 && one[i - 1] == '\\');
    }
    break;
  }
  return 0;
}
