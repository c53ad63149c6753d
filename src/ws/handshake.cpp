#include "ws/handshake.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>

#include "http/char_class.hpp"

namespace barrage::ws {
namespace {

constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string base64(const std::uint8_t* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  return out;
}

bool base64_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Whether any field named `name` holds `token` in its comma-separated list.
bool fields_have_token(std::span<const http::header> fields, std::string_view name, std::string_view token) {
  return std::any_of(fields.begin(), fields.end(), [&](const http::header& h) {
    return http::iequals(h.name, name) && http::list_has_token(h.value, token);
  });
}

// Calls f(token) for each element of the comma-separated lists of the fields named `name`.
template <class F>
void for_each_list_element(std::span<const http::header> fields, std::string_view name, F&& f) {
  for (const http::header& h : fields) {
    if (!http::iequals(h.name, name)) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (!item.empty()) f(item);
    }
  }
}

}  // namespace

std::string_view to_string(handshake_error e) noexcept {
  switch (e) {
    case handshake_error::not_switching_protocols: return "the server did not answer 101 Switching Protocols";
    case handshake_error::missing_upgrade: return "the 101 response lacks Upgrade: websocket";
    case handshake_error::missing_connection: return "the 101 response lacks Connection: upgrade";
    case handshake_error::bad_accept: return "Sec-WebSocket-Accept is absent or does not match the key";
    case handshake_error::unoffered_subprotocol: return "the server chose a subprotocol that was not offered";
    case handshake_error::unoffered_extension: return "the server chose an extension that was not offered";
    case handshake_error::not_get: return "a WebSocket upgrade must be a GET";
    case handshake_error::not_http_1_1: return "a WebSocket upgrade needs HTTP/1.1";
    case handshake_error::not_upgrade: return "the request does not ask for Upgrade: websocket";
    case handshake_error::missing_connection_upgrade: return "the request's Connection field lacks the upgrade token";
    case handshake_error::bad_version: return "Sec-WebSocket-Version is absent or not 13";
    case handshake_error::bad_key: return "Sec-WebSocket-Key is absent or not the base64 of 16 bytes";
    case handshake_error::has_body: return "a WebSocket upgrade request must not have a body";
  }
  return "unknown handshake error";
}

std::string_view to_key(handshake_error e) noexcept {
  switch (e) {
    case handshake_error::not_switching_protocols: return "not_switching_protocols";
    case handshake_error::missing_upgrade: return "missing_upgrade";
    case handshake_error::missing_connection: return "missing_connection";
    case handshake_error::bad_accept: return "bad_accept";
    case handshake_error::unoffered_subprotocol: return "unoffered_subprotocol";
    case handshake_error::unoffered_extension: return "unoffered_extension";
    case handshake_error::not_get: return "not_get";
    case handshake_error::not_http_1_1: return "not_http_1_1";
    case handshake_error::not_upgrade: return "not_upgrade";
    case handshake_error::missing_connection_upgrade: return "missing_connection_upgrade";
    case handshake_error::bad_version: return "bad_version";
    case handshake_error::bad_key: return "bad_key";
    case handshake_error::has_body: return "has_body";
  }
  return "unknown";
}

bool valid_subprotocol(std::string_view name) noexcept {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return http::detail::is_token_char(c); });
}

std::string make_client_key(std::span<const std::uint8_t, 16> nonce) { return base64(nonce.data(), nonce.size()); }

std::string accept_for(std::string_view key) {
  std::string input;
  input.reserve(key.size() + guid.size());
  input.append(key).append(guid);
  std::uint8_t digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return base64(digest, sizeof digest);
}

bool valid_client_key(std::string_view key) noexcept {
  // 16 bytes: 21 full characters, a 22nd carrying 2 bits (its low 4 bits zero), then "==".
  if (key.size() != 24 || key.substr(22) != "==") return false;
  if (!std::all_of(key.begin(), key.begin() + 22, base64_char)) return false;
  static constexpr std::string_view last = "AQgw";  // the values 0, 16, 32, 48
  return last.find(key[21]) != std::string_view::npos;
}

