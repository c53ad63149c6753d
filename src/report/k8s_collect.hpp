#pragma once
// `barrage k8s collect`: what it reads from kubectl's answers, as values (apps/ runs kubectl).
// A pod of an Indexed Job carries its index in the annotation
// batch.kubernetes.io/job-completion-index; each pod's log ends with its JSON report on one
// line (k8s_container_args: --json - --json-compact).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace barrage::report {

struct k8s_pod {
  std::string name;
  unsigned index = 0;
  std::string phase;  // Pending, Running, Succeeded, Failed, Unknown
};

/// The jsonpath query that lists a Job's pods, one "NAME\tINDEX\tPHASE" line each.
inline constexpr std::string_view k8s_pod_list_jsonpath =
    "{range .items[*]}{.metadata.name}{\"\\t\"}"
    "{.metadata.annotations.batch\\.kubernetes\\.io/job-completion-index}{\"\\t\"}{.status.phase}{\"\\n\"}{end}";

/// Parses that listing; a line without a numeric index is an error that quotes it.
result<std::vector<k8s_pod>, std::string> parse_k8s_pod_list(std::string_view text);

/// The pod to read for each index 0..shards-1: a finished one (Succeeded before Failed) when
/// the index has several; nullopt when it has none. An index whose pods are all unfinished is
/// an error naming the pod and its phase; so is a pod whose index is not below `shards`.
result<std::vector<std::optional<k8s_pod>>, std::string> pick_k8s_pods(const std::vector<k8s_pod>& pods,
                                                                      unsigned shards);

/// The shard's report: the last non-empty line of `log`, which must be a JSON object, and
/// whose "shard" (when present and not null) must have this `index`. The error is one line
/// (without the pod's name) that quotes the start of the line found.
result<std::string, std::string> k8s_shard_report(std::string_view log, unsigned index);

}  // namespace barrage::report
