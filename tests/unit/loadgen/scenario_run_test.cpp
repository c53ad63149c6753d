// Scenarios run by the generator (worker_scenario.cpp): requests rendered from templates,
// captures from real nginx responses, expectations, data rows, and the accounting of
// iterations and steps when steps fail. The scenarios are built by hand (the compiled form,
// loadgen/scenario.hpp), independently of the file loaders.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "loadgen/engine.hpp"
#include "loadgen/options.hpp"
#include "loadgen/report_json.hpp"
#include "loadgen/targets_file.hpp"
#include "loadgen/threshold.hpp"
#include "loadgen/worker_scenario.hpp"
#include "net/resolve_override.hpp"
#include "nginx_fixture.hpp"
#include "nginx_tls_fixture.hpp"
#include "run_checks.hpp"
#include "test_pki.hpp"

using namespace barrage;
using namespace barrage::loadgen;
using namespace std::chrono_literals;
using test::expect_accounted;

namespace {

/// Variables: the built-ins, then these names.
std::vector<std::string> variables(std::vector<std::string> more) {
  std::vector<std::string> v{"user", "counter", "random_id", "iteration"};
  v.insert(v.end(), more.begin(), more.end());
  return v;
}

/// "{{name}}" references split out, as the loader would (names must be in `vars`).
text_template tmpl(const std::string& text, const std::vector<std::string>& vars,
                   template_part::escape esc = template_part::raw) {
  text_template t;
  std::size_t at = 0;
  while (at < text.size()) {
    const auto open = text.find("{{", at);
    if (open != at) {
      template_part p;
      p.text = text.substr(at, open == std::string::npos ? std::string::npos : open - at);
      t.parts.push_back(p);
      if (open == std::string::npos) break;
    }
    const auto close = text.find("}}", open);
    const std::string name = text.substr(open + 2, close - open - 2);
    template_part p;
    p.k = template_part::variable;
    p.esc = esc;
    p.var = static_cast<unsigned>(std::find(vars.begin(), vars.end(), name) - vars.begin());
    EXPECT_LT(p.var, vars.size()) << name;
    t.parts.push_back(p);
    at = close + 2;
  }
  return t;
}

step get(const std::string& name, const std::string& target, const std::vector<std::string>& vars) {
  step s;
  s.name = name;
  s.method = "GET";
  s.target = tmpl(target, vars);
  return s;
}

capture capture_of(const std::string& name, capture::from source, const std::string& where,
                   const std::vector<std::string>& vars) {
  capture c;
  c.name = name;
  c.var = static_cast<unsigned>(std::find(vars.begin(), vars.end(), name) - vars.begin());
  c.source = source;
  c.where = where;
  return c;
}

run_config config_for(std::shared_ptr<scenario> s) {
  run_config c;
  c.scenario = std::move(s);
  c.connections = 2;
  c.threads = 1;
  c.timeout = 2s;
  c.connect_timeout = 1s;
  c.iterations = 5;
  c.run_time = 10s;
  c.has_duration = false;
  return c;
}

/// nginx with a static JSON file (the login answer) and locations that accept only the
/// values captured from it.
class nginx_flow : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    nginx_ = new test::nginx_process(
        "    location = /login.json { add_header X-Session s-42; }\n"
        "    location = /check { if ($http_authorization != \"Bearer tok-123\") { return 401; }\n"
        "      if ($http_x_session != \"s-42\") { return 403; } return 200 \"ok\\n\"; }\n"
        "    location = /items/7 { if ($http_x_login_status != \"200\") { return 400; } return 200 \"seven\\n\"; }\n");
    if (nginx_->available())
      std::ofstream(nginx_->root() + "/login.json") << R"({"token": "tok-123", "items": [{"id": 7}, {"id": 9}]})";
  }
  static void TearDownTestSuite() {
    delete nginx_;
    nginx_ = nullptr;
  }
  void SetUp() override {
    if (!nginx_->available()) GTEST_SKIP() << "nginx is not installed";
  }
  static test::nginx_process* nginx_;
};
test::nginx_process* nginx_flow::nginx_ = nullptr;

