#include "client/retry.hpp"

#include <algorithm>
#include <random>

namespace barrage::client {

std::vector<unsigned> default_retry_statuses() { return {500, 502, 503, 504}; }
std::vector<error_kind> default_retry_errors() {
  return {error_kind::refused, error_kind::reset, error_kind::connect_timeout};
}

bool should_retry(const retry_policy& p, const outcome& o) noexcept {
  if (o.ok()) return std::find(p.statuses.begin(), p.statuses.end(), o.status) != p.statuses.end();
  return std::find(p.errors.begin(), p.errors.end(), o.error) != p.errors.end();
}

bool is_idempotent(std::string_view m) noexcept {
  return m == "GET" || m == "HEAD" || m == "PUT" || m == "DELETE" || m == "OPTIONS" || m == "TRACE";
}

duration backoff_before(const retry_policy& p, unsigned attempts, std::uint32_t draw) noexcept {
  // Doubled one step at a time, so that no backoff, however long, overflows on the way to the cap.
  duration wait = std::min(std::max(p.backoff, duration::zero()), p.max_backoff);
  for (unsigned i = 1; i < attempts && i <= 16 && wait < p.max_backoff; ++i)
    wait = wait > p.max_backoff / 2 ? p.max_backoff : wait * 2;
  return std::chrono::duration_cast<duration>(wait * (0.5 + (draw % 1000) / 1000.0));
}

std::uint32_t jitter_draw() {
  static thread_local std::minstd_rand jitter(std::random_device{}());
  return static_cast<std::uint32_t>(jitter());
}

}  // namespace barrage::client
