#include "net/source_addresses.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fstream>

namespace barrage::net {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::uint32_t v4_of(const socket_address& a) {
  return ntohl(reinterpret_cast<const sockaddr_in*>(a.get())->sin_addr.s_addr);
}

socket_address v4_from(std::uint32_t host_order) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(host_order);
  return socket_address(reinterpret_cast<const sockaddr*>(&sin), sizeof sin);
}

}  // namespace

result<std::vector<socket_address>, std::string> parse_source_addresses(std::string_view text) {
  std::vector<socket_address> out;
  if (trim(text).empty()) return fail(std::string("no source address given (e.g. 127.0.0.2,127.0.0.3 or 127.0.0.2-127.0.0.9)"));
  while (true) {
    const auto comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    const std::string quoted = "\"" + std::string(item) + "\"";
    if (item.empty()) return fail("empty item in the source address list (two commas, or one at an end)");
    // An IPv6 address has colons and no dash; a dash makes an IPv4 range.
    if (const auto dash = item.find('-'); dash != std::string_view::npos) {
      auto first = socket_address::from_ip(trim(item.substr(0, dash)), 0);
      auto last = socket_address::from_ip(trim(item.substr(dash + 1)), 0);
      if (!first || !last) return fail("bad source address range " + quoted + ": expected FIRST-LAST, e.g. 127.0.0.2-127.0.0.9");
      if (first->family() != AF_INET || last->family() != AF_INET)
        return fail("bad source address range " + quoted + ": ranges are IPv4 only (list IPv6 addresses one by one)");
      const std::uint32_t lo = v4_of(*first), hi = v4_of(*last);
      if (lo > hi) return fail("bad source address range " + quoted + ": the first address is above the last");
      if (hi - lo + 1 > max_source_addresses - out.size())
        return fail("source address range " + quoted + " is too large (at most " + std::to_string(max_source_addresses) +
                    " addresses in all)");
      for (std::uint64_t a = lo; a <= hi; ++a) out.push_back(v4_from(static_cast<std::uint32_t>(a)));
    } else {
      auto a = socket_address::from_ip(item, 0);
      if (!a) return fail("bad source address " + quoted + ": expected a numeric IP such as 127.0.0.2");
      if (out.size() >= max_source_addresses)
        return fail("too many source addresses (at most " + std::to_string(max_source_addresses) + ")");
      out.push_back(*a);
    }
    if (out.front().family() != out.back().family())
      return fail("source addresses mix IPv4 and IPv6 (" + quoted + "): use one family, that of the target");
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

port_range ephemeral_port_range() noexcept {
  port_range r;
  std::ifstream f("/proc/sys/net/ipv4/ip_local_port_range");
  unsigned a = 0, b = 0;
  if (f >> a >> b && a <= b && b <= 65535) r = {a, b};
  return r;
}

std::optional<std::string> port_range_note(std::size_t connections, std::size_t sources, port_range range) {
  const std::size_t n = sources ? sources : 1;
  const std::size_t per_source = (connections + n - 1) / n;
  const std::size_t ports = range.size();
  if (ports == 0 || per_source <= ports / 2) return std::nullopt;
  // Enough addresses to stay within half the range each (what --source should list).
  const std::size_t want = (connections + ports / 2 - 1) / (ports / 2);
  const std::string where = std::to_string(per_source) + " connections per source address " +
                            (per_source > ports ? "exceed the ephemeral port range " : "exceed half the ephemeral port range ") +
                            std::to_string(range.first) + "-" + std::to_string(range.last);
  const std::string fix = "; spread them over " + std::to_string(want) +
                          " or more source addresses with --source (for a loopback target: --source 127.0.0.1-127.0.0." +
                          std::to_string(std::min<std::size_t>(want, 254)) + ")";
  if (per_source > ports) return where + ": connects beyond it fail (EADDRNOTAVAIL)" + fix;
  return where + ": connect() then searches the used ports one by one and opening the connections slows down sharply" +
         fix;
}

}  // namespace barrage::net