/// login.json, then /check with the captured token and header, then /items/{{id}}.
std::shared_ptr<scenario> login_flow(const std::string& base) {
  auto s = std::make_shared<scenario>();
  s->base_url = base;
  s->variables = variables({"token", "session", "id", "login_status"});
  const auto& v = s->variables;
  flow f;
  f.name = "login";
  step login = get("login", "/login.json", v);
  login.captures = {capture_of("token", capture::json_pointer, "/token", v),
                    capture_of("session", capture::header, "x-session", v),
                    capture_of("id", capture::json_pointer, "/items/0/id", v),
                    capture_of("login_status", capture::status, "", v)};
  login.expect.must_capture = {login.captures[0].var, login.captures[2].var};
  step check = get("check", "/check", v);
  check.headers = {{"Authorization", tmpl("Bearer {{token}}", v)}, {"X-Session", tmpl("{{session}}", v)}};
  step item = get("item", "/items/{{id}}", v);
  item.headers = {{"X-Login-Status", tmpl("{{login_status}}", v)}};
  f.steps = {login, check, item};
  s->flows = {f};
  return s;
}

std::uint64_t aborted(const run_result& r, abort_reason why) {
  return r.stats.scenario.iterations.aborted[static_cast<std::size_t>(why)];
}

void expect_iterations_accounted(const run_result& r) {
  const auto& it = r.stats.scenario.iterations;
  EXPECT_EQ(it.started, it.completed + it.aborted_total() + it.in_flight());
  for (const auto& s : r.stats.scenario.steps) EXPECT_EQ(s.started, s.succeeded + s.failed + s.timed_out + s.in_flight());
  const auto j = to_json(r);
  const auto& ji = j["iterations"];
  std::uint64_t sum = ji["completed"].get<std::uint64_t>() + ji["in_flight_at_end"].get<std::uint64_t>();
  for (const auto& [reason, n] : ji["aborted"].items()) sum += n.get<std::uint64_t>();
  EXPECT_EQ(ji["started"].get<std::uint64_t>(), sum);
}

}  // namespace

TEST_F(nginx_flow, captures_from_a_json_body_a_header_and_the_status_reach_the_next_steps) {
  auto r = run_load(config_for(login_flow(nginx_->url(""))));
  ASSERT_TRUE(r.ok()) << r.error();
  const auto& sc = r->stats.scenario;
  EXPECT_EQ(sc.iterations.started, 10u);  // 2 users x 5 iterations
  EXPECT_EQ(sc.iterations.completed, 10u) << to_json(*r)["iterations"].dump();
  ASSERT_EQ(sc.steps.size(), 3u);
  for (const auto& s : sc.steps) {
    EXPECT_EQ(s.started, 10u) << s.name;
    EXPECT_EQ(s.succeeded, 10u) << s.name;
  }
  EXPECT_EQ(r->stats.count.started, 30u);
  EXPECT_EQ(r->stats.count.succeeded, 30u);
  EXPECT_EQ(sc.iterations.duration.count(), 10u);
  expect_accounted(*r);
  expect_iterations_accounted(*r);
  const auto j = to_json(*r);
  EXPECT_EQ(j["steps"]["check"]["requests"].get<std::uint64_t>(), 10u);
  EXPECT_EQ(j["steps"]["check"]["statuses"]["200"].get<std::uint64_t>(), 10u);
}

