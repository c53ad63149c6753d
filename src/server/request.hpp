#pragma once
// request: what a handler sees of one HTTP request. Every view points into the connection's
// buffers and stays valid until the handler's response has been written; copy what must
// live longer. Header names and values are as received (names keep their case).
#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

#include "http/request_parser.hpp"

namespace barrage::server {

/// Values of the {name} segments of the route that matched, in pattern order.
struct path_params {
  static constexpr std::size_t capacity = 8;
  std::array<std::string_view, capacity> names{};
  std::array<std::string_view, capacity> values{};
  std::size_t size = 0;

  /// The value of {name}, or an empty view.
  std::string_view get(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < size; ++i)
      if (names[i] == name) return values[i];
    return {};
  }
};

class request {
 public:
  request() = default;
  /// For tests and embedders: a request over a parsed head (the head must outlive it).
  explicit request(const http::request_head& head, std::string_view body = {}) noexcept
      : head_(&head), headers_(head.headers), body_(body) {}

  std::string_view method() const noexcept { return head_->method; }
  /// The request-target exactly as sent ("/path?query", or absolute form).
  std::string_view target() const noexcept { return head_->target; }
  /// The path of the target, not percent-decoded ("" for the authority and asterisk forms).
  std::string_view path() const noexcept { return head_->parts.path; }
  /// The query without its '?', not decoded.
  std::string_view query() const noexcept { return head_->parts.query; }
  http::http_version version() const noexcept { return head_->version; }
  std::string_view host() const noexcept { return head_->host; }

  /// The header fields in arrival order (names with '_' are dropped by the server).
  std::span<const http::header> headers() const noexcept { return headers_; }
  /// The value of the first field named `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const noexcept {
    const http::header* h = http::find_header(headers_, name);
    if (!h) return std::nullopt;
    return h->value;
  }

  /// The whole body (Content-Length or de-chunked); empty when there is none.
  std::string_view body() const noexcept { return body_; }

  /// A {name} path parameter of the matched route, or an empty view.
  std::string_view param(std::string_view name) const noexcept { return params_.get(name); }
  const path_params& params() const noexcept { return params_; }

  /// The raw (not percent-decoded) value of the first `name=value` pair of the query;
  /// an empty view for `name` or `name=`, nullopt when absent.
  std::optional<std::string_view> query_param(std::string_view name) const noexcept {
    std::string_view q = query();
    while (!q.empty()) {
      const std::size_t amp = q.find('&');
      const std::string_view pair = q.substr(0, amp);
      const std::size_t eq = pair.find('=');
      if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
      if (amp == std::string_view::npos) break;
      q.remove_prefix(amp + 1);
    }
    return std::nullopt;
  }

  // Set by the server (and tests).
  void set_params(const path_params& p) noexcept {  // the used entries only: this runs per request
    for (std::size_t i = 0; i < p.size; ++i) {
      params_.names[i] = p.names[i];
      params_.values[i] = p.values[i];
    }
    params_.size = p.size;
  }
  /// Where the router writes the matched route's parameters.
  path_params& params_to_fill() noexcept { return params_; }
  /// Makes this the request of `head` with no path parameters, as request(head, body) would,
  /// without building and copying a whole one.
  void reset(const http::request_head& head, std::string_view body = {}) noexcept {
    head_ = &head;
    headers_ = head.headers;
    body_ = body;
    params_.size = 0;
  }
  void set_headers(std::span<const http::header> h) noexcept { headers_ = h; }
  void set_body(std::string_view b) noexcept { body_ = b; }
  const http::request_head& head() const noexcept { return *head_; }

 private:
  const http::request_head* head_ = nullptr;
  std::span<const http::header> headers_;
  std::string_view body_;
  path_params params_;
};

}  // namespace barrage::server
