#include "loadgen/scenario_template.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "counting_allocator.hpp"

namespace barrage::loadgen {
namespace {

// Variables of these tests: the four built-ins, then "name" (4) and "id" (5).
std::optional<unsigned> resolve(std::string_view n) {
  if (n == "user") return var_user;
  if (n == "random_id") return var_random_id;
  if (n == "name") return 4u;
  if (n == "id") return 5u;
  return std::nullopt;
}

std::string render_with(const text_template& t, std::vector<std::string> vars) {
  std::string out;
  render(t, {vars, nullptr}, out);
  return out;
}

struct good_case {
  const char* name;
  const char* text;
  const char* rendered;  // with user=7, name=ann, id=42
  std::size_t parts;
};
const good_case good_templates[] = {
    {"plain_text", "/items", "/items", 1},
    {"empty", "", "", 0},
    {"one_variable", "{{name}}", "ann", 1},
    {"variables_between_literals", "/users/{{user}}/items/{{id}}?x=1", "/users/7/items/42?x=1", 5},
    {"spaces_inside_braces", "a{{ name }}b", "aannb", 3},
    {"lone_braces_are_literal", "{a} }} {", "{a} }} {", 1},
    {"adjacent_variables", "{{name}}{{id}}", "ann42", 2},
    {"three_braces_open", "{{{name}}", "{ann", 2},
};

TEST(ScenarioTemplate, GoodTemplatesCompileIntoPartsAndRenderTheirValues) {
  const std::vector<std::string> vars = {"7", "0", "", "0", "ann", "42"};
  for (const auto& c : good_templates) {
    auto t = compile_template(c.text, template_part::raw, resolve);
    ASSERT_TRUE(t.ok()) << c.name << ": " << t.error().message;
    EXPECT_EQ(t->parts.size(), c.parts) << c.name;
    EXPECT_EQ(render_with(*t, vars), c.rendered) << c.name;
  }
}

struct bad_case {
  const char* name;
  const char* text;
  std::size_t offset;
  const char* message;
};
const bad_case bad_templates[] = {
    {"unclosed", "/a/{{name", 3, "unclosed '{{' (a variable is written {{name}})"},
    {"empty_name", "x{{ }}", 1, "empty variable name in '{{}}'"},
    {"name_with_space", "{{a b}}", 0, "bad variable name 'a b' (a letter or '_', then letters, digits, '_', '-' or '.')"},
    {"name_starting_with_digit", "{{1x}}", 0, "bad variable name '1x' (a letter or '_', then letters, digits, '_', '-' or '.')"},
    {"undefined", "ab{{token}}", 2, "undefined variable 'token'"},
};

TEST(ScenarioTemplate, BadTemplatesSayWhereAndWhatIsWrong) {
  for (const auto& c : bad_templates) {
    auto t = compile_template(c.text, template_part::raw, resolve);
    ASSERT_FALSE(t.ok()) << c.name;
    EXPECT_EQ(t.error().offset, c.offset) << c.name;
    EXPECT_EQ(t.error().message, c.message) << c.name;
  }
}

TEST(ScenarioTemplate, JsonStringVariablesAreEscapedAndRawOnesAreNot) {
  auto json = compile_template("{\"n\": \"{{name}}\"}", template_part::json_string, resolve);
  auto raw = compile_template("{{name}}", template_part::raw, resolve);
  ASSERT_TRUE(json.ok() && raw.ok());
  const std::vector<std::string> vars = {"", "", "", "", "a\"b\\c\n\x01", ""};
  EXPECT_EQ(render_with(*json, vars), "{\"n\": \"a\\\"b\\\\c\\n\\u0001\"}");
  EXPECT_EQ(render_with(*raw, vars), vars[4]);
}

TEST(ScenarioTemplate, RandomIdIsSixteenHexDigitsAndFreshAtEveryUse) {
  auto t = compile_template("{{random_id}}-{{random_id}}", template_part::raw, resolve);
  ASSERT_TRUE(t.ok());
  std::uint64_t state = 1;
  std::string out;
  render(*t, {{}, &state}, out);
  ASSERT_EQ(out.size(), 33u);
  EXPECT_EQ(out.find_first_not_of("0123456789abcdef-"), std::string::npos);
  EXPECT_NE(out.substr(0, 16), out.substr(17));
}

TEST(ScenarioTemplate, RenderingAppendsWithoutAllocatingOnceTheBufferIsLargeEnough) {
  auto t = compile_template("/users/{{user}}/items/{{id}}?r={{random_id}}&n=\"{{name}}\"", template_part::json_string,
                            resolve);
  ASSERT_TRUE(t.ok());
  const std::vector<std::string> vars = {"12345", "", "", "", "a\"b", "67890"};
  std::string out;
  out.reserve(128);
  std::uint64_t state = 7;
  const test::allocation_counter allocations;
  for (int i = 0; i < 100; ++i) {
    out.clear();
    render(*t, {vars, &state}, out);
  }
  EXPECT_EQ(allocations.count(), 0u);
  EXPECT_EQ(out.substr(0, 27), "/users/12345/items/67890?r=");
  EXPECT_EQ(out.substr(43), "&n=\"a\\\"b\"");
}

}  // namespace
}  // namespace barrage::loadgen