TEST_F(nginx_flow, a_failing_step_ends_the_iteration_with_its_reason_and_everything_is_accounted) {
  auto s = login_flow(nginx_->url(""));
  const auto& v = s->variables;
  // A second flow: its step expects 200 from /teapot (418), so its last step never runs.
  flow teapot;
  teapot.name = "teapot";
  teapot.steps = {get("tea", "/teapot", v), get("never", "/", v)};
  teapot.steps[0].expect.statuses = {{200, 200}};
  // A third: a required capture that the response does not have.
  flow missing;
  missing.name = "missing";
  missing.steps = {get("no_pointer", "/login.json", v), get("never_either", "/", v)};
  missing.steps[0].captures = {capture_of("token", capture::json_pointer, "/nope", v)};
  missing.steps[0].expect.must_capture = {missing.steps[0].captures[0].var};
  s->flows.push_back(teapot);
  s->flows.push_back(missing);
  auto c = config_for(s);
  c.iterations = 30;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  const auto& sc = r->stats.scenario;
  EXPECT_EQ(sc.iterations.started, 60u);
  EXPECT_GT(aborted(*r, abort_reason::unexpected_status), 0u);
  EXPECT_GT(aborted(*r, abort_reason::missing_capture), 0u);
  EXPECT_EQ(sc.iterations.completed + aborted(*r, abort_reason::unexpected_status) +
                aborted(*r, abort_reason::missing_capture),
            60u);
  EXPECT_EQ(sc.find("never")->started, 0u);
  EXPECT_EQ(sc.find("never_either")->started, 0u);
  EXPECT_EQ(sc.find("tea")->bad_status, sc.find("tea")->started);
  EXPECT_EQ(sc.find("tea")->aborted[static_cast<std::size_t>(abort_reason::unexpected_status)], sc.find("tea")->started);
  // The flows are picked by weight (1 each): each ran.
  EXPECT_GT(sc.find("login")->started, 0u);
  expect_accounted(*r);
  expect_iterations_accounted(*r);
  const auto j = to_json(*r);
  EXPECT_EQ(j["iterations"]["aborted"]["unexpected_status"].get<std::uint64_t>(), aborted(*r, abort_reason::unexpected_status));
  EXPECT_EQ(j["steps"]["tea"]["statuses"]["418"].get<std::uint64_t>(), sc.find("tea")->started);
}

TEST(scenario_run, a_refused_connection_aborts_the_iteration_as_a_failed_request) {
  net::socket_address closed;
  {
    event_loop loop;
    closed = net::tcp_listener::bind(*net::socket_address::parse("127.0.0.1:0")).local();
  }
  auto s = std::make_shared<scenario>();
  s->base_url = "http://" + closed.to_string();
  s->variables = variables({});
  flow f;
  f.name = "f";
  f.steps = {get("first", "/", s->variables), get("second", "/", s->variables)};
  s->flows = {f};
  auto c = config_for(s);
  c.iterations = 3;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(aborted(*r, abort_reason::request_failed), 6u);
  EXPECT_EQ(r->stats.scenario.find("first")->errors[static_cast<std::size_t>(client::error_kind::refused)], 6u);
  EXPECT_EQ(r->stats.scenario.find("second")->started, 0u);
  expect_accounted(*r);
  expect_iterations_accounted(*r);
}

/// login_flow, then a step to a second origin over https (by the name `localhost`, which
/// only --resolve maps, and which the certificate alone names: SNI and verification are the
/// step's host), with the captured token.
std::shared_ptr<scenario> two_origin_flow(const std::string& base, int secure_port) {
  auto s = login_flow(base);
  step secure = get("secure", "https://localhost:" + std::to_string(secure_port) + "/secure?u={{user}}", s->variables);
  secure.absolute = true;
  secure.headers = {{"Authorization", tmpl("Bearer {{token}}", s->variables)}};
  secure.expect.statuses = {{200, 200}};
  s->flows[0].steps.insert(s->flows[0].steps.begin() + 1, secure);
  return s;
}

