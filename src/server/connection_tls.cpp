// A TLS connection's two ends: the handshake before its first request (bounded by
// tls_handshake_timeout, counted in /metrics by result), and the close_notify that tells the
// client it has every byte.
#include "server/connection.hpp"
#include "server/state.hpp"
#include "server/worker.hpp"
#include "net/tls_session.hpp"

namespace barrage::server::detail {

task<bool> connection::tls_handshake() {
  const time_point deadline = loop_->now() + o_.tls_handshake_timeout;
  result<void, net::handshake_failure> done;
  try {
    done = co_await io_.handshake(deadline);
  } catch (const operation_cancelled&) {  // cut (a stop without grace) mid-handshake
    w_.metrics.tls_handshake(tls_handshake_result::failed, net::tls_errc::handshake);
    throw;
  }
  if (!done) {
    const net::handshake_failure& f = done.error();
    w_.metrics.tls_handshake(f.timed_out ? tls_handshake_result::timed_out : tls_handshake_result::failed,
                             f.error.kind);
    co_return false;
  }
  const net::tls_session* session = io_.tls();
  w_.metrics.tls_handshake(session->resumed() ? tls_handshake_result::resumed : tls_handshake_result::full);
  tls_ready_ = true;
  co_return true;
}

task<void> connection::tls_close(time_point deadline) {
  if (tls_closed_ || write_failed_) co_return;
  tls_closed_ = true;
  // Also sends what a try_write left in the session: the answer's last records go first.
  const long sent = co_await io_.close_notify(deadline);
  if (sent < 0) write_failed_ = true;
}

}  // namespace barrage::server::detail
