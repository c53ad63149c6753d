#pragma once
// A TCP peer that misbehaves on purpose, on the current loop: for each connection it reads
// one request head (or not), then plays a script of writes, pauses and closes. Loopback only.
#include <sys/socket.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "net/tcp.hpp"
#include "runtime/sleep.hpp"
#include "runtime/spawn.hpp"

namespace barrage::test {

struct script_step {
  enum kind_t { send, pause, close, reset, wait_request } kind;
  std::string bytes;  // send
  duration time{};    // pause
};

inline script_step send(std::string b) { return {script_step::send, std::move(b), {}}; }
inline script_step pause(duration d) { return {script_step::pause, {}, d}; }
inline script_step close_now() { return {script_step::close, {}, {}}; }
inline script_step reset_now() { return {script_step::reset, {}, {}}; }
inline script_step wait_request() { return {script_step::wait_request, {}, {}}; }

/// Serves every accepted connection with the same script, which starts by reading a request
/// head. After the script the connection stays open until the peer closes it.
class scripted_peer {
 public:
  explicit scripted_peer(std::vector<script_step> script)
      : listener_(net::tcp_listener::bind(*net::socket_address::parse("127.0.0.1:0"))), script_(std::move(script)) {
    acceptor_ = spawn(accept_loop(), "scripted_peer");
  }
  ~scripted_peer() { acceptor_.cancel(); }
  std::string url(std::string path = "/") const { return "http://" + listener_.local().to_string() + path; }
  net::socket_address address() const { return listener_.local(); }
  int connections() const noexcept { return connections_; }
  /// Connections accepted from the peer address `ip` so far (any thread).
  int connections_from(const std::string& ip) const {
    std::lock_guard lock(from_mutex_);
    auto it = from_.find(ip);
    return it == from_.end() ? 0 : it->second;
  }

 private:
  task<void> accept_loop() {
    for (;;) {
      auto s = co_await listener_.accept();
      if (!s) continue;
      ++connections_;
      {
        std::lock_guard lock(from_mutex_);
        ++from_[s->peer().ip()];
      }
      spawn(play(std::move(*s)), "scripted_connection").detach();
    }
  }
  task<void> play(net::tcp_stream s) {
    for (;;) {
      if (!co_await read_head(s)) co_return;
      for (const auto& step : script_) {
        switch (step.kind) {
          case script_step::send:
            if (co_await s.write_all(step.bytes.data(), step.bytes.size()) < 0) co_return;
            break;
          case script_step::pause: co_await sleep_for(step.time); break;
          case script_step::close: co_return;
          case script_step::reset: {
            linger l{1, 0};
            ::setsockopt(s.native(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
            co_return;
          }
          case script_step::wait_request:
            if (!co_await read_head(s)) co_return;
            break;
        }
      }
    }
  }
  /// Reads until a blank line; false when the peer closed first.
  static task<bool> read_head(net::tcp_stream& s) {
    std::string got;
    char buf[4096];
    while (got.find("\r\n\r\n") == std::string::npos) {
      long n = co_await s.read(buf, sizeof buf);
      if (n <= 0) co_return false;
      got.append(buf, static_cast<std::size_t>(n));
    }
    co_return true;
  }

  net::tcp_listener listener_;
  std::vector<script_step> script_;
  join_handle<void> acceptor_;
  int connections_ = 0;
  mutable std::mutex from_mutex_;
  std::map<std::string, int> from_;
};

}  // namespace barrage::test
