// Where a connection's protocol is decided, once, as it opens: ALPN "h2" on TLS, or on plain
// TCP the HTTP/2 client preface (h2c with prior knowledge, RFC 9113 §3.3) in its first bytes.
// Anything else is HTTP/1.1, which goes on with the bytes read here.
#include "server/connection.hpp"
#include "server/h2_connection.hpp"
#include "server/state.hpp"
#include "server/worker.hpp"

namespace barrage::server::detail {

task<bool> connection::h2_handover() {
  if (io_.is_tls() && io_.protocol() != "h2") co_return false;
  if (!io_.is_tls()) {
    // Reads until the bytes stop matching the preface (HTTP/1.1: at once, for any request
    // line) or all 24 of it have come. The wait is the idle one, as for a first request.
    for (bool complete = false;;) {
      if (!h2_preface_prefix(std::string_view(buf_.data(), end_), complete)) co_return false;
      if (complete) break;
      const time_point deadline = loop_->now() + (end_ == 0 ? o_.idle_timeout : o_.head_timeout);
      const long n = co_await timed(io_.read(buf_.data() + end_, buf_.size() - end_), deadline);
      if (n <= 0) co_return true;  // closed before a request: nothing to answer
      end_ += static_cast<std::size_t>(n);
    }
  }
  clear_deadline();
  phase_ = phase::handling;
  auto h2 = std::make_shared<h2_connection>(state_, w_, io_);
  h2_ = h2.get();
  struct unhook {
    connection& c;
    ~unhook() { c.h2_ = nullptr; }
  } guard{*this};
  while (buf_.grow(0, end_)) {  // HTTP/2 reads frames of up to 16 KiB: the largest buffer
  }
  co_await h2->serve(std::span<char>(buf_.data(), buf_.size()), end_);
  co_return true;
}

}  // namespace barrage::server::detail
