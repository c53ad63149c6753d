#include "report/k8s_manifest.hpp"

#include <gtest/gtest.h>

#include "report/k8s_collect.hpp"
#include "report/yaml_text.hpp"

namespace barrage::report {
namespace {

using json = nlohmann::ordered_json;

k8s_job_spec sample() {
  k8s_job_spec s;
  s.name = "load";
  s.namespace_name = "perf";
  s.image = "img:1";
  s.shards = 3;
  s.cpu = "2";
  s.memory = "1Gi";
  s.start_at = "2026-01-01T00:00:00Z";
  s.run_args = {"http://h/", "-H", "Cookie: $(BARRAGE_HEADER_COOKIE)"};
  s.env = {{"BARRAGE_HEADER_COOKIE", "sid=1"}};
  return s;
}

TEST(k8s_manifest, the_job_is_indexed_runs_each_shard_once_and_spreads_pods_over_nodes) {
  auto m = make_k8s_manifests(sample());
  ASSERT_TRUE(m);
  ASSERT_EQ(m->documents.size(), 1u);
  const json& job = m->documents[0];
  EXPECT_EQ(job["kind"], "Job");
  EXPECT_EQ(job["spec"]["completionMode"], "Indexed");
  EXPECT_EQ(job["spec"]["completions"], 3);
  EXPECT_EQ(job["spec"]["parallelism"], 3);
  EXPECT_EQ(job["spec"]["backoffLimitPerIndex"], 0);
  const json& pod = job["spec"]["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Never");
  const json& term = pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0];
  EXPECT_EQ(term["podAffinityTerm"]["topologyKey"], "kubernetes.io/hostname");
  EXPECT_EQ(term["podAffinityTerm"]["labelSelector"]["matchLabels"]["app.kubernetes.io/instance"], "load");
  EXPECT_EQ(job["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/instance"], "load");
  const json& c = pod["containers"][0];
  EXPECT_EQ(c["resources"]["requests"], c["resources"]["limits"]);
  EXPECT_EQ(c["resources"]["limits"]["cpu"], "2");
  EXPECT_EQ(c["resources"]["limits"]["memory"], "1Gi");
  EXPECT_EQ(c["env"][0]["valueFrom"]["secretKeyRef"]["name"], "load-secrets");
}

TEST(k8s_manifest, each_pod_prints_its_report_as_the_last_line_of_its_log) {
  const auto args = k8s_container_args(sample());
  const std::vector<std::string> tail(args.end() - 9, args.end());
  EXPECT_EQ(tail, (std::vector<std::string>{"--shards", "3", "--start-at", "2026-01-01T00:00:00Z", "--quiet",
                                            "--no-progress", "--json", "-", "--json-compact"}));
}

TEST(k8s_manifest, the_secret_holds_base64_values_and_secret_from_prints_none) {
  auto m = make_k8s_manifests(sample());
  ASSERT_TRUE(m && m->secret);
  EXPECT_EQ((*m->secret)["data"]["BARRAGE_HEADER_COOKIE"], base64("sid=1"));
  EXPECT_EQ(to_yaml_stream(m->documents).find("sid=1"), std::string::npos);
  auto s = sample();
  s.secret_from = "existing";
  auto n = make_k8s_manifests(s);
  ASSERT_TRUE(n);
  EXPECT_FALSE(n->secret);
  EXPECT_EQ(n->secret_keys, std::vector<std::string>{"BARRAGE_HEADER_COOKIE"});
  EXPECT_EQ(n->documents[0]["spec"]["template"]["spec"]["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]["name"],
            "existing");
}

TEST(k8s_manifest, files_go_to_a_configmap_or_the_secret_and_are_mounted) {
  auto s = sample();
  s.files = {{"--cacert", "/a", "ca.pem", false, "PEM"}, {"--body-file", "/b", "body", true, std::string("\xff\x00", 2)},
             {"--cert", "/c", "client-cert.pem", false, std::string("\xff", 1)}};
  auto m = make_k8s_manifests(s);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->documents.size(), 2u);
  const json& cm = m->documents[0];
  EXPECT_EQ(cm["kind"], "ConfigMap");
  EXPECT_EQ(cm["data"]["ca.pem"], "PEM");
  EXPECT_EQ(cm["binaryData"]["client-cert.pem"], "/w==");  // not UTF-8: binaryData
  EXPECT_EQ((*m->secret)["data"]["body"], "/wA=");
  const json& pod = m->documents[1]["spec"]["template"]["spec"];
  EXPECT_EQ(pod["volumes"][0]["configMap"]["name"], "load-files");
  EXPECT_EQ(pod["volumes"][1]["secret"]["secretName"], "load-secrets");
  EXPECT_EQ(pod["containers"][0]["volumeMounts"][1]["mountPath"], "/etc/barrage/secret");
}

TEST(k8s_manifest, data_over_one_mebibyte_is_refused) {
  auto s = sample();
  s.files = {{"--cacert", "/a", "ca.pem", false, std::string(1024 * 1024 + 1, 'x')}};
  auto m = make_k8s_manifests(s);
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().find("at most 1 MiB"), std::string::npos) << m.error();
}

