#pragma once
// The resolver of one worker thread (HTTP or WebSocket), made on first use with the run's
// --dns-ttl and --dns-server.
#include <optional>

#include "loadgen/config.hpp"
#include "net/resolver.hpp"

namespace barrage::loadgen {

inline net::resolver& run_resolver(std::optional<net::resolver>& r, const run_config& c) {
  if (!r) {
    net::resolver::options ro;
    ro.cache_ttl = c.dns_ttl;
    ro.servers = c.dns_servers;
    r.emplace(ro);
  }
  return *r;
}

}  // namespace barrage::loadgen
