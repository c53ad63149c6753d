#include "loadgen/h2_flight.hpp"

#include <algorithm>

#include "client/connection.hpp"

namespace barrage::loadgen {

client::error_kind h2_lost_with(const h2_stream& s, long read, bool session_failed) noexcept {
  if (session_failed) return client::error_kind::h2_protocol_error;
  if (read == 0) return s.o.status ? client::error_kind::truncated_body : client::error_kind::closed_before_response;
  return client::from_errno(read);
}

h2_flight::h2_flight(h2_stats& stats, unsigned depth) : stats_(stats) {
  streams_.reserve(depth);
  ended_.reserve(depth);
  ended_at_.reserve(depth);
}

void h2_flight::add(std::int32_t id, const h2_job& job) { streams_.push_back({id, job, false, {}}); }

time_point h2_flight::earliest(duration timeout) const noexcept {
  time_point t = time_point::max();
  for (const auto& s : streams_) t = std::min(t, s.job.attempt_start + timeout);
  return t;
}

time_point h2_flight::batch_now() {
  if (batch_at_ == time_point{}) batch_at_ = mono_clock::now();
  return batch_at_;
}

void h2_flight::on_event(const h2::event& e) {
  if (const auto* h = std::get_if<h2::response_head>(&e)) {
    if (auto* s = find(h->stream); s && !h->interim()) {
      s->o.status = static_cast<std::uint16_t>(h->status);
      s->o.times.first_byte = std::max<std::int64_t>(1, to_ns(batch_now() - s->job.attempt_start));
    }
  } else if (const auto* d = std::get_if<h2::data_chunk>(&e)) {
    if (auto* s = find(d->stream)) {
      s->o.body_bytes += d->length;
      s->o.bytes_in += d->length;
    }
  } else if (const auto* r = std::get_if<h2::stream_reset>(&e)) {
    if (auto* s = find(r->stream)) s->reset_by_peer = true;
  } else if (const auto* c = std::get_if<h2::stream_closed>(&e)) {
    closed(*c);
  } else if (std::holds_alternative<h2::goaway>(e)) {
    goaway_ = true;
    ++stats_.goaways;
  } else if (const auto* st = std::get_if<h2::settings_received>(&e)) {
    const std::uint32_t m = st->settings.max_concurrent_streams;
    if (!stats_.peer_max_streams || m < stats_.peer_max_streams) stats_.peer_max_streams = m;
  }
}

void h2_flight::expire(time_point now, duration timeout, h2::client_session& session) {
  for (std::size_t i = 0; i < streams_.size();) {
    if (streams_[i].job.attempt_start + timeout > now) {
      ++i;
      continue;
    }
    streams_[i].o.error = client::error_kind::timeout;
    (void)session.reset_stream(streams_[i].id, h2::error_code::cancel);
    end(i, now);
  }
}

void h2_flight::fail_all(time_point now, client::error_kind kind) {
  while (!streams_.empty()) {
    streams_.back().o.error = kind;
    end(streams_.size() - 1, now);
  }
}

void h2_flight::fail_all_lost(time_point now, long read, bool session_failed) {
  while (!streams_.empty()) {
    streams_.back().o.error = h2_lost_with(streams_.back(), read, session_failed);
    end(streams_.size() - 1, now);
  }
}

h2_stream* h2_flight::find(std::int32_t id) noexcept {
  for (auto& s : streams_)
    if (s.id == id) return &s;
  return nullptr;
}

void h2_flight::closed(const h2::stream_closed& c) {
  auto it = std::find_if(streams_.begin(), streams_.end(), [&](const h2_stream& s) { return s.id == c.stream; });
  if (it == streams_.end()) return;  // one cancelled at its timeout: already ended
  if (c.code == h2::error_code::no_error && it->o.status) it->o.error = client::error_kind::none;
  else if (c.code == h2::error_code::refused_stream)
    it->o.error = it->reset_by_peer ? client::error_kind::h2_refused_stream : client::error_kind::h2_goaway;
  else if (c.code == h2::error_code::no_error) it->o.error = client::error_kind::closed_before_response;
  else it->o.error = client::error_kind::h2_stream_reset;
  end(static_cast<std::size_t>(it - streams_.begin()), batch_now());
}

void h2_flight::end(std::size_t i, time_point now) {
  h2_stream& s = streams_[i];
  s.o.times.complete = to_ns(now - s.job.attempt_start);
  if (!s.o.ok()) s.o.times.first_byte = 0;
  ended_.push_back(s);
  ended_at_.push_back(now);
  if (i + 1 != streams_.size()) streams_[i] = streams_.back();  // order does not matter
  streams_.pop_back();
}

}  // namespace barrage::loadgen