TEST_F(nginx_flow, steps_to_a_second_origin_use_its_own_connection_per_user_and_its_tls_settings) {
  test::test_pki pki;
  const auto leaf = pki.leaf("server", {"localhost"});
  test::nginx_tls_process secure(leaf.cert, leaf.key, "TLSv1.2 TLSv1.3", true, "    location = /secure { if ($http_authorization != \"Bearer tok-123\") { return 401; } return 200 \"in\\n\"; }\n");
  if (!secure.available()) GTEST_SKIP() << "nginx with TLS did not start";
  auto c = config_for(two_origin_flow(nginx_->url(""), secure.port()));
  c.resolves = {*net::parse_resolve_override("localhost:" + std::to_string(secure.port()) + ":127.0.0.1")};
  c.tls.ca_file = pki.ca_file();
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  const auto& sc = r->stats.scenario;
  EXPECT_EQ(sc.iterations.completed, 10u) << to_json(*r)["steps"].dump();
  EXPECT_EQ(sc.find("secure")->succeeded, 10u);
  EXPECT_EQ(sc.find("item")->succeeded, 10u);  // back at the first origin after the second
  // Two users, each one connection to each origin, kept alive over its 5 iterations.
  EXPECT_EQ(r->stats.count.connects, 4u);
  EXPECT_EQ(r->stats.tls.handshakes, 2u);
  std::uint64_t opened = 0;
  for (const auto& a : r->stats.addresses) {
    EXPECT_EQ(a.connections, 2u) << a.address.to_string();
    EXPECT_EQ(a.failures, 0u);
    opened += a.connections;
  }
  EXPECT_EQ(r->stats.addresses.size(), 2u);
  EXPECT_EQ(opened, r->stats.count.connects);
  expect_accounted(*r);
  expect_iterations_accounted(*r);
  const auto j = to_json(*r);
  const std::string home = nginx_->url("");
  EXPECT_EQ(j["config"]["scenario"]["origins"],
            nlohmann::json::array({home, "https://localhost:" + std::to_string(secure.port())}));
  EXPECT_EQ(j["tls"]["handshakes"].get<std::uint64_t>(), 2u);

  // Without the CA the second origin's certificate does not verify: its step fails with the
  // reason, the iteration aborts there, the first origin is unaffected.
  c.tls.ca_file.clear();
  c.iterations = 2;
  r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.scenario.find("login")->succeeded, 4u);
  EXPECT_EQ(r->stats.scenario.find("secure")->errors[static_cast<std::size_t>(client::error_kind::tls_verify)], 4u);
  EXPECT_EQ(r->stats.scenario.find("check")->started, 0u);
  EXPECT_EQ(aborted(*r, abort_reason::request_failed), 4u);
  expect_accounted(*r);
  expect_iterations_accounted(*r);
}

TEST_F(nginx_flow, a_step_to_an_origin_that_refuses_fails_by_reason_and_the_other_origin_keeps_its_connections) {
  net::socket_address closed;
  {
    event_loop loop;
    closed = net::tcp_listener::bind(*net::socket_address::parse("127.0.0.1:0")).local();
  }
  auto s = login_flow(nginx_->url(""));
  step away = get("away", "http://" + closed.to_string() + "/x", s->variables);
  away.absolute = true;
  s->flows[0].steps.insert(s->flows[0].steps.begin() + 1, away);
  auto c = config_for(s);
  c.iterations = 3;
  c.threads = 2;  // a user per worker: each backs off its own connects to the refusing origin
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  const auto& sc = r->stats.scenario;
  EXPECT_EQ(sc.find("login")->succeeded, 6u);
  EXPECT_EQ(sc.find("away")->errors[static_cast<std::size_t>(client::error_kind::refused)], 6u);
  EXPECT_EQ(sc.find("check")->started, 0u);
  EXPECT_EQ(aborted(*r, abort_reason::request_failed), 6u);
  EXPECT_EQ(r->stats.count.connects, 2u);  // the first origin's, one per user, kept alive
  for (const auto& a : r->stats.addresses)
    if (a.address.to_string() == closed.to_string()) {
      EXPECT_EQ(a.connections, 0u);
      EXPECT_EQ(a.failures, 6u);
    } else {
      EXPECT_EQ(a.connections, 2u);
      EXPECT_EQ(a.failures, 0u);
    }
  EXPECT_EQ(r->stats.addresses.size(), 2u);
  expect_accounted(*r);
  expect_iterations_accounted(*r);
}

