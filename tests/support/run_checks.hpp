#pragma once
// Checks the generator's tests share: the accounting line of a run's JSON report, and the
// count of one error kind.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>

#include "client/outcome.hpp"
#include "loadgen/report_json.hpp"
#include "loadgen/run_result.hpp"

namespace barrage::test {

/// started = succeeded + failed + timed out + in flight at the end, as the JSON report says.
inline void expect_accounted(const loadgen::run_result& r) {
  auto q = loadgen::to_json(r)["requests"];
  EXPECT_EQ(q["started"].get<std::uint64_t>(), q["succeeded"].get<std::uint64_t>() + q["failed"].get<std::uint64_t>() +
                                                   q["timed_out"].get<std::uint64_t>() +
                                                   q["in_flight_at_end"].get<std::uint64_t>());
}

inline std::uint64_t errors_of(const loadgen::run_result& r, client::error_kind k) {
  return r.stats.count.errors[static_cast<std::size_t>(k)];
}

}  // namespace barrage::test
