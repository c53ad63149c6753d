#include "h2/server_session.hpp"

#include "h2/session_core.hpp"

namespace barrage::h2 {

server_session::server_session(const session_options& options)
    : core_(std::make_unique<detail::session_core>(detail::role::server, options)) {}
server_session::~server_session() = default;
server_session::server_session(server_session&&) noexcept = default;
server_session& server_session::operator=(server_session&&) noexcept = default;

result<std::size_t, session_error> server_session::feed(std::string_view bytes) noexcept { return core_->feed(bytes); }
result<std::string_view, session_error> server_session::take_output() noexcept { return core_->take_output(); }
std::span<const event> server_session::events() const noexcept { return core_->events(); }
void server_session::clear_events() noexcept { core_->clear_events(); }

result<void, session_error> server_session::respond(std::int32_t stream, const response& r) noexcept {
  return core_->submit_response(stream, {.status = r.status}, r.fields, r.body, r.streaming);
}
result<void, session_error> server_session::stream_body(std::int32_t stream, std::string_view piece, bool last) noexcept {
  return core_->stream_body(stream, piece, last);
}
std::size_t server_session::unsent(std::int32_t stream) const noexcept { return core_->unsent(stream); }
std::uint64_t server_session::data_bytes_sent() const noexcept { return core_->data_bytes_sent(); }
std::uint64_t server_session::oversized_heads() const noexcept { return core_->oversized_heads(); }
result<void, session_error> server_session::drain() noexcept { return core_->drain(); }

bool server_session::wants_read() const noexcept { return core_->wants_read(); }
bool server_session::wants_write() const noexcept { return core_->wants_write(); }
peer_settings server_session::peer() const noexcept { return core_->peer(); }
std::size_t server_session::open_streams() const noexcept { return core_->open_streams(); }

result<void, session_error> server_session::reset_stream(std::int32_t stream, error_code code) noexcept {
  return core_->reset_stream(stream, code);
}
result<void, session_error> server_session::shutdown(error_code code) noexcept { return core_->shutdown(code); }

}  // namespace barrage::h2
