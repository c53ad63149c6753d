// Preparing a scenario or a targets list for the workers (worker_scenario.hpp), and what a
// virtual user does per request with the result: render the request, judge the response.
#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <unordered_map>

#include "client/retry.hpp"
#include "http/message.hpp"
#include "http/request_template.hpp"
#include "loadgen/options.hpp"
#include "loadgen/worker_scenario.hpp"

namespace barrage::loadgen {
namespace {

void add_literal(std::vector<request_piece>& out, std::string_view text) {
  if (text.empty()) return;
  if (!out.empty() && out.back().where == request_piece::literal) {
    out.back().text.append(text);
    return;
  }
  request_piece p;
  p.text.assign(text);
  out.push_back(std::move(p));
}

void add_template(std::vector<request_piece>& out, const text_template& t, request_piece::place where,
                  std::size_t skip_prefix = 0) {
  for (const auto& part : t.parts) {
    if (part.k == template_part::literal) {
      const std::size_t skip = std::min(skip_prefix, part.text.size());
      add_literal(out, std::string_view(part.text).substr(skip));
      skip_prefix -= skip;
      continue;
    }
    skip_prefix = 0;
    request_piece p;
    p.where = where;
    p.esc = part.esc;
    p.var = part.var;
    out.push_back(std::move(p));
  }
}

/// The template's text with each variable as "x": what the request looks like to the checks.
std::string skeleton(const text_template& t, std::size_t skip_prefix = 0) {
  std::string s;
  for (const auto& part : t.parts) s += part.k == template_part::literal ? part.text : std::string("x");
  return s.substr(std::min(skip_prefix, s.size()));
}

bool same_origin(const http::url& a, const http::url& b) noexcept {
  return a.scheme == b.scheme && a.host == b.host && a.port == b.port;
}

/// The index of `u`'s origin in `origins`, added when it is new.
unsigned origin_index(std::vector<http::url>& origins, const http::url& u) {
  for (std::size_t i = 0; i < origins.size(); ++i)
    if (same_origin(origins[i], u)) return static_cast<unsigned>(i);
  http::url o = u;
  o.path = "/";
  o.query.clear();
  origins.push_back(std::move(o));
  return static_cast<unsigned>(origins.size() - 1);
}

/// The length of the scheme and authority of an absolute step URL ("http://h:8080" of
/// "http://h:8080/x"): up to the first '/', '?' of the first literal part, or all of it.
std::size_t origin_length(const text_template& t) {
  if (t.parts.empty() || t.parts.front().k != template_part::literal) return 0;
  const std::string& first = t.parts.front().text;
  const std::size_t scheme_end = first.find("://");
  if (scheme_end == std::string::npos) return 0;
  const std::size_t end = first.find_first_of("/?", scheme_end + 3);
  return end == std::string::npos ? first.size() : end;
}

/// Whether HTTP/2 forbids a field of this (lowercase) name: the connection-specific ones
/// (RFC 9113 §8.2.2; TE other than "trailers" too, which a generator has no use for).
bool h2_forbidden(std::string_view name) noexcept {
  return name == "connection" || name == "keep-alive" || name == "proxy-connection" || name == "transfer-encoding" ||
         name == "upgrade" || name == "te";
}

/// The step's request as HTTP/2 sends it (prepared_h2): `prefix` and `skip` as for its
/// HTTP/1.1 head.
void prepare_h2(const step& st, const http::url& origin, const std::string& prefix, std::size_t skip,
                prepared_h2& out) {
  out.method = st.method;
  out.scheme = origin.scheme == http::url_scheme::https ? "https" : "http";
  out.authority = origin.host_header();
  add_literal(out.path, prefix);
  add_template(out.path, st.target, request_piece::in_target, skip);
  if (out.path.empty() || (out.path.front().where == request_piece::literal &&
                           (out.path.front().text.empty() || out.path.front().text.front() == '?')))
    out.path.insert(out.path.begin(), request_piece{request_piece::literal, template_part::raw, "/", 0});
  for (const auto& [name, value] : st.headers) {
    std::string lower(name);
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (h2_forbidden(lower)) continue;
    prepared_h2_field f;
    f.name = std::move(lower);
    add_template(f.value, value, request_piece::in_header);
    out.fields.push_back(std::move(f));
  }
  add_template(out.body, st.body, request_piece::in_body);
}

/// `base_path`: the path prefix of the scenario's base_url, without its last '/' ("" for none).
/// `origins`: the run's so far ([0]: its URL's); the step's own is added when it is new.
result<void, std::string> check_and_prepare(const step& st, const run_config& cfg, std::vector<http::url>& origins,
                                            const std::string& base_path, prepared_step& out) {
  const std::string where = "step \"" + st.name + "\": ";
  std::size_t skip = 0;
  std::string prefix;
  out.origin = 0;
  if (st.absolute) {
    skip = origin_length(st.target);
    if (skip == 0 || (skip == st.target.parts.front().text.size() && st.target.parts.size() > 1))
      return fail(where + "the scheme, host and port of an absolute URL are literal");
    auto u = parse_target_url(std::string_view(st.target.parts.front().text).substr(0, skip));
    if (!u) return fail(where + u.error());
    out.origin = origin_index(origins, *u);
  } else {
    prefix = base_path;
  }
  const http::url& origin = origins[out.origin];
  if (cfg.http == http_choice::h2_prior_knowledge && origin.scheme == http::url_scheme::https)
    return fail(where + "--http2-prior-knowledge is for http:// origins; " + origin_text(origin) +
                " negotiates h2 by ALPN: use --http2");
  std::string target = prefix + skeleton(st.target, skip);
  if (target.empty() || target.front() == '?') target.insert(0, "/");
  // The skeleton through the request template's checks: method, target, header names and values.
  std::vector<std::string> values;
  values.reserve(st.headers.size());
  std::vector<http::header> fields;
  for (const auto& [name, value] : st.headers) fields.push_back({name, values.emplace_back(skeleton(value))});
  const std::string host = origin.host_header();
  const std::string body = skeleton(st.body);  // the spec holds views: the body must outlive it
  http::request_spec spec{st.method, target, host, fields, body};
  if (auto t = http::request_template::make(spec); !t) return fail(where + http::to_string(t.error()));

  out.name = st.name;
  out.head_request = st.method == "HEAD";
  out.idempotent = client::is_idempotent(st.method);
  out.always_length = st.method == "POST" || st.method == "PUT" || st.method == "PATCH";
  add_literal(out.head, st.method + " " + prefix);
  add_template(out.head, st.target, request_piece::in_target, skip);
  add_literal(out.head, " HTTP/1.1\r\nHost: " + host + "\r\n");
  for (const auto& [name, value] : st.headers) {
    add_literal(out.head, name + ": ");
    add_template(out.head, value, request_piece::in_header);
    add_literal(out.head, "\r\n");
  }
  if (!cfg.keepalive) add_literal(out.head, "Connection: close\r\n");
  out.head_complete = st.body.constant();
  if (out.head_complete) {
    const std::string body = st.body.literal_text();
    if (!body.empty() || out.always_length) add_literal(out.head, "Content-Length: " + std::to_string(body.size()) + "\r\n");
    add_literal(out.head, "\r\n" + body);
  } else {
    add_template(out.body, st.body, request_piece::in_body);
  }
  if (cfg.http != http_choice::http1_1) prepare_h2(st, origin, prefix, skip, out.h2);
  for (const auto& c : st.captures) {
    prepared_capture p;
    p.source = c.source;
    p.var = c.var;
    p.required = std::find(st.expect.must_capture.begin(), st.expect.must_capture.end(), c.var) != st.expect.must_capture.end();
    if (c.source == capture::json_pointer) {
      auto path = parse_json_pointer(c.where);
      if (!path) return fail(where + "bad JSON pointer \"" + c.where + "\": " + path.error());
      p.pointer = std::move(*path);
      out.keep_body = true;
    } else if (c.source == capture::header) {
      p.header = c.where;
      out.keep_headers = true;
    }
    out.captures.push_back(std::move(p));
  }
  out.expect = cfg.success;
  if (!st.expect.statuses.empty()) {
    out.expect.clear();
    for (const auto& [lo, hi] : st.expect.statuses) out.expect.set_range(lo, hi);
  }
  out.think = st.think;
  return {};
}

/// Whether a piece of step `s`'s request reads one of the variables `vars`.
bool reads_any(const prepared_step& s, std::initializer_list<std::size_t> vars) {
  for (const auto* v : {&s.head, &s.body})
    for (const auto& p : *v)
      if (p.where != request_piece::literal && std::find(vars.begin(), vars.end(), p.var) != vars.end()) return true;
  return false;
}

}  // namespace

std::string origin_text(const http::url& u) {
  return std::string(u.scheme == http::url_scheme::https ? "https://" : "http://") + u.host_header();
}

result<std::string, std::string> scenario_url(const run_config& cfg) {
  if (cfg.scenario && !cfg.scenario->base_url.empty()) return cfg.scenario->base_url;
  const std::vector<flow>* flows = cfg.scenario ? &cfg.scenario->flows : cfg.targets ? &cfg.targets->targets : nullptr;
  if (flows)
    for (const auto& f : *flows)
      for (const auto& s : f.steps)
        if (s.absolute && origin_length(s.target) > 0) return s.target.parts.front().text.substr(0, origin_length(s.target));
  return fail(std::string("the scenario has no base_url and no step with an absolute URL"));
}

result<std::unique_ptr<scenario_plan>, std::string> make_scenario_plan(const run_config& cfg, const http::url& origin) {
  if (cfg.pipeline > 1) return fail(std::string("scenarios and --targets do not pipeline (--pipeline 1)"));
  if (cfg.streams > 1)
    return fail(std::string("scenarios and --targets run one stream at a time per virtual user (its steps go in "
                            "order): -m/--streams 1; more users (-c) for more streams"));
  auto plan = std::make_unique<scenario_plan>();
  plan->source = cfg.scenario;
  plan->source_targets = cfg.targets;
  plan->targets = !cfg.scenario && cfg.targets;
  const std::vector<flow>& flows = cfg.scenario ? cfg.scenario->flows : cfg.targets->targets;
  if (flows.empty()) return fail(std::string(plan->targets ? "the targets list is empty" : "the scenario has no flow"));
  if (cfg.scenario) {
    plan->variable_count = std::max<std::size_t>(cfg.scenario->variables.size(), builtin_variable_count);
    if (cfg.scenario->data) plan->data = &*cfg.scenario->data;
  } else {
    plan->random_targets = cfg.targets->ord == targets_list::random;
  }
  plan->iterations = cfg.iterations;
  origin_index(plan->origins, origin);
  std::string base_path;
  if (cfg.scenario && !cfg.scenario->base_url.empty()) {
    auto base = parse_target_url(cfg.scenario->base_url);
    if (!base) return fail("base_url: " + base.error());
    if (base->path != "/") base_path = base->path;
    if (!base_path.empty() && base_path.back() == '/') base_path.pop_back();
  }
  std::unordered_map<std::string, unsigned> slots;
  double total = 0;
  for (const auto& f : flows) {
    prepared_flow pf;
    pf.name = f.name;
    total += f.weight > 0 ? f.weight : 0;
    pf.cumulative_weight = total;
    for (const auto& st : f.steps) {
      prepared_step ps;
      if (auto ok = check_and_prepare(st, cfg, plan->origins, base_path, ps); !ok) return fail(ok.error());
      auto [it, added] = slots.try_emplace(st.name, static_cast<unsigned>(plan->slot_names.size()));
      if (added) plan->slot_names.push_back(st.name);
      ps.slot = it->second;
      plan->uses_iteration = plan->uses_iteration || reads_any(ps, {var_iteration});
      plan->uses_numbers = plan->uses_numbers || reads_any(ps, {var_user, var_counter});
      pf.steps.push_back(std::move(ps));
    }
    if (pf.steps.empty()) return fail("flow \"" + f.name + "\" has no step");
    plan->flows.push_back(std::move(pf));
  }
  if (!(total > 0)) return fail(std::string("the flows' weights add up to 0"));
  return plan;
}

namespace {

void append_random_id(std::string& out, std::mt19937_64& rng) {
  const std::uint64_t v = rng();
  for (int i = 0; i < 16; ++i) out.push_back("0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf]);
}

void append_json_escaped(std::string& out, std::string_view v) {
  for (char c : v) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (b < 0x20) {
      out.append("\\u00");
      out.push_back("0123456789abcdef"[b >> 4]);
      out.push_back("0123456789abcdef"[b & 0xf]);
    } else {
      out.push_back(c);
    }
  }
}

void append_piece(std::string& out, const request_piece& p, virtual_user& u) {
  if (p.where == request_piece::literal) {
    out.append(p.text);
    return;
  }
  if (p.var == var_random_id) {
    append_random_id(out, u.rng);  // hex digits: safe anywhere
    return;
  }
  const std::string& v = u.vars[p.var];
  switch (p.where) {
    case request_piece::in_target:
      for (char c : v) {
        const auto b = static_cast<unsigned char>(c);
        if (b > 0x20 && b != 0x7f) {
          out.push_back(c);
          continue;
        }
        out.push_back('%');
        out.push_back("0123456789ABCDEF"[b >> 4]);
        out.push_back("0123456789ABCDEF"[b & 0xf]);
      }
      return;
    case request_piece::in_header:
      for (char c : v) {
        const auto b = static_cast<unsigned char>(c);
        out.push_back((b < 0x20 && c != '\t') || b == 0x7f ? ' ' : c);
      }
      return;
    default:
      if (p.esc == template_part::json_string) append_json_escaped(out, v);
      else
        out.append(v);
      return;
  }
}

}  // namespace

void render_request(const prepared_step& s, virtual_user& u) {
  std::string& out = u.request;
  out.clear();
  for (const auto& p : s.head) append_piece(out, p, u);
  if (s.head_complete) return;
  u.body.clear();
  for (const auto& p : s.body) append_piece(u.body, p, u);
  if (!u.body.empty() || s.always_length) {
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, u.body.size());
    out.append("Content-Length: ").append(digits, r.ptr).append("\r\n");
  }
  out.append("\r\n").append(u.body);
}

