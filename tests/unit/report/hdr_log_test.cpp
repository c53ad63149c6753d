// The HdrHistogram interval log: HistogramLogWriter's header and line format, one interval per
// second written as it comes (the uncorrected one tagged), each line decodable on its own.
#include "report/hdr_log.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "hdr_decoder.hpp"

namespace barrage::report {
namespace {

using std::chrono::system_clock;

// 2026-12-06T17:40:00.123456Z
const system_clock::time_point run_start{std::chrono::microseconds(1'796'578'800'123'456)};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string field; std::getline(in, field, ',');) out.push_back(field);
  return out;
}

struct path_case {
  const char* name;
  std::string text;
  bool good;
};

TEST(hdr_log, the_file_name_is_any_but_empty_stdout_or_with_nul) {
  const path_case cases[] = {
      {"a plain name", "run.hlog", true},
      {"a path with spaces", "/tmp/my runs/a.hlog", true},
      {"a name starting with a dash", "-x.hlog", true},
      {"empty", "", false},
      {"stdout", "-", false},
      {"a NUL inside", std::string("a\0b", 3), false},
  };
  for (const auto& c : cases) {
    auto p = parse_hdr_log_path(c.text);
    EXPECT_EQ(p.ok(), c.good) << c.name;
    if (p) {
      EXPECT_EQ(*p, c.text) << c.name;
    } else {
      EXPECT_TRUE(p.error().starts_with("bad file name")) << c.name << ": " << p.error();
    }
  }
}

TEST(hdr_log, the_header_is_histogramlogwriters_with_start_and_base_time_at_the_run_start) {
  const auto lines = lines_of(hdr_log_header(run_start));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], "#[Histogram log format version 1.3]");
  EXPECT_EQ(lines[1], "#[StartTime: 1796578800.123 (seconds since epoch), Sun Dec 06 17:40:00 UTC 2026]");
  EXPECT_EQ(lines[2], "#[BaseTime: 1796578800.123 (seconds since epoch)]");
  EXPECT_TRUE(lines[3].starts_with("#[barrage: ")) << lines[3];
  EXPECT_EQ(lines[4], R"("StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram")");
}

struct line_case {
  const char* name;
  std::string_view tag;
  double start, length;
  std::vector<std::uint64_t> values;
  std::string prefix;  // everything before the histogram
};

TEST(hdr_log, an_interval_line_is_tag_start_length_max_in_ms_and_the_histogram) {
  const line_case cases[] = {
      {"untagged first second", "", 0, 1, {1'000'000, 2'345'678}, "0.000,1.000,2.346,"},
      {"tagged later second", "uncorrected", 17, 1, {999}, "Tag=uncorrected,17.000,1.000,0.001,"},
      {"empty second", "", 3, 1, {}, "3.000,1.000,0.000,"},
      {"max past a bucket's width: the exact max", "", 1, 0.5, {123'456'789}, "1.000,0.500,123.457,"},
  };
  for (const auto& c : cases) {
    histogram h;
    for (auto v : c.values) h.record(v);
    const std::string line = hdr_log_interval(c.tag, c.start, c.length, h);
    ASSERT_TRUE(line.ends_with("\n")) << c.name;
    ASSERT_TRUE(line.starts_with(c.prefix)) << c.name << ": " << line;
    auto d = test::decode_base64(line.substr(c.prefix.size(), line.size() - c.prefix.size() - 1));
    ASSERT_TRUE(d) << c.name;
    std::uint64_t total = 0;
    for (auto n : d->counts) total += n;
    EXPECT_EQ(total, c.values.size()) << c.name;
  }
}

TEST(hdr_log, the_writer_puts_the_header_once_then_a_line_per_second_and_its_uncorrected_twin) {
  std::ostringstream out;
  hdr_log_writer w(out);
  histogram corrected, uncorrected;
  for (std::uint64_t second = 0; second < 3; ++second) {
    corrected.reset();
    uncorrected.reset();
    for (std::uint64_t i = 0; i <= second; ++i) {
      corrected.record(5'000'000 + i);
      uncorrected.record(1'000'000 + i);
    }
    w.add({second, run_start, corrected, &uncorrected});
  }
  w.finish(system_clock::now());
  ASSERT_TRUE(w.ok());
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 5u + 6u) << out.str();
  EXPECT_EQ(lines[1], "#[StartTime: 1796578800.123 (seconds since epoch), Sun Dec 06 17:40:00 UTC 2026]");
  for (std::size_t second = 0; second < 3; ++second) {
    const auto c = split(lines[5 + 2 * second]);
    const auto u = split(lines[6 + 2 * second]);
    ASSERT_EQ(c.size(), 4u);
    ASSERT_EQ(u.size(), 5u);
    EXPECT_EQ(c[0], std::to_string(second) + ".000");
    EXPECT_EQ(u[0], "Tag=uncorrected");
    EXPECT_EQ(u[1], c[0]);
    EXPECT_EQ(c[1], "1.000");
    EXPECT_EQ(c[2], "5.000");
    EXPECT_EQ(u[2], "1.000");
    auto dc = test::decode_base64(c[3]);
    auto du = test::decode_base64(u[4]);
    ASSERT_TRUE(dc && du);
    EXPECT_EQ(dc->counts.size(), histogram::index_of(5'000'000 + second) + 1);
    EXPECT_EQ(du->counts.size(), histogram::index_of(1'000'000 + second) + 1);
  }
}

TEST(hdr_log, the_closed_model_writes_untagged_lines_only) {
  std::ostringstream out;
  hdr_log_writer w(out);
  histogram h;
  h.record(std::uint64_t{42});
  w.add({0, run_start, h, nullptr});
  w.add({1, run_start, h, nullptr});
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 7u);
  EXPECT_TRUE(lines[5].starts_with("0.000,1.000,0.000,HISTF")) << lines[5];  // "HISTF": base64 of the cookie
  EXPECT_TRUE(lines[6].starts_with("1.000,1.000,0.000,HISTF")) << lines[6];
}

TEST(hdr_log, a_run_without_a_second_still_gets_a_header) {
  std::ostringstream out;
  hdr_log_writer w(out);
  w.finish(run_start);
  w.finish(run_start);
  EXPECT_EQ(out.str(), hdr_log_header(run_start));
}

}  // namespace
}  // namespace barrage::report
