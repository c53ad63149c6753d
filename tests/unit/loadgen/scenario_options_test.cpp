#include "loadgen/scenario_options.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "loadgen/run_options.hpp"

namespace barrage::loadgen {
namespace {

class ScenarioOptions : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("barrage_scenario_options_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "s.yaml") << "base_url: http://127.0.0.1:8080\nsteps:\n  - {name: a, path: /a}\n"
                                      "  - {name: b, path: /b, headers: {x-id: mine}}\n";
    std::ofstream(dir_ / "flow") << "steps: [{name: a, url: 'https://127.0.0.1:8443/a/{{user}}'}]\n";
    std::ofstream(dir_ / "t.txt") << "GET http://127.0.0.1:8080/1\n\nGET http://127.0.0.1:8080/2\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const char* name) const { return (dir_ / name).string(); }

  result<run_config, std::string> make(const std::string& positional, scenario_options s,
                                       std::vector<std::string> headers = {}) {
    run_options o;
    o.url = positional;
    o.scenario = std::move(s);
    o.headers = std::move(headers);
    return make_run_config(o, 1);
  }

  std::filesystem::path dir_;
};

TEST_F(ScenarioOptions, AScenarioFileInPlaceOfTheUrlIsLoadedWithTheHeadersOfTheCommandLine) {
  auto c = make(path("s.yaml"), {std::nullopt, std::nullopt, "3"}, {"X-Id: 7"});
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c->scenario);
  EXPECT_FALSE(c->targets);
  EXPECT_EQ(c->url, "http://127.0.0.1:8080");
  EXPECT_EQ(c->iterations, 3u);
  const auto& steps = c->scenario->flows[0].steps;
  ASSERT_EQ(steps[0].headers.size(), 1u);
  EXPECT_EQ(steps[0].headers[0].first, "X-Id");
  ASSERT_EQ(steps[1].headers.size(), 1u);  // its own x-id wins
  EXPECT_EQ(steps[1].headers[0].second.literal_text(), "mine");
}

TEST_F(ScenarioOptions, AnExistingFileWithoutAKnownExtensionIsAScenarioToo) {
  auto c = make(path("flow"), {});
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c->scenario);
  EXPECT_EQ(c->url, "https://127.0.0.1:8443/a/");
}

TEST_F(ScenarioOptions, TargetsReplaceTheUrlAndTakeTheirOrder) {
  auto c = make("", {path("t.txt"), "random", std::nullopt});
  ASSERT_TRUE(c.ok()) << c.error();
  ASSERT_TRUE(c->targets);
  EXPECT_EQ(c->targets->targets.size(), 2u);
  EXPECT_EQ(c->targets->ord, targets_list::random);
  EXPECT_EQ(c->url, "http://127.0.0.1:8080/1");
  auto d = make("", {path("t.txt"), std::nullopt, std::nullopt});
  ASSERT_TRUE(d.ok()) << d.error();
  EXPECT_EQ(d->targets->ord, targets_list::round_robin);
}

TEST_F(ScenarioOptions, AUrlStaysAUrl) {
  auto c = make("http://127.0.0.1:8080/x.yaml", {});
  ASSERT_TRUE(c.ok()) << c.error();
  EXPECT_FALSE(c->scenario || c->targets);
}

TEST_F(ScenarioOptions, ConflictingOrIncompleteInputsAreOneLineUsageErrors) {
  struct bad {
    const char* name;
    std::string positional;
    scenario_options s;
    const char* error;  // a prefix of it where the message names a temporary path
  };
  const bad cases[] = {
      {"nothing", "", {}, "url is required (a URL, a scenario file FILE.yaml|FILE.json, or --targets FILE)"},
      {"targets_and_url", "http://h/", {path("t.txt"), std::nullopt, std::nullopt},
       "--targets FILE gives the requests: no URL or scenario file with it (got http://h/)"},
      {"order_without_targets", "http://h/", {std::nullopt, "random", std::nullopt}, "--targets-order needs --targets FILE"},
      {"bad_order", "", {path("t.txt"), "shuffle", std::nullopt},
       "--targets-order: unknown order \"shuffle\" (round-robin, random)"},
      {"iterations_with_url", "http://h/", {std::nullopt, std::nullopt, "2"},
       "--iterations needs a scenario file or --targets FILE (each virtual user's flow runs K times)"},
      {"zero_iterations", path("s.yaml"), {std::nullopt, std::nullopt, "0"}, "--iterations: bad count \"0\""},
      {"missing_targets", "", {path("none.txt"), std::nullopt, std::nullopt}, "--targets: "},
      {"missing_scenario", path("none.yaml"), {}, ""},
  };
  for (const auto& c : cases) {
    auto r = make(c.positional, c.s);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().rfind(c.error, 0), 0u) << c.name << ": " << r.error();
    EXPECT_EQ(r.error().find('\n'), std::string::npos) << c.name;
  }
  run_options o;
  o.url = path("s.yaml");
  o.method = "PUT";
  auto r = make_run_config(o, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "--method, --body and --body-file: a scenario's steps and a targets file give each request's own");
}

}  // namespace
}  // namespace barrage::loadgen
