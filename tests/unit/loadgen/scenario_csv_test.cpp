#include "loadgen/scenario_csv.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace barrage::loadgen {
namespace {

using rows = std::vector<std::vector<std::string>>;

struct good_case {
  const char* name;
  const char* text;
  std::vector<std::string> columns;
  rows expected;
};
const good_case good_csv[] = {
    {"plain", "a,b\n1,2\n3,4\n", {"a", "b"}, {{"1", "2"}, {"3", "4"}}},
    {"no_final_newline", "a\nx", {"a"}, {{"x"}}},
    {"crlf", "a,b\r\n1,2\r\n", {"a", "b"}, {{"1", "2"}}},
    {"quoted_comma_quote_and_newline", "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n\"two\nlines\",z\n", {"a", "b"},
     {{"x,y", "say \"hi\""}, {"two\nlines", "z"}}},
    {"empty_fields", "a,b,c\n,,\n", {"a", "b", "c"}, {{"", "", ""}}},
    {"blank_lines_skipped", "a\n\n1\n\n", {"a"}, {{"1"}}},
    {"byte_order_mark", "\xEF\xBB\xBFid\n7\n", {"id"}, {{"7"}}},
};

TEST(ScenarioCsv, GoodDataFilesGiveTheirColumnsAndRows) {
  for (const auto& c : good_csv) {
    auto t = parse_csv(c.text, "d.csv");
    ASSERT_TRUE(t.ok()) << c.name << ": " << t.error().to_string();
    EXPECT_EQ(t->columns, c.columns) << c.name;
    EXPECT_EQ(t->rows, c.expected) << c.name;
  }
}

struct bad_case {
  const char* name;
  const char* text;
  const char* error;
};
const bad_case bad_csv[] = {
    {"empty", "", "d.csv: empty data file (the first row names the columns)"},
    {"header_only", "a,b\n", "d.csv: no rows after the header row"},
    {"short_row", "a,b\n1,2\n3\n", "d.csv:3: 1 fields, the header row has 2"},
    {"long_row_after_multiline_field", "a\n\"x\ny\"\n1,2\n", "d.csv:4: 2 fields, the header row has 1"},
    {"unclosed_quote", "a\n1\n\"open\n", "d.csv:3:1: unclosed quoted field"},
    {"text_after_quote", "a\n\"x\"y\n", "d.csv:2:4: text after a quoted field's closing quote"},
    {"quote_inside_field", "a\nx\"y\n", "d.csv:2:2: a quote inside an unquoted field (quote the field and write \"\")"},
    {"empty_column_name", "a,,c\n1,2,3\n", "d.csv:1: an empty column name in the header row"},
};

TEST(ScenarioCsv, BadDataFilesSayWhereAndWhat) {
  for (const auto& c : bad_csv) {
    auto t = parse_csv(c.text, "d.csv");
    ASSERT_FALSE(t.ok()) << c.name;
    EXPECT_EQ(t.error().to_string(), c.error) << c.name;
  }
}

}  // namespace
}  // namespace barrage::loadgen
