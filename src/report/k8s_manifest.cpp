#include "report/k8s_manifest.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <regex>

#include "base/quote_text.hpp"
#include "loadgen/options.hpp"

namespace barrage::report {
namespace {

using nlohmann::ordered_json;

// Kubernetes refuses a ConfigMap or Secret whose data exceed 1 MiB.
constexpr std::size_t max_object_data = 1024 * 1024;
// The user and group the container runs as: packaging/Dockerfile's USER (not root, as the
// restricted Pod Security Standard asks; numeric, so that runAsNonRoot can be checked).
constexpr int run_as = 10001;

bool valid_utf8(std::string_view s) {
  try {
    (void)ordered_json(std::string(s)).dump();
    return true;
  } catch (const ordered_json::exception&) {
    return false;
  }
}

ordered_json labels(const k8s_job_spec& s) {
  return {{"app.kubernetes.io/name", "barrage"}, {"app.kubernetes.io/instance", s.name},
          {"app.kubernetes.io/component", "load-generator"}};
}

ordered_json metadata(const k8s_job_spec& s, const std::string& name) {
  ordered_json m = {{"name", name}};
  if (s.namespace_name) m["namespace"] = *s.namespace_name;
  m["labels"] = labels(s);
  return m;
}

std::string config_map_name(const k8s_job_spec& s) { return s.name + "-files"; }
std::string secret_name(const k8s_job_spec& s) { return s.secret_from.value_or(s.name + "-secrets"); }

result<ordered_json, std::string> config_map(const k8s_job_spec& s) {
  ordered_json data = ordered_json::object(), binary = ordered_json::object();
  std::size_t total = 0;
  for (const k8s_file& f : s.files) {
    if (f.secret) continue;
    total += f.content.size();
    if (valid_utf8(f.content))
      data[f.key] = f.content;
    else
      binary[f.key] = base64(f.content);
  }
  if (total > max_object_data)
    return fail("the files for the ConfigMap hold " + std::to_string(total) +
                " bytes; Kubernetes takes at most 1 MiB per ConfigMap");
  ordered_json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", metadata(s, config_map_name(s))}};
  if (!data.empty()) cm["data"] = data;
  if (!binary.empty()) cm["binaryData"] = binary;
  return cm;
}

result<ordered_json, std::string> secret(const k8s_job_spec& s) {
  ordered_json data = ordered_json::object();
  std::size_t total = 0;
  for (const k8s_secret_value& e : s.env) {
    total += e.value.size();
    data[e.key] = base64(e.value);
  }
  for (const k8s_file& f : s.files) {
    if (!f.secret) continue;
    total += f.content.size();
    data[f.key] = base64(f.content);
  }
  if (total > max_object_data)
    return fail("the secret values hold " + std::to_string(total) + " bytes; Kubernetes takes at most 1 MiB per Secret");
  ordered_json m = metadata(s, secret_name(s));
  m["annotations"] = {{"barrage.dev/note", "credentials for the barrage Job " + s.name + ": do not commit this file"}};
  return ordered_json{{"apiVersion", "v1"}, {"kind", "Secret"}, {"metadata", m}, {"type", "Opaque"}, {"data", data}};
}

ordered_json container_env(const k8s_job_spec& s) {
  ordered_json env = ordered_json::array();
  for (const k8s_secret_value& e : s.env)
    env.push_back({{"name", e.key}, {"valueFrom", {{"secretKeyRef", {{"name", secret_name(s)}, {"key", e.key}}}}}});
  return env;
}

// The volumes for the ConfigMap's and the Secret's files, and where the container mounts them.
void add_file_volumes(const k8s_job_spec& s, ordered_json& pod, ordered_json& container) {
  ordered_json public_items = ordered_json::array(), secret_items = ordered_json::array();
  for (const k8s_file& f : s.files) (f.secret ? secret_items : public_items).push_back({{"key", f.key}, {"path", f.key}});
  ordered_json volumes = ordered_json::array(), mounts = ordered_json::array();
  if (!public_items.empty()) {
    volumes.push_back({{"name", "files"}, {"configMap", {{"name", config_map_name(s)}, {"items", public_items}}}});
    mounts.push_back({{"name", "files"}, {"mountPath", "/etc/barrage/files"}, {"readOnly", true}});
  }
  if (!secret_items.empty()) {
    // 0440: readable by the container's group (fsGroup), not by others.
    volumes.push_back({{"name", "secret-files"},
                       {"secret", {{"secretName", secret_name(s)}, {"items", secret_items}, {"defaultMode", 0440}}}});
    mounts.push_back({{"name", "secret-files"}, {"mountPath", "/etc/barrage/secret"}, {"readOnly", true}});
  }
  if (volumes.empty()) return;
  pod["volumes"] = volumes;
  container["volumeMounts"] = mounts;
}

ordered_json container(const k8s_job_spec& s) {
  const ordered_json quantities = {{"cpu", s.cpu}, {"memory", s.memory}};
  ordered_json c = {{"name", "barrage"},
            {"image", s.image},
            {"command", ordered_json::array({"barrage"})},
            {"args", k8s_container_args(s)},
            {"resources", {{"requests", quantities}, {"limits", quantities}}},
            {"securityContext",
             {{"allowPrivilegeEscalation", false},
              {"readOnlyRootFilesystem", true},
              {"capabilities", {{"drop", ordered_json::array({"ALL"})}}}}}};
  if (!s.env.empty()) c["env"] = container_env(s);
  return c;
}

ordered_json pod_spec(const k8s_job_spec& s) {
  ordered_json c = container(s);
  ordered_json pod = {
      {"restartPolicy", "Never"},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", run_as},
        {"runAsGroup", run_as},
        {"fsGroup", run_as},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
      // Shards on different nodes where the cluster has room: each brings its own CPU, network
      // and source addresses. Preferred, not required, so that a small cluster still runs them.
      {"affinity",
       {{"podAntiAffinity",
         {{"preferredDuringSchedulingIgnoredDuringExecution",
           ordered_json::array({{{"weight", 100},
                         {"podAffinityTerm",
                          {{"labelSelector", {{"matchLabels", {{"app.kubernetes.io/instance", s.name}}}}},
                           {"topologyKey", "kubernetes.io/hostname"}}}}})}}}}},
  };
  add_file_volumes(s, pod, c);
  pod["containers"] = ordered_json::array({c});
  return pod;
}

ordered_json job(const k8s_job_spec& s) {
  ordered_json m = metadata(s, s.name);
  m["annotations"] = {{"barrage.dev/target", s.target},
                      {"barrage.dev/start-at", s.start_at},
                      {"barrage.dev/collect", "barrage k8s collect " + s.name +
                                                  (s.namespace_name ? " --namespace " + *s.namespace_name : "")}};
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", m},
          {"spec",
           {{"completionMode", "Indexed"},
            {"completions", s.shards},
            {"parallelism", s.shards},
            // Each shard runs once: a retried shard would start after --start-at, off the
            // others' clock. Per index, so that one failed shard does not stop the others.
            {"backoffLimitPerIndex", 0},
            {"template", {{"metadata", {{"labels", labels(s)}}}, {"spec", pod_spec(s)}}}}}};
}

}  // namespace

