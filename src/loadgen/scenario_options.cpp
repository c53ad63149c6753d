#include "loadgen/scenario_options.hpp"

#include <strings.h>
#include <sys/stat.h>

#include "base/option_values.hpp"
#include "loadgen/scenario_file.hpp"
#include "loadgen/scenario_template.hpp"
#include "loadgen/targets_file.hpp"

namespace barrage::loadgen {
namespace {

/// The most iterations --iterations takes per virtual user.
constexpr std::uint64_t max_iterations = 1'000'000'000'000ULL;

/// -H "Name: value" pairs (their syntax is checked with the other request options).
std::vector<std::pair<std::string, std::string>> split_headers(const std::vector<std::string>& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& h : headers) {
    const std::size_t colon = h.find(':');
    if (colon == std::string::npos) continue;
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    out.emplace_back(h.substr(0, colon), std::move(value));
  }
  return out;
}

/// Adds the -H headers a step does not give itself (at the end, after its own).
void add_headers(step& s, const std::vector<std::pair<std::string, std::string>>& extra) {
  for (const auto& [name, value] : extra) {
    bool has = false;
    for (const auto& [own, unused] : s.headers) has = has || strcasecmp(own.c_str(), name.c_str()) == 0;
    if (!has) s.headers.emplace_back(name, literal_template(value));
  }
}

/// A URL for the checks made on the run's URL: the base URL, or the first step's literal
/// scheme, host and path (before any variable).
std::string first_url(const scenario& sc) {
  if (!sc.base_url.empty()) return sc.base_url;
  const auto& t = sc.flows.front().steps.front().target;
  return t.parts.empty() || t.parts.front().k != template_part::literal ? std::string() : t.parts.front().text;
}

}  // namespace

bool positional_is_scenario(const std::string& positional) {
  if (names_scenario_file(positional)) return true;
  if (positional.find("://") != std::string::npos) return false;
  struct stat st {};
  return ::stat(positional.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

result<void, std::string> read_scenario_input(const scenario_options& o, const std::string& positional,
                                              const std::vector<std::string>& headers, bool request_given,
                                              run_config& c) {
  const bool scenario_file = !positional.empty() && positional_is_scenario(positional);
  if (o.targets && !positional.empty())
    return fail("--targets FILE gives the requests: no URL or scenario file with it (got " + positional + ")");
  if (o.targets_order && !o.targets) return fail(std::string("--targets-order needs --targets FILE"));
  if (o.iterations && !o.targets && !scenario_file)
    return fail(std::string("--iterations needs a scenario file or --targets FILE (each virtual user's flow runs K times)"));
  if (positional.empty() && !o.targets)
    return fail(std::string("url is required (a URL, a scenario file FILE.yaml|FILE.json, or --targets FILE)"));
  if (request_given && (scenario_file || o.targets))
    return fail(std::string("--method, --body and --body-file: a scenario's steps and a targets file give each request's own"));
  if (o.iterations) {
    auto k = parse_count_in(*o.iterations, 1, max_iterations);
    if (!k) return fail("--iterations: " + k.error());
    c.iterations = *k;
  }
  const auto extra = split_headers(headers);
  if (scenario_file) {
    auto sc = load_scenario_file(positional);
    if (!sc) return fail(sc.error().to_string());
    for (auto& f : sc->flows)
      for (auto& s : f.steps) add_headers(s, extra);
    c.url = first_url(*sc);
    c.scenario = std::make_shared<const scenario>(std::move(*sc));
  } else if (o.targets) {
    auto list = load_targets_file(*o.targets);
    if (!list) return fail("--targets: " + list.error().to_string());
    if (o.targets_order) {
      if (*o.targets_order == "round-robin") list->ord = targets_list::round_robin;
      else if (*o.targets_order == "random") list->ord = targets_list::random;
      else return fail("--targets-order: unknown order \"" + *o.targets_order + "\" (round-robin, random)");
    }
    for (auto& f : list->targets) add_headers(f.steps.front(), extra);
    c.url = list->targets.front().steps.front().target.literal_text();
    c.targets = std::make_shared<const targets_list>(std::move(*list));
  }
  return {};
}

}  // namespace barrage::loadgen
