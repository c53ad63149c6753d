#include "ws/frame_codec.hpp"

#include <wslay/wslay.h>

#include <algorithm>
#include <new>

#include "ws/utf8.hpp"

namespace barrage::ws {

std::string_view to_string(queue_error e) noexcept {
  switch (e) {
    case queue_error::closing: return "the connection is closing";
    case queue_error::control_too_large: return "a control frame's payload is limited to 125 bytes";
    case queue_error::invalid_utf8: return "text must be valid UTF-8";
  }
  return "unknown queue error";
}

namespace {

// Follows frame boundaries in the input, for two things wslay gets wrong. Its frame layer
// reports some header violations only as a callback failure with an empty close frame (a
// fragmented or over-125-byte control frame, a length not in its shortest form or with its top
// bit set), which must close with 1002 (RFC 6455 §5.2, §5.5). And its UTF-8 check of a close
// frame's reason skips two bytes of every piece it reads, so its verdict depends on how the
// input was split: the codec reads close frames itself (they are at most 131 bytes).
class frame_watch {
 public:
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  enum class stop : std::uint8_t { none, bad_header, close_frame };
  struct finding {
    std::size_t at = npos;  // where the frame starts within the bytes (0: in an earlier call)
    stop what = stop::none;
  };

  /// Scans the next bytes of the stream up to the first bad header or close frame.
  finding scan(std::string_view bytes) {
    std::size_t i = 0;
    while (i < bytes.size()) {
      if (payload_left_ > 0) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(payload_left_, bytes.size() - i));
        payload_left_ -= n;
        i += n;
        continue;
      }
      const std::size_t start = i >= have_ ? i - have_ : 0;
      hdr_[have_++] = static_cast<std::uint8_t>(bytes[i++]);
      if (have_ == 1 && (hdr_[0] & 0x0f) == 0x8) return {start, stop::close_frame};
      if (have_ < 2) continue;
      const std::uint8_t opcode = hdr_[0] & 0x0f, len7 = hdr_[1] & 0x7f;
      if ((opcode & 0x08) != 0 && ((hdr_[0] & 0x80) == 0 || len7 > 125)) return {start, stop::bad_header};
      const std::size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
      const std::size_t need = 2 + ext + ((hdr_[1] & 0x80) != 0 ? 4 : 0);
      if (have_ == 2 + ext) {
        std::uint64_t len = len7 < 126 ? len7 : 0;
        for (std::size_t k = 0; k < ext; ++k) len = (len << 8) | hdr_[2 + k];
        if ((ext == 2 && len < 126) || (ext == 8 && (len < 65536 || (len >> 63) != 0)))
          return {start, stop::bad_header};
        payload_left_ = len;
      }
      if (have_ < need) continue;
      have_ = 0;
    }
    return {};
  }

 private:
  std::uint8_t hdr_[14]{};
  std::size_t have_ = 0;
  std::uint64_t payload_left_ = 0;
};

bool valid_close_code(std::uint16_t code) noexcept {
  return (code >= 1000 && code <= 1011 && code != 1004 && code != 1005 && code != 1006) ||
         (code >= 3000 && code <= 4999);
}

}  // namespace

struct frame_codec::impl {
  wslay_event_context_ptr ctx = nullptr;
  role side;
  random_source random;
  std::string_view input;     // what feed() has not handed to wslay yet
  std::string output;         // frames not yet consumed: output[out_begin..]
  std::size_t out_begin = 0;
  std::vector<event> events;
  frame_watch watch;
  bool in_close = false;    // reading the peer's close frame (the codec's own job)
  std::string close_frame;  // its bytes so far
  bool close_header_checked = false;
  bool errored = false;           // a protocol_error event was emitted
  bool peer_closed = false;       // a peer_close event was emitted

  impl(role r, codec_limits limits, random_source rng) : side(r), random(std::move(rng)) {
    wslay_event_callbacks cb{};
    cb.recv_callback = &impl::on_recv;
    cb.send_callback = &impl::on_send;
    cb.genmask_callback = &impl::on_genmask;
    cb.on_msg_recv_callback = &impl::on_msg;
    const int rc = r == role::server ? wslay_event_context_server_init(&ctx, &cb, this)
                                     : wslay_event_context_client_init(&ctx, &cb, this);
    if (rc != 0) throw std::bad_alloc();
    wslay_event_config_set_max_recv_msg_length(ctx, limits.max_message_bytes);
  }
  ~impl() { wslay_event_context_free(ctx); }
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;

  static impl& self(void* user) { return *static_cast<impl*>(user); }