std::vector<std::string> k8s_container_args(const k8s_job_spec& s) {
  std::vector<std::string> args = s.run_args;
  for (const char* a : {"--shards", "", "--start-at", "", "--quiet", "--no-progress", "--json", "-", "--json-compact"})
    args.emplace_back(a);
  args[s.run_args.size() + 1] = std::to_string(s.shards);
  args[s.run_args.size() + 3] = s.start_at;
  return args;
}

result<k8s_manifests, std::string> make_k8s_manifests(const k8s_job_spec& spec) {
  k8s_manifests out;
  const bool public_files = std::any_of(spec.files.begin(), spec.files.end(), [](const k8s_file& f) { return !f.secret; });
  if (public_files) {
    auto cm = config_map(spec);
    if (!cm) return fail(cm.error());
    out.documents.push_back(std::move(*cm));
  }
  for (const k8s_secret_value& e : spec.env) out.secret_keys.push_back(e.key);
  for (const k8s_file& f : spec.files)
    if (f.secret) out.secret_keys.push_back(f.key);
  if (!out.secret_keys.empty() && !spec.secret_from) {
    auto sec = secret(spec);
    if (!sec) return fail(sec.error());
    out.secret = std::move(*sec);
  }
  out.documents.push_back(job(spec));
  return out;
}