TEST_F(nginx_flow, unique_rows_go_to_one_user_each_and_users_without_one_stop_counted) {
  auto s = std::make_shared<scenario>();
  s->base_url = nginx_->url("");
  s->variables = variables({"path"});
  data_feed d;
  d.ord = data_feed::unique;
  d.columns = {"path"};
  d.vars = {4};
  d.rows = {{""}, {"big.txt"}};  // two rows for three users
  s->data = d;
  flow f;
  f.name = "f";
  f.steps = {get("fetch", "/{{path}}", s->variables)};
  s->flows = {f};
  auto c = config_for(s);
  c.connections = 3;
  c.iterations = 4;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->stats.scenario.iterations.completed, 8u);  // two users with a row, 4 each
  EXPECT_EQ(aborted(*r, abort_reason::no_data_row), 1u);  // the third user, once, then it stopped
  EXPECT_EQ(r->stats.count.status[200], 8u);
  EXPECT_EQ(r->stats.count.bytes_in > 4 * 4096u, true);  // a user took /big.txt
  expect_iterations_accounted(*r);
}

TEST_F(nginx_flow, the_open_model_starts_new_users_at_the_rate_and_times_steps_from_their_intended_start) {
  auto c = config_for(login_flow(nginx_->url("")));
  c.rate = 200;
  c.iterations.reset();
  c.run_time = 500ms;
  c.has_duration = true;
  c.connections = 20;
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  const auto& it = r->stats.scenario.iterations;
  EXPECT_GE(it.started + r->stats.count.dropped, 90u);  // 100 arrivals in 0.5 s
  EXPECT_LE(it.started, 101u);
  EXPECT_GT(it.completed, 0u);
  EXPECT_EQ(r->stats.scenario.find("login")->started, it.started);
  expect_accounted(*r);
  expect_iterations_accounted(*r);
}

TEST_F(nginx_flow, a_targets_run_takes_them_in_turn_and_accounts_each_target_and_iteration) {
  const std::string base = nginx_->url("/");
  auto t = parse_targets("GET " + base + "login.json\n\nGET " + base + "teapot\n\nGET " + base + "\n", "t.txt",
                         [](const std::string&) { return result<std::string, std::string>(std::string()); });
  ASSERT_TRUE(t) << t.error().message;
  run_config c = config_for(nullptr);
  c.targets = std::make_shared<targets_list>(std::move(*t));
  c.url = base + "login.json";
  c.iterations = 6;  // 2 users x 6: each user takes the 3 targets in turn from its own index
  auto r = run_load(c);
  ASSERT_TRUE(r.ok()) << r.error();
  const auto& sc = r->stats.scenario;
  ASSERT_EQ(sc.steps.size(), 3u);
  for (const auto& s : sc.steps) EXPECT_EQ(s.started, 4u) << s.name;
  const step_stats* tea = sc.find("GET " + base + "teapot");
  ASSERT_NE(tea, nullptr);
  EXPECT_EQ(tea->bad_status, 4u) << "418 is not a success";
  EXPECT_EQ(tea->aborted[static_cast<std::size_t>(abort_reason::unexpected_status)], 4u);
  EXPECT_EQ(sc.iterations.started, 12u);
  EXPECT_EQ(sc.iterations.completed, 8u);
  EXPECT_EQ(r->stats.count.started, 12u);
  EXPECT_EQ(r->stats.count.succeeded, 8u);
  EXPECT_EQ(r->stats.count.status[418], 4u);
  expect_accounted(*r);
  const auto j = to_json(*r);
  EXPECT_EQ(j["targets"]["GET " + base + "teapot"]["statuses"]["418"].get<std::uint64_t>(), 4u);
  EXPECT_FALSE(j.contains("iterations")) << "a targets run reports no iterations";
}

