#pragma once
// JSON reports for the HTML report's tests: a run's (loadgen's sample run through to_json)
// and a synthesized long one, and what to read back out of a rendered page.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "../loadgen/sample_run.hpp"
#include "loadgen/report_json.hpp"
#include "loadgen/timeline.hpp"

namespace barrage::report::testing {

inline nlohmann::json sample_report(bool open_model) {
  auto r = loadgen::testing::sample_run(open_model);
  loadgen::threshold_result t[] = {{"p99<250ms", true, "1.00ms"}, {"error_rate<1%", false, "1.00%"}};
  return loadgen::to_json(r, t);
}

/// `seconds` timeline points as a real run writes them: each second ~`per_second` successful
/// latencies around 5 ms (a log-normal spread up to seconds), kept to 7 significant bits.
inline nlohmann::json synthesized_timeline(std::size_t seconds, unsigned per_second) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> ms(std::log(5.0), 0.8);
  histogram second, coarse;
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t s = 0; s < seconds; ++s) {
    second.reset();
    for (unsigned i = 0; i < per_second; ++i) second.record(static_cast<std::uint64_t>(ms(rng) * 1e6));
    loadgen::coarsen(second, coarse);
    out.push_back({{"second", s},
                   {"requests", per_second + 2},
                   {"errors", 2},
                   {"p50_ms", second.value_at_percentile(50) / 1e6},
                   {"p90_ms", second.value_at_percentile(90) / 1e6},
                   {"p99_ms", second.value_at_percentile(99) / 1e6},
                   {"max_ms", static_cast<double>(second.max()) / 1e6},
                   {"histogram", coarse.serialize()}});
  }
  return out;
}

/// The charts' JSON document of a rendered page.
inline nlohmann::json page_charts(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"barrage-charts\">";
  auto start = page.find(open);
  if (start == std::string::npos) return nullptr;
  start += open.size();
  auto end = page.find("</script>", start);
  return nlohmann::json::parse(page.substr(start, end - start), nullptr, false);
}

/// The chart whose title starts with `title`, or null.
inline nlohmann::json chart_titled(const std::string& page, std::string_view title) {
  for (const auto& c : page_charts(page))
    if (c["title"].get<std::string>().starts_with(title)) return c;
  return nullptr;
}

}  // namespace barrage::report::testing
