#pragma once
// Runs a server (a scripted peer, or barrage's own) on an event loop of its own thread, for
// tests that drive the load generator, which starts threads of its own.
#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "runtime/async_event.hpp"
#include "runtime/spawn.hpp"
#include "scripted_peer.hpp"

namespace barrage::test {

class peer_thread {
 public:
  explicit peer_thread(std::vector<script_step> script) {
    std::promise<net::socket_address> where;
    auto got = where.get_future();
    thread_ = std::thread([this, script = std::move(script), &where]() mutable {
      event_loop loop;
      loop_ = &loop;
      scripted_peer peer(std::move(script));
      peer_ = &peer;
      where.set_value(peer.address());
      loop.run([](async_event& stop) -> task<void> { co_await stop.wait(); }(stop_));
    });
    address_ = got.get();
  }
  ~peer_thread() {
    loop_.load()->call_soon_threadsafe([this] { stop_.set(); });
    thread_.join();
  }
  std::string url(const std::string& path = "/") const { return "http://" + address_.to_string() + path; }
  net::socket_address address() const { return address_; }
  /// Connections the peer accepted from `ip` so far.
  int connections_from(const std::string& ip) const { return peer_.load()->connections_from(ip); }

 private:
  std::thread thread_;
  std::atomic<event_loop*> loop_{nullptr};
  std::atomic<scripted_peer*> peer_{nullptr};
  async_event stop_;
  net::socket_address address_;
};

}  // namespace barrage::test
