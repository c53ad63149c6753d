#include "server/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace barrage::server {

namespace {

bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (char c : s) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

router& router::add(std::string_view method, std::string_view pattern, handler h) {
  if (!is_token(method)) throw std::invalid_argument("route method is not a token: " + std::string(method));
  if (pattern.empty() || pattern[0] != '/')
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  route r;
  r.method = method;
  r.pattern = pattern;
  r.h = std::move(h);
  std::string_view rest = pattern.substr(1);
  std::size_t params = 0;
  while (true) {
    const std::size_t slash = rest.find('/');
    const std::string_view part = rest.substr(0, slash);
    segment s;
    if (!part.empty() && part.front() == '{') {
      if (part.size() < 3 || part.back() != '}' || part.substr(1, part.size() - 2).find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("bad route parameter in " + std::string(pattern));
      s.text = part.substr(1, part.size() - 2);
      s.param = true;
      if (++params > path_params::capacity) throw std::invalid_argument("too many route parameters in " + std::string(pattern));
    } else {
      if (part.find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("bad route parameter in " + std::string(pattern));
      s.text = part;
    }
    r.segments.push_back(std::move(s));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  for (const route& o : routes_)
    if (o.method == r.method && o.pattern == r.pattern)
      throw std::invalid_argument("route added twice: " + r.method + " " + r.pattern);
  routes_.push_back(std::move(r));
  return *this;
}

bool router::matches(const route& r, std::string_view path, path_params* params) noexcept {
  if (path.empty() || path[0] != '/') return false;
  path.remove_prefix(1);
  std::size_t n = 0;
  const std::size_t count = r.segments.size();
  for (std::size_t i = 0; i < count; ++i) {
    const segment& seg = r.segments[i];
    const std::size_t slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    if (seg.param) {
      if (part.empty()) return false;
      if (params) {
        params->names[n] = seg.text;
        params->values[n] = part;
      }
      ++n;
    } else if (part != seg.text) {
      return false;
    }
    if (i + 1 == count) {
      if (slash != std::string_view::npos) return false;
    } else {
      if (slash == std::string_view::npos) return false;
      path.remove_prefix(slash + 1);
    }
  }
  if (params) params->size = n;
  return true;
}

router::match router::find(std::string_view method, std::string_view path) const noexcept {
  match m;
  const target_of t = find(method, path, m.params);
  m.what = t.what;
  m.target = t.target;
  return m;
}

router::target_of router::find(std::string_view method, std::string_view path, path_params& params) const noexcept {
  const route* fallback = nullptr;
  bool path_seen = false;
  for (const route& r : routes_) {
    if (r.method == method) {
      if (matches(r, path, &params)) return {outcome::found, &r.h};
    } else if (!path_seen || (!fallback && method == "HEAD" && r.method == "GET")) {
      if (matches(r, path, nullptr)) {
        path_seen = true;
        if (!fallback && method == "HEAD" && r.method == "GET") fallback = &r;
      }
    }
  }
  if (fallback) {
    matches(*fallback, path, &params);
    return {outcome::found, &fallback->h};
  }
  params.size = 0;
  return {path_seen ? outcome::method_not_allowed : outcome::not_found, nullptr};
}

std::string router::allowed(std::string_view path) const {
  std::vector<std::string_view> methods;
  auto add = [&](std::string_view m) {
    if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
  };
  for (const route& r : routes_) {
    if (path != "*" && !matches(r, path, nullptr)) continue;
    add(r.method);
    if (r.method == "GET") add("HEAD");
  }
  if (methods.empty()) return {};
  add("OPTIONS");
  std::string out;
  for (std::string_view m : methods) {
    if (!out.empty()) out += ", ";
    out += m;
  }
  return out;
}

bool router::has_method(std::string_view method) const noexcept {
  for (const route& r : routes_)
    if (r.method == method) return true;
  return false;
}

}  // namespace barrage::server
