#include "h2/session_core.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace barrage::h2::detail {

namespace {

/// take_output() stops adding frames past this many bytes; the caller calls again.
constexpr std::size_t output_batch = 256 * 1024;

session_core& core_of(void* user_data) { return *static_cast<session_core*>(user_data); }

std::string_view view(const std::uint8_t* p, std::size_t n) { return {reinterpret_cast<const char*>(p), n}; }

nghttp2_nv nv(std::string_view name, std::string_view value, std::uint8_t flags = NGHTTP2_NV_FLAG_NONE) {
  // NO_COPY flags only for a pinned request: otherwise nghttp2 copies the header block when
  // it is submitted, so the caller's fields need not outlive the submit call.
  return nghttp2_nv{reinterpret_cast<std::uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<std::uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
                    flags};
}

/// Fields HTTP/2 forbids (RFC 9113 §8.2.2): they belong to HTTP/1.1's connection.
bool connection_specific(const field& f) {
  static constexpr std::array<std::string_view, 5> names{"connection", "keep-alive", "proxy-connection",
                                                          "transfer-encoding", "upgrade"};
  if (std::find(names.begin(), names.end(), f.name) != names.end()) return true;
  return f.name == "te" && f.value != "trailers";
}

}  // namespace

// nghttp2's callbacks, each a translation into an event or a stream state change. They return
// 0, or NGHTTP2_ERR_CALLBACK_FAILURE for an exception (bad_alloc), which makes the call that
// ran them (feed, take_output) fail with a fatal error. The header and data callbacks return
// NGHTTP2_ERR_PAUSE once the events hold max_event_bytes: feed() then returns early, with
// what it has taken, and nghttp2 resumes after the caller has cleared the events.
struct callbacks {
  static int begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* ud) noexcept {
    try {
      session_core& c = core_of(ud);
      c.incoming_.fields.clear();
      c.incoming_.method = c.incoming_.scheme = c.incoming_.authority = c.incoming_.path = {};
      c.incoming_.status = 0;
      c.incoming_.bytes = 0;
      c.incoming_.rejected = false;
      c.incoming_.bytes_held.reset();
      if (c.role_ == role::server && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
        c.streams_.push_back({.id = frame->hd.stream_id});
      return 0;
    } catch (...) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  static int header(nghttp2_session* session, const nghttp2_frame* frame, const std::uint8_t* name, std::size_t namelen,
                    const std::uint8_t* value, std::size_t valuelen, std::uint8_t, void* ud) noexcept {
    try {
      session_core& c = core_of(ud);
      auto& in = c.incoming_;
      if (in.rejected) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
      in.bytes += namelen + valuelen + 32;
      if (in.bytes > c.options_.max_header_list_bytes || in.fields.size() >= c.options_.max_header_fields) {
        in.rejected = true;  // nghttp2 resets the stream (INTERNAL_ERROR) and skips the block
        ++c.oversized_heads_;
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
      }
      const std::string_view n = view(name, namelen), v = view(value, valuelen);
      if (!n.empty() && n[0] == ':') {
        // nghttp2 has checked which pseudo-headers may appear, once each, before the fields.
        if (n == ":status") {
          // nghttp2 checks for three digits; HTTP knows 100..599 only (RFC 9110 §15).
          std::from_chars(v.data(), v.data() + v.size(), in.status);
          if (in.status < 100 || in.status > 599) {
            in.rejected = true;  // malformed (RFC 9113 §8.1.1): reset with PROTOCOL_ERROR
            nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, frame->hd.stream_id, NGHTTP2_PROTOCOL_ERROR);
            return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
          }
        } else if (n == ":method") {
          in.method = in.bytes_held.copy(v);
        } else if (n == ":scheme") {
          in.scheme = in.bytes_held.copy(v);
        } else if (n == ":authority") {
          in.authority = in.bytes_held.copy(v);
        } else if (n == ":path") {
          in.path = in.bytes_held.copy(v);
        }
      } else if (c.options_.keep_fields) {
        in.fields.push_back(field{in.bytes_held.copy(n), in.bytes_held.copy(v)});
      }
      return c.over_budget() ? NGHTTP2_ERR_PAUSE : 0;
    } catch (...) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  static int frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* ud) noexcept {
    try {
      session_core& c = core_of(ud);
      const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
      const bool ack = (frame->hd.flags & NGHTTP2_FLAG_ACK) != 0;
      const bool costly = frame->hd.type == NGHTTP2_RST_STREAM ||
                          ((frame->hd.type == NGHTTP2_PING || frame->hd.type == NGHTTP2_SETTINGS) && !ack);
      if (costly && !c.spend_flood_token()) return 0;  // terminated: GOAWAY ENHANCE_YOUR_CALM
      switch (frame->hd.type) {
        case NGHTTP2_HEADERS:
          if (c.incoming_.rejected) return 0;
          c.emit_head(*frame);
          if (end_stream) c.events_.push_back(stream_end{frame->hd.stream_id});
          break;
        case NGHTTP2_DATA:
          if (end_stream) c.events_.push_back(stream_end{frame->hd.stream_id});
          break;
        case NGHTTP2_RST_STREAM:
          // Only for a stream still open: a reset of one already closed changes nothing.
          if (c.find(frame->hd.stream_id) != nullptr)
            c.events_.push_back(stream_reset{frame->hd.stream_id, error_code{frame->rst_stream.error_code}});
          break;
        case NGHTTP2_GOAWAY:
          c.events_.push_back(goaway{frame->goaway.last_stream_id, error_code{frame->goaway.error_code},
                                     c.arena_.copy(view(frame->goaway.opaque_data, frame->goaway.opaque_data_len))});
          break;
        case NGHTTP2_SETTINGS:
          if ((frame->hd.flags & NGHTTP2_FLAG_ACK) == 0) c.events_.push_back(settings_received{c.peer()});
          break;
        default:
          break;
      }
      return 0;
    } catch (...) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  static int data_chunk_recv(nghttp2_session*, std::uint8_t, std::int32_t stream, const std::uint8_t* data,
                             std::size_t len, void* ud) noexcept {
    try {
      session_core& c = core_of(ud);
      const std::string_view bytes = c.options_.keep_data_bytes ? c.arena_.copy(view(data, len)) : std::string_view{};
      c.events_.push_back(data_chunk{stream, len, bytes});
      return c.over_budget() ? NGHTTP2_ERR_PAUSE : 0;
    } catch (...) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  static int stream_close(nghttp2_session*, std::int32_t stream, std::uint32_t code, void* ud) noexcept {
    try {
      core_of(ud).close(stream, code);
      return 0;
    } catch (...) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  static int frame_send(nghttp2_session*, const nghttp2_frame* frame, void* ud) noexcept {
    try {
      if (frame->hd.type == NGHTTP2_GOAWAY)
        core_of(ud).events_.push_back(goaway_sent{frame->goaway.last_stream_id, error_code{frame->goaway.error_code}});
      return 0;
    } catch (...) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  // A request that could not be sent (the peer's GOAWAY came first, or stream ids ran out):
  // nghttp2 never opened its stream, so it reports no close; the stream ends here, refused.
  static int frame_not_send(nghttp2_session*, const nghttp2_frame* frame, int, void* ud) noexcept {
    try {
      if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
        core_of(ud).close(frame->hd.stream_id, NGHTTP2_REFUSED_STREAM);
      return 0;
    } catch (...) {
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
  }

  // A stream's body, copied out as nghttp2's windows allow (it asks for at most `length`).
  static ssize_t read_body(nghttp2_session*, std::int32_t stream, std::uint8_t* buf, std::size_t length,
                           std::uint32_t* flags, nghttp2_data_source*, void* ud) noexcept {
    session_core& c = core_of(ud);
    session_core::stream_state* st = c.find(stream);
    if (st == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // cannot happen: resets the stream
    const std::size_t n = std::min(length, st->body.size() - st->sent);
    if (n == 0 && st->more) {  // a streaming body whose next piece has not come yet
      st->deferred = true;
      return NGHTTP2_ERR_DEFERRED;
    }
    if (n != 0) std::memcpy(buf, st->body.data() + st->sent, n);  // an empty body's data() may be null
    st->sent += n;
    c.data_sent_ += n;
    if (st->sent == st->body.size() && !st->more) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
};



session_core::session_core(role r, const session_options& options) : role_(r), options_(options) {
  if (const std::string_view why = check(options); !why.empty()) throw std::invalid_argument(std::string(why));
  nghttp2_session_callbacks* cb = nullptr;
  if (nghttp2_session_callbacks_new(&cb) != 0) throw std::bad_alloc();
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, &callbacks::begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, &callbacks::header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, &callbacks::frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, &callbacks::data_chunk_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, &callbacks::stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, &callbacks::frame_send);
  nghttp2_session_callbacks_set_on_frame_not_send_callback(cb, &callbacks::frame_not_send);
  nghttp2_option* opt = nullptr;
  if (nghttp2_option_new(&opt) != 0) {
    nghttp2_session_callbacks_del(cb);
    throw std::bad_alloc();
  }
  nghttp2_option_set_peer_max_concurrent_streams(opt, options.peer_streams_before_settings);
  const int rv = r == role::client ? nghttp2_session_client_new3(&s_, cb, this, opt, memory_.mem())
                                   : nghttp2_session_server_new3(&s_, cb, this, opt, memory_.mem());
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
  if (rv != 0) throw std::bad_alloc();

  incoming_.fields.reserve(options.max_header_fields);
  std::array<nghttp2_settings_entry, 3> iv{{
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, options.stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, options.max_header_list_bytes},
      r == role::client ? nghttp2_settings_entry{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}
                        : nghttp2_settings_entry{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, options.max_concurrent_streams},
  }};
  if (nghttp2_submit_settings(s_, NGHTTP2_FLAG_NONE, iv.data(), iv.size()) != 0 ||
      (options.connection_window != default_window &&
       nghttp2_session_set_local_window_size(s_, NGHTTP2_FLAG_NONE, 0, static_cast<std::int32_t>(options.connection_window)) != 0)) {
    nghttp2_session_del(s_);
    throw std::bad_alloc();
  }
}

session_core::~session_core() { nghttp2_session_del(s_); }

result<std::size_t, session_error> session_core::feed(std::string_view bytes) noexcept {
  const ssize_t n = nghttp2_session_mem_recv(s_, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  if (n < 0) return fail(session_error{static_cast<int>(n)});
  return static_cast<std::size_t>(n);
}

result<std::string_view, session_error> session_core::take_output() noexcept {
  try {
    out_.clear();
    while (out_.size() < output_batch) {
      const std::uint8_t* p = nullptr;
      const ssize_t n = nghttp2_session_mem_send(s_, &p);
      if (n < 0) return fail(session_error{static_cast<int>(n)});
      if (n == 0) break;
      out_.append(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
    }
    return std::string_view(out_);
  } catch (...) {
    return fail(session_error{NGHTTP2_ERR_NOMEM});
  }
}

void session_core::clear_events() noexcept {
  events_.clear();
  arena_.reset();
}

peer_settings session_core::peer() const noexcept {
  const auto get = [&](nghttp2_settings_id id) { return nghttp2_session_get_remote_settings(s_, id); };
  return peer_settings{get(NGHTTP2_SETTINGS_HEADER_TABLE_SIZE),      get(NGHTTP2_SETTINGS_ENABLE_PUSH),
                       get(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS), get(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE),
                       get(NGHTTP2_SETTINGS_MAX_FRAME_SIZE),         get(NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE)};
}

std::uint32_t session_core::peer_max_streams() const noexcept {
  return nghttp2_session_get_remote_settings(s_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
}

std::vector<std::int32_t> session_core::open_stream_ids() const {
  std::vector<std::int32_t> ids;
  ids.reserve(streams_.size());
  for (const stream_state& st : streams_) ids.push_back(st.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

session_core::stream_state* session_core::find(std::int32_t id) noexcept {
  for (stream_state& st : streams_)
    if (st.id == id) return &st;
  return nullptr;
}

void session_core::close(std::int32_t id, std::uint32_t code) {
  stream_state* st = find(id);
  if (st == nullptr) return;  // not ours (or reported already)
  *st = streams_.back();
  streams_.pop_back();
  events_.push_back(stream_closed{id, error_code{code}});
}

void session_core::emit_head(const nghttp2_frame& frame) {
  const std::size_t n = incoming_.fields.size();
  // No fields kept (a generator's responses): nothing to store.
  auto* stored = n == 0 ? nullptr : static_cast<field*>(arena_.allocate(n * sizeof(field), alignof(field)));
  for (std::size_t i = 0; i < n; ++i)
    stored[i] = field{arena_.copy(incoming_.fields[i].name), arena_.copy(incoming_.fields[i].value)};
  const std::span<const field> fields(stored, n);
  const std::int32_t id = frame.hd.stream_id;
  const bool end = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  if (role_ == role::client && incoming_.status != 0) {
    events_.push_back(response_head{id, incoming_.status, fields, end});
  } else if (role_ == role::server && frame.headers.cat == NGHTTP2_HCAT_REQUEST) {
    events_.push_back(request_head{id, arena_.copy(incoming_.method), arena_.copy(incoming_.scheme),
                                   arena_.copy(incoming_.authority), arena_.copy(incoming_.path), fields, end});
  } else {
    events_.push_back(trailers{id, fields});
  }
}

result<void, session_error> session_core::build_nva(const outgoing_head& head, std::span<const field> fields) noexcept {
  const auto bad = fail(session_error{NGHTTP2_ERR_INVALID_ARGUMENT});
  try {
    nva_.clear();
    const bool pinned = role_ == role::client && head.pinned;
    const std::uint8_t flags = pinned ? NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE : NGHTTP2_NV_FLAG_NONE;
    if (role_ == role::client) {
      const auto u8 = [](std::string_view s) { return reinterpret_cast<const std::uint8_t*>(s.data()); };
      if (!pinned && (!nghttp2_check_method(u8(head.method), head.method.size()) ||
                      !nghttp2_check_path(u8(head.path), head.path.size()) || head.path.empty() ||
                      !nghttp2_check_authority(u8(head.authority), head.authority.size()) ||
                      (head.scheme != "http" && head.scheme != "https")))
        return bad;
      nva_.push_back(nv(":method", head.method, flags));
      nva_.push_back(nv(":scheme", head.scheme, flags));
      if (!head.authority.empty()) nva_.push_back(nv(":authority", head.authority, flags));
      nva_.push_back(nv(":path", head.path, flags));
    } else {
      if (head.status < 200 || head.status > 599) return bad;
      status_text_ = std::to_string(head.status);
      nva_.push_back(nv(":status", status_text_));
    }
    for (const field& f : fields) {
      const auto* n = reinterpret_cast<const std::uint8_t*>(f.name.data());
      const auto* v = reinterpret_cast<const std::uint8_t*>(f.value.data());
      if (!pinned && (f.name.empty() || !nghttp2_check_header_name(n, f.name.size()) ||
                      !nghttp2_check_header_value(v, f.value.size()) || connection_specific(f)))
        return bad;
      nva_.push_back(nv(f.name, f.value, flags));
    }
    return {};
  } catch (...) {
    return fail(session_error{NGHTTP2_ERR_NOMEM});
  }
}

result<std::int32_t, session_error> session_core::submit_request(const outgoing_head& head,
                                                                 std::span<const field> fields,
                                                                 std::string_view body) noexcept {
  if (nghttp2_session_check_request_allowed(s_) == 0) return fail(session_error{NGHTTP2_ERR_START_STREAM_NOT_ALLOWED});
  if (auto built = build_nva(head, fields); !built) return fail(built.error());
  try {
    streams_.reserve(streams_.size() + 1);  // the push_back below cannot throw
  } catch (...) {
    return fail(session_error{NGHTTP2_ERR_NOMEM});
  }
  nghttp2_data_provider provider{};
  provider.read_callback = &callbacks::read_body;
  const std::int32_t id =
      nghttp2_submit_request(s_, nullptr, nva_.data(), nva_.size(), body.empty() ? nullptr : &provider, nullptr);
  if (id < 0) return fail(session_error{id});
  streams_.push_back({.id = id, .body = body});
  return id;
}

result<void, session_error> session_core::submit_response(std::int32_t stream, const outgoing_head& head,
                                                          std::span<const field> fields, std::string_view body,
                                                          bool streaming) noexcept {
  stream_state* st = find(stream);
  if (st == nullptr) return fail(session_error{NGHTTP2_ERR_INVALID_ARGUMENT});
  if (st->responded) return fail(session_error{NGHTTP2_ERR_INVALID_STATE});
  if (auto built = build_nva(head, fields); !built) return fail(built.error());
  nghttp2_data_provider provider{};
  provider.read_callback = &callbacks::read_body;
  st->body = body;
  st->sent = 0;
  st->streaming = st->more = streaming;
  const bool data = streaming || !body.empty();
  const int rv = nghttp2_submit_response(s_, stream, nva_.data(), nva_.size(), data ? &provider : nullptr);
  if (rv != 0) return fail(session_error{rv});
  st->responded = true;
  return {};
}

result<void, session_error> session_core::stream_body(std::int32_t stream, std::string_view piece, bool last) noexcept {
  stream_state* st = find(stream);
  if (st == nullptr) return fail(session_error{NGHTTP2_ERR_INVALID_ARGUMENT});
  if (!st->streaming || !st->more || st->sent != st->body.size()) return fail(session_error{NGHTTP2_ERR_INVALID_STATE});
  st->body = piece;
  st->sent = 0;
  st->more = !last;
  if (st->deferred) {
    st->deferred = false;
    const int rv = nghttp2_session_resume_data(s_, stream);
    if (rv != 0) return fail(session_error{rv});
  }
  return {};
}

std::size_t session_core::unsent(std::int32_t stream) const noexcept {
  for (const stream_state& st : streams_)
    if (st.id == stream) return st.body.size() - st.sent;
  return 0;
}

result<void, session_error> session_core::drain() noexcept {
  const int rv = nghttp2_submit_goaway(s_, NGHTTP2_FLAG_NONE, nghttp2_session_get_last_proc_stream_id(s_),
                                       NGHTTP2_NO_ERROR, nullptr, 0);
  if (rv != 0) return fail(session_error{rv});
  return {};
}

bool session_core::spend_flood_token() {
  if (role_ != role::server || options_.flood_burst == 0) return true;
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  if (flood_refilled_ns_ == 0) flood_tokens_ = options_.flood_burst;
  else flood_tokens_ += static_cast<double>(now - flood_refilled_ns_) * 1e-9 * options_.flood_per_second;
  flood_tokens_ = std::min(flood_tokens_, static_cast<double>(options_.flood_burst));
  flood_refilled_ns_ = now;
  if (flood_tokens_ >= 1) {
    flood_tokens_ -= 1;
    return true;
  }
  nghttp2_session_terminate_session(s_, NGHTTP2_ENHANCE_YOUR_CALM);
  return false;
}

result<void, session_error> session_core::reset_stream(std::int32_t stream, error_code code) noexcept {
  const int rv = nghttp2_submit_rst_stream(s_, NGHTTP2_FLAG_NONE, stream, static_cast<std::uint32_t>(code));
  if (rv != 0) return fail(session_error{rv});
  return {};
}

result<void, session_error> session_core::shutdown(error_code code) noexcept {
  const int rv = nghttp2_session_terminate_session(s_, static_cast<std::uint32_t>(code));
  if (rv != 0) return fail(session_error{rv});
  return {};
}

}  // namespace barrage::h2::detail

namespace barrage::h2 {

std::string_view check(const session_options& o) noexcept {
  if (o.stream_window > max_window) return "the stream window is above 2^31-1 bytes";
  if (o.connection_window < default_window) return "the connection window is below 65535 bytes";
  if (o.connection_window > max_window) return "the connection window is above 2^31-1 bytes";
  if (o.max_header_fields == 0) return "the header field limit is 0";
  if (o.max_header_list_bytes == 0) return "the header list limit is 0";
  if (o.peer_streams_before_settings == 0) return "no stream may open before the peer's SETTINGS";
  if (o.max_event_bytes == 0) return "the events' byte budget is 0";
  return {};
}

}  // namespace barrage::h2