  static ssize_t on_recv(wslay_event_context_ptr ctx, std::uint8_t* buf, std::size_t len, int, void* user) {
    impl& s = self(user);
    if (s.input.empty()) {
      wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
      return -1;
    }
    const std::size_t n = std::min(len, s.input.size());
    std::copy_n(s.input.data(), n, buf);
    s.input.remove_prefix(n);
    return static_cast<ssize_t>(n);
  }

  static ssize_t on_send(wslay_event_context_ptr, const std::uint8_t* data, std::size_t len, int, void* user) {
    self(user).output.append(reinterpret_cast<const char*>(data), len);
    return static_cast<ssize_t>(len);
  }

  static int on_genmask(wslay_event_context_ptr, std::uint8_t* buf, std::size_t len, void* user) {
    impl& s = self(user);
    if (s.random) {
      s.random({buf, len});
    } else {
      std::fill_n(buf, len, 0);  // no source: an all-zero mask is still a valid frame
    }
    return 0;
  }

  static void on_msg(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg* arg, void* user) {
    impl& s = self(user);
    if (s.errored) return;
    const std::string_view data(reinterpret_cast<const char*>(arg->msg), arg->msg_length);
    switch (arg->opcode) {
      case WSLAY_TEXT_FRAME:
        if (!valid_utf8(data)) {
          s.fail(close_code::invalid_payload);
          return;
        }
        s.events.emplace_back(message{message_kind::text, std::string(data)});
        break;
      case WSLAY_BINARY_FRAME: s.events.emplace_back(message{message_kind::binary, std::string(data)}); break;
      case WSLAY_PING: s.events.emplace_back(ping{std::string(data)}); break;
      case WSLAY_PONG: s.events.emplace_back(pong{std::string(data)}); break;
      default: break;
    }
  }

  // We close with `code` and stop reading; the event says so.
  void fail(std::uint16_t code) {
    errored = true;
    (void)wslay_event_queue_close(ctx, code, nullptr, 0);
    wslay_event_shutdown_read(ctx);
    events.emplace_back(protocol_error{code});
  }

  // Takes bytes of the peer's close frame; returns how many. Once it is whole: the close
  // event and our echo, or a protocol error.
  std::size_t read_close(std::string_view bytes) {
    std::size_t taken = 0;
    for (;;) {
      std::size_t need = 2;
      if (close_frame.size() >= 2) {
        const auto b1 = static_cast<std::uint8_t>(close_frame[1]);
        need = 2 + ((b1 & 0x80) != 0 ? 4 : 0) + (b1 & 0x7f);
      }
      const std::size_t n = std::min(bytes.size() - taken, need - std::min(need, close_frame.size()));
      close_frame.append(bytes.substr(taken, n));
      taken += n;
      if (close_frame.size() < 2) return taken;
      if (!close_header_checked) {  // the header's fixed part: check it, then read on
        const auto b0 = static_cast<std::uint8_t>(close_frame[0]), b1 = static_cast<std::uint8_t>(close_frame[1]);
        if (b0 != 0x88 || (b1 & 0x7f) > 125 || ((b1 & 0x80) != 0) != (side == role::server)) {
          fail(close_code::protocol_error);
          return taken;
        }
        close_header_checked = true;
        continue;
      }
      if (close_frame.size() == need) on_close_frame();
      return taken;
    }
  }

  void on_close_frame() {
    const auto b1 = static_cast<std::uint8_t>(close_frame[1]);
    std::string payload = close_frame.substr((b1 & 0x80) != 0 ? 6 : 2);
    if ((b1 & 0x80) != 0)
      for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(payload[i] ^ close_frame[2 + i % 4]);
    in_close = false;
    if (payload.size() == 1) return fail(close_code::protocol_error);
    std::uint16_t code = 0;
    std::string_view reason;
    if (payload.size() >= 2) {
      code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) | static_cast<std::uint8_t>(payload[1]));
      reason = std::string_view(payload).substr(2);
      if (!valid_close_code(code)) return fail(close_code::protocol_error);
      if (!valid_utf8(reason)) return fail(close_code::invalid_payload);
    }
    peer_closed = true;
    // Our reply echoes the code (RFC 6455 §5.5.1); none when the peer's close had none.
    (void)wslay_event_queue_close(ctx, code, reinterpret_cast<const std::uint8_t*>(reason.data()), reason.size());
    wslay_event_shutdown_read(ctx);
    events.emplace_back(peer_close{code == 0 ? close_code::no_status : code, std::string(reason)});
  }

  // Hands bytes to wslay; reports the protocol errors it found on its own (1002, 1009, 1007).
  void feed_wslay(std::string_view bytes) {
    input = bytes;
    const bool closing_before = wslay_event_get_close_sent(ctx) != 0;
    const int rc = wslay_event_recv(ctx);
    input = {};
    if (rc == WSLAY_ERR_NOMEM) throw std::bad_alloc();
    if (wslay_event_get_read_enabled(ctx) || errored || peer_closed) return;
    // wslay refused a frame and queued the close itself: its code is known once sent.
    flush();
    errored = true;
    const std::uint16_t sent = wslay_event_get_status_code_sent(ctx);
    const bool ours = !closing_before && sent != WSLAY_CODE_ABNORMAL_CLOSURE && sent != WSLAY_CODE_NO_STATUS_RCVD;
    events.emplace_back(protocol_error{ours ? sent : close_code::protocol_error});
  }

  void flush() {
    // The send callback takes everything, so this only fails when writing was shut down.
    (void)wslay_event_send(ctx);
  }

  result<void, queue_error> queue(std::uint8_t opcode, std::string_view data) {
    const wslay_event_msg msg{opcode, reinterpret_cast<const std::uint8_t*>(data.data()), data.size()};
    const int rc = wslay_event_queue_msg(ctx, &msg);
    if (rc == WSLAY_ERR_NO_MORE_MSG) return barrage::fail(queue_error::closing);
    if (rc == WSLAY_ERR_INVALID_ARGUMENT) return barrage::fail(queue_error::control_too_large);
    if (rc != 0) throw std::bad_alloc();
    flush();
    return {};
  }
};