TEST(base64, encodes_with_padding) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
}

struct quantity_case {
  const char* name;
  const char* text;
  bool ok;
  std::uint64_t value;
};
void PrintTo(const quantity_case& c, std::ostream* os) { *os << c.name; }
const quantity_case cpu_cases[] = {
    {"whole", "2", true, 2000},     {"fraction", "1.5", true, 1500}, {"milli", "500m", true, 500},
    {"zero", "0", false, 0},        {"too_fine", "0.0001", false, 0}, {"unit", "2cores", false, 0},
    {"negative", "-1", false, 0},   {"empty", "", false, 0},          {"too_many", "2000", false, 0},
};
class k8s_cpu : public ::testing::TestWithParam<quantity_case> {};
TEST_P(k8s_cpu, parses_cores_or_refuses_in_one_line) {
  const auto& c = GetParam();
  auto r = parse_k8s_cpu(c.text);
  ASSERT_EQ(bool(r), c.ok) << (r ? "" : r.error());
  if (r) {
    EXPECT_EQ(*r, c.value);
  } else {
    EXPECT_NE(r.error().find("bad CPU quantity"), std::string::npos);
  }
}
INSTANTIATE_TEST_SUITE_P(cases, k8s_cpu, ::testing::ValuesIn(cpu_cases),
                         [](const auto& i) { return std::string(i.param.name); });

const quantity_case memory_cases[] = {
    {"mebi", "512Mi", true, 512ull << 20}, {"gibi", "1Gi", true, 1ull << 30}, {"giga", "2G", true, 2000000000},
    {"exponent", "1e9", true, 1000000000}, {"too_small", "16Mi", false, 0},   {"bad_unit", "1GB", false, 0},
    {"empty", "", false, 0},               {"fraction", "1.5Gi", true, 1610612736},
};
class k8s_memory : public ::testing::TestWithParam<quantity_case> {};
TEST_P(k8s_memory, parses_bytes_or_refuses_in_one_line) {
  const auto& c = GetParam();
  auto r = parse_k8s_memory(c.text);
  ASSERT_EQ(bool(r), c.ok) << (r ? "" : r.error());
  if (r) {
    EXPECT_EQ(*r, c.value);
  }
}
INSTANTIATE_TEST_SUITE_P(cases, k8s_memory, ::testing::ValuesIn(memory_cases),
                         [](const auto& i) { return std::string(i.param.name); });

