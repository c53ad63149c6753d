#include "loadgen/scenario_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <unistd.h>

#include "loadgen/options.hpp"
#include "loadgen/scenario_template.hpp"
#include "loadgen/worker_scenario.hpp"

namespace barrage::loadgen {
namespace {

// The files the scenarios of these tests name.
const std::map<std::string, std::string> files = {
    {"users.csv", "username,password\nann,\"p,1\"\nbob,\"say \"\"hi\"\"\"\n"},
    {"bad.csv", "a,b\n1,2\n3\n"},
    {"spaced.csv", "first name\nx\n"},
    {"body.bin", "raw {{not a template}}"},
};
result<std::string, std::string> read(const std::string& path) {
  auto it = files.find(path);
  if (it == files.end()) return fail("cannot read '" + path + "': No such file or directory");
  return it->second;
}

result<scenario, source_error> yaml(const std::string& text) {
  return parse_scenario(text, "s.yaml", scenario_syntax::yaml, read);
}

std::string render_step(const scenario& sc, const text_template& t, std::vector<std::string> vars) {
  vars.resize(sc.variables.size());
  std::string out;
  render(t, {vars, nullptr}, out);
  return out;
}

const char* const login_flow = R"(
base_url: http://127.0.0.1:8080/api/
headers:
  User-Agent: barrage-test
data:
  file: users.csv
  order: unique
thresholds:
  - p99<1s
  - p99{step=login}<300ms
flows:
  - name: api
    weight: 3
    steps:
      - name: login
        method: POST
        path: /login
        body:
          json: {user: "{{username}}", password: "{{password}}", remember: true, n: 2, tags: [a, "{{user}}"]}
        capture:
          token: {json: /token}
          where: {header: Location}
          code: status
        expect:
          status: [200, "201-204"]
          captures: [token]
        think: 200ms-1s
      - name: items
        path: /items/{{counter}}?u={{username}}
        headers:
          Authorization: Bearer {{token}}
          user-agent: mine
        think: 500ms
  - name: health
    steps:
      - name: health
        url: http://127.0.0.1:9090/health
        body: "id={{random_id}}"
)";

TEST(ScenarioFile, AGoodFileCompilesEveryKeyIntoTheRunnableForm) {
  auto sc = yaml(login_flow);
  ASSERT_TRUE(sc.ok()) << sc.error().to_string();
  EXPECT_EQ(sc->base_url, "http://127.0.0.1:8080/api");
  ASSERT_EQ(sc->flows.size(), 2u);
  EXPECT_EQ(sc->flows[0].weight, 3);
  EXPECT_EQ(sc->flows[1].weight, 1);
  const std::vector<std::string> vars = {"user", "counter", "random_id", "iteration", "username",
                                         "password", "token", "where", "code"};
  EXPECT_EQ(sc->variables, vars);
  ASSERT_TRUE(sc->data.has_value());
  EXPECT_EQ(sc->data->ord, data_feed::unique);
  EXPECT_EQ(sc->data->rows, (std::vector<std::vector<std::string>>{{"ann", "p,1"}, {"bob", "say \"hi\""}}));
  EXPECT_EQ(sc->data->vars, (std::vector<unsigned>{4, 5}));
  EXPECT_EQ(sc->thresholds, (std::vector<std::string>{"p99<1s", "p99{step=login}<300ms"}));

  const step& login = sc->flows[0].steps[0];
  EXPECT_EQ(login.method, "POST");
  EXPECT_FALSE(login.absolute);
  EXPECT_EQ(login.target.literal_text(), "/login");
  EXPECT_EQ(render_step(*sc, login.body, {"7", "", "", "", "a\"n", "p"}),
            R"({"user":"a\"n","password":"p","remember":true,"n":2,"tags":["a","7"]})");
  ASSERT_EQ(login.headers.size(), 2u);  // the default, and the JSON body's type
  EXPECT_EQ(login.headers[1].first, "Content-Type");
  ASSERT_EQ(login.captures.size(), 3u);
  EXPECT_EQ(login.captures[0].source, capture::json_pointer);
  EXPECT_EQ(login.captures[0].where, "/token");
  EXPECT_EQ(login.captures[1].source, capture::header);
  EXPECT_EQ(login.captures[2].source, capture::status);
  EXPECT_EQ(login.expect.statuses, (std::vector<std::pair<unsigned, unsigned>>{{200, 200}, {201, 204}}));
  EXPECT_EQ(login.expect.must_capture, (std::vector<unsigned>{6}));
  EXPECT_EQ(login.think.min, std::chrono::milliseconds(200));
  EXPECT_EQ(login.think.max, std::chrono::seconds(1));

