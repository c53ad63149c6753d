#pragma once
// The WebSocket opening handshake (RFC 6455 §4) on the HTTP/1.1 codec's types: the client's
// key and the server's accept value, the checks each side makes of the other's head, and the
// bytes each side sends. Pure: no I/O, no allocation beyond the returned strings.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "http/request_parser.hpp"
#include "http/response_parser.hpp"

namespace barrage::ws {

/// Why a handshake head was refused. Each names the one rule it broke.
enum class handshake_error : std::uint8_t {
  // The server's response, seen by a client.
  not_switching_protocols,  // status is not 101
  missing_upgrade,          // no `Upgrade: websocket`
  missing_connection,       // no `upgrade` token in Connection
  bad_accept,               // Sec-WebSocket-Accept absent or not the key's
  unoffered_subprotocol,    // Sec-WebSocket-Protocol names one the client did not offer
  unoffered_extension,      // Sec-WebSocket-Extensions present (the client offers none)
  // The client's upgrade request, seen by a server.
  not_get,              // method is not GET
  not_http_1_1,         // HTTP/1.0
  not_upgrade,          // no `Upgrade: websocket` (a plain request: answer 426)
  missing_connection_upgrade,  // Upgrade present but Connection lacks the `upgrade` token
  bad_version,          // Sec-WebSocket-Version absent or not 13 (answer 426 with version 13)
  bad_key,              // Sec-WebSocket-Key absent or not the base64 of 16 bytes
  has_body,             // the upgrade request declares a body
};

std::string_view to_string(handshake_error e) noexcept;
/// The rule's name for the reports' reason keys: the enumerator's ("bad_accept",
/// "unoffered_subprotocol" ...).
std::string_view to_key(handshake_error e) noexcept;

/// Whether `name` may be offered as a subprotocol (RFC 6455 §4.1: a non-empty token,
/// U+0021 to U+007E without the separators of RFC 2616).
bool valid_subprotocol(std::string_view name) noexcept;

/// The Sec-WebSocket-Key for a 16-byte random nonce: its base64 (24 characters).
std::string make_client_key(std::span<const std::uint8_t, 16> nonce);

/// Sec-WebSocket-Accept for a key: base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
std::string accept_for(std::string_view key);

/// Whether `key` is the base64 of exactly 16 bytes (24 characters ending "==").
bool valid_client_key(std::string_view key) noexcept;

/// What a valid 101 response settled.
struct handshake_reply {
  std::string subprotocol;  // the one the server chose among the offers; empty when none
};

/// Checks a server's response to an upgrade request sent with `key` and offering
/// `subprotocols` (possibly none).
result<handshake_reply, handshake_error> check_server_response(const http::response_head& head,
                                                               std::string_view key,
                                                               std::span<const std::string> subprotocols);

/// A valid upgrade request, seen by a server. Views point into the request's buffer.
struct upgrade_request {
  std::string_view key;
  std::vector<std::string_view> subprotocols;  // offered, in the client's order
  std::string_view origin;                     // empty when absent
};

/// Checks a client's upgrade request (RFC 6455 §4.2.1).
result<upgrade_request, handshake_error> check_upgrade_request(const http::request_head& head);

/// What a client sends to open a WebSocket on `target` (origin-form path and query).
struct client_request {
  std::string_view host;    // Host field value (authority)
  std::string_view target;  // "/path?query"
  std::string_view key;     // from make_client_key
  std::span<const std::string> subprotocols;
  std::span<const std::pair<std::string, std::string>> extra_headers;
};

/// The upgrade request's bytes (head only, no body).
std::string build_upgrade_request(const client_request& r);

/// The server's 101 response accepting `key`, naming `subprotocol` when not empty.
std::string build_accept_response(std::string_view key, std::string_view subprotocol = {});

}  // namespace barrage::ws
