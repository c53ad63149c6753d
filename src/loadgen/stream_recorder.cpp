#include "loadgen/stream_recorder.hpp"

#include <algorithm>
#include <cmath>

#include "http/message.hpp"

namespace barrage::loadgen {

namespace {

std::uint64_t ns_of(duration d) noexcept { return static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_ns(d))); }

}  // namespace

bool is_event_stream(std::string_view v) noexcept {
  v = v.substr(0, v.find(';'));
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return http::iequals(v, "text/event-stream");
}

void stream_histograms::merge(const stream_histograms& o) {
  ttfb.merge(o.ttfb);
  gap.merge(o.gap);
  length_bytes.merge(o.length_bytes);
  events.merge(o.events);
  events_per_second_milli.merge(o.events_per_second_milli);
}

void stream_stats::merge(const stream_stats& o) {
  responses += o.responses;
  event_streams += o.event_streams;
  stalled += o.stalled;
  cut += o.cut;
  event_stream_errors += o.event_stream_errors;
  if (o.histograms) figures().merge(*o.histograms);
}

void stream_stats::reset() {
  responses = event_streams = stalled = cut = event_stream_errors = 0;
  if (histograms) *histograms = stream_histograms{};
}

void stream_recorder::on_head(const http::response_head& head, time_point start, time_point) noexcept {
  const http::header* type = http::find_header(head.headers, "Content-Type");
  sse_ = type && is_event_stream(type->value) && head.body.kind != http::body_kind::none;
  active_ = start >= counted_from_ && (sse_ || head.body.kind == http::body_kind::chunked);
  if (!active_) return;
  if (sse_) parser_.reset();
  sse_failed_ = have_byte_ = false;
  start_ = start;
  bytes_ = events_ = 0;
  max_gap_ = duration::zero();
}

void stream_recorder::event_at(time_point at) noexcept {
  if (events_ == 0) {
    first_event_ = at;
  } else {
    const duration gap = at - last_event_;
    stats_.figures().gap.record(ns_of(gap));
    max_gap_ = std::max(max_gap_, gap);
  }
  last_event_ = at;
  ++events_;
}

void stream_recorder::on_body(std::string_view bytes, time_point at) noexcept {
  if (!active_) return;
  if (!have_byte_) {
    have_byte_ = true;
    stats_.figures().ttfb.record(ns_of(at - start_));
  }
  bytes_ += bytes.size();
  if (!sse_) {
    if (events_ == 0 || at != last_event_) event_at(at);  // one arrival per read
    return;
  }
  while (!bytes.empty() && !sse_failed_) {
    const http::sse_step s = parser_.feed(bytes);
    bytes.remove_prefix(s.consumed);
    if (s.dispatched) event_at(at);
    if (s.error != http::sse_error::none) sse_failed_ = true;
  }
}

void stream_recorder::on_end(client::error_kind error, time_point) noexcept {
  if (!active_) return;
  active_ = false;
  stream_stats& st = stats_;
  stream_histograms& f = st.figures();
  ++st.responses;
  if (sse_) ++st.event_streams;
  if (sse_failed_) ++st.event_stream_errors;
  if (error != client::error_kind::none) ++st.cut;
  if (max_gap_ > stall_) ++st.stalled;
  f.length_bytes.record(bytes_);
  f.events.record(events_);
  if (events_ >= 2 && last_event_ > first_event_) {
    const double seconds = to_seconds(last_event_ - first_event_);
    f.events_per_second_milli.record(static_cast<std::uint64_t>(std::llround(static_cast<double>(events_ - 1) * 1e3 / seconds)));
  }
  if (sse_) (void)parser_.finish();
}

}  // namespace barrage::loadgen