  const step& items = sc->flows[0].steps[1];
  EXPECT_EQ(render_step(*sc, items.target, {"", "3", "", "", "ann"}), "/items/3?u=ann");
  ASSERT_EQ(items.headers.size(), 2u);  // user-agent replaces the default User-Agent
  EXPECT_EQ(items.headers[0].first, "Authorization");
  EXPECT_EQ(render_step(*sc, items.headers[0].second, {"", "", "", "", "", "", "tok"}), "Bearer tok");
  EXPECT_EQ(items.headers[1].first, "user-agent");
  EXPECT_EQ(items.think.min, items.think.max);

  const step& health = sc->flows[1].steps[0];
  EXPECT_TRUE(health.absolute);
  EXPECT_EQ(health.target.literal_text(), "http://127.0.0.1:9090/health");
  EXPECT_TRUE(health.think.none());
}

TEST(ScenarioFile, TheSameScenarioInJsonCompilesAlike) {
  const char* json = R"({"base_url": "http://h:1", "steps": [
    {"name": "a", "method": "PUT", "path": "/a", "body": {"json": {"x": "{{user}}", "y": [1, null]}},
     "capture": {"id": {"json": "/id"}}, "expect": {"status": 201, "captures": ["id"]}},
    {"name": "b", "path": "/b/{{id}}", "body": {"file": "body.bin"}}]})";
  auto sc = parse_scenario(json, "s.json", scenario_syntax::json, read);
  ASSERT_TRUE(sc.ok()) << sc.error().to_string();
  ASSERT_EQ(sc->flows.size(), 1u);
  EXPECT_EQ(sc->flows[0].name, "default");
  const auto& steps = sc->flows[0].steps;
  EXPECT_EQ(render_step(*sc, steps[0].body, {"5"}), R"({"x":"5","y":[1,null]})");
  EXPECT_EQ(render_step(*sc, steps[1].target, {"", "", "", "", "42"}), "/b/42");
  EXPECT_EQ(steps[1].body.literal_text(), "raw {{not a template}}");
}

/// Files whose steps go to several origins: the origins the run plan numbers (the run's URL's
/// first) and each step's origin, in file order.
struct origins_case {
  const char* name;
  const char* text;
  std::vector<std::string> origins;
  std::vector<unsigned> step_origins;
};
const origins_case good_origins[] = {
    {"two_origins",
     "base_url: http://127.0.0.1:8080/v1\nsteps:\n  - {name: login, method: POST, path: /login, capture: {t: {json: /t}}}\n"
     "  - name: api\n    url: https://api.example/items/{{user}}?t={{t}}\n  - {name: back, path: /me}\n",
     {"http://127.0.0.1:8080", "https://api.example"},
     {0, 1, 0}},
    {"no_base_url_the_first_urls_origin_is_the_runs",
     "steps:\n  - {name: a, url: 'http://a.example:81/x'}\n  - name: b\n    url: http://b.example/y?z={{user}}\n"
     "  - {name: c, url: 'http://A.example:81/w'}\n",
     {"http://a.example:81", "http://b.example"},
     {0, 1, 0}},
    {"variables_right_after_the_port_in_the_query",
     "steps:\n  - name: a\n    url: http://h:8081?x={{user}}\n", {"http://h:8081"}, {0}},
    {"the_default_port_written_out_is_the_same_origin",
     "base_url: https://h\nsteps: [{name: a, path: /}, {name: b, url: 'https://h:443/x'}, {name: c, url: 'http://h:443/x'}]\n",
     {"https://h", "http://h:443"},
     {0, 0, 1}},
};

TEST(ScenarioFile, StepsMayGoToSeveralOriginsEachNumberedOnceInThePlan) {
  for (const auto& c : good_origins) {
    auto sc = yaml(c.text);
    ASSERT_TRUE(sc.ok()) << c.name << ": " << sc.error().to_string();
    run_config cfg;
    cfg.scenario = std::make_shared<scenario>(std::move(*sc));
    auto url = scenario_url(cfg);
    ASSERT_TRUE(url.ok()) << c.name;
    auto plan = make_scenario_plan(cfg, *parse_target_url(*url));
    ASSERT_TRUE(plan.ok()) << c.name << ": " << plan.error();
    std::vector<std::string> origins;
    for (const auto& o : (*plan)->origins) origins.push_back(origin_text(o));
    EXPECT_EQ(origins, c.origins) << c.name;
    std::vector<unsigned> step_origins;
    for (const auto& st : (*plan)->flows[0].steps) step_origins.push_back(st.origin);
    EXPECT_EQ(step_origins, c.step_origins) << c.name;
  }
}

