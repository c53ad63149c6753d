// libFuzzer harness: parse_url on arbitrary text. Checks: every error has a message, and an
// accepted URL is consistent (port set, path absolute, Host value non-empty) and survives a
// round trip through its own rendering.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "http/url.hpp"

using namespace barrage::http;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto u = parse_url(in);
  if (!u) {
    FUZZ_CHECK(std::strlen(to_string(u.error())) > 0);
    return 0;
  }
  FUZZ_CHECK(u->port != 0 && !u->host.empty() && !u->path.empty() && u->path[0] == '/');
  const std::string host = u->host_header();
  FUZZ_CHECK(!host.empty());
  const std::string again = (u->scheme == url_scheme::https ? "https://" : "http://") + host + u->target();
  const auto v = parse_url(again);
  FUZZ_CHECK(v.ok());
  FUZZ_CHECK(v->scheme == u->scheme && v->host == u->host && v->port == u->port &&
             v->ipv6 == u->ipv6 && v->path == u->path && v->query == u->query);
  return 0;
}