struct name_case {
  const char* name;
  const char* text;
  bool ok;
};
void PrintTo(const name_case& c, std::ostream* os) { *os << c.name; }
const name_case name_cases[] = {
    {"simple", "barrage", true},      {"digits_dashes", "load-2", true}, {"upper", "Load", false},
    {"leading_dash", "-a", false},    {"trailing_dash", "a-", false},    {"dot", "a.b", false},
    {"empty", "", false},             {"long", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
};
class k8s_name : public ::testing::TestWithParam<name_case> {};
TEST_P(k8s_name, is_a_dns_label) {
  EXPECT_EQ(bool(parse_k8s_name(GetParam().text)), GetParam().ok);
}
INSTANTIATE_TEST_SUITE_P(cases, k8s_name, ::testing::ValuesIn(name_cases),
                         [](const auto& i) { return std::string(i.param.name); });

TEST(k8s_start_time, a_lead_is_counted_from_now_and_rounded_up_to_a_second) {
  const auto now = std::chrono::system_clock::from_time_t(1800000000) + std::chrono::milliseconds(300);
  EXPECT_EQ(*k8s_start_time("+2m", now), "2027-01-15T08:02:01Z");
  EXPECT_EQ(*k8s_start_time("2026-12-06T17:40:00.5+01:00", now), "2026-12-06T17:40:00.5+01:00");
  EXPECT_FALSE(k8s_start_time("tomorrow", now));
  EXPECT_FALSE(k8s_start_time("+0s", now));
}

TEST(k8s_collect, the_pod_listing_parses_and_the_finished_pod_of_each_index_is_picked) {
  auto pods = parse_k8s_pod_list("j-0-a\t0\tSucceeded\nj-1-b\t1\tFailed\nj-1-c\t1\tSucceeded\n");
  ASSERT_TRUE(pods);
  auto picked = pick_k8s_pods(*pods, 3);
  ASSERT_TRUE(picked);
  EXPECT_EQ((*picked)[1]->name, "j-1-c");
  EXPECT_FALSE((*picked)[2]);  // no pod
  EXPECT_FALSE(parse_k8s_pod_list("j-0-a\t\tRunning\n"));
  auto running = pick_k8s_pods(*parse_k8s_pod_list("j-0-a\t0\tRunning\n"), 1);
  ASSERT_FALSE(running);
  EXPECT_NE(running.error().find("j-0-a (index 0) is Running"), std::string::npos);
  EXPECT_FALSE(pick_k8s_pods(*pods, 1));  // index 1 of a one-shard job
}

TEST(k8s_collect, the_report_is_the_last_line_of_the_log_and_must_be_the_shards) {
  EXPECT_EQ(*k8s_shard_report("barrage: note: x\n{\"a\":1}\n\n", 0), "{\"a\":1}\n");
  EXPECT_EQ(*k8s_shard_report("{\"shard\":{\"index\":2,\"count\":3}}", 2), "{\"shard\":{\"index\":2,\"count\":3}}\n");
  EXPECT_EQ(k8s_shard_report("", 0).error(), "its log is empty (no report)");
  EXPECT_EQ(k8s_shard_report("{\n  \"a\": 1\n}\n", 0).error(), "the last line of its log is not a JSON report: \"}\"");
  EXPECT_NE(k8s_shard_report("{\"shard\":{\"index\":1,\"count\":3}}", 2).error().find("not index 2's"),
            std::string::npos);
}

TEST(yaml_text, quotes_what_yaml_would_read_as_something_else) {
  json v = {{"a", "plain-text/x.y"}, {"b", "yes"}, {"c", "1"}, {"d", "a: b"}, {"e", ""}, {"f", "x\ny"},
            {"g", "\x7f\xc2\x85\xe2\x80\xa8"}, {"h", 3}, {"i", true}, {"j", json::array()}, {"k", "null"},
            {"l", " lead"}, {"m", "#c"}};
  EXPECT_EQ(to_yaml(v),
            "a: plain-text/x.y\nb: \"yes\"\nc: \"1\"\nd: \"a: b\"\ne: \"\"\nf: \"x\\ny\"\n"
            "g: \"\\u007F\\u0085\\u2028\"\nh: 3\ni: true\nj: []\nk: \"null\"\nl: \" lead\"\nm: \"#c\"\n");
}

TEST(yaml_text, nests_mappings_in_sequences_as_kubectl_writes_them) {
  json v = {{"items", json::array({json{{"name", "a"}, {"v", json::array({1, 2})}}, json::array({"x"})})}};
  EXPECT_EQ(to_yaml(v), "items:\n- name: a\n  v:\n  - 1\n  - 2\n-\n  - x\n");
  const json docs[] = {json{{"a", 1}}, json{{"b", 2}}};
  EXPECT_EQ(to_yaml_stream(docs), "---\na: 1\n---\nb: 2\n");
}

}  // namespace
}  // namespace barrage::report
