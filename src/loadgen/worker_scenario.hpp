#pragma once
// A scenario (or a --targets list) as the workers run it: each step's request prepared once
// into pieces (literal bytes, variable slots), each capture ready to apply, the flows with
// their cumulative weights, the steps' report slots. Per request a virtual user only copies
// its variables' values between the literal pieces (render_request): no template is parsed,
// no header list built.
//
// Origins (scheme, host, port): the run's URL (the scenario's base_url, or the origin of its
// first absolute URL) is origin 0; each other origin an absolute step URL names is one more,
// numbered once, when the plan is made. A step holds its origin's index; a virtual user holds
// one connection per origin, indexed by it.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "client/connection.hpp"
#include "h2/client_session.hpp"
#include "http/url.hpp"
#include "loadgen/json_capture.hpp"
#include "loadgen/config.hpp"
#include "loadgen/scenario.hpp"
#include "loadgen/stats.hpp"

namespace barrage::loadgen {

/// One piece of a prepared request: literal bytes or a variable's value. Values written into
/// the request head are made safe for where they go: in the target, bytes up to ' ' and
/// DEL are percent-encoded; in a header value, control bytes become ' ' (a value cannot end
/// the line or the head).
struct request_piece {
  enum place : std::uint8_t { literal, in_target, in_header, in_body };
  place where = literal;
  template_part::escape esc = template_part::raw;
  std::string text;  // literal
  unsigned var = 0;  // the others: index into the scenario's variables
};

/// A capture ready to apply to a response.
struct prepared_capture {
  capture::from source = capture::status;
  unsigned var = 0;
  bool required = false;
  json_path pointer;   // json_pointer
  std::string header;  // header
};

/// The most of a response body a step with a body capture keeps: a longer body ends the
/// iteration (abort_reason::body_over_limit) rather than growing without bound.
inline constexpr std::size_t capture_body_limit = 1 << 20;

/// A step's request as HTTP/2 sends it (runs with --http2 or --http2-prior-knowledge):
/// :path from the target's pieces, the fields with lowercase names and without Host (the
/// origin is :authority) or the connection-specific ones (RFC 9113 §8.2.2), the body's pieces.
struct prepared_h2_field {
  std::string name;
  std::vector<request_piece> value;
};
struct prepared_h2 {
  std::string method, scheme, authority;
  std::vector<request_piece> path;
  std::vector<prepared_h2_field> fields;
  std::vector<request_piece> body;
};

struct prepared_step {
  std::string name;
  unsigned slot = 0;    // index into scenario_stats::steps
  unsigned origin = 0;  // index into scenario_plan::origins (and a user's connections)
  bool head_request = false;
  bool idempotent = true;
  /// Request line to the last header line; when the body has no variables, Content-Length,
  /// the empty line and the body too (head_complete).
  std::vector<request_piece> head;
  bool head_complete = true;
  std::vector<request_piece> body;  // when !head_complete: rendered, then its length written
  bool always_length = false;       // POST, PUT, PATCH: Content-Length even when empty
  std::vector<prepared_capture> captures;
  bool keep_headers = false, keep_body = false;
  /// Which statuses pass: the step's expect, else the run's --success-status.
  success_policy expect;
  think_time think;
  prepared_h2 h2;  // empty unless the run speaks HTTP/2

  /// The whole HTTP/1.1 request when nothing in it varies (a targets file's): sent as it is,
  /// without rendering. Null otherwise.
  const std::string* fixed() const noexcept {
    return head_complete && head.size() == 1 && head[0].where == request_piece::literal ? &head[0].text : nullptr;
  }
};

struct prepared_flow {
  std::string name;
  double cumulative_weight = 0;  // the sum of the weights of this flow and those before
  std::vector<prepared_step> steps;
};

struct scenario_plan {
  std::vector<prepared_flow> flows;
  /// The origins the steps go to (the path and query of each url are "/" and empty): [0] is
  /// the run's URL's, then the others in the order the steps first name them.
  std::vector<http::url> origins;
  std::vector<std::string> slot_names;  // the report's keys, by slot
  bool targets = false;                 // a --targets run: one-step flows taken in turn or at random
  bool random_targets = false;
  std::size_t variable_count = builtin_variable_count;
  bool uses_iteration = false;  // some template reads {{iteration}}
  bool uses_numbers = false;    // some template reads {{user}} or {{counter}}
  const data_feed* data = nullptr;
  std::optional<std::uint64_t> iterations;  // --iterations: per virtual user (closed model)
  std::shared_ptr<const scenario> source;
  std::shared_ptr<const targets_list> source_targets;
  /// Shared by the workers: the next virtual user's index, the next iteration number, the
  /// next unique data row.
  mutable std::atomic<std::uint64_t> next_user{0};
  mutable std::atomic<std::uint64_t> next_iteration{0};
  mutable std::atomic<std::uint64_t> next_row{0};
};

/// The URL a scenario or targets run connects to (its origin and, for a scenario, its path
/// prefix): base_url, else the first absolute step URL's origin. Errors: neither exists.
result<std::string, std::string> scenario_url(const run_config& cfg);

/// Prepares cfg.scenario or cfg.targets for a run whose URL is `origin` (parsed scenario_url):
/// origin 0; a step's absolute URL elsewhere adds its origin. Errors name the step: an
/// invalid URL, method, header or pointer.
result<std::unique_ptr<scenario_plan>, std::string> make_scenario_plan(const run_config& cfg, const http::url& origin);

/// What one virtual user holds: its variables, its row, the buffers its requests and
/// responses reuse (no allocation per request once they have grown).
struct virtual_user {
  std::vector<std::string> vars;
  std::uint64_t index = 0;       // {{user}}
  std::uint64_t iterations = 0;  // {{counter}}: iterations ended so far
  std::size_t row = 0;           // data row (unique: taken once)
  bool has_row = false;
  std::string request;           // the rendered request
  std::string body;              // scratch: a templated body
  client::response_data response;
  std::mt19937_64 rng;
  /// Over HTTP/2: the step's request (render_h2_request), its views into `request` (the
  /// :path and the field values) and `body`.
  h2::request h2_request;
  std::vector<h2::field> h2_fields;
  std::vector<std::size_t> h2_ends;  // scratch: where each value ends in `request`
};

/// How an iteration of a virtual user ended, for its loop.
enum class iteration_end : std::uint8_t {
  ran,     // completed or aborted: the user may go on
  no_row,  // unique data rows: none left for this user (counted aborted, no_data_row)
  cut,     // the run stopped starting requests inside it (counted in flight at the end)
};

/// "http://host:port" (the port left out when it is the scheme's default): an origin as the
/// reports show it.
std::string origin_text(const http::url& u);

/// Writes step `s`'s request for `u` into u.request (its capacity reused).
void render_request(const prepared_step& s, virtual_user& u);

/// Writes step `s`'s HTTP/2 request for `u` into u.h2_request (its strings in u.request,
/// u.body and the plan).
void render_h2_request(const prepared_step& s, virtual_user& u);

/// The outcome of applying a step's expectations and captures to its response.
struct step_verdict {
  bool passed = true;
  abort_reason why = abort_reason::unexpected_status;
};
/// Judges `o` (a completed response, o.ok()) against step `s`; on a pass, stores the
/// captures into u.vars (a capture that found nothing leaves its variable as it was).
step_verdict apply_response(const prepared_step& s, const client::outcome& o, virtual_user& u);

}  // namespace barrage::loadgen
