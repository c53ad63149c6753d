#pragma once
// retry: when a request goes again, for http_client and the load generator alike. A policy
// (how many tries, on which statuses and error kinds, how long to back off) and pure
// decisions over outcomes; the callers own the loop, the clock and the sleeping.
//
// Two ways a request goes again, counted apart:
// - a retry, by the policy: the request failed (a listed status or error kind) and the tries
//   are not used up; each waits a jittered, exponentially growing backoff.
// - a re-send, outside the policy: the connection closed (or was reset) before a byte of the
//   response, so the server never processed the request (RFC 9112 §9.3.2). On a reused
//   connection that is the keep-alive race: the server closed it, idle, as we sent. Re-sent
//   at once, on a new connection, once per request; not a try of the policy.
//
//   retry_state s(policy, may_resend(is_idempotent(method), policy));
//   for (;;) {
//     o = co_await try_once(reused);
//     auto step = s.after(o, reused);
//     if (step == retry_step::resend) continue;
//     if (step == retry_step::done) break;
//     co_await sleep_for(backoff_before(policy, s.attempts(), draw()));
//   }
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "client/outcome.hpp"

namespace barrage::client {

/// The defaults of retry_policy: 500, 502, 503, 504; refused, reset, connect_timeout. Out of line:
/// GCC 12 warns (-Wmaybe-uninitialized, wrongly) where an inline initializer list of them is copied.
std::vector<unsigned> default_retry_statuses();
std::vector<error_kind> default_retry_errors();

struct retry_policy {
  unsigned attempts = 1;  // tries, the first included (aiohttp-retry's convention): 1 = no retry
  std::vector<unsigned> statuses = default_retry_statuses();
  std::vector<error_kind> errors = default_retry_errors();
  duration backoff = std::chrono::milliseconds(100);  // before the first retry; doubled per retry
  duration max_backoff = std::chrono::seconds(10);    // the doubling stops here (before jitter)
};

/// Whether the policy retries `o`: a response with a listed status, or a listed error kind.
/// Says nothing about the tries left (retry_state counts them).
bool should_retry(const retry_policy& p, const outcome& o) noexcept;

/// A close (or reset) of the connection: what ends requests the server did not answer.
constexpr bool is_close(error_kind e) noexcept {
  return e == error_kind::closed_before_response || e == error_kind::reset;
}

/// The connection closed before a byte of this response: the server never processed it.
constexpr bool closed_before_first_byte(const outcome& o) noexcept { return o.bytes_in == 0 && is_close(o.error); }

/// The keep-alive race: a reused connection the server had just closed, idle, as we sent.
constexpr bool is_keepalive_race(const outcome& o, bool reused) noexcept {
  return reused && closed_before_first_byte(o);
}

/// RFC 9110 §9.2.2: the methods whose repetition has the effect of one request.
bool is_idempotent(std::string_view method) noexcept;

/// Whether a request the server never processed may be sent again: always for an idempotent
/// method; for another only when the policy allows retries, as who allows a retry (which may
/// repeat a processed request) allows a re-send (which repeats an unprocessed one).
constexpr bool may_resend(bool idempotent, const retry_policy& p) noexcept { return idempotent || p.attempts > 1; }

/// The wait before the retry that follows `attempts` tries (≥ 1): backoff × 2^(attempts − 1),
/// at most max_backoff, times a jitter factor from 0.5 to 1.499 taken from `draw` (any
/// uniformly random number: its value modulo 1000 picks the factor).
duration backoff_before(const retry_policy& p, unsigned attempts, std::uint32_t draw) noexcept;

/// A uniformly random number for backoff_before, from a generator of the calling thread.
std::uint32_t jitter_draw();

enum class retry_step : std::uint8_t {
  done,    // the outcome is final
  resend,  // send again now, on a new connection (not a try of the policy)
  retry,   // wait backoff_before(policy, attempts()) and try again
};

/// One request's tries: feed it every outcome, in order.
class retry_state {
 public:
  retry_state(const retry_policy& p, bool may_resend) noexcept : policy_(p), may_resend_(may_resend) {}

  /// What follows an attempt that ended in `o` on a connection that was `reused`: a re-send
  /// for the keep-alive race (once per request, when the method allows it), a retry while the
  /// policy retries `o` and tries are left, or done.
  retry_step after(const outcome& o, bool reused) noexcept {
    if (!resent_ && may_resend_ && is_keepalive_race(o, reused)) {
      resent_ = true;
      return retry_step::resend;
    }
    ++attempts_;
    if (attempts_ >= policy_.attempts || !should_retry(policy_, o)) return retry_step::done;
    return retry_step::retry;
  }
  /// Tries of the policy ended so far, the first included; a re-send is not one.
  unsigned attempts() const noexcept { return attempts_; }
  /// Whether the request was re-sent after the keep-alive race.
  bool resent() const noexcept { return resent_; }

 private:
  const retry_policy& policy_;
  bool may_resend_;
  bool resent_ = false;
  unsigned attempts_ = 0;
};

}  // namespace barrage::client
