#include "loadgen/targets_file.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace barrage::loadgen {
namespace {

// "@path" bodies of these tests: the file's content is "<body of PATH>"; "missing" is unreadable.
result<std::string, std::string> fake_body(const std::string& path) {
  if (path == "missing") return fail(std::string("body file: cannot read 'missing': No such file or directory"));
  return "<body of " + path + ">";
}

struct expected_target {
  std::string key;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};
struct good_case {
  const char* name;
  const char* text;
  std::vector<expected_target> targets;
};
const good_case good_files[] = {
    {"one_line", "GET http://127.0.0.1:8080/\n", {{"GET http://127.0.0.1:8080/", {}, ""}}},
    {"no_final_newline", "GET http://h/a", {{"GET http://h/a", {}, ""}}},
    {"headers_and_body",
     "# a comment\nPOST http://h/login\nContent-Type: application/json\nX-Id:  7 \n@login.json\n\nDELETE https://h:8443/x\n",
     {{"POST http://h/login", {{"Content-Type", "application/json"}, {"X-Id", "7"}}, "<body of login.json>"},
      {"DELETE https://h:8443/x", {}, ""}}},
    {"targets_without_blank_lines", "GET http://h/a\nX: 1\nGET http://h/b\n",
     {{"GET http://h/a", {{"X", "1"}}, ""}, {"GET http://h/b", {}, ""}}},
    {"crlf_and_comments_inside", "GET http://h/a\r\n# skip\r\nA: b\r\n\r\n",
     {{"GET http://h/a", {{"A", "b"}}, ""}}},
    {"json_lines",
     "{\"method\":\"POST\",\"url\":\"http://h/p\",\"header\":{\"A\":[\"1\",\"2\"]},\"body\":\"aGVsbG8=\"}\n\n"
     "{\"method\":\"GET\",\"url\":\"http://h/g\"}\n",
     {{"POST http://h/p", {{"A", "1"}, {"A", "2"}}, "hello"}, {"GET http://h/g", {}, ""}}},
    {"json_null_header_and_body", "{\"method\":\"GET\",\"url\":\"http://h/\",\"header\":null,\"body\":null}",
     {{"GET http://h/", {}, ""}}},
};

TEST(TargetsFile, GoodFilesCompileToOneSingleStepFlowPerTargetKeyedByMethodAndUrl) {
  for (const auto& c : good_files) {
    auto list = parse_targets(c.text, "t.txt", fake_body);
    ASSERT_TRUE(list.ok()) << c.name << ": " << list.error().to_string();
    ASSERT_EQ(list->targets.size(), c.targets.size()) << c.name;
    for (std::size_t i = 0; i < c.targets.size(); ++i) {
      const flow& f = list->targets[i];
      const expected_target& e = c.targets[i];
      EXPECT_EQ(f.name, e.key) << c.name;
      ASSERT_EQ(f.steps.size(), 1u) << c.name;
      const step& s = f.steps[0];
      EXPECT_EQ(s.name, e.key) << c.name;
      EXPECT_EQ(s.method + ' ' + s.target.literal_text(), e.key) << c.name;
      EXPECT_TRUE(s.absolute && s.target.constant() && s.body.constant()) << c.name;
      EXPECT_EQ(s.body.literal_text(), e.body) << c.name;
      ASSERT_EQ(s.headers.size(), e.headers.size()) << c.name;
      for (std::size_t h = 0; h < e.headers.size(); ++h) {
        EXPECT_EQ(s.headers[h].first, e.headers[h].first) << c.name;
        EXPECT_EQ(s.headers[h].second.literal_text(), e.headers[h].second) << c.name;
      }
    }
  }
}

struct bad_case {
  const char* name;
  const char* text;
  const char* error;
};
const bad_case bad_files[] = {
    {"empty", "", "t.txt: no targets in the file"},
    {"only_comments", "# nothing\n\n", "t.txt: no targets in the file"},
    {"no_url", "GET\n", "t.txt:1: expected a target line 'METHOD URL', got 'GET'"},
    {"header_first", "X-A: 1\n", "t.txt:1: expected a target line 'METHOD URL', got 'X-A: 1'"},
    {"relative_url", "\nGET /path\n", "t.txt:2: bad URL '/path': the URL must start with http:// or https://"},
    {"bad_method", "G(T http://h/\n", "t.txt:1: expected a target line 'METHOD URL', got 'G(T http://h/'"},
    {"header_without_colon", "GET http://h/\nnot a header\n",
     "t.txt:2: expected a header line 'Name: value', got 'not a header'"},
    {"header_name_with_space", "GET http://h/\nBad Name: x\n", "t.txt:2: bad header name 'Bad Name'"},
    {"header_after_body", "POST http://h/\n@b.json\nX: 1\n",
     "t.txt:3: nothing may follow the '@' body line of a target (a blank line ends it)"},
    {"unreadable_body", "POST http://h/\n@missing\n",
     "t.txt:2: body file: cannot read 'missing': No such file or directory"},
    {"at_without_file", "POST http://h/\n@\n", "t.txt:2: '@' needs a file name (the body's file)"},
    {"second_target_bad", "GET http://h/\n\nPUT http://h:99999/\n",
     "t.txt:3: bad URL 'http://h:99999/': the port must be between 1 and 65535"},
    {"json_syntax", "{\"method\": \"GET\",\n",
     "t.txt:1:18: bad JSON: syntax error while parsing object key - unexpected end of input; expected string literal"},
    {"json_number_overflow", "{\"method\":\"GET\",\"url\":\"http://h/\",\"x\":1e999}",
     "t.txt:1: bad JSON: number overflow parsing '1e999'"},
    {"json_unknown_key", "{\"method\":\"GET\",\"url\":\"http://h/\",\"headers\":{}}",
     "t.txt:1: unknown key \"headers\" (method, url, header, body)"},
    {"json_missing_url", "{\"method\":\"GET\"}", "t.txt:1: missing \"url\""},
    {"json_not_object", "{\"method\":\"GET\",\"url\":\"http://h/\"}\n[1]\n",
     "t.txt:2: a JSON target is an object {\"method\": ..., \"url\": ...}"},
    {"json_body_not_base64", "{\"method\":\"GET\",\"url\":\"http://h/\",\"body\":\"a*b\"}",
     "t.txt:1: \"body\": not base64 (a character outside A-Z a-z 0-9 + /)"},
    {"json_header_value_not_array", "{\"method\":\"GET\",\"url\":\"http://h/\",\"header\":{\"A\":\"1\"}}",
     "t.txt:1: header 'A': the values are an array of strings"},
};

TEST(TargetsFile, BadFilesAreUsageErrorsWithFileLineAndOneLineMessage) {
  for (const auto& c : bad_files) {
    auto list = parse_targets(c.text, "t.txt", fake_body);
    ASSERT_FALSE(list.ok()) << c.name;
    EXPECT_EQ(list.error().to_string(), c.error) << c.name;
  }
}

TEST(TargetsFile, BodiesAreReadRelativeToTheTargetsFile) {
  const auto dir = std::filesystem::temp_directory_path() / ("barrage_targets_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "body.json") << "{\"a\":1}";
  std::ofstream(dir / "targets.txt") << "POST http://127.0.0.1:1/p\n@body.json\n\nPUT http://127.0.0.1:1/q\n@body.json\n";
  auto list = load_targets_file((dir / "targets.txt").string());
  auto missing = load_targets_file((dir / "nope.txt").string());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(list.ok()) << list.error().to_string();
  ASSERT_EQ(list->targets.size(), 2u);
  EXPECT_EQ(list->targets[1].steps[0].body.literal_text(), "{\"a\":1}");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().to_string().find("nope.txt: cannot read '"), std::string::npos);
  EXPECT_NE(missing.error().to_string().find("No such file or directory"), std::string::npos);
}

TEST(TargetsFile, Base64DecodesWithAndWithoutPaddingAndRejectsOtherText) {
  auto a = decode_base64("aGVsbG8=");
  auto b = decode_base64("aGVsbG8");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, "hello");
  EXPECT_EQ(*b, "hello");
  EXPECT_FALSE(decode_base64("aGV*bG8=").ok());
  EXPECT_FALSE(decode_base64("a").ok());
}

}  // namespace
}  // namespace barrage::loadgen
