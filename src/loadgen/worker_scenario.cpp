// The worker's virtual users for scenarios and --targets (worker_scenario.hpp). They use the
// worker's connections, retries and records (request_tries(), record()) with their own request
// bytes per step; what is theirs is the flow: rows, variables, captures, think times, and
// the per-step and per-iteration accounting (scenario_stats).
//
// Closed model: connection i is virtual user i, running flows from the top in a loop (or
// --iterations times). Open model: each arrival of the schedule is a new virtual user that
// runs one flow once, on a free slot of the worker (a slot keeps its connection); an arrival
// whose slot frees late is counted late, one never started dropped.
#include <charconv>

#include "http/message.hpp"
#include "loadgen/worker.hpp"
#include "loadgen/worker_scenario.hpp"
#include "runtime/sleep.hpp"
#include "runtime/with_timeout.hpp"

namespace barrage::loadgen {
namespace {

void set_number(std::string& s, std::uint64_t v) {
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, v);
  s.assign(digits, r.ptr);
}

/// A new virtual user in `u` (its buffers kept): a fresh index, no row, empty variables.
void become_new_user(const scenario_plan& sp, virtual_user& u) {
  const bool first = u.vars.size() != sp.variable_count;
  if (first) u.vars.resize(sp.variable_count);
  for (auto& v : u.vars) v.clear();
  u.index = sp.next_user.fetch_add(1, std::memory_order_relaxed);
  u.iterations = 0;
  u.has_row = false;
  // Seeded once per slot (a random_device read may be a system call): later users on the
  // same slot continue its sequence.
  if (first) u.rng.seed(u.index * 0x9e3779b97f4a7c15ull ^ std::random_device{}());
}

/// The row of this iteration into the variables of its columns; false when unique rows ran out.
bool take_row(const scenario_plan& sp, virtual_user& u) {
  const data_feed& d = *sp.data;
  if (d.rows.empty()) return false;
  switch (d.ord) {
    case data_feed::sequential: u.row = static_cast<std::size_t>((u.index + u.iterations) % d.rows.size()); break;
    case data_feed::random: u.row = static_cast<std::size_t>(u.rng() % d.rows.size()); break;
    case data_feed::unique:
      if (!u.has_row) {
        const std::uint64_t r = sp.next_row.fetch_add(1, std::memory_order_relaxed);
        if (r >= d.rows.size()) return false;
        u.row = static_cast<std::size_t>(r);
        u.has_row = true;
      }
      break;
  }
  const auto& row = d.rows[u.row];
  for (std::size_t j = 0; j < d.vars.size() && j < row.size(); ++j) u.vars[d.vars[j]] = row[j];
  return true;
}

const prepared_flow& pick_flow(const scenario_plan& sp, virtual_user& u) {
  const auto n = sp.flows.size();
  if (n == 1) return sp.flows.front();
  if (sp.targets) {  // in turn (each user starting at its own index), or at random
    if (sp.random_targets) return sp.flows[static_cast<std::size_t>(u.rng() % n)];
    return sp.flows[static_cast<std::size_t>((u.index + u.iterations) % n)];
  }
  const double total = sp.flows.back().cumulative_weight;
  const double x = std::uniform_real_distribution<double>(0, total)(u.rng);
  for (const auto& f : sp.flows)
    if (x < f.cumulative_weight) return f;
  return sp.flows.back();
}

/// The parts of a rendered HTTP/1.1 request (render_request) a redirect chain sends again:
/// its method, target, fields (views into `request`, without Host and Content-Length) and body.
void split_step_request(std::string_view request, std::string_view& method, std::string_view& target,
                        std::vector<http::header>& fields, std::string_view& body) {
  fields.clear();
  std::size_t eol = request.find("\r\n");
  const std::string_view line = request.substr(0, eol);
  method = line.substr(0, line.find(' '));
  target = line.substr(method.size() + 1, line.rfind(' ') - method.size() - 1);
  for (std::size_t at = eol + 2; at < request.size(); at = eol + 2) {
    eol = request.find("\r\n", at);
    if (eol == std::string_view::npos || eol == at) {
      body = eol == std::string_view::npos ? std::string_view() : request.substr(eol + 2);
      return;
    }
    const std::string_view f = request.substr(at, eol - at);
    const std::size_t colon = f.find(':');
    const std::string_view name = f.substr(0, colon);
    std::string_view value = f.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (!http::iequals(name, "host") && !http::iequals(name, "content-length")) fields.push_back({name, value});
  }
}

duration think_for(const think_time& t, virtual_user& u) {
  if (t.min >= t.max) return t.max;
  const auto span = static_cast<std::uint64_t>((t.max - t.min).count());
  return t.min + duration(static_cast<duration::rep>(u.rng() % (span + 1)));
}

}  // namespace