struct bad_case {
  const char* name;
  const char* text;
  const char* error;
};
const bad_case bad_yaml[] = {
    {"empty", "", "s.yaml: empty scenario file (it needs flows or steps)"},
    {"not_a_mapping", "- a\n", "s.yaml:1:1: the scenario is a mapping (keys base_url, headers, data, flows, steps, thresholds)"},
    {"yaml_syntax", "base_url: [\n", "s.yaml:2:1: bad YAML: end of sequence flow not found"},
    {"unknown_top_key", "base_url: http://h\nflow: []\n",
     "s.yaml:2:1: unknown key 'flow' in the scenario (base_url, headers, data, flows, steps, thresholds)"},
    {"unknown_step_key", "base_url: http://h\nsteps:\n  - name: a\n    path: /\n    tink: 1s\n",
     "s.yaml:5:5: unknown key 'tink' in a step (name, method, path, url, headers, body, capture, expect, think)"},
    {"duplicate_key", "base_url: http://h\nsteps:\n  - {name: a, path: /, name: b}\n",
     "s.yaml:3:24: duplicate key 'name' in a step"},
    {"key_with_line_break", "\"a\\nb\": 1\n",
     "s.yaml:1:1: unknown key 'a\\x0ab' in the scenario (base_url, headers, data, flows, steps, thresholds)"},
    {"no_flows", "base_url: http://h\n", "s.yaml:1:1: a scenario needs flows (or steps: one flow)"},
    {"bad_base_url", "base_url: ftp://h\nsteps: [{name: a, path: /}]\n",
     "s.yaml:1:11: base_url: bad URL 'ftp://h': unsupported scheme: only http and https are supported"},
    {"path_without_base_url", "steps: [{name: a, path: /x}]\n",
     "s.yaml:1:25: path: the scenario has no base_url (give one, or a url)"},
    {"path_without_slash", "base_url: http://h\nsteps: [{name: a, path: x}]\n",
     "s.yaml:2:25: path: 'x' does not start with '/'"},
    {"no_target", "base_url: http://h\nsteps: [{name: a}]\n",
     "s.yaml:2:9: step 'a' needs a path (after base_url) or a url"},
    {"url_host_templated", "steps: [{name: a, url: 'http://{{user}}/x'}]\n",
     "s.yaml:1:24: url: the scheme, host and port of 'http://{{user}}/x' are literal (variables go in the path or query)"},
    {"url_host_part_templated", "base_url: http://h\nsteps:\n  - name: a\n    url: http://api{{user}}.example/x\n",
     "s.yaml:4:20: url: the scheme, host and port of 'http://api{{user}}.example/x' are literal (variables go in the path or query)"},
    {"url_port_templated", "base_url: http://h\nsteps:\n  - {name: a, path: /}\n  - name: b\n    url: http://h:{{user}}/x\n",
     "s.yaml:5:19: url: the scheme, host and port of 'http://h:{{user}}/x' are literal (variables go in the path or query)"},
    {"url_scheme_unsupported", "base_url: http://h\nsteps: [{name: a, path: /}, {name: b, url: ftp://files.example/x}]\n",
     "s.yaml:2:44: url: bad URL 'ftp://files.example/x': unsupported scheme: only http and https are supported"},
    {"url_scheme_templated", "steps: [{name: a, url: '{{user}}://h/x'}]\n",
     "s.yaml:1:24: url: the scheme, host and port of '{{user}}://h/x' are literal (variables go in the path or query)"},
    {"url_not_absolute", "steps: [{name: a, url: /x}]\n",
     "s.yaml:1:24: url: bad URL '/x': the URL must start with http:// or https://"},
    {"undefined_variable", "base_url: http://h\nsteps:\n  - name: a\n    path: /x/{{tokn}}\n",
     "s.yaml:4:14: undefined variable 'tokn' (not a data column, a capture or a built-in)"},
    {"used_before_capture",
     "base_url: http://h\nsteps:\n  - name: a\n    path: /{{token}}\n  - name: login\n    path: /login\n"
     "    capture: {token: {json: /t}}\n",
     "s.yaml:4:12: variable 'token' is used before step 'login' captures it"},
    {"used_in_capturing_step",
     "base_url: http://h\nsteps:\n  - name: login\n    path: /login\n    headers: {X: '{{token}}'}\n"
     "    capture: {token: {json: /t}}\n",
     "s.yaml:5:18: variable 'token' is used before step 'login' captures it (a step's captures are for the steps after it)"},
    {"captured_in_other_flow",
     "base_url: http://h\nflows:\n  - {name: f1, steps: [{name: a, path: /, capture: {t: status}}]}\n"
     "  - {name: f2, steps: [{name: b, path: '/{{t}}'}]}\n",
     "s.yaml:4:40: variable 't' is captured only in flow 'f1', not in flow 'f2'"},
    {"bad_template", "base_url: http://h\nsteps: [{name: a, path: '/{{x'}]\n",
     "s.yaml:2:25: path: unclosed '{{' (a variable is written {{name}})"},
    {"undefined_in_json_body", "base_url: http://h\nsteps: [{name: a, path: /, body: {json: {a: [1, '{{nope}}']}}}]\n",
     "s.yaml:2:49: undefined variable 'nope' (not a data column, a capture or a built-in)"},
    {"undefined_in_default_header", "base_url: http://h\nheaders: {A: '{{who}}'}\nsteps: [{name: a, path: /}]\n",
     "s.yaml:2:14: undefined variable 'who' (not a data column, a capture or a built-in)"},
    {"duplicate_step_name",
     "base_url: http://h\nflows:\n  - steps: [{name: a, path: /}]\n  - steps:\n    - {name: a, path: /}\n",
     "s.yaml:5:14: duplicate step name 'a' (also at line 3)"},
    {"zero_weight", "base_url: http://h\nflows:\n  - {weight: 0, steps: [{name: a, path: /}]}\n",
     "s.yaml:3:14: weight must be a number > 0, not '0'"},
    {"negative_weight", "base_url: http://h\nflows:\n  - {weight: -2, steps: [{name: a, path: /}]}\n",
     "s.yaml:3:14: weight must be a number > 0, not '-2'"},
    {"weight_not_number", "base_url: http://h\nflows:\n  - {weight: lots, steps: [{name: a, path: /}]}\n",
     "s.yaml:3:14: weight must be a number > 0, not 'lots'"},
    {"bad_think", "base_url: http://h\nsteps: [{name: a, path: /, think: 5 parsecs}]\n",
     "s.yaml:2:35: think: bad duration \"5 parsecs\": unknown unit \"parsecs\" (use ns, us, ms, s, m, h) (500ms, or 200ms-1s)"},
    {"think_backwards", "base_url: http://h\nsteps: [{name: a, path: /, think: 2s-1s}]\n",
     "s.yaml:2:35: think: the range '2s-1s' ends before it starts"},
    {"bad_json_pointer", "base_url: http://h\nsteps: [{name: a, path: /, capture: {t: {json: token}}}]\n",
     "s.yaml:2:48: capture: bad JSON pointer 'token' (RFC 6901: empty, or '/' before each token; '~' only as ~0 or ~1)"},
    {"bad_json_pointer_escape", "base_url: http://h\nsteps: [{name: a, path: /, capture: {t: {json: /a~2}}}]\n",
     "s.yaml:2:48: capture: bad JSON pointer '/a~2' (RFC 6901: empty, or '/' before each token; '~' only as ~0 or ~1)"},
    {"capture_builtin", "base_url: http://h\nsteps: [{name: a, path: /, capture: {user: status}}]\n",
     "s.yaml:2:38: capture: 'user' is a built-in variable"},
    {"capture_bad_kind", "base_url: http://h\nsteps: [{name: a, path: /, capture: {t: {body: x}}}]\n",
     "s.yaml:2:42: unknown key 'body' in a capture (json, header)"},
    {"expect_unknown_capture", "base_url: http://h\nsteps: [{name: a, path: /, expect: {captures: [t]}}]\n",
     "s.yaml:2:48: expect: 't' is not captured by step 'a'"},
    {"bad_status", "base_url: http://h\nsteps: [{name: a, path: /, expect: {status: 700}}]\n",
     "s.yaml:2:45: expect: status '700' is not a status (100-599) or a range of them (200-299)"},
    {"unreadable_data", "base_url: http://h\ndata: nope.csv\nsteps: [{name: a, path: /}]\n",
     "s.yaml:2:7: data: cannot read 'nope.csv': No such file or directory"},
    {"bad_data_row", "base_url: http://h\ndata: bad.csv\nsteps: [{name: a, path: /}]\n",
     "bad.csv:3: 1 fields, the header row has 2"},
    {"data_column_not_a_name", "base_url: http://h\ndata: spaced.csv\nsteps: [{name: a, path: /}]\n",
     "s.yaml:2:7: data: column 'first name' of spaced.csv is not a variable name (a letter or '_', then letters, digits, '_', '-' or '.')"},
    {"bad_order", "base_url: http://h\ndata: {file: users.csv, order: shuffled}\nsteps: [{name: a, path: /}]\n",
     "s.yaml:2:32: data: unknown order 'shuffled' (sequential, random, unique)"},
    {"unreadable_body_file", "base_url: http://h\nsteps: [{name: a, path: /, body: {file: x.bin}}]\n",
     "s.yaml:2:41: body: cannot read 'x.bin': No such file or directory"},
    {"threshold_unknown_step", "base_url: http://h\nsteps: [{name: a, path: /}]\nthresholds: ['p99{step=b}<1s']\n",
     "s.yaml:3:14: threshold 'p99{step=b}<1s' names no step of the scenario ('b')"},
    {"threshold_bad", "base_url: http://h\nsteps: [{name: a, path: /}]\nthresholds: [p99<fast]\n",
     "s.yaml:3:14: threshold 'p99<fast': "},
    {"bad_method", "base_url: http://h\nsteps: [{name: a, path: /, method: 'GE T'}]\n",
     "s.yaml:2:36: bad method 'GE T'"},
    {"both_flows_and_steps", "base_url: http://h\nflows: []\nsteps: []\n",
     "s.yaml:3:8: a scenario has flows or steps (one flow), not both"},
};

