// Cost of the latency histogram on the hot path (record) and at report time (merge, percentile,
// serialize). Target: record() ≤ 5 ns.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "loadgen/histogram.hpp"

namespace {

using barrage::histogram;

// Log-normal latencies around 1 ms with a long tail, like a real run.
std::vector<std::uint64_t> latencies(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<> d(std::log(1e6), 1.0);
  std::vector<std::uint64_t> out(n);
  for (auto& v : out) v = static_cast<std::uint64_t>(d(rng));
  return out;
}

histogram filled(std::size_t n, std::uint64_t seed) {
  histogram h;
  for (auto v : latencies(n, seed)) h.record(v);
  return h;
}

void record(benchmark::State& state) {
  auto values = latencies(1 << 16, 1);  // a power of two: the index wraps with a mask
  histogram h;
  std::size_t i = 0;
  for (auto _ : state) h.record(values[i++ & (values.size() - 1)]);
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(record);

void record_same_value(benchmark::State& state) {
  histogram h;
  std::uint64_t v = 1'234'567;
  for (auto _ : state) {
    benchmark::DoNotOptimize(v);
    h.record(v);
  }
  benchmark::DoNotOptimize(h.count());
}
BENCHMARK(record_same_value);

void merge(benchmark::State& state) {
  auto into = filled(1'000'000, 2);
  auto other = filled(1'000'000, 3);
  for (auto _ : state) {
    into.merge(other);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(merge);

void value_at_percentile(benchmark::State& state) {
  auto h = filled(1'000'000, 4);
  for (auto _ : state) benchmark::DoNotOptimize(h.value_at_percentile(99.9));
}
BENCHMARK(value_at_percentile);

void serialize(benchmark::State& state) {
  auto h = filled(1'000'000, 5);
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto text = h.serialize();
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["text_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(serialize);

void deserialize(benchmark::State& state) {
  auto text = filled(1'000'000, 6).serialize();
  for (auto _ : state) {
    auto h = histogram::deserialize(text);
    benchmark::DoNotOptimize(h.ok());
  }
}
BENCHMARK(deserialize);

}  // namespace

BENCHMARK_MAIN();