task<void> worker::scenario_user(unsigned id) {
  const scenario_plan& sp = *plan_.scenario;
  if (!stats_.scenario.used()) stats_.scenario.init(sp.slot_names, sp.targets);
  virtual_user u;
  // One connection per origin, opened when a step first goes there, kept as a single URL's is.
  std::vector<user_link> conns(sp.origins.size());
  if (schedule_) {  // open model: a new virtual user per arrival
    for (;;) {
      const time_point intended = schedule_->next();
      if (!may_start(intended)) {  // as open_user(): an arrival refused because the run stopped is dropped
        const time_point cut = std::min(plan_.end, stopping_ ? stopped_at_ : mono_clock::now());
        if (!(quota_ && *quota_ == 0) && intended >= plan_.counted_from && intended < cut) ++stats_.count.dropped;
        break;
      }
      if (intended > mono_clock::now()) co_await sleep_until(intended);
      const time_point actual = mono_clock::now();
      if (intended >= plan_.counted_from) {
        stats_.schedule_lag.record(actual - intended);
        if (actual - intended > late_after) ++stats_.count.late;
      }
      become_new_user(sp, u);
      const iteration_end end = co_await scenario_iteration(u, conns, intended, true);
      if (end == iteration_end::cut) break;
    }
  } else {
    co_await sleep_until(plan_.start);
    become_new_user(sp, u);
    if (sp.targets && plan_.config.http == http_choice::http1_1 && plan_.config.redirects == 0) {
      co_await targets_user(id, u, conns);
      release_all(conns);
      user_finished();
      co_return;
    }
    for (;;) {
      while (id >= active_target_ && !stopping_) {  // --ramp: this user waits for its turn
        release_all(conns);
        co_await target_changed_.wait();
      }
      if (stopping_ || (sp.iterations && u.iterations >= *sp.iterations)) break;
      const iteration_end end = co_await scenario_iteration(u, conns, mono_clock::now(), false);
      if (end != iteration_end::ran) break;
    }
  }
  release_all(conns);
  user_finished();
}

task<void> worker::targets_user(unsigned id, virtual_user& u, std::vector<user_link>& conns) {
  const scenario_plan& sp = *plan_.scenario;
  scenario_stats& ss = stats_.scenario;
  for (;;) {
    while (id >= active_target_ && !stopping_) {  // --ramp: this user waits for its turn
      release_all(conns);
      co_await target_changed_.wait();
    }
    if (stopping_ || (sp.iterations && u.iterations >= *sp.iterations)) break;
    const time_point now = mono_clock::now();
    if (!may_start(now)) break;
    const prepared_step& s = pick_flow(sp, u).steps.front();
    ++u.iterations;
    const bool counted = now >= plan_.counted_from;
    if (counted) {
      ++ss.iterations.started;
      ++stats_.count.started;
      ++ss.steps[s.slot].started;
    }
    if (!s.fixed()) render_request(s, u);
    const request_override io = step_request(s, u);
    time_point done;
    const client::outcome o = co_await request_tries(conns[s.origin].http1, now, counted, done, nullptr, &io);
    record(o, counted, now, now, done, &s.expect);
    if (!counted) continue;
    const bool passed = o.ok() && s.expect.ok(o.status);
    ss.record(s.slot, o, passed, static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_ns(done - now))));
    if (passed) ++ss.iterations.completed;
    else
      ss.abort(s.slot, o.ok() ? abort_reason::unexpected_status : abort_reason::request_failed);
  }
}