TEST(scenario_plan, each_origin_is_numbered_once_and_its_steps_carry_its_index_and_host) {
  auto s = std::make_shared<scenario>();
  s->base_url = "http://127.0.0.1/api";
  s->variables = variables({"token"});
  const auto& v = s->variables;
  flow f;
  f.name = "f";
  f.steps = {get("home", "/a", v), get("auth", "https://auth.example/login?u={{user}}", v),
             get("api", "http://api.example:8080/items/{{token}}", v), get("auth_again", "https://AUTH.example:443/x", v),
             get("home_absolute", "http://127.0.0.1:80/b", v)};
  for (std::size_t i = 1; i < f.steps.size(); ++i) f.steps[i].absolute = true;
  s->flows = {f};
  auto plan = make_scenario_plan(config_for(s), *parse_target_url(s->base_url));
  ASSERT_TRUE(plan.ok()) << plan.error();
  std::vector<std::string> origins;
  for (const auto& o : (*plan)->origins) origins.push_back(origin_text(o));
  EXPECT_EQ(origins, (std::vector<std::string>{"http://127.0.0.1", "https://auth.example", "http://api.example:8080"}));
  const auto& steps = (*plan)->flows[0].steps;
  std::vector<unsigned> indices;
  for (const auto& st : steps) indices.push_back(st.origin);
  EXPECT_EQ(indices, (std::vector<unsigned>{0, 1, 2, 1, 0}));
  virtual_user u;
  u.vars.resize(v.size());
  u.vars[var_user] = "7";
  u.vars[4] = "t1";
  std::vector<std::string> requests;
  for (const auto& st : steps) {
    render_request(st, u);
    requests.push_back(u.request);
  }
  EXPECT_EQ(requests[0], "GET /api/a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  EXPECT_EQ(requests[1], "GET /login?u=7 HTTP/1.1\r\nHost: auth.example\r\n\r\n");
  EXPECT_EQ(requests[2], "GET /items/t1 HTTP/1.1\r\nHost: api.example:8080\r\n\r\n");
  EXPECT_EQ(requests[3], "GET /x HTTP/1.1\r\nHost: auth.example\r\n\r\n");
  EXPECT_EQ(requests[4], "GET /b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
}

TEST(scenario_plan, an_absolute_url_whose_origin_is_not_literal_is_refused_with_the_step_name) {
  auto s = std::make_shared<scenario>();
  s->base_url = "http://127.0.0.1:1";
  s->variables = variables({"host"});
  flow f;
  f.name = "f";
  f.steps = {get("templated", "http://{{host}}/x", s->variables)};
  f.steps[0].absolute = true;
  s->flows = {f};
  auto r = make_scenario_plan(config_for(s), *parse_target_url(s->base_url));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "step \"templated\": the scheme, host and port of an absolute URL are literal");
  s->flows[0].steps = {get("port", "http://h:{{host}}/x", s->variables)};
  s->flows[0].steps[0].absolute = true;
  r = make_scenario_plan(config_for(s), *parse_target_url(s->base_url));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "step \"port\": the scheme, host and port of an absolute URL are literal");
}

TEST(scenario_plan, options_a_scenario_cannot_honour_are_refused_not_ignored) {
  auto s = std::make_shared<scenario>();
  s->base_url = "http://127.0.0.1:1";
  flow f;
  f.name = "f";
  f.steps = {get("a", "/a", s->variables)};
  s->flows = {f};
  run_config c = config_for(s);
  c.redirects = 3;  // honoured: a step's chain is its request
  EXPECT_TRUE(make_scenario_plan(c, *parse_target_url(s->base_url)).ok());
  c = config_for(s);
  c.pipeline = 4;
  auto r = make_scenario_plan(c, *parse_target_url(s->base_url));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "scenarios and --targets do not pipeline (--pipeline 1)");
  c = config_for(s);
  c.http = http_choice::h2_prior_knowledge;  // HTTP/2 is honoured: h2c to http:// origins
  EXPECT_TRUE(make_scenario_plan(c, *parse_target_url(s->base_url)).ok());
  s->flows[0].steps.push_back(get("tls", "https://127.0.0.1:2/b", s->variables));
  s->flows[0].steps.back().absolute = true;
  r = make_scenario_plan(c, *parse_target_url(s->base_url));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "step \"tls\": --http2-prior-knowledge is for http:// origins; https://127.0.0.1:2 "
                       "negotiates h2 by ALPN: use --http2");
  c.http = http_choice::h2_alpn;
  EXPECT_TRUE(make_scenario_plan(c, *parse_target_url(s->base_url)).ok());
  c.streams = 4;
  r = make_scenario_plan(c, *parse_target_url(s->base_url));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), "scenarios and --targets run one stream at a time per virtual user (its steps go in order): "
                       "-m/--streams 1; more users (-c) for more streams");
  EXPECT_TRUE(make_scenario_plan(config_for(s), *parse_target_url(s->base_url)).ok());
}

