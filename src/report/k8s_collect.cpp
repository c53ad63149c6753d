#include "report/k8s_collect.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "base/quote_text.hpp"

namespace barrage::report {
namespace {

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find(sep, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

int phase_rank(std::string_view phase) {
  if (phase == "Succeeded") return 2;
  if (phase == "Failed") return 1;
  return 0;
}

}  // namespace

result<std::vector<k8s_pod>, std::string> parse_k8s_pod_list(std::string_view text) {
  std::vector<k8s_pod> pods;
  for (std::string_view line : split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const auto fields = split(line, '\t');
    unsigned index = 0;
    const bool numeric = fields.size() == 3 && !fields[1].empty() &&
                         std::from_chars(fields[1].data(), fields[1].data() + fields[1].size(), index).ptr ==
                             fields[1].data() + fields[1].size();
    if (!numeric || fields[0].empty())
      return fail("kubectl listed a pod without a completion index: " + quote_text(line, 80));
    pods.push_back({std::string(fields[0]), index, std::string(fields[2])});
  }
  return pods;
}

result<std::vector<std::optional<k8s_pod>>, std::string> pick_k8s_pods(const std::vector<k8s_pod>& pods,
                                                                      unsigned shards) {
  std::vector<std::optional<k8s_pod>> picked(shards);
  const k8s_pod* unfinished = nullptr;
  for (const k8s_pod& p : pods) {
    if (p.index >= shards)
      return fail("pod " + p.name + " has index " + std::to_string(p.index) + ", but the Job has " +
                  std::to_string(shards) + " completions");
    auto& slot = picked[p.index];
    if (phase_rank(p.phase) == 0) {
      if (!slot) unfinished = &p;
      continue;
    }
    if (!slot || phase_rank(p.phase) > phase_rank(slot->phase)) slot = p;
  }
  if (unfinished && !picked[unfinished->index])
    return fail("pod " + unfinished->name + " (index " + std::to_string(unfinished->index) + ") is " +
                (unfinished->phase.empty() ? std::string("not finished") : unfinished->phase) +
                ": wait for the Job to finish (kubectl wait --for=condition=complete job/NAME)");
  return picked;
}

result<std::string, std::string> k8s_shard_report(std::string_view log, unsigned index) {
  while (!log.empty() && (log.back() == '\n' || log.back() == '\r' || log.back() == ' ')) log.remove_suffix(1);
  if (log.empty()) return fail("its log is empty (no report)");
  const std::size_t nl = log.rfind('\n');
  const std::string_view line = nl == std::string_view::npos ? log : log.substr(nl + 1);
  const auto doc = nlohmann::json::parse(line, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return fail("the last line of its log is not a JSON report: " + quote_text(line, 80));
  if (auto s = doc.find("shard"); s != doc.end() && s->is_object()) {
    const auto i = s->find("index");
    if (i == s->end() || !i->is_number_unsigned() || i->get<unsigned>() != index)
      return fail("its report is not index " + std::to_string(index) + "'s (\"shard\": " + s->dump() + ")");
  }
  return std::string(line) + "\n";
}

}  // namespace barrage::report
