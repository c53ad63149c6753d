// libFuzzer harness for net/tls_session: arbitrary bytes as the server's side to a client
// session, or as a client's side to a server session, cut into pieces the input chooses.
// Never a crash; a failure is a value (a kind and one line); OpenSSL's error queue is empty
// after every call, so nothing leaks into the next session.
#include <openssl/err.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_check.hpp"
#include "net/tls_context.hpp"
#include "net/tls_session.hpp"

namespace {

using namespace barrage;
using namespace barrage::net;

// Made once: a server context's key generation costs more than a run.
struct contexts {
  tls_context insecure_client, verifying_client, server;
};

tls_context must(result<tls_context, std::string> r) {
  if (!r) std::abort();
  return *r;
}

const contexts& shared() {
  static const contexts c = [] {
    tls_client_options insecure;
    insecure.verify = false;
    insecure.alpn = {"h2", "http/1.1"};
    tls_client_options verifying;  // against the system store: every certificate here fails
    tls_server_options server;
    server.alpn = {"h2", "http/1.1"};
    return contexts{must(tls_context::client(insecure)), must(tls_context::client(verifying)),
                    must(tls_context::server(server))};
  }();
  return c;
}

void check_failure(const tls_session& s) {
  FUZZ_CHECK(!s.error().message.empty());
  FUZZ_CHECK(s.error().message.find('\n') == std::string::npos);
}

// Feeds `input` in pieces of 1 to 64 bytes (sizes from `control`), stepping the session after
// each piece as a transport would: the handshake until done, then reads.
void drive(tls_session& s, std::string_view input, std::uint8_t control) {
  char buf[4096];
  bool failed = false;
  std::size_t piece = control % 64 + 1;
  while (!input.empty() && !failed) {
    const std::size_t n = std::min(piece, input.size());
    s.feed(std::span<const char>(input.data(), n));
    input.remove_prefix(n);
    piece = piece * 5 % 64 + 1;
    if (!s.handshake_done()) {
      const tls_state st = s.handshake();
      FUZZ_CHECK(ERR_peek_error() == 0);
      failed = st == tls_state::failed;
      if (failed) check_failure(s);
    } else {
      const long r = s.read(buf);
      FUZZ_CHECK(ERR_peek_error() == 0);
      FUZZ_CHECK(r >= tls_session::failed && r <= static_cast<long>(sizeof buf));
      failed = r == tls_session::failed || r == 0;
      if (r == tls_session::failed) check_failure(s);
    }
    s.consume_output(s.pending_output().size());
  }
  if (!failed && (control & 0x80) != 0) {
    s.peer_closed();
    const tls_state st = s.handshake_done() ? tls_state::done : s.handshake();
    FUZZ_CHECK(ERR_peek_error() == 0);
    if (st == tls_state::failed) check_failure(s);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const contexts& c = shared();
  switch (control % 3) {
    case 0:
    case 1: {
      auto s = tls_session::client(control % 3 == 0 ? c.insecure_client : c.verifying_client, "localhost", 443);
      FUZZ_CHECK(s.ok());
      FUZZ_CHECK(s->handshake() == tls_state::want_write);  // the ClientHello
      s->consume_output(s->pending_output().size());
      drive(*s, input, control);
      break;
    }
    default: {
      auto s = tls_session::server(c.server);
      FUZZ_CHECK(s.ok());
      drive(*s, input, control);
      break;
    }
  }
  return 0;
}
