#include "loadgen/json_capture.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

namespace barrage::loadgen {
namespace {

json_path path_of(std::string_view pointer) {
  auto p = parse_json_pointer(pointer);
  EXPECT_TRUE(p.ok()) << pointer;
  return p.ok() ? *p : json_path{};
}

struct capture_case {
  const char* name;
  std::string_view body;
  std::string_view pointer;
  json_capture_status status;
  std::string_view value;  // when found
};

const capture_case capture_cases[] = {
    {"a_string_member", R"({"token":"abc"})", "/token", json_capture_status::found, "abc"},
    {"a_member_in_an_array_element", R"({"items":[{"id":7},{"id":8}]})", "/items/1/id", json_capture_status::found, "8"},
    {"the_whole_document", R"( [1, 2] )", "", json_capture_status::found, "[1,2]"},
    {"an_object_as_compact_json", "{\"a\": {\"b\" : [1, \"x y\"] }}", "/a", json_capture_status::found, R"({"b":[1,"x y"]})"},
    {"a_number_as_written", R"({"n":1.50e+2})", "/n", json_capture_status::found, "1.50e+2"},
    {"true_false_null", R"({"t":true,"f":false,"z":null})", "/z", json_capture_status::found, "null"},
    {"escapes_unescaped", R"({"s":"a\"b\\c\/d\n\u0041\u00e9\ud83d\ude00"})", "/s", json_capture_status::found,
     "a\"b\\c/d\nA\xC3\xA9\xF0\x9F\x98\x80"},
    {"an_escaped_key", R"({"t\u006fken":"k"})", "/token", json_capture_status::found, "k"},
    {"a_pointer_with_tilde_escapes", R"({"a/b":{"m~n":1}})", "/a~1b/m~0n", json_capture_status::found, "1"},
    {"the_empty_key", R"({"":{"":2}})", "//", json_capture_status::found, "2"},
    {"the_last_of_duplicate_keys", R"({"a":1,"a":2})", "/a", json_capture_status::found, "2"},
    {"a_later_duplicate_without_the_member", R"({"a":{"b":1},"a":{"c":1}})", "/a/b", json_capture_status::not_found, ""},
    {"a_missing_member", R"({"a":1})", "/b", json_capture_status::not_found, ""},
    {"an_index_past_the_end", R"([1,2])", "/2", json_capture_status::not_found, ""},
    {"an_index_with_a_leading_zero", R"([1,2])", "/01", json_capture_status::not_found, ""},
    {"the_dash_index", R"([1,2])", "/-", json_capture_status::not_found, ""},
    {"a_member_of_a_string", R"({"a":"x"})", "/a/b", json_capture_status::not_found, ""},
    {"a_byte_order_mark_before_the_text", "\xEF\xBB\xBF{\"a\":1}", "/a", json_capture_status::found, "1"},
    {"truncated_after_the_value", R"({"a":1,"b":)", "/a", json_capture_status::invalid_json, ""},
    {"a_trailing_comma", R"({"a":1,})", "/a", json_capture_status::invalid_json, ""},
    {"text_after_the_document", R"({"a":1} x)", "/a", json_capture_status::invalid_json, ""},
    {"a_leading_zero_number", R"({"a":01})", "/a", json_capture_status::invalid_json, ""},
    {"a_control_character_in_a_string", "{\"a\":\"x\ty\"}", "/a", json_capture_status::invalid_json, ""},
    {"a_lone_low_surrogate", R"({"a":"\udc00"})", "/a", json_capture_status::invalid_json, ""},
    {"a_high_surrogate_alone", R"({"a":"\ud800x"})", "/a", json_capture_status::invalid_json, ""},
    {"a_bad_escape", R"({"a":"\x"})", "/a", json_capture_status::invalid_json, ""},
    {"single_quotes", R"({'a':1})", "/a", json_capture_status::invalid_json, ""},
    {"an_empty_body", "", "", json_capture_status::invalid_json, ""},
    {"a_misspelt_literal", R"({"a":tru})", "/a", json_capture_status::invalid_json, ""},
    {"a_number_without_digits_after_the_point", R"({"a":1.})", "/a", json_capture_status::invalid_json, ""},
};

class json_capture_table : public ::testing::TestWithParam<capture_case> {};

