#pragma once
// page_endpoint: a small server on a thread of its own that answers GET <path> with the last
// page published (404 elsewhere). What one thread makes now and then (live figures, once a
// second) and scrapers read on another: publish() swaps the page in under a mutex, each
// request copies it out. Used for the load generator's --metrics-listen.
//
//   page_endpoint ep(*net::socket_address::parse("127.0.0.1:0"), "/metrics", text_plain, "");
//   ep.publish(render(...));        // any thread, any time
//   ... ep.local_address() ...       // the port when 0 was asked for
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "net/address.hpp"
#include "server/server.hpp"

namespace barrage::server {

class page_endpoint {
 public:
  /// Binds now and starts serving on its own thread. Throws std::system_error when it cannot
  /// listen ("cannot listen on 127.0.0.1:9464: Address already in use"). `content_type` must
  /// have static storage (a literal, a constant).
  page_endpoint(net::socket_address listen, std::string path, std::string_view content_type, std::string first_page);
  /// Stops at once (open connections are cut) and joins the thread.
  ~page_endpoint();
  page_endpoint(const page_endpoint&) = delete;
  page_endpoint& operator=(const page_endpoint&) = delete;

  /// Where it listens (the real port when port 0 was asked for).
  net::socket_address local_address() const noexcept { return server_->local_address(); }
  /// Any thread: the page from now on.
  void publish(std::string page);
  /// Any thread: why serving stopped early (the serving thread's exception), if it did.
  std::optional<std::string> failure() const;

 private:
  std::string page() const;

  mutable std::mutex mutex_;
  std::string page_;                     // under mutex_
  std::optional<std::string> failure_;   // under mutex_
  std::unique_ptr<server> server_;
  std::thread thread_;
};

}  // namespace barrage::server
