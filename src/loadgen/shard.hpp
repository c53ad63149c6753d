#pragma once
// Shards: one run split over N processes (Kubernetes Indexed Job pods, or local processes),
// each running part I of N, whose reports `barrage merge` adds back up exactly.
//
// How each setting splits (the shares of all shards add up to the whole, exactly):
//   -c, -n, --source addresses, closed-model --ramp targets (connection counts): integer
//     shares, total/N each and one more for the lowest (total mod N) indices. Source addresses
//     are split into contiguous runs in index order, so their concatenation is the whole list.
//   -r and open-model --ramp targets (rates): rate/N each, a double (the open model's schedule
//     is exact in nanoseconds at any fractional rate); the N shares add to the rate within a
//     rounding of the last bit.
//   Everything else (URL, headers, body, timeouts, -d, --warmup, -t ...) is the same in every
//     shard; threads are the shard's own.
//   A scenario's data rows (when scenarios exist) follow the integer rule: contiguous runs of
//     rows, so that a row marked unique is used by one shard only.
// Fewer connections (or -n requests, or --source addresses) than shards is a usage error in
// every shard alike, not only in those whose share would be 0: no part of a run starts alone.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "loadgen/config.hpp"

namespace barrage::loadgen {

/// At most this many shards (a Kubernetes Indexed Job allows 100k completions; beyond a few
/// hundred, a run is better split differently).
inline constexpr unsigned max_shards = 10'000;

/// --shard I/N: 0 ≤ I < N ≤ max_shards.
result<shard_spec, std::string> parse_shard(std::string_view text);
/// --shards N: 1 to max_shards.
result<unsigned, std::string> parse_shard_count(std::string_view text);
/// --shards N with the index from JOB_COMPLETION_INDEX (`index_env`: its value, nullopt when
/// it is not set). The error says what is missing or out of range.
result<shard_spec, std::string> shard_from_environment(unsigned count, const std::optional<std::string>& index_env);

/// Shard `s`'s part of `total`: total / count, plus one for the lowest (total % count) indices.
std::uint64_t integer_share(std::uint64_t total, shard_spec s) noexcept;
/// Where shard `s`'s part starts when the shares are laid end to end in index order.
std::uint64_t share_offset(std::uint64_t total, shard_spec s) noexcept;

/// `c` with shard `s`'s share of the load (the rules above), and c.shard set; an error when a
/// share would be empty.
result<run_config, std::string> shard_config(const run_config& c, shard_spec s);

}  // namespace barrage::loadgen
