#pragma once
// stream_recorder: the client::body_watch of one connection under --stream. It times each
// streamed response's body as it arrives and records it in the worker's stream_stats when the
// response ends (stream_stats.hpp says what is measured). No allocation per chunk or event:
// the SSE parser's buffers are kept from response to response.
#include <cstdint>

#include "base/clock.hpp"
#include "client/body_watch.hpp"
#include "http/sse_parser.hpp"
#include "loadgen/stream_stats.hpp"

namespace barrage::loadgen {

/// Whether a Content-Type value names text/event-stream (parameters and case aside).
bool is_event_stream(std::string_view content_type) noexcept;

class stream_recorder final : public client::body_watch {
 public:
  /// Requests started before `counted_from` (the warm-up) are not recorded; a stream whose
  /// largest gap is above `stall` is counted stalled.
  stream_recorder(stream_stats& stats, time_point counted_from, duration stall) noexcept
      : stats_(stats), counted_from_(counted_from), stall_(stall) {}

  void on_head(const http::response_head& head, time_point start, time_point at) noexcept override;
  void on_body(std::string_view bytes, time_point at) noexcept override;
  void on_end(client::error_kind error, time_point at) noexcept override;

 private:
  void event_at(time_point at) noexcept;

  stream_stats& stats_;
  time_point counted_from_;
  duration stall_;
  http::sse_parser parser_;
  // The response being read.
  bool active_ = false;  // counted and streaming
  bool sse_ = false;
  bool sse_failed_ = false;
  time_point start_{}, first_event_{}, last_event_{};
  bool have_byte_ = false;
  std::uint64_t bytes_ = 0, events_ = 0;
  duration max_gap_{};
};

}  // namespace barrage::loadgen
