#include "server/ws_metrics.hpp"

#include "base/prometheus_text.hpp"

namespace barrage::server {

void ws_metrics::snapshot::merge(const snapshot& o) noexcept {
  opened += o.opened;
  refused += o.refused;
  active += o.active;
  for (std::size_t i = 0; i < received.size(); ++i) received[i] += o.received[i];
  for (std::size_t i = 0; i < sent.size(); ++i) sent[i] += o.sent[i];
  for (std::size_t i = 0; i < closes.size(); ++i) closes[i] += o.closes[i];
  feed_skipped += o.feed_skipped;
  output_waits += o.output_waits;
}

ws_metrics::snapshot ws_metrics::read() const noexcept {
  snapshot s;
  s.opened = opened_.load(std::memory_order_relaxed);
  s.refused = refused_.load(std::memory_order_relaxed);
  s.active = active_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < s.received.size(); ++i) s.received[i] = received_[i].load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < s.sent.size(); ++i) s.sent[i] = sent_[i].load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < s.closes.size(); ++i) s.closes[i] = closes_[i].load(std::memory_order_relaxed);
  s.feed_skipped = feed_skipped_.load(std::memory_order_relaxed);
  s.output_waits = output_waits_.load(std::memory_order_relaxed);
  return s;
}

void render_ws_metrics(std::string& out, const ws_metrics::snapshot& s) {
  exposition x(out);
  constexpr std::string_view kinds[] = {"kind=\"text\"", "kind=\"binary\""};
  x.family("barrage_ws_connections_total", "counter", "WebSocket upgrades accepted (/ws/echo, /ws/feed).");
  x.sample("barrage_ws_connections_total", {}, s.opened);
  x.family("barrage_ws_connections_active", "gauge", "WebSocket connections open now.");
  x.sample("barrage_ws_connections_active", {}, s.active);
  x.family("barrage_ws_handshakes_refused_total", "counter",
           "WebSocket upgrade requests refused (bad key, version, method, feed parameters).");
  x.sample("barrage_ws_handshakes_refused_total", {}, s.refused);
  x.family("barrage_ws_messages_received_total", "counter", "WebSocket messages received, by kind.");
  for (std::size_t i = 0; i < 2; ++i) x.sample("barrage_ws_messages_received_total", kinds[i], s.received[i]);
  x.family("barrage_ws_messages_sent_total", "counter", "WebSocket messages sent (echoes, feed pushes), by kind.");
  for (std::size_t i = 0; i < 2; ++i) x.sample("barrage_ws_messages_sent_total", kinds[i], s.sent[i]);
  x.family("barrage_ws_closes_total", "counter", "WebSocket connections ended, by reason.");
  for (std::size_t i = 0; i < s.closes.size(); ++i)
    x.sample("barrage_ws_closes_total", "reason=\"" + std::string(ws_close_reason_names[i]) + "\"", s.closes[i]);
  x.family("barrage_ws_feed_skipped_total", "counter",
           "/ws/feed pushes skipped because the client had not read the earlier ones.");
  x.sample("barrage_ws_feed_skipped_total", {}, s.feed_skipped);
  x.family("barrage_ws_output_waits_total", "counter",
           "Times a WebSocket connection stopped reading until the client took its output.");
  x.sample("barrage_ws_output_waits_total", {}, s.output_waits);
}

}  // namespace barrage::server