void render_h2_request(const prepared_step& s, virtual_user& u) {
  const prepared_h2& h = s.h2;
  std::string& out = u.request;  // :path, then each field's value, back to back
  out.clear();
  u.h2_ends.clear();
  for (const auto& p : h.path) append_piece(out, p, u);
  u.h2_ends.push_back(out.size());
  for (const auto& f : h.fields) {
    for (const auto& p : f.value) append_piece(out, p, u);
    u.h2_ends.push_back(out.size());
  }
  u.body.clear();
  for (const auto& p : h.body) append_piece(u.body, p, u);
  const bool length = !u.body.empty() || s.always_length;
  if (length) {
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, u.body.size());
    out.append(digits, r.ptr);
    u.h2_ends.push_back(out.size());
  }
  // The views, once `out` has stopped growing.
  u.h2_fields.clear();
  std::size_t at = u.h2_ends[0];
  for (std::size_t i = 0; i < h.fields.size(); ++i) {
    u.h2_fields.push_back({h.fields[i].name, std::string_view(out).substr(at, u.h2_ends[i + 1] - at)});
    at = u.h2_ends[i + 1];
  }
  if (length) u.h2_fields.push_back({"content-length", std::string_view(out).substr(at)});
  h2::request& r = u.h2_request;
  r.method = h.method;
  r.scheme = h.scheme;
  r.authority = h.authority;
  r.path = std::string_view(out).substr(0, u.h2_ends[0]);
  r.fields = u.h2_fields;
  r.body = u.body;
}

step_verdict apply_response(const prepared_step& s, const client::outcome& o, virtual_user& u) {
  if (!s.expect.ok(o.status)) return {false, abort_reason::unexpected_status};
  if (s.captures.empty()) return {};
  if (s.keep_body && u.response.body_truncated) return {false, abort_reason::body_over_limit};
  for (const auto& c : s.captures) {
    std::string& var = u.vars[c.var];
    bool found = false;
    switch (c.source) {
      case capture::status: {
        char digits[8];
        const auto r = std::to_chars(digits, digits + sizeof digits, o.status);
        var.assign(digits, r.ptr);
        found = true;
        break;
      }
      case capture::header:
        for (const auto& [name, value] : u.response.headers)
          if (http::iequals(name, c.header)) {
            var = value;
            found = true;
            break;
          }
        break;
      case capture::json_pointer:  // one scan of the body per capture, no document built
        found = json_capture(u.response.body, c.pointer, var) == json_capture_status::found;
        break;
    }
    if (!found && c.required) return {false, abort_reason::missing_capture};
  }
  return {};
}

}  // namespace barrage::loadgen