TEST(ScenarioFile, BadYamlFilesAreUsageErrorsWithFileLineColumnAndOneLineMessage) {
  for (const auto& c : bad_yaml) {
    auto sc = yaml(c.text);
    ASSERT_FALSE(sc.ok()) << c.name;
    const std::string got = sc.error().to_string();
    if (std::string(c.error).back() == ' ')  // the threshold parser's own words follow
      EXPECT_EQ(got.substr(0, std::string(c.error).size()), c.error) << c.name;
    else
      EXPECT_EQ(got, c.error) << c.name;
    EXPECT_EQ(got.find('\n'), std::string::npos) << c.name;
  }
}

const bad_case bad_json[] = {
    {"syntax", "{\"base_url\": \"http://h\",\n \"steps\": [}", "s.json:2:12: bad JSON: syntax error while parsing value - unexpected '}'; expected '[', '{', or a literal"},
    {"number_overflow", "{\"base_url\": \"http://h\",\n \"steps\": [{\"name\": \"a\", \"path\": \"/\"}], \"x\": 1e999}",
     "s.json:2:46: bad JSON: number overflow parsing '1e999'"},
    {"unknown_key", "{\"base_url\": \"http://h\",\n \"stepz\": []}",
     "s.json:2:2: unknown key 'stepz' in the scenario (base_url, headers, data, flows, steps, thresholds)"},
    {"undefined_variable", "{\"base_url\": \"http://h\",\n \"steps\": [{\"name\": \"a\", \"path\": \"/{{x}}\"}]}",
     "s.json:2:34: undefined variable 'x' (not a data column, a capture or a built-in)"},
};

