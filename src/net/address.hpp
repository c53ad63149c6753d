#pragma once
// socket_address: an IPv4 or IPv6 endpoint, parsed from and printed as "127.0.0.1:8080"
// or "[::1]:8080".
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace barrage::net {

class socket_address {
 public:
  socket_address() = default;
  socket_address(const sockaddr* sa, socklen_t len) noexcept;

  /// A numeric host (no name lookup) and a port.
  static std::optional<socket_address> from_ip(std::string_view ip, std::uint16_t port);
  /// "host:port" or "[v6]:port" with a numeric host; a bare ":port" or "port" means 127.0.0.1.
  static std::optional<socket_address> parse(std::string_view text);

  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  sockaddr* get() noexcept { return reinterpret_cast<sockaddr*>(&storage_); }
  socklen_t size() const noexcept { return len_; }
  socklen_t* size_ptr() noexcept { return &len_; }
  int family() const noexcept { return storage_.ss_family; }
  std::uint16_t port() const noexcept;
  void set_port(std::uint16_t port) noexcept;
  bool is_loopback() const noexcept;
  std::string ip() const;
  std::string to_string() const;

 private:
  sockaddr_storage storage_{};
  socklen_t len_ = 0;
};

}  // namespace barrage::net
