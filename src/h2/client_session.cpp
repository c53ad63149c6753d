#include "h2/client_session.hpp"

#include <algorithm>

#include "h2/session_core.hpp"

namespace barrage::h2 {

client_session::client_session(const session_options& options)
    : core_(std::make_unique<detail::session_core>(detail::role::client, options)) {}
client_session::~client_session() = default;
client_session::client_session(client_session&&) noexcept = default;
client_session& client_session::operator=(client_session&&) noexcept = default;

result<std::int32_t, session_error> client_session::submit(const request& r) noexcept {
  return core_->submit_request({.method = r.method, .scheme = r.scheme, .authority = r.authority, .path = r.path, .pinned = r.pinned},
                               r.fields, r.body);
}

result<std::size_t, session_error> client_session::feed(std::string_view bytes) noexcept { return core_->feed(bytes); }
result<std::string_view, session_error> client_session::take_output() noexcept { return core_->take_output(); }
std::span<const event> client_session::events() const noexcept { return core_->events(); }
void client_session::clear_events() noexcept { core_->clear_events(); }
bool client_session::wants_read() const noexcept { return core_->wants_read(); }
bool client_session::wants_write() const noexcept { return core_->wants_write(); }
peer_settings client_session::peer() const noexcept { return core_->peer(); }
std::size_t client_session::open_streams() const noexcept { return core_->open_streams(); }
std::vector<std::int32_t> client_session::open_stream_ids() const { return core_->open_stream_ids(); }

std::size_t client_session::free_slots() const noexcept {
  const std::size_t limit = core_->peer_max_streams();
  const std::size_t open = core_->open_streams();
  return open >= limit ? 0 : limit - open;
}

result<void, session_error> client_session::reset_stream(std::int32_t stream, error_code code) noexcept {
  return core_->reset_stream(stream, code);
}
void client_session::keep(bool fields, bool data_bytes) noexcept { core_->set_keep(fields, data_bytes); }
result<void, session_error> client_session::shutdown(error_code code) noexcept { return core_->shutdown(code); }

}  // namespace barrage::h2
