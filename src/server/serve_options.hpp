#pragma once
// The options of `barrage serve` as typed, and the server_options they make. An absent
// option (nullopt) keeps server_options' default. Errors are one line naming the option and
// quoting the bad value (base/quote_text):
//   --threads: bad count "0": must be between 1 and 1024
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "net/address.hpp"
#include "server/server.hpp"

namespace barrage::server {

/// Limits of the options (barrage serve --help shows them).
inline constexpr unsigned max_serve_threads = 1024;
inline constexpr std::size_t max_serve_connections = 10'000'000;
inline constexpr std::size_t min_head_limit = 1024, max_head_limit = 64u << 20;
inline constexpr std::uint32_t max_h2_streams = 100'000;

struct serve_settings {
  std::optional<std::string> listen, threads, max_connections, max_body, max_head;
  std::optional<std::string> head_timeout, idle_timeout, grace, stall_every, stall_for;
  std::optional<std::string> write_timeout, h2_max_streams;
  bool no_metrics = false;
};

/// --listen: a numeric HOST:PORT, [IPv6]:PORT or a bare PORT (on 127.0.0.1); "localhost" is
/// 127.0.0.1; port 0 to 65535 (0: the kernel picks one).
result<net::socket_address, std::string> parse_listen_address(std::string_view text);

/// Every value through its parser: --threads 1-1024, --max-connections 1-10M, --max-body a
/// size, --max-head 1KiB-64MiB, --head-timeout, --idle-timeout and --write-timeout above 0,
/// --h2-max-streams 1-100000, --grace 0 or more,
/// --stall-every and --stall-for together, the stall above 0 and shorter than its period.
result<server_options, std::string> make_server_options(const serve_settings& settings);

}  // namespace barrage::server
