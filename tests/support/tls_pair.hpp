#pragma once
// A client tls_session and a server tls_session that pump ciphertext to each other in memory,
// `chunk` bytes at a time at most (1: every split point of the stream).
#include <openssl/err.h>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>

#include "net/tls_session.hpp"

namespace barrage::test {

/// Moves up to `chunk` bytes of `from`'s pending output into `to`; whether any moved.
inline bool transfer(net::tls_session& from, net::tls_session& to,
                     std::size_t chunk = std::numeric_limits<std::size_t>::max()) {
  auto out = from.pending_output();
  const std::size_t n = std::min(chunk, out.size());
  if (n == 0) return false;
  to.feed(out.first(n));
  from.consume_output(n);
  return true;
}

struct tls_pair {
  net::tls_session client;
  net::tls_session server;
  net::tls_state client_state = net::tls_state::want_write;
  net::tls_state server_state = net::tls_state::want_read;

  static tls_pair make(const net::tls_context& c, const net::tls_context& s, std::string_view host = "localhost",
                       std::uint16_t port = 443) {
    auto cs = net::tls_session::client(c, host, port);
    if (!cs) throw std::runtime_error("client session: " + cs.error().message);
    auto ss = net::tls_session::server(s);
    if (!ss) throw std::runtime_error("server session: " + ss.error().message);
    return tls_pair{std::move(*cs), std::move(*ss)};
  }

  static bool finished(net::tls_state s) { return s == net::tls_state::done || s == net::tls_state::failed; }

  /// Steps both handshakes and moves bytes until neither side can make progress.
  void handshake(std::size_t chunk = std::numeric_limits<std::size_t>::max()) {
    for (int i = 0; i < 1'000'000; ++i) {
      const auto before = std::pair(client_state, server_state);
      if (!finished(client_state)) client_state = client.handshake();
      if (!finished(server_state)) server_state = server.handshake();
      const bool moved = transfer(client, server, chunk) | transfer(server, client, chunk);
      if (!moved && before == std::pair(client_state, server_state) &&
          (finished(client_state) || client_state == net::tls_state::want_read) &&
          (finished(server_state) || server_state == net::tls_state::want_read))
        return;
    }
    throw std::runtime_error("handshake did not settle");
  }

  bool ok() const { return client_state == net::tls_state::done && server_state == net::tls_state::done; }

  /// Everything `to` can read now, after moving all of `from`'s output over.
  static std::string deliver(net::tls_session& from, net::tls_session& to, long* last = nullptr,
                             std::size_t chunk = std::numeric_limits<std::size_t>::max()) {
    std::string got;
    char buf[16384];
    for (;;) {
      transfer(from, to, chunk);
      const long n = to.read(buf);
      if (n > 0) {
        got.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == net::tls_session::want_read && !from.pending_output().empty()) continue;
      if (last != nullptr) *last = n;
      return got;
    }
  }
};

}  // namespace barrage::test