result<std::string, std::string> parse_k8s_name(std::string_view text, std::size_t max) {
  const std::string bad = "bad name " + quote_text(text) + ": ";
  if (text.empty()) return fail(bad + "empty");
  if (text.size() > max) return fail(bad + "longer than " + std::to_string(max) + " characters");
  auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; };
  if (!std::all_of(text.begin(), text.end(), ok) || text.front() == '-' || text.back() == '-')
    return fail(bad + "must be lower-case letters, digits and '-', starting and ending with a letter or digit");
  return std::string(text);
}

namespace {

// A decimal number with an optional fraction at the front of `text`; the rest in `suffix`.
bool split_number(std::string_view text, double& number, std::string_view& suffix) {
  std::size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  if (i == 0 || text[0] == '.' || text[i - 1] == '.' || std::count(text.begin(), text.begin() + i, '.') > 1) return false;
  auto [p, ec] = std::from_chars(text.data(), text.data() + i, number);
  suffix = text.substr(i);
  return ec == std::errc() && p == text.data() + i;
}

}  // namespace

result<std::uint64_t, std::string> parse_k8s_cpu(std::string_view text) {
  const std::string bad = "bad CPU quantity " + quote_text(text) + ": ";
  double n = 0;
  std::string_view suffix;
  if (!split_number(text, n, suffix) || !(suffix.empty() || suffix == "m"))
    return fail(bad + "expected cores as 2, 1.5 or 500m (millicores)");
  const double milli = suffix == "m" ? n : n * 1000;
  if (milli != std::floor(milli)) return fail(bad + "finer than 1m");
  if (milli < 1 || milli > 1024 * 1000) return fail(bad + "must be between 1m and 1024 cores");
  return static_cast<std::uint64_t>(milli);
}

result<std::uint64_t, std::string> parse_k8s_memory(std::string_view text) {
  const std::string bad = "bad memory quantity " + quote_text(text) + ": ";
  struct unit {
    std::string_view suffix;
    double factor;
  };
  static constexpr unit units[] = {{"", 1},      {"k", 1e3},         {"M", 1e6},          {"G", 1e9},
                                   {"T", 1e12},  {"P", 1e15},        {"Ki", 1024.0},      {"Mi", 1048576.0},
                                   {"Gi", 1073741824.0}, {"Ti", 1099511627776.0}, {"Pi", 1125899906842624.0}};
  double n = 0;
  std::string_view suffix;
  if (!split_number(text, n, suffix)) return fail(bad + "expected bytes as 512Mi, 1Gi, 2G or 1e9");
  double bytes = -1;
  if (suffix.size() >= 2 && suffix[0] == 'e') {
    int exp = 0;
    auto [p, ec] = std::from_chars(suffix.data() + 1, suffix.data() + suffix.size(), exp);
    if (ec == std::errc() && p == suffix.data() + suffix.size() && exp >= 0 && exp <= 18) bytes = n * std::pow(10.0, exp);
  }
  for (const unit& u : units)
    if (suffix == u.suffix) bytes = n * u.factor;
  if (bytes < 0) return fail(bad + "expected bytes as 512Mi, 1Gi, 2G or 1e9");
  if (bytes < 32.0 * 1048576 || bytes > 1125899906842624.0) return fail(bad + "must be between 32Mi and 1Pi");
  return static_cast<std::uint64_t>(bytes);
}

result<std::string, std::string> k8s_start_time(std::string_view text, std::chrono::system_clock::time_point now) {
  if (!text.empty() && text.front() == '+') {
    auto lead = loadgen::parse_run_time(text.substr(1));
    if (!lead) return fail("--start-at: " + lead.error());
    const auto at = std::chrono::ceil<std::chrono::seconds>(now + *lead);
    const std::time_t t = std::chrono::system_clock::to_time_t(at);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return std::string(buf);
  }
  static const std::regex rfc3339(R"(\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2}))");
  if (!std::regex_match(text.begin(), text.end(), rfc3339))
    return fail("--start-at: bad time " + quote_text(text) + ": expected +DURATION (+2m) or RFC 3339 (2026-12-06T17:40:00Z)");
  return std::string(text);
}

std::string base64(std::string_view bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 3; ++k)
      v = (v << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? alphabet[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

}  // namespace barrage::report
