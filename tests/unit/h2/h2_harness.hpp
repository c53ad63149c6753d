#pragma once
// Helpers for the h2 tests: events recorded as owned lines, sessions pumped into each other in
// memory, and raw frames built and split by hand (RFC 9113 §4.1) for peers that misbehave.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "h2/client_session.hpp"
#include "h2/server_session.hpp"

namespace barrage::h2::testing {

inline constexpr std::string_view client_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What a session reported, as lines ("head 1 200", "closed 1 NO_ERROR") and body bytes by
/// stream, owned: the session's views die with clear_events().
struct transcript {
  std::vector<std::string> lines;
  std::map<std::int32_t, std::string> bodies;
  std::map<std::int32_t, std::vector<std::pair<std::string, std::string>>> fields;
  std::size_t data_events = 0;
  peer_settings last_settings;

  void record(const event& e) {
    std::visit([this](const auto& v) { on(v); }, e);
  }
  bool has(std::string_view line) const {
    for (const std::string& l : lines)
      if (l == line) return true;
    return false;
  }

 private:
  void keep(std::int32_t s, std::span<const field> fs) {
    for (const field& f : fs) fields[s].emplace_back(std::string(f.name), std::string(f.value));
  }
  void on(const response_head& h) {
    lines.push_back("head " + std::to_string(h.stream) + " " + std::to_string(h.status) + (h.end_stream ? " end" : ""));
    keep(h.stream, h.fields);
  }
  void on(const request_head& h) {
    lines.push_back("request " + std::to_string(h.stream) + " " + std::string(h.method) + " " + std::string(h.scheme) +
                    "://" + std::string(h.authority) + std::string(h.path) + (h.end_stream ? " end" : ""));
    keep(h.stream, h.fields);
  }
  void on(const trailers& t) {
    lines.push_back("trailers " + std::to_string(t.stream));
    keep(t.stream, t.fields);
  }
  void on(const data_chunk& d) {
    ++data_events;
    bodies[d.stream] += d.bytes;
    if (d.bytes.size() != d.length) bodies[d.stream] += std::string(d.length - d.bytes.size(), '?');
  }
  void on(const stream_end& e) { lines.push_back("end " + std::to_string(e.stream)); }
  void on(const stream_reset& r) {
    lines.push_back("reset " + std::to_string(r.stream) + " " + std::string(name(r.code)));
  }
  void on(const stream_closed& c) {
    lines.push_back("closed " + std::to_string(c.stream) + " " + std::string(name(c.code)));
  }
  void on(const goaway& g) {
    lines.push_back("goaway " + std::to_string(g.last_stream_id) + " " + std::string(name(g.code)) +
                    (g.debug.empty() ? "" : " " + std::string(g.debug)));
  }
  void on(const goaway_sent& g) {
    lines.push_back("goaway_sent " + std::to_string(g.last_stream_id) + " " + std::string(name(g.code)));
  }
  void on(const settings_received& s) {
    lines.push_back("settings");
    last_settings = s.settings;
  }
};

/// Records and clears the session's events.
template <class Session>
void drain(Session& s, transcript& t) {
  for (const event& e : s.events()) t.record(e);
  s.clear_events();
}

/// Everything the session has to send, joined.
template <class Session>
std::string output_of(Session& s) {
  std::string all;
  for (;;) {
    auto out = s.take_output();
    EXPECT_TRUE(out.ok());
    if (!out.ok() || out->empty()) return all;
    all += *out;
  }
}

/// Called for each event the server session reports, before it is recorded.
using server_handler = std::function<void(server_session&, const event&)>;

/// Feeds all of `bytes` as a transport would: after each feed (which pauses when the events
/// reach their byte budget), `on_event` sees the events, they are recorded and cleared.
/// Returns the number of feed calls, or 0 when one failed.
template <class Session, class OnEvent>
std::size_t feed_all(Session& s, std::string_view bytes, transcript& t, OnEvent&& on_event) {
  std::size_t calls = 0;
  do {
    auto fed = s.feed(bytes);
    EXPECT_TRUE(fed.ok());
    if (!fed.ok()) return 0;
    ++calls;
    bytes.remove_prefix(*fed);
    for (const event& e : s.events()) {
      on_event(s, e);
      t.record(e);
    }
    s.clear_events();
  } while (!bytes.empty());
  return calls;
}

/// The default server: answers each complete request with 200 and `body` (static storage).
inline server_handler answer_with(std::string_view body) {
  return [body](server_session& s, const event& e) {
    if (const auto* end = std::get_if<stream_end>(&e)) {
      static constexpr field f[] = {{"content-type", "text/plain"}};
      ASSERT_TRUE(s.respond(end->stream, {.status = 200, .fields = f, .body = body}).ok());
    }
  };
}

/// Moves bytes between the two sessions until neither writes; at most `rounds` round trips.
inline void pump(client_session& c, server_session& s, transcript& tc, transcript& ts,
                 const server_handler& handler, int rounds = 10000) {
  for (int i = 0; i < rounds; ++i) {
    const std::string to_server = output_of(c);
    if (!to_server.empty()) {
      ASSERT_GT(feed_all(s, to_server, ts, [&](server_session& srv, const event& e) {
        if (handler) handler(srv, e);
      }), 0u);
    }
    drain(c, tc);  // events of sending (a reset's stream_closed)
    const std::string to_client = output_of(s);
    if (!to_client.empty()) {
      ASSERT_GT(feed_all(c, to_client, tc, [](client_session&, const event&) {}), 0u);
    }
    drain(s, ts);
    if (to_server.empty() && to_client.empty()) return;
  }
  FAIL() << "the sessions did not settle";
}

/// One frame: 9-byte header and payload (RFC 9113 §4.1).
inline std::string frame(std::uint8_t type, std::uint8_t flags, std::int32_t stream, std::string_view payload) {
  std::string f;
  const std::size_t n = payload.size();
  f += static_cast<char>(n >> 16);
  f += static_cast<char>(n >> 8);
  f += static_cast<char>(n);
  f += static_cast<char>(type);
  f += static_cast<char>(flags);
  for (int shift = 24; shift >= 0; shift -= 8) f += static_cast<char>(static_cast<std::uint32_t>(stream) >> shift);
  f += payload;
  return f;
}

inline std::string u32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

inline constexpr std::uint8_t data_type = 0x0, headers_type = 0x1, rst_type = 0x3, settings_type = 0x4, goaway_type = 0x7;

struct frame_info {
  std::uint8_t type = 0, flags = 0;
  std::int32_t stream = 0;
  std::string payload;
};

/// The frames in `bytes` (after the client preface, when it starts with it).
inline std::vector<frame_info> frames_in(std::string_view bytes) {
  if (bytes.starts_with(client_preface)) bytes.remove_prefix(client_preface.size());
  std::vector<frame_info> out;
  while (bytes.size() >= 9) {
    const auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])); };
    const std::size_t n = (b(0) << 16) | (b(1) << 8) | b(2);
    if (bytes.size() < 9 + n) break;
    out.push_back({static_cast<std::uint8_t>(b(3)), static_cast<std::uint8_t>(b(4)),
                   static_cast<std::int32_t>(((b(5) & 0x7f) << 24) | (b(6) << 16) | (b(7) << 8) | b(8)),
                   std::string(bytes.substr(9, n))});
    bytes.remove_prefix(9 + n);
  }
  return out;
}

}  // namespace barrage::h2::testing
