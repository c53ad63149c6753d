#include "report/k8s_args.hpp"

#include <gtest/gtest.h>

#include <map>

namespace barrage::report {
namespace {

std::vector<std::string> v(std::initializer_list<const char*> l) { return {l.begin(), l.end()}; }

// What the pod receives: Kubernetes' expansion of each argument with the Secret's values.
std::vector<std::string> received(const k8s_args& a) {
  std::map<std::string, std::string, std::less<>> env;
  for (const auto& e : a.env) env[e.key] = e.value;
  std::vector<std::string> out;
  for (const auto& arg : a.args)
    out.push_back(k8s_expand(arg, [&](std::string_view k) -> std::optional<std::string> {
      auto it = env.find(k);
      if (it == env.end()) return std::nullopt;
      return it->second;
    }));
  return out;
}

TEST(k8s_args, a_credential_header_becomes_an_environment_reference_and_the_pod_receives_it_as_typed) {
  const auto args = v({"http://h/", "-H", "Authorization: Bearer s3cr3t", "-H", "Accept: */*"});
  const auto a = move_secrets_off(args, "http://h/", {});
  EXPECT_EQ(a.args, v({"http://h/", "-H", "Authorization: $(BARRAGE_HEADER_AUTHORIZATION)", "-H", "Accept: */*"}));
  ASSERT_EQ(a.env.size(), 1u);
  EXPECT_EQ(a.env[0].key, "BARRAGE_HEADER_AUTHORIZATION");
  EXPECT_EQ(a.env[0].value, "Bearer s3cr3t");
  EXPECT_EQ(received(a), args);
}

struct form_case {
  const char* name;
  std::vector<std::string> args;
  std::vector<std::string> expected;
};
void PrintTo(const form_case& c, std::ostream* os) { *os << c.name; }
const form_case form_cases[] = {
    {"header_separate", {"-H", "Cookie: sid=1"}, {"-H", "Cookie: $(BARRAGE_HEADER_COOKIE)"}},
    {"header_long_separate", {"--header", "X-Api-Key:k"}, {"--header", "X-Api-Key:$(BARRAGE_HEADER_X_API_KEY)"}},
    {"header_long_equals", {"--header=Cookie: a"}, {"--header=Cookie: $(BARRAGE_HEADER_COOKIE)"}},
    {"header_short_joined", {"-HCookie: a"}, {"-HCookie: $(BARRAGE_HEADER_COOKIE)"}},
    {"body_separate", {"-b", "{\"pw\":1}"}, {"-b", "$(BARRAGE_BODY)"}},
    {"body_equals", {"--body=x"}, {"--body=$(BARRAGE_BODY)"}},
    {"body_joined", {"-bx"}, {"-b$(BARRAGE_BODY)"}},
    {"url_password", {"http://u:p@h/"}, {"http://u:$(BARRAGE_URL_PASSWORD)@h/"}},
    {"url_secret_query", {"http://h/?a=1&api_key=k"}, {"http://h/?a=1&api_key=$(BARRAGE_QUERY_API_KEY)"}},
    {"query_named_password", {"http://h/?password=k"}, {"http://h/?password=$(BARRAGE_QUERY_PASSWORD)"}},
    {"empty_value_stays", {"-H", "Authorization:"}, {"-H", "Authorization:"}},
    {"plain_header_stays", {"-H", "X-Trace: 1"}, {"-H", "X-Trace: 1"}},
    {"dollar_doubled", {"-H", "X-A: $(HOME) $$"}, {"-H", "X-A: $$(HOME) $$$$"}},
    {"after_double_dash", {"--", "http://u:p@h/"}, {"--", "http://u:$(BARRAGE_URL_PASSWORD)@h/"}},
    {"body_file_secret", {"--body-file", "/tmp/b"}, {"--body-file", "/etc/barrage/secret/body"}},
    {"cacert_public", {"--cacert=/x/ca.pem"}, {"--cacert=/etc/barrage/files/ca.pem"}},
    {"key_secret", {"--key", "k.pem"}, {"--key", "/etc/barrage/secret/client-key.pem"}},
};

class k8s_arg_forms : public ::testing::TestWithParam<form_case> {};

TEST_P(k8s_arg_forms, rewrite_as_expected_and_expand_back_to_the_arguments_typed) {
  const auto& c = GetParam();
  std::string url;
  for (const auto& a : c.args)
    if (a.rfind("http", 0) == 0) url = a;
  const auto a = move_secrets_off(c.args, url, {});
  EXPECT_EQ(a.args, c.expected);
  if (a.files.empty()) {
    EXPECT_EQ(received(a), c.args);
  }
}

INSTANTIATE_TEST_SUITE_P(forms, k8s_arg_forms, ::testing::ValuesIn(form_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(k8s_args, redact_header_names_count_as_secret_headers) {
  loadgen::redaction_policy p;
  p.extra_headers = {"x-tenant"};
  const auto a = move_secrets_off(v({"-H", "X-Tenant: acme"}), "", p);
  EXPECT_EQ(a.args, v({"-H", "X-Tenant: $(BARRAGE_HEADER_X_TENANT)"}));
}

TEST(k8s_args, two_values_under_one_name_get_two_keys_and_one_value_twice_gets_one) {
  const auto a = move_secrets_off(v({"-H", "Cookie: a", "-H", "Cookie: b", "-H", "Cookie: a"}), "", {});
  EXPECT_EQ(a.args, v({"-H", "Cookie: $(BARRAGE_HEADER_COOKIE)", "-H", "Cookie: $(BARRAGE_HEADER_COOKIE_2)", "-H",
                       "Cookie: $(BARRAGE_HEADER_COOKIE)"}));
  ASSERT_EQ(a.env.size(), 2u);
  EXPECT_EQ(a.env[1].value, "b");
}

TEST(k8s_args, files_are_listed_once_with_the_last_path_given) {
  const auto a = move_secrets_off(v({"--cacert", "/a.pem", "--cert", "/c.pem", "--cacert", "/b.pem"}), "", {});
  ASSERT_EQ(a.files.size(), 2u);
  EXPECT_EQ(a.files[0].key, "ca.pem");
  EXPECT_EQ(a.files[0].local_path, "/b.pem");
  EXPECT_FALSE(a.files[0].secret);
  EXPECT_EQ(k8s_mount_path(a.files[1]), "/etc/barrage/files/client-cert.pem");
}

TEST(k8s_expand, follows_kubernetes_rules_for_references_escapes_and_unknown_names) {
  auto lookup = [](std::string_view k) -> std::optional<std::string> {
    if (k == "A") return std::string("x");
    return std::nullopt;
  };
  EXPECT_EQ(k8s_expand("$(A)-$(B)", lookup), "x-$(B)");
  EXPECT_EQ(k8s_expand("$$(A) $$ $", lookup), "$(A) $ $");
  EXPECT_EQ(k8s_expand("$x $(A", lookup), "$x $(A");
}

TEST(secret_slots, lists_each_secret_value_of_a_run) {
  loadgen::run_options o;
  o.url = "http://u:pw@h/?token=t&q=1";
  o.headers = {"Authorization: Basic x", "Accept: */*"};
  o.body = "b";
  const auto slots = secret_slots(o, {});
  ASSERT_EQ(slots.size(), 4u);
  EXPECT_EQ(slots[0].what, "-H Authorization");
  EXPECT_EQ(slots[0].value, "Basic x");
  EXPECT_EQ(slots[1].value, "pw");
  EXPECT_EQ(slots[2].what, "query parameter token");
  EXPECT_EQ(slots[3].what, "-b");
}

}  // namespace
}  // namespace barrage::report
