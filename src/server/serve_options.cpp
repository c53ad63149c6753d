#include "server/serve_options.hpp"

#include "base/option_values.hpp"
#include "base/quote_text.hpp"
#include "base/units.hpp"

namespace barrage::server {
namespace {

auto count_in(std::uint64_t lo, std::uint64_t hi) {
  return [lo, hi](std::string_view t) { return parse_count_in(t, lo, hi); };
}
auto duration_in(duration lo) {
  return [lo](std::string_view t) { return parse_duration_in(t, lo, max_option_duration); };
}
constexpr duration above_zero = std::chrono::nanoseconds(1);

result<std::uint64_t, std::string> head_limit(std::string_view text) {
  auto n = parse_size(text);
  if (!n) return fail(n.error());
  if (*n < min_head_limit || *n > max_head_limit)
    return fail("bad size " + quote_text(text) + ": must be between 1KiB and 64MiB");
  return *n;
}

void read_stall(const serve_settings& s, option_reader& in, server_options& o) {
  if (s.stall_every.has_value() != s.stall_for.has_value())
    return in.refuse("--stall-every and --stall-for go together: give both or neither");
  if (!s.stall_every) return;
  in.read("--stall-every", s.stall_every, duration_in(above_zero), o.stall.every);
  in.read("--stall-for", s.stall_for, duration_in(above_zero), o.stall.length);
  if (!in.error() && o.stall.length >= o.stall.every)
    in.refuse("--stall-for: " + quote_text(*s.stall_for) + " must be shorter than --stall-every " +
              quote_text(*s.stall_every));
}

}  // namespace

result<net::socket_address, std::string> parse_listen_address(std::string_view text) {
  const std::string bad = "bad address " + quote_text(text) + ": ";
  if (text.empty()) return fail(bad + "empty");
  auto colon = text.rfind(':');
  auto port = colon == std::string_view::npos ? text : text.substr(colon + 1);
  auto n = parse_count(port);
  if (n && *n > 65535) return fail(bad + "the port must be 0 to 65535");
  auto at = net::socket_address::parse(text);
  if (!at) return fail(bad + "expected a numeric HOST:PORT, e.g. 127.0.0.1:8080, [::1]:8080, 0.0.0.0:80");
  return *at;
}

result<server_options, std::string> make_server_options(const serve_settings& s) {
  server_options o;
  option_reader in;
  in.read("--listen", s.listen, parse_listen_address, o.listen);
  in.read("--threads", s.threads, count_in(1, max_serve_threads), o.threads);
  in.read("--max-connections", s.max_connections, count_in(1, max_serve_connections), o.max_connections);
  in.read("--max-body", s.max_body, parse_size, o.max_body_bytes);
  in.read("--max-head", s.max_head, head_limit, o.max_head_bytes);
  in.read("--head-timeout", s.head_timeout, duration_in(above_zero), o.head_timeout);
  in.read("--idle-timeout", s.idle_timeout, duration_in(above_zero), o.idle_timeout);
  in.read("--write-timeout", s.write_timeout, duration_in(above_zero), o.write_timeout);
  in.read("--h2-max-streams", s.h2_max_streams, count_in(1, max_h2_streams), o.h2_max_streams);
  in.read("--grace", s.grace, duration_in(duration::zero()), o.shutdown_grace);
  read_stall(s, in, o);
  o.expose_metrics = !s.no_metrics;
  if (in.error()) return fail(*in.error());
  return o;
}

}  // namespace barrage::server
