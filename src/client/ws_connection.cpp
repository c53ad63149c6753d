#include "client/ws_connection.hpp"

#include <array>
#include <random>

#include "client/connection.hpp"
#include "http/response_parser.hpp"

namespace barrage::client {
namespace {

/// The masking keys of this thread's client frames (RFC 6455 §5.3: unpredictable to the
/// page scripts that attack proxies, which a load generator has none of): a PRNG seeded once
/// per thread from the system's entropy.
void mask_bytes(std::span<std::uint8_t> out) {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  for (std::size_t i = 0; i < out.size(); i += 8) {
    const std::uint64_t r = gen();
    for (std::size_t k = 0; k < 8 && i + k < out.size(); ++k) out[i + k] = static_cast<std::uint8_t>(r >> (8 * k));
  }
}

/// The response head's limit: a server that sends more without ending it is refused.
constexpr std::size_t max_response_head = 64 * 1024;

ws_open_failure io_failure(long n) {
  ws_open_failure f;
  if (n == 0) f.what = ws_open_failure::kind::closed;
  else if (n == -ETIMEDOUT) f.what = ws_open_failure::kind::timeout;
  else f.error = n;
  return f;
}

}  // namespace

std::string to_key(const ws_open_failure& f) {
  switch (f.what) {
    case ws_open_failure::kind::status: return "http_" + std::to_string(f.status);
    case ws_open_failure::kind::invalid: return f.bad_head ? "bad_response" : std::string(ws::to_key(f.rule));
    case ws_open_failure::kind::closed: return "closed";
    case ws_open_failure::kind::timeout: return "handshake_timeout";
    case ws_open_failure::kind::io_error: break;
  }
  return std::string(to_string(from_errno(f.error)));
}

ws_connection::ws_connection(net::transport t, ws::frame_codec codec, std::string leftover)
    : transport_(std::move(t)), codec_(std::move(codec)), leftover_(std::move(leftover)) {}

task<result<ws_connection, ws_open_failure>> ws_connection::open(net::transport t, const ws_open_request& request,
                                                                 time_point deadline) {
  std::array<std::uint8_t, 16> nonce;
  mask_bytes(nonce);
  const std::string key = ws::make_client_key(std::span<const std::uint8_t, 16>(nonce));
  const std::string bytes =
      ws::build_upgrade_request({request.host, request.target, key, request.subprotocols, request.headers});
  for (std::size_t done = 0; done < bytes.size();) {
    const long n = co_await t.write(bytes.data() + done, bytes.size() - done, deadline);
    if (n <= 0) co_return fail(io_failure(n == 0 ? -EPIPE : n));
    done += static_cast<std::size_t>(n);
  }
  std::array<http::header, 64> fields;
  http::response_parser parser(fields);
  std::string head;
  std::array<char, 4096> chunk;
  for (;;) {
    const long n = co_await t.read(chunk.data(), chunk.size(), deadline);
    if (n <= 0) co_return fail(io_failure(n));
    head.append(chunk.data(), static_cast<std::size_t>(n));
    const http::parse_status st = parser.parse(head);
    if (st.is_error() || (st.incomplete() && head.size() > max_response_head)) {
      ws_open_failure f;
      f.what = ws_open_failure::kind::invalid;
      f.bad_head = true;
      co_return fail(f);
    }
    if (!st.complete()) continue;
    const http::response_head& h = parser.head();
    if (h.status != 101) {
      ws_open_failure f;
      f.what = ws_open_failure::kind::status;
      f.status = h.status;
      co_return fail(f);
    }
    auto checked = ws::check_server_response(h, key, request.subprotocols);
    if (!checked) {
      ws_open_failure f;
      f.what = ws_open_failure::kind::invalid;
      f.rule = checked.error();
      co_return fail(f);
    }
    ws::codec_limits limits;
    limits.max_message_bytes = request.max_message_bytes;
    ws_connection c(std::move(t), ws::frame_codec(ws::role::client, limits, mask_bytes), head.substr(st.consumed));
    c.sent_ = bytes.size();
    c.received_ = head.size();
    c.subprotocol_ = std::move(checked->subprotocol);
    co_return c;
  }
}

task<long> ws_connection::flush(time_point deadline) {
  for (;;) {
    const std::string_view out = codec_.pending_output();
    if (out.empty()) co_return 0;
    const long n = co_await transport_.write(out.data(), out.size(), deadline);
    if (n < 0) co_return n;
    if (n == 0) co_return -EPIPE;
    sent_ += static_cast<std::uint64_t>(n);
    codec_.consume_output(static_cast<std::size_t>(n));
  }
}

}  // namespace barrage::client