void worker::release_all(std::vector<user_link>& conns) noexcept {
  for (auto& l : conns) {
    drop_if_closed(l.http1);
    if (l.http1) {
      l.http1.reset();
      open_.fetch_sub(1, std::memory_order_relaxed);
    }
    if (l.h2) {  // closed without a GOAWAY: the user is parked or done, nothing in flight
      l.h2->close();
      l.h2.reset();
      l.flight.reset();
      open_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
}

task<iteration_end> worker::scenario_iteration(virtual_user& u, std::vector<user_link>& conns, time_point intended,
                                               bool admitted) {
  const scenario_plan& sp = *plan_.scenario;
  scenario_stats& ss = stats_.scenario;
  const bool counted = intended >= plan_.counted_from;
  const prepared_flow& f = pick_flow(sp, u);
  if (!admitted && !may_start(intended)) co_return iteration_end::cut;  // its first request may not start
  if (counted) ++ss.iterations.started;
  if (sp.data && !take_row(sp, u)) {
    if (counted) ss.abort(f.steps.front().slot, abort_reason::no_data_row);
    co_return iteration_end::no_row;
  }
  if (sp.uses_numbers) {
    set_number(u.vars[var_user], u.index);
    set_number(u.vars[var_counter], u.iterations);
  }
  if (sp.uses_iteration) set_number(u.vars[var_iteration], sp.next_iteration.fetch_add(1, std::memory_order_relaxed));
  ++u.iterations;
  time_point step_intended = intended;
  for (std::size_t i = 0; i < f.steps.size(); ++i) {
    const prepared_step& s = f.steps[i];
    // The closed model's caller read the clock for `intended` just now: its first step starts then.
    const time_point actual = i == 0 ? (admitted ? mono_clock::now() : intended) : step_intended;
    if (i > 0 && !may_start(actual)) co_return iteration_end::cut;
    const bool h2 = plan_.config.http != http_choice::http1_1;
    if (!h2 && (plan_.config.redirects > 0 || !s.fixed())) render_request(s, u);  // over HTTP/2, scenario_request_h2 renders for the link's protocol
    const bool step_counted = step_intended >= plan_.counted_from;
    if (step_counted) {
      ++stats_.count.started;
      ++ss.steps[s.slot].started;
    }
    time_point done;
    client::outcome o;
    if (h2) {
      o = co_await scenario_request_h2(conns[s.origin], s, u, actual, step_counted, done);
    } else if (plan_.config.redirects > 0) {
      o = co_await scenario_request(conns[s.origin].http1, s, u, actual, step_counted, done);
    } else {  // request_tries awaited from here: a frame less per request
      const request_override io = step_request(s, u);
      o = co_await request_tries(conns[s.origin].http1, actual, step_counted, done, nullptr, &io);
    }
    record(o, step_counted, step_intended, actual, done, &s.expect);
    if (step_counted)
      ss.record(s.slot, o, o.ok() && s.expect.ok(o.status),
                static_cast<std::uint64_t>(std::max<std::int64_t>(0, to_ns(done - step_intended))));
    const step_verdict v = o.ok() ? apply_response(s, o, u) : step_verdict{false, abort_reason::request_failed};
    if (!v.passed) {
      if (counted) ss.abort(s.slot, v.why);
      co_return iteration_end::ran;
    }
    if (!s.think.none() && !stopping_) {
      // Cut short when the run stops: a user thinking is not a request in flight.
      const duration pause = think_for(s.think, u);
      auto paused = co_await with_timeout(pause, stop_.wait());  // either way the pause is over
      (void)paused;
    }
    if (i + 1 == f.steps.size()) break;
    if (stopping_) co_return iteration_end::cut;
    step_intended = mono_clock::now();
  }
  if (counted) {
    ++ss.iterations.completed;
    // A targets run reports no iterations (each is one request): no clock read for them.
    if (!sp.targets) ss.iterations.duration.record(mono_clock::now() - intended);
  }
  co_return iteration_end::ran;
}

request_override worker::step_request(const prepared_step& s, virtual_user& u) const {
  const std::string* fixed = s.fixed();
  request_override io{fixed ? std::string_view(*fixed) : std::string_view(u.request), s.head_request, s.keep_body || s.keep_headers ? &u.response : nullptr, s.origin,
                      client::may_resend(s.idempotent, plan_.config.retry)};
  if (io.keep) u.response.max_body = s.keep_body ? capture_body_limit : 0;
  return io;
}

task<client::outcome> worker::scenario_request(std::optional<client::connection>& conn, const prepared_step& s,
                                               virtual_user& u, time_point actual, bool counted, time_point& done) {
  const request_override io = step_request(s, u);
  std::string location;  // a 3xx's Location
  client::outcome o = co_await request_tries(conn, actual, counted, done, &location, &io);
  if (follows(o)) {  // the chain is the step's request; its last response is the step's
    http::url at = plan_.scenario->origins[s.origin];
    std::string_view method, target, body;
    std::vector<http::header> fields;
    split_step_request(u.request, method, target, fields, body);
    const std::size_t q = target.find('?');
    at.path.assign(target.substr(0, q));
    at.query.assign(q == std::string_view::npos ? std::string_view() : target.substr(q + 1));
    const redirect_source from{&at, method, fields, body, io.keep, s.origin};
    o = co_await follow_redirects(conn, o, std::move(location), actual, counted, &from);
    o.times.first_byte = 0;  // a chain's time is in its hops (redirect_hops), not in the phases
    done = actual + std::chrono::nanoseconds(o.times.complete);
  }
  co_return o;
}

}  // namespace barrage::loadgen