result<handshake_reply, handshake_error> check_server_response(const http::response_head& head,
                                                               std::string_view key,
                                                               std::span<const std::string> subprotocols) {
  if (head.status != 101) return fail(handshake_error::not_switching_protocols);
  if (!fields_have_token(head.headers, "upgrade", "websocket")) return fail(handshake_error::missing_upgrade);
  if (!fields_have_token(head.headers, "connection", "upgrade")) return fail(handshake_error::missing_connection);
  const http::header* accept = http::find_header(head.headers, "sec-websocket-accept");
  if (accept == nullptr || accept->value != accept_for(key)) return fail(handshake_error::bad_accept);
  if (http::find_header(head.headers, "sec-websocket-extensions") != nullptr)
    return fail(handshake_error::unoffered_extension);
  handshake_reply reply;
  if (const http::header* p = http::find_header(head.headers, "sec-websocket-protocol")) {
    const bool offered = std::any_of(subprotocols.begin(), subprotocols.end(),
                                     [&](const std::string& s) { return s == p->value; });
    if (!offered) return fail(handshake_error::unoffered_subprotocol);
    reply.subprotocol = std::string(p->value);
  }
  return reply;
}

result<upgrade_request, handshake_error> check_upgrade_request(const http::request_head& head) {
  if (!fields_have_token(head.headers, "upgrade", "websocket")) return fail(handshake_error::not_upgrade);
  if (head.method != "GET") return fail(handshake_error::not_get);
  if (head.version != http::http_version::http_1_1) return fail(handshake_error::not_http_1_1);
  if (!fields_have_token(head.headers, "connection", "upgrade"))
    return fail(handshake_error::missing_connection_upgrade);
  const http::header* version = http::find_header(head.headers, "sec-websocket-version");
  if (version == nullptr || version->value != "13") return fail(handshake_error::bad_version);
  const http::header* key = http::find_header(head.headers, "sec-websocket-key");
  if (key == nullptr || !valid_client_key(key->value)) return fail(handshake_error::bad_key);
  if (head.body.kind != http::body_kind::none && !(head.body.kind == http::body_kind::content_length &&
                                                   head.body.length == 0))
    return fail(handshake_error::has_body);
  upgrade_request r;
  r.key = key->value;
  for_each_list_element(head.headers, "sec-websocket-protocol",
                        [&](std::string_view item) { r.subprotocols.push_back(item); });
  if (const http::header* origin = http::find_header(head.headers, "origin")) r.origin = origin->value;
  return r;
}

std::string build_upgrade_request(const client_request& r) {
  std::string out;
  out.reserve(256);
  out.append("GET ").append(r.target.empty() ? std::string_view("/") : r.target).append(" HTTP/1.1\r\n");
  out.append("Host: ").append(r.host).append("\r\n");
  out.append("Upgrade: websocket\r\nConnection: Upgrade\r\n");
  out.append("Sec-WebSocket-Key: ").append(r.key).append("\r\n");
  out.append("Sec-WebSocket-Version: 13\r\n");
  if (!r.subprotocols.empty()) {
    out.append("Sec-WebSocket-Protocol: ");
    for (std::size_t i = 0; i < r.subprotocols.size(); ++i) {
      if (i > 0) out.append(", ");
      out.append(r.subprotocols[i]);
    }
    out.append("\r\n");
  }
  for (const auto& [name, value] : r.extra_headers) out.append(name).append(": ").append(value).append("\r\n");
  out.append("\r\n");
  return out;
}

std::string build_accept_response(std::string_view key, std::string_view subprotocol) {
  std::string out;
  out.reserve(160);
  out.append("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
  out.append("Sec-WebSocket-Accept: ").append(accept_for(key)).append("\r\n");
  if (!subprotocol.empty()) out.append("Sec-WebSocket-Protocol: ").append(subprotocol).append("\r\n");
  out.append("\r\n");
  return out;
}

}  // namespace barrage::ws
