#pragma once
// The manifests `barrage k8s` prints: an Indexed Job whose pods each run one shard of the
// load, the ConfigMap of the files the pods read, and the Secret of the values they must not
// see written in the Job (k8s_args.hpp). Values only: apps/ prints them as YAML.
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "report/k8s_args.hpp"

namespace barrage::report {

struct k8s_job_spec {
  std::string name = "barrage";          // the Job; its ConfigMap NAME-files, its Secret NAME-secrets
  std::optional<std::string> namespace_name;  // absent: kubectl's current namespace
  std::string image;
  std::string target;                    // the URL as outputs show it (redact.hpp), for an annotation
  unsigned shards = 1;                   // completions = parallelism
  std::string cpu = "1", memory = "512Mi";  // Kubernetes quantities, requests = limits
  std::string start_at;                  // RFC 3339, the same for every shard
  std::vector<std::string> run_args;     // k8s_args::args (the URL among them)
  std::vector<k8s_secret_value> env;     // k8s_args::env
  std::vector<k8s_file> files;           // k8s_args::files with their contents
  std::optional<std::string> secret_from;  // an existing Secret to reference; then none is printed
};

struct k8s_manifests {
  std::vector<nlohmann::ordered_json> documents;  // the ConfigMap (when there are public files), the Job
  std::optional<nlohmann::ordered_json> secret;   // the Secret, unless none is needed or secret_from
  std::vector<std::string> secret_keys;           // the keys the Secret holds (or must hold)
};

/// The manifests for `spec`. Errors: a ConfigMap or Secret over Kubernetes' 1 MiB.
result<k8s_manifests, std::string> make_k8s_manifests(const k8s_job_spec& spec);

/// What the container runs after `barrage`: run_args, then --shards N --start-at T --quiet
/// --no-progress --json - --json-compact, so that the pod's log ends with its report on one line.
std::vector<std::string> k8s_container_args(const k8s_job_spec& spec);

/// A Job, ConfigMap, Secret or namespace name: a DNS-1123 label (a-z, 0-9, '-', starting and
/// ending with a letter or digit) of at most `max` characters.
result<std::string, std::string> parse_k8s_name(std::string_view text, std::size_t max = 63);
/// --cpu: cores as a Kubernetes quantity, "2", "1.5" or "500m" (1m to 1024 cores); the value
/// in millicores.
result<std::uint64_t, std::string> parse_k8s_cpu(std::string_view text);
/// --memory: bytes as a Kubernetes quantity, "512Mi", "1Gi", "2G", "1e9" (32Mi to 1Pi); bytes.
result<std::uint64_t, std::string> parse_k8s_memory(std::string_view text);

/// --start-at for every shard: "+DURATION" (from `now`, rounded up to a whole second) or an
/// RFC 3339 time as given (2026-12-06T17:40:00Z, fractions and offsets allowed); RFC 3339 UTC.
result<std::string, std::string> k8s_start_time(std::string_view text, std::chrono::system_clock::time_point now);

/// Standard base64 (RFC 4648, with padding), as a Secret's data holds its values.
std::string base64(std::string_view bytes);

}  // namespace barrage::report