frame_codec::frame_codec(role r, codec_limits limits, random_source random)
    : impl_(std::make_unique<impl>(r, limits, std::move(random))) {}
frame_codec::~frame_codec() = default;
frame_codec::frame_codec(frame_codec&&) noexcept = default;
frame_codec& frame_codec::operator=(frame_codec&&) noexcept = default;

std::span<const event> frame_codec::feed(std::string_view bytes) {
  impl& s = *impl_;
  s.events.clear();
  while (!bytes.empty() && wslay_event_get_read_enabled(s.ctx)) {
    if (s.in_close) {
      bytes.remove_prefix(s.read_close(bytes));
      continue;
    }
    const auto found = s.watch.scan(bytes);
    s.feed_wslay(bytes.substr(0, found.at));
    if (found.what == frame_watch::stop::none || !wslay_event_get_read_enabled(s.ctx)) break;
    if (found.what == frame_watch::stop::bad_header) {
      s.fail(close_code::protocol_error);
      break;
    }
    s.in_close = true;
    s.close_header_checked = false;
    s.close_frame.clear();
    bytes.remove_prefix(found.at);
  }
  s.flush();
  return s.events;
}

result<void, queue_error> frame_codec::queue_message(message_kind kind, std::string_view data) {
  if (kind == message_kind::text && !valid_utf8(data)) return fail(queue_error::invalid_utf8);
  return impl_->queue(kind == message_kind::text ? WSLAY_TEXT_FRAME : WSLAY_BINARY_FRAME, data);
}

result<void, queue_error> frame_codec::queue_ping(std::string_view data) {
  if (data.size() > 125) return fail(queue_error::control_too_large);
  return impl_->queue(WSLAY_PING, data);
}

result<void, queue_error> frame_codec::queue_close(std::uint16_t code, std::string_view reason) {
  if (reason.size() > 123) return fail(queue_error::control_too_large);
  if (!valid_utf8(reason)) return fail(queue_error::invalid_utf8);
  const int rc = wslay_event_queue_close(impl_->ctx, code, reinterpret_cast<const std::uint8_t*>(reason.data()),
                                         reason.size());
  if (rc == WSLAY_ERR_NO_MORE_MSG) return fail(queue_error::closing);
  if (rc != 0) throw std::bad_alloc();
  impl_->flush();
  return {};
}

std::string_view frame_codec::pending_output() const noexcept {
  return std::string_view(impl_->output).substr(impl_->out_begin);
}

void frame_codec::consume_output(std::size_t n) noexcept {
  impl& s = *impl_;
  s.out_begin = std::min(s.out_begin + n, s.output.size());
  if (s.out_begin == s.output.size()) {
    s.output.clear();
    s.out_begin = 0;
  } else if (s.out_begin > 64 * 1024 && s.out_begin * 2 > s.output.size()) {
    s.output.erase(0, s.out_begin);
    s.out_begin = 0;
  }
}

bool frame_codec::wants_read() const noexcept { return wslay_event_get_read_enabled(impl_->ctx) != 0; }
bool frame_codec::close_sent() const noexcept { return wslay_event_get_close_sent(impl_->ctx) != 0; }
bool frame_codec::close_received() const noexcept { return impl_->peer_closed; }
bool frame_codec::finished() const noexcept {
  return close_sent() && !wants_read() && pending_output().empty();
}
role frame_codec::side() const noexcept { return impl_->side; }

}  // namespace barrage::ws
