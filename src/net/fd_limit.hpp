#pragma once
// The file-descriptor budget: raise RLIMIT_NOFILE to its hard limit at start, and refuse
// up front a run whose connections cannot fit, with the fix in the message.
#include <cstddef>
#include <optional>
#include <string>

namespace barrage::net {

struct fd_limits {
  std::size_t soft = 0;
  std::size_t hard = 0;
};

/// Raises the soft limit to the hard one; returns the limits now in force.
fd_limits raise_fd_limit() noexcept;
fd_limits current_fd_limits() noexcept;
/// Descriptors open in this process now (counted in /proc/self/fd).
std::size_t open_fd_count() noexcept;
/// An error line when `needed` more descriptors (plus a reserve) cannot fit, else nullopt.
std::optional<std::string> check_fd_budget(std::size_t needed, std::size_t reserve = 32);

}  // namespace barrage::net