TEST(ScenarioFile, BadJsonFilesSayLineAndColumnToo) {
  for (const auto& c : bad_json) {
    auto sc = parse_scenario(c.text, "s.json", scenario_syntax::json, read);
    ASSERT_FALSE(sc.ok()) << c.name;
    EXPECT_EQ(sc.error().to_string(), c.error) << c.name;
  }
}

TEST(ScenarioFile, FilesAreReadRelativeToTheScenario) {
  const auto dir = std::filesystem::temp_directory_path() / ("barrage_scenario_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "users.csv") << "name\nann\n";
  std::ofstream(dir / "s.yml") << "base_url: http://127.0.0.1:1\ndata: users.csv\nsteps: [{name: a, path: '/{{name}}'}]\n";
  auto sc = load_scenario_file((dir / "s.yml").string());
  auto missing = load_scenario_file((dir / "none.yaml").string());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(sc.ok()) << sc.error().to_string();
  EXPECT_EQ(sc->data->file, (dir / "users.csv").string());
  EXPECT_EQ(sc->data->rows.size(), 1u);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().to_string().find("No such file or directory"), std::string::npos);
}

TEST(ScenarioFile, RunArgumentsNameAScenarioByTheirExtension) {
  EXPECT_TRUE(names_scenario_file("login.yaml"));
  EXPECT_TRUE(names_scenario_file("dir/flow.yml"));
  EXPECT_TRUE(names_scenario_file("flow.json"));
  EXPECT_FALSE(names_scenario_file("http://h/flow.json"));
  EXPECT_FALSE(names_scenario_file("http://127.0.0.1:8080/"));
  EXPECT_FALSE(names_scenario_file(".yaml"));
}

}  // namespace
}  // namespace barrage::loadgen