TEST_P(json_capture_table, finds_what_the_pointer_names) {
  const capture_case& c = GetParam();
  std::string out = "previous";
  const json_capture_status s = json_capture(c.body, path_of(c.pointer), out);
  EXPECT_EQ(s, c.status);
  if (c.status == json_capture_status::found) EXPECT_EQ(out, c.value);
  else EXPECT_EQ(out, "previous") << "the output is left alone when nothing is captured";
}

INSTANTIATE_TEST_SUITE_P(cases, json_capture_table, ::testing::ValuesIn(capture_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(json_capture, nesting_past_the_limit_is_refused_and_at_the_limit_accepted) {
  std::string at_limit(json_max_depth, '[');
  at_limit += std::string(json_max_depth, ']');
  std::string out;
  EXPECT_EQ(json_capture(at_limit, path_of(""), out), json_capture_status::found);
  const std::string deeper = "[" + at_limit + "]";
  EXPECT_EQ(json_capture(deeper, path_of(""), out), json_capture_status::invalid_json);
}

TEST(parse_json_pointer, splits_and_unescapes_tokens_and_names_what_is_wrong) {
  EXPECT_EQ(path_of("").tokens, std::vector<std::string>{});
  EXPECT_EQ(path_of("/a/0/~1~0").tokens, (std::vector<std::string>{"a", "0", "/~"}));
  EXPECT_EQ(path_of("/").tokens, std::vector<std::string>{""});
  EXPECT_EQ(parse_json_pointer("a").error(), "a JSON pointer is empty or starts with '/'");
  EXPECT_EQ(parse_json_pointer("/a~2").error(), "'~' must be followed by 0 or 1 (~0 is '~', ~1 is '/')");
  EXPECT_FALSE(parse_json_pointer("/a~").ok());
}

// nlohmann-json as the oracle: random documents, every member and element pointer in them,
// the same strings and integers captured, the same verdict on what is absent.
std::string escaped_token(std::string k) {
  std::string out;
  for (char c : k) out += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
  return out;
}

void collect_pointers(const nlohmann::json& j, const std::string& at, std::vector<std::string>& out) {
  out.push_back(at);
  if (j.is_object())
    for (const auto& [k, v] : j.items()) collect_pointers(v, at + "/" + escaped_token(k), out);
  if (j.is_array())
    for (std::size_t i = 0; i < j.size(); ++i) collect_pointers(j[i], at + "/" + std::to_string(i), out);
}

nlohmann::json random_json(std::mt19937& rng, int depth) {
  const int kind = static_cast<int>(rng() % (depth > 3 ? 4 : 6));
  switch (kind) {
    case 0: return static_cast<std::int64_t>(rng() % 2000) - 1000;
    case 1: return std::string(rng() % 5, static_cast<char>('a' + rng() % 3)) + (rng() % 4 == 0 ? "\"\\/\n\xC3\xA9" : "");
    case 2: return rng() % 2 == 0;
    case 3: return nullptr;
    case 4: {
      nlohmann::json o = nlohmann::json::object();
      for (unsigned i = rng() % 4; i > 0; --i) o[std::string(1 + rng() % 2, static_cast<char>('a' + rng() % 3))] = random_json(rng, depth + 1);
      return o;
    }
    default: {
      nlohmann::json a = nlohmann::json::array();
      for (unsigned i = rng() % 4; i > 0; --i) a.push_back(random_json(rng, depth + 1));
      return a;
    }
  }
}

TEST(json_capture, agrees_with_nlohmann_on_random_documents) {
  std::mt19937 rng(12345);
  std::size_t compared = 0;
  for (int doc = 0; doc < 600; ++doc) {
    const nlohmann::json j = random_json(rng, 0);
    const std::string text = j.dump(rng() % 2 == 0 ? -1 : 2);
    std::vector<std::string> pointers;
    collect_pointers(j, "", pointers);
    pointers.push_back("/zz");
    pointers.push_back("/0/zz");
    for (const std::string& p : pointers) {
      const nlohmann::json::json_pointer jp(p);
      std::string out;
      const json_capture_status s = json_capture(text, path_of(p), out);
      ASSERT_NE(s, json_capture_status::invalid_json) << text;
      ASSERT_EQ(s == json_capture_status::found, j.contains(jp)) << p << " in " << text;
      if (s != json_capture_status::found) continue;
      const nlohmann::json& v = j.at(jp);
      ASSERT_EQ(out, v.is_string() ? v.get<std::string>() : v.dump()) << p << " in " << text;
      ++compared;
    }
  }
  EXPECT_GT(compared, 800u);
}

}  // namespace
}  // namespace barrage::loadgen