TEST(scenario_plan, an_http2_request_is_rendered_without_connection_fields_and_with_its_length) {
  auto s = std::make_shared<scenario>();
  s->base_url = "http://h:8080/api/";
  s->variables = variables({"name", "tok"});
  const auto& v = s->variables;
  step post;
  post.name = "p";
  post.method = "POST";
  post.target = tmpl("/users/{{name}}?q=1", v);
  post.headers = {{"Authorization", tmpl("Bearer {{tok}}", v)},
                  {"Connection", tmpl("keep-alive", v)},
                  {"X-Two", tmpl("2", v)}};
  post.body = tmpl("{\"name\": \"{{name}}\"}", v, template_part::json_string);
  flow f;
  f.name = "f";
  f.steps = {post};
  s->flows = {f};
  run_config c = config_for(s);
  c.http = http_choice::h2_prior_knowledge;
  auto plan = make_scenario_plan(c, *parse_target_url(s->base_url));
  ASSERT_TRUE(plan.ok()) << plan.error();
  virtual_user u;
  u.vars.resize(v.size());
  u.vars[4] = "a b";
  u.vars[5] = "t\r\n1";
  render_h2_request((*plan)->flows[0].steps[0], u);
  const h2::request& r = u.h2_request;
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.scheme, "http");
  EXPECT_EQ(r.authority, "h:8080");
  EXPECT_EQ(r.path, "/api/users/a%20b?q=1");
  EXPECT_EQ(r.body, "{\"name\": \"a b\"}");
  ASSERT_EQ(r.fields.size(), 3u);
  EXPECT_EQ(r.fields[0].name, "authorization");
  EXPECT_EQ(r.fields[0].value, "Bearer t  1");
  EXPECT_EQ(r.fields[1].name, "x-two");
  EXPECT_EQ(r.fields[1].value, "2");
  EXPECT_EQ(r.fields[2].name, "content-length");
  EXPECT_EQ(r.fields[2].value, std::to_string(r.body.size()));
}

TEST(scenario_plan, requests_are_rendered_from_prepared_pieces_with_values_made_safe) {
  auto s = std::make_shared<scenario>();
  s->base_url = "http://h:8080/api/";
  s->variables = variables({"name", "q"});
  const auto& v = s->variables;
  step post;
  post.name = "p";
  post.method = "POST";
  post.target = tmpl("/users/{{user}}?q={{q}}", v);
  post.headers = {{"X-Name", tmpl("{{name}}", v)}};
  post.body = tmpl("{\"name\": \"{{name}}\"}", v, template_part::json_string);
  flow f;
  f.name = "f";
  f.steps = {post};
  s->flows = {f};
  run_config c = config_for(s);
  auto plan = make_scenario_plan(c, *parse_target_url(s->base_url));
  ASSERT_TRUE(plan.ok()) << plan.error();
  virtual_user u;
  u.vars.resize(v.size());
  u.vars[var_user] = "3";
  u.vars[4] = "a\"b\r\nX-Evil: 1";
  u.vars[5] = "x y";
  render_request((*plan)->flows[0].steps[0], u);
  EXPECT_EQ(u.request,
            "POST /api/users/3?q=x%20y HTTP/1.1\r\nHost: h:8080\r\nX-Name: a\"b  X-Evil: 1\r\n"
            "Content-Length: 37\r\n\r\n{\"name\": \"a\\\"b\\u000d\\u000aX-Evil: 1\"}");
  // A constant step is one literal piece: nothing to copy but the bytes.
  step plain = get("g", "/x", v);
  EXPECT_TRUE((*plan)->flows[0].steps[0].head.size() > 1);
  s->flows[0].steps = {plain};
  auto plain_plan = make_scenario_plan(c, *parse_target_url(s->base_url));
  ASSERT_TRUE(plain_plan.ok());
  ASSERT_EQ((*plain_plan)->flows[0].steps[0].head.size(), 1u);
  EXPECT_EQ((*plain_plan)->flows[0].steps[0].head[0].text,
            "GET /api/x HTTP/1.1\r\nHost: h:8080\r\n\r\n");
}
