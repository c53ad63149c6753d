#pragma once
// The requests one HTTP/2 connection of the generator has in flight, one per stream, and
// what the session's events do to them (worker_h2.cpp, worker_h2_open.cpp). Every stream ends
// exactly once, with one outcome:
//   a response completed (END_STREAM)                          its status
//   RST_STREAM REFUSED_STREAM from the server                  h2_refused_stream
//   above a GOAWAY's last stream id (not processed)            h2_goaway
//   RST_STREAM with another code, or a malformed response      h2_stream_reset
//   open when the connection closed or failed                  fail_all's kind
//   past --timeout (the stream is then cancelled)              timeout
// Ended streams wait in ended() until the caller takes them (to record, or to retry).
#include <cstdint>
#include <vector>

#include "base/clock.hpp"
#include "client/outcome.hpp"
#include "h2/client_session.hpp"
#include "h2/event.hpp"
#include "loadgen/stats.hpp"

namespace barrage::loadgen {

/// One request of the generator over HTTP/2, across its tries.
struct h2_job {
  time_point intended;       // open model: its place in the schedule; closed: its first send
  time_point actual;         // its first send
  time_point attempt_start;  // this try's send (--timeout runs from it)
  time_point not_before{};   // a retry: not sent before its backoff ends
  bool counted = false;
  std::uint8_t tries = 0;    // tries ended so far
};

struct h2_stream {
  std::int32_t id = 0;
  h2_job job;
  bool reset_by_peer = false;
  client::outcome o;
};

/// Requests the server did not process: another try cannot repeat their effect.
constexpr bool h2_unprocessed(client::error_kind e) noexcept {
  return e == client::error_kind::h2_refused_stream || e == client::error_kind::h2_goaway;
}

/// The error of a stream left open when its connection ended with `read` (0 or -errno)
/// or a failed session.
client::error_kind h2_lost_with(const h2_stream& s, long read, bool session_failed) noexcept;

class h2_flight {
 public:
  explicit h2_flight(h2_stats& stats, unsigned depth = 1);

  std::size_t size() const noexcept { return streams_.size(); }
  bool empty() const noexcept { return streams_.empty(); }
  /// No new stream may start here: a GOAWAY came, or a submit failed.
  bool goaway() const noexcept { return goaway_; }
  void refuse_new() noexcept { goaway_ = true; }
  void add(std::int32_t id, const h2_job& job);
  /// The earliest --timeout deadline of the streams in flight (time_point::max() when none).
  time_point earliest(duration timeout) const noexcept;
  /// Before a read: its events read the clock once, at the first that needs it.
  void new_batch() noexcept { batch_at_ = time_point{}; }

  void on_event(const h2::event& e);
  /// Each stream past its deadline times out and is cancelled (RST_STREAM CANCEL).
  void expire(time_point now, duration timeout, h2::client_session& session);
  /// The connection ended: every stream still open ends with `kind`.
  void fail_all(time_point now, client::error_kind kind);
  /// ... with the kind h2_lost_with() gives for a read that returned `read`.
  void fail_all_lost(time_point now, long read, bool session_failed);

  /// Streams that ended since the last clear_ended(), their outcome's complete time set.
  std::vector<h2_stream>& ended() noexcept { return ended_; }
  /// When each of ended() ended (same order).
  const std::vector<time_point>& ended_at() const noexcept { return ended_at_; }
  void clear_ended() noexcept {
    ended_.clear();
    ended_at_.clear();
  }

 private:
  h2_stream* find(std::int32_t id) noexcept;
  time_point batch_now();
  void closed(const h2::stream_closed& c);
  void end(std::size_t i, time_point now);

  std::vector<h2_stream> streams_;
  std::vector<h2_stream> ended_;
  std::vector<time_point> ended_at_;
  h2_stats& stats_;
  time_point batch_at_{};
  bool goaway_ = false;
};

}  // namespace barrage::loadgen
