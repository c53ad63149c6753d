#pragma once
// router: (method, path pattern) -> handler. A pattern is a path whose segments are literal
// text or a {name} parameter matching one non-empty segment: "/", "/delay/{d}",
// "/users/{id}/posts". Routes are tried in the order they were added; no allocation per lookup.
//
// Lookup outcomes: found; method_not_allowed (some route has the path, none the method: the
// server answers 405 with Allow); not_found (404). HEAD falls back to the GET route when no
// HEAD route exists.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/task.hpp"
#include "server/request.hpp"
#include "server/response.hpp"

namespace barrage::server {

/// A handler is a coroutine; it may wait (timers, I/O) but must not block its loop. It runs
/// on the loop of the connection, and the same handler object serves every loop at once:
/// keep it free of unsynchronised shared state.
using handler = std::function<task<response>(request&)>;

class router {
 public:
  enum class outcome : unsigned char { found, not_found, method_not_allowed };
  struct match {
    outcome what = outcome::not_found;
    const handler* target = nullptr;
    path_params params;
  };

  /// Throws std::invalid_argument for a pattern that does not start with '/', has an empty
  /// or unterminated {}, more than path_params::capacity parameters, or repeats a
  /// (method, pattern) pair already added; and for a method that is not a token.
  router& add(std::string_view method, std::string_view pattern, handler h);
  router& get(std::string_view pattern, handler h) { return add("GET", pattern, std::move(h)); }
  router& post(std::string_view pattern, handler h) { return add("POST", pattern, std::move(h)); }
  router& put(std::string_view pattern, handler h) { return add("PUT", pattern, std::move(h)); }
  router& del(std::string_view pattern, handler h) { return add("DELETE", pattern, std::move(h)); }

  match find(std::string_view method, std::string_view path) const noexcept;
  /// What find() says, with the parameters written to `params` (size 0 unless found): no
  /// match with its parameter arrays is built and copied (the server's per-request path).
  struct target_of {
    outcome what = outcome::not_found;
    const handler* target = nullptr;
  };
  target_of find(std::string_view method, std::string_view path, path_params& params) const noexcept;

  /// The Allow value for `path` ("GET, HEAD, OPTIONS"), or empty when no route has the path.
  /// With path "*": every method of every route.
  std::string allowed(std::string_view path) const;
  /// Whether some route uses `method`.
  bool has_method(std::string_view method) const noexcept;
  std::size_t size() const noexcept { return routes_.size(); }

 private:
  struct segment {
    std::string text;
    bool param = false;
  };
  struct route {
    std::string method;
    std::string pattern;
    std::vector<segment> segments;
    handler h;
  };
  static bool matches(const route& r, std::string_view path, path_params* params) noexcept;
  std::vector<route> routes_;
};

}  // namespace barrage::server
