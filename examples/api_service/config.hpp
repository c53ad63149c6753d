#pragma once
// The service's configuration: defaults, then the environment (API_*), then the command line.
// A bad value is one line of text naming where it came from; main() prints it and exits 2.
//
//   flag                    environment             default
//   --listen ADDR:PORT      API_LISTEN              127.0.0.1:8080
//   --downstream URL        API_DOWNSTREAM          this service itself (its /price/{id} route)
//   --downstream-timeout D  API_DOWNSTREAM_TIMEOUT  2s    (a whole downstream call, retries included)
//   --fanout N              API_FANOUT              4     (downstream calls at once per request)
//   --io-wait D             API_IO_WAIT             0s    (the store's simulated asynchronous I/O)
//   --db-time D             API_DB_TIME             50ms  (the blocking report query)
//   --block-loop            API_BLOCK_LOOP=1        off   (run that query on the loop: the bug)
//   --no-access-log         API_ACCESS_LOG=0        on    (one JSON line per request on stdout)
//   --grace D               API_GRACE               10s   (SIGTERM: time left to requests in flight)
#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "base/units.hpp"
#include "net/address.hpp"

namespace api {

using barrage::duration;

struct config {
  barrage::net::socket_address listen = *barrage::net::socket_address::parse("127.0.0.1:8080");
  std::string downstream;  // empty: this service's own address
  duration downstream_timeout = std::chrono::seconds(2);
  unsigned fanout = 4;
  duration io_wait{};
  duration db_time = std::chrono::milliseconds(50);
  bool block_loop = false;
  bool access_log = true;
  duration grace = std::chrono::seconds(10);
};

inline constexpr std::string_view usage =
    "usage: api_service [--listen ADDR:PORT] [--downstream URL] [--downstream-timeout D] [--fanout N]\n"
    "                   [--io-wait D] [--db-time D] [--block-loop] [--no-access-log] [--grace D]\n"
    "Each option may also come from the environment: API_LISTEN, API_DOWNSTREAM, API_DOWNSTREAM_TIMEOUT,\n"
    "API_FANOUT, API_IO_WAIT, API_DB_TIME, API_BLOCK_LOOP=1, API_ACCESS_LOG=0, API_GRACE (flags win).\n";

namespace detail {

/// Sets the field that `name` (a flag without its dashes) names from `value`; an error names
/// `origin` (the flag or the variable).
inline barrage::result<void, std::string> apply(config& c, std::string_view name, std::string_view value,
                                                std::string_view origin) {
  auto fail = [&](std::string why) { return barrage::fail(std::string(origin) + ": " + std::move(why)); };
  auto as_duration = [&](duration& out) -> barrage::result<void, std::string> {
    auto d = barrage::parse_duration(value);
    if (!d) return fail(d.error());
    out = *d;
    return {};
  };
  auto as_bool = [&](bool& out) -> barrage::result<void, std::string> {
    if (value == "1" || value == "true" || value == "on") out = true;
    else if (value == "0" || value == "false" || value == "off") out = false;
    else return fail("expected 1 or 0, got \"" + std::string(value) + "\"");
    return {};
  };
  if (name == "listen") {
    auto a = barrage::net::socket_address::parse(value);
    if (!a) return fail("not an address:port: \"" + std::string(value) + "\"");
    c.listen = *a;
  } else if (name == "downstream") {
    if (!value.starts_with("http://")) return fail("expected an http:// URL, got \"" + std::string(value) + "\"");
    c.downstream = std::string(value);
    while (c.downstream.ends_with('/')) c.downstream.pop_back();
  } else if (name == "fanout") {
    auto n = barrage::parse_count(value);
    if (!n || *n == 0 || *n > 1000) return fail("expected 1 to 1000, got \"" + std::string(value) + "\"");
    c.fanout = static_cast<unsigned>(*n);
  } else if (name == "downstream-timeout") {
    return as_duration(c.downstream_timeout);
  } else if (name == "io-wait") {
    return as_duration(c.io_wait);
  } else if (name == "db-time") {
    return as_duration(c.db_time);
  } else if (name == "grace") {
    return as_duration(c.grace);
  } else if (name == "block-loop") {
    return as_bool(c.block_loop);
  } else if (name == "access-log") {
    return as_bool(c.access_log);
  } else {
    return fail("unknown option");
  }
  return {};
}

}  // namespace detail

/// The configuration from `env` (getenv by default) and the command line.
template <class Getenv = char* (*)(const char*)>
barrage::result<config, std::string> load_config(int argc, char** argv, Getenv getenv = &std::getenv) {
  config c;
  static constexpr std::pair<const char*, const char*> env_names[] = {
      {"API_LISTEN", "listen"},   {"API_DOWNSTREAM", "downstream"}, {"API_DOWNSTREAM_TIMEOUT", "downstream-timeout"},
      {"API_FANOUT", "fanout"},   {"API_IO_WAIT", "io-wait"},       {"API_DB_TIME", "db-time"},
      {"API_BLOCK_LOOP", "block-loop"}, {"API_ACCESS_LOG", "access-log"}, {"API_GRACE", "grace"}};
  for (auto [var, name] : env_names) {
    const char* v = getenv(var);
    if (!v) continue;
    auto r = detail::apply(c, name, v, var);
    if (!r) return barrage::fail(r.error());
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!arg.starts_with("--")) return barrage::fail("unexpected argument \"" + std::string(arg) + "\"");
    std::string_view name = arg.substr(2), value;
    static constexpr std::string_view known[] = {"listen",  "downstream", "downstream-timeout", "fanout",       "io-wait",
                                                 "db-time", "block-loop", "no-access-log",      "access-log", "grace"};
    if (std::find(std::begin(known), std::end(known), name.substr(0, name.find('='))) == std::end(known))
      return barrage::fail(std::string(arg) + ": unknown option");
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (name == "block-loop") {
      value = "1";
    } else if (name == "no-access-log") {
      name = "access-log";
      value = "0";
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return barrage::fail(std::string(arg) + ": needs a value");
    }
    auto r = detail::apply(c, name, value, "--" + std::string(name));
    if (!r) return barrage::fail(r.error());
  }
  return c;
}

}  // namespace api
