#pragma once
// What the generator's process has used so far (getrusage): the CPU time of all its threads and
// its peak resident memory. Read by the engines at the start and end of a run.
#include <cstdint>

namespace barrage::loadgen {

/// User plus system CPU seconds of the whole process.
double process_cpu_seconds() noexcept;
/// The peak resident set size, in bytes.
std::uint64_t max_rss_bytes() noexcept;

}  // namespace barrage::loadgen
