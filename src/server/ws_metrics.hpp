#pragma once
// WebSocket figures for GET /metrics (/ws/echo, /ws/feed), per loop like http_metrics:
//   barrage_ws_connections_total, barrage_ws_connections_active,
//   barrage_ws_handshakes_refused_total, barrage_ws_messages_received_total{kind},
//   barrage_ws_messages_sent_total{kind}, barrage_ws_closes_total{reason},
//   barrage_ws_feed_skipped_total, barrage_ws_output_waits_total.
// Accounting: connections_total = active + the closes over all reasons.
#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace barrage::server {

/// Why a WebSocket connection ended.
enum class ws_close_reason : std::uint8_t {
  peer_closed,      // the client's close frame (the server echoed it)
  server_closed,    // the client answered the server's close (drain)
  protocol_error,   // 1002 sent
  invalid_utf8,     // 1007 sent
  message_too_big,  // 1009 sent
  ping_timeout,     // no frame within --ws-ping-timeout of a ping: 1001 sent
  write_timeout,    // the client read nothing for the write timeout: closed without a frame
  vanished,         // the TCP connection ended or failed without a close frame
  close_timeout,    // the server's close was not answered in time
};
inline constexpr std::array<std::string_view, 9> ws_close_reason_names{
    "peer_closed", "server_closed", "protocol_error", "invalid_utf8", "message_too_big",
    "ping_timeout", "write_timeout", "vanished",      "close_timeout"};

class ws_metrics {
 public:
  struct snapshot {
    std::uint64_t opened = 0, refused = 0;
    std::int64_t active = 0;
    std::array<std::uint64_t, 2> received{}, sent{};  // text, binary
    std::array<std::uint64_t, ws_close_reason_names.size()> closes{};
    std::uint64_t feed_skipped = 0, output_waits = 0;
    void merge(const snapshot& o) noexcept;
  };

  void opened() noexcept {
    bump(opened_);
    active_.store(active_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  void closed(ws_close_reason r) noexcept {
    bump(closes_[static_cast<std::size_t>(r)]);
    active_.store(active_.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  }
  void refused() noexcept { bump(refused_); }
  void received(bool binary) noexcept { bump(received_[binary ? 1 : 0]); }
  void sent(bool binary) noexcept { bump(sent_[binary ? 1 : 0]); }
  /// /ws/feed: a push skipped because the client had not read the previous ones.
  void feed_skipped(std::uint64_t n) noexcept { bump(feed_skipped_, n); }
  /// The client did not take the output at once: the connection waited for it, reading nothing.
  void output_wait() noexcept { bump(output_waits_); }
  snapshot read() const noexcept;

 private:
  static void bump(std::atomic<std::uint64_t>& c, std::uint64_t by = 1) noexcept {
    c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }
  std::atomic<std::uint64_t> opened_{0}, refused_{0}, feed_skipped_{0}, output_waits_{0};
  std::atomic<std::int64_t> active_{0};
  std::array<std::atomic<std::uint64_t>, 2> received_{}, sent_{};
  std::array<std::atomic<std::uint64_t>, ws_close_reason_names.size()> closes_{};
};

/// Appends the families above to a /metrics page.
void render_ws_metrics(std::string& out, const ws_metrics::snapshot& s);

}  // namespace barrage::server
