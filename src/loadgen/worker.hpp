#pragma once
// A worker: one thread, one event loop, its share of the connections and of the rate, its
// own run_stats. Nothing on the request path is shared with another thread; once a second
// it publishes what the last second added, under a mutex the hot path never takes.
#include <atomic>
#include <deque>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "client/connection.hpp"
#include "client/h2_connection.hpp"
#include "client/retry.hpp"
#include "h2/client_session.hpp"
#include "http/url.hpp"
#include "loadgen/config.hpp"
#include "loadgen/h2_flight.hpp"
#include "loadgen/schedule.hpp"
#include "loadgen/stats.hpp"
#include "loadgen/timeline.hpp"
#include "net/address.hpp"
#include "net/resolver.hpp"
#include "net/tls_context.hpp"
#include "runtime/async_event.hpp"
#include "runtime/event_loop.hpp"
#include "runtime/spawn.hpp"

namespace barrage::loadgen {

// Scenarios and --targets (worker_scenario.hpp).
struct scenario_plan;
struct prepared_step;
struct virtual_user;
enum class iteration_end : std::uint8_t;

/// A request other than the plan's (a scenario step's): its bytes, whether it is HEAD, where
/// its response's headers and body are kept (null: nowhere), and the origin (index into
/// run_plan::origins) a new connection for it goes to.
struct request_override {
  std::string_view bytes;
  bool head = false;
  client::response_data* keep = nullptr;
  unsigned origin = 0;
  bool may_resend = false;  // after the keep-alive race (client::may_resend)
};

/// A virtual user's connection to one origin (worker_scenario.cpp): HTTP/1.1, or with
/// --http2 / --http2-prior-knowledge an HTTP/2 connection carrying one stream at a time
/// (HTTP/1.1 where ALPN chose it: `http1` then).
struct user_link {
  std::optional<client::connection> http1;
  std::optional<client::h2_connection> h2;
  std::optional<h2_flight> flight;  // with h2: its stream, its GOAWAY
  std::uint64_t streams = 0;        // submitted on h2
};

/// The request a redirect chain starts from (worker_redirects.cpp): its URL (relative
/// Locations resolve against it; hops to its origin use the request's connection), method,
/// fields and body; where each hop's response headers and body go (null: nowhere); the index
/// into run_plan::origins of its origin.
struct redirect_source {
  const http::url* url = nullptr;
  std::string_view method;
  std::span<const http::header> fields;
  std::string_view body;
  client::response_data* keep = nullptr;
  unsigned origin = 0;
};

/// Where the connections to one origin go, decided once when the run is prepared.
struct origin_route {
  http::url url;  // scheme (TLS for https), host (SNI, the certificate's name) and port
  net::socket_address target;  // when the host is an address
  /// When the host is a name: each worker resolves it (through its own cache, with the run's
  /// --dns-ttl) whenever it opens a connection, and takes the addresses round-robin.
  bool resolve = false;
  /// --resolve for the host and port: its addresses, taken round-robin; no lookup.
  std::vector<net::socket_address> pinned;
};

/// The error kind of a failed connect.
client::error_kind connect_error(std::errc e) noexcept;

/// Read-only after the run starts; shared by all workers.
struct run_plan {
  run_config config;
  /// [0]: the URL's origin; then a scenario's other origins (scenario_plan::origins).
  std::vector<origin_route> origins;
  /// https:// origins, and runs that follow redirects (which may lead to https://): the run's
  /// TLS settings and session cache, shared by all workers.
  std::optional<net::tls_context> tls;
  std::string request;    // one request, formatted once
  /// The same request for HTTP/2 (--http2, --http2-prior-knowledge): views into h2_strings.
  h2::request h2_request;
  std::vector<h2::field> h2_fields;
  std::vector<std::string> h2_strings;  // lowercase names, values, :authority and :path
  http::url url;          // the target, parsed: redirects resolve against it
  std::vector<http::header> fields;  // the request's fields (views into config.headers)
  bool head_request = false;
  /// A request the server never processed may go again (client::may_resend).
  bool may_resend = true;
  /// Open model: each second's uncorrected latencies are published too (second_report), for a
  /// second observer (--hdr-log); otherwise nothing records them per second.
  bool per_second_uncorrected = false;
  time_point start;       // first request
  time_point counted_from;  // start + warm-up: requests started before are not counted
  time_point end;         // no request starts at or after it
  std::atomic<bool> interrupted{false};  // SIGINT: stop starting requests
  /// A scenario or --targets run: what each virtual user runs instead of `request`.
  std::shared_ptr<const scenario_plan> scenario;
};

/// One request's tries so far (request_tries): the retry state, the bytes written, when the
/// last try started, its outcome and what follows it.
struct tries_so_far {
  client::retry_state tries;
  std::uint64_t written = 0;
  time_point start;
  client::outcome o;
  client::retry_step step = client::retry_step::done;
};

class worker {
 public:
  /// `profile`: this worker's share of the rate (open model) or of the active connections
  /// (closed model) over time; `quota`: its share of -n; `first_connection`: the run-wide
  /// index of its first connection (where its turn in the --source round-robin starts).
  worker(const run_plan& plan, unsigned connections, std::optional<std::uint64_t> quota, ramp_profile profile,
         unsigned first_connection = 0);
  /// The thread body: runs until every connection finished or the grace period ended.
  void run();
  /// Coroutine frames its thread keeps cached per size class while it runs
  /// (frame_allocator::limit_cache). A request frees and makes its frames one for one, so a
  /// few suffice; the connect-time frames of thousands of connections opened at once go back
  /// to malloc as each one opens, and what the connection allocates next reuses their room.
  static constexpr std::size_t frames_cached_per_class = 64;
  /// Any thread, after setting plan.interrupted: wakes run() to stop starting requests now.
  void interrupt();

  /// Any thread: the seconds completed since the last call, and live figures.
  std::vector<second_report> take_seconds();
  counters live_counters() const;
  unsigned open_connections() const noexcept { return open_.load(std::memory_order_relaxed); }
  double cpu_seconds() const noexcept { return cpu_s_.load(std::memory_order_relaxed); }
  /// Any thread: its loop's figures now (after run(): as it ended). Lag is sampled only when
  /// the run serves metrics (config.metrics).
  loop_metrics_snapshot loop_health();

  /// After run(): everything counted, and when the last counted request finished.
  const run_stats& stats() const noexcept { return stats_; }
  time_point last_done() const noexcept { return last_done_; }

 private:
  task<void> main();
  /// Sets `e` at `t` (unless cancelled first).
  task<void> set_at(async_event& e, time_point t);
  /// A connection's task ended: the last one sets users_done_ and stop_.
  void user_finished() noexcept;
  task<void> closed_user(unsigned id);
  /// Closed model: while --ramp keeps connection `id` aside (and the run goes on), its
  /// connection closed and the user waiting for the next change of the target.
  task<void> set_aside(std::optional<client::connection>& conn, unsigned id);
  /// The closed model over HTTP/2: each connection keeps --streams requests in flight as
  /// streams (worker_h2.cpp). With --http2 a connection whose ALPN gave http/1.1 runs the
  /// HTTP/1.1 loop instead.
  task<void> closed_user_h2(unsigned id);
  /// Runs requests on one h2 connection until it ends or no request may start: false when
  /// no more may start.
  /// Runs requests on one h2 connection until it ends, no request may start, or --ramp sets
  /// connection `id` aside; `retries` are this connection's requests waiting to go again.
  /// False when no new request may start.
  task<bool> h2_session(net::transport t, unsigned id, std::deque<h2_job>& retries);
  /// --http2 where ALPN gave http/1.1: the HTTP/1.1 loop on this connection; false when no
  /// more requests may start.
  task<bool> closed_http1_fallback(unsigned id, net::transport t);
  h2::session_options h2_options() const noexcept;
  /// A stream that ended at `done`: queued in `retries` when --retries lets it go again
  /// (h2_unprocessed kinds whatever the method, else the policy), else recorded.
  void h2_settle(h2_stream& s, time_point done, std::deque<h2_job>& retries);
  void h2_settle_all(h2_flight& f, std::deque<h2_job>& retries);
  /// The open model over HTTP/2 (worker_h2_open.cpp): the dispatcher, and one slot task per
  /// connection.
  struct h2_slot;
  task<void> open_user_h2();
  task<void> open_user_h2_drain();
  task<h2_slot*> h2_slot_for(h2_job& job, std::vector<h2_slot*>& dirty);
  void h2_submit(h2_slot& s, h2_job& job, std::vector<h2_slot*>& dirty);
  h2_slot* h2_pick() noexcept;
  void h2_pulse();
  task<void> h2_write(h2_slot& s);
  task<void> h2_slot_run();
  task<void> h2_slot_session(h2_slot& s, net::transport t);
  task<void> h2_slot_http1(h2_slot& s, net::transport t);
  /// The transport of a new connection to plan_.origins[origin] (TCP, then TLS for https),
  /// counted in the stats and phases; nothing with o's error.
  task<std::optional<net::transport>> open_transport(client::outcome& o, unsigned origin = 0);
  task<void> open_user(unsigned id);
  /// Scenarios and --targets (worker_scenario.cpp): a virtual user (closed model), or a slot
  /// that starts a new virtual user at each arrival (open model), running flows.
  task<void> scenario_user(unsigned id);
  /// `conns`: the user's connection to each origin (indexed as scenario_plan::origins).
  task<iteration_end> scenario_iteration(virtual_user& u, std::vector<user_link>& conns, time_point intended,
                                         bool admitted);
  /// Closes each of `conns` (a parked or finished user's).
  void release_all(std::vector<user_link>& conns) noexcept;
  /// The closed model of a --targets run over HTTP/1.1 without --redirects: an iteration is
  /// one request with nothing to capture, so it is run here, as scenario_iteration would, with
  /// no coroutine frame of its own per request.
  task<void> targets_user(unsigned id, virtual_user& u, std::vector<user_link>& conns);
  /// One step's request, for request_tries on the user's connection to the step's origin.
  request_override step_request(const prepared_step& s, virtual_user& u) const;
  /// One step's request on `conn` with --redirects (request_tries, then the step's chain);
  /// `done` receives when it completed. Over HTTP/1.1 u.request holds it, rendered.
  task<client::outcome> scenario_request(std::optional<client::connection>& conn, const prepared_step& s,
                                         virtual_user& u, time_point actual, bool counted, time_point& done);
  /// The same with --http2 / --http2-prior-knowledge (worker_scenario_h2.cpp): renders the
  /// request for the link's protocol itself.
  task<client::outcome> scenario_request_h2(user_link& link, const prepared_step& s, virtual_user& u,
                                            time_point actual, bool counted, time_point& done);
  /// One try of it; `rendered`: the protocol u's buffers hold the request for (0: none yet,
  /// 1: HTTP/1.1, 2: HTTP/2), kept across tries.
  task<client::outcome> scenario_h2_attempt(user_link& link, const prepared_step& s, virtual_user& u,
                                            time_point start, bool& reused, std::uint64_t& written, int& rendered);
  /// One stream on link.h2, from submit to its end (by `start` + --timeout).
  task<client::outcome> scenario_h2_stream(user_link& link, const prepared_step& s, virtual_user& u,
                                           time_point start, std::uint64_t& written);
  /// One HTTP/1.1 exchange of `io` on `conn`, open (an origin where ALPN chose HTTP/1.1), as
  /// one try of request_tries; `written` grows by the bytes written.
  task<client::outcome> h1_exchange(std::optional<client::connection>& conn, time_point start, std::uint64_t& written,
                                    const request_override& io);
  /// Closes link's HTTP/2 connection (GOAWAY first when it is alive), if any.
  task<void> close_h2_link(user_link& link);
  task<void> ticker();
  task<void> ramp_controller();
  /// One counted-or-not request on `conn` (connecting first when needed), with retries,
  /// recorded (request_tries, record).
  task<void> one_request(std::optional<client::connection>& conn, time_point intended, time_point actual);
  task<void> pipelined_round(std::optional<client::connection>& conn, std::uint64_t n);
  /// One request on `conn` (connecting first when needed), with its re-send after the
  /// keep-alive race and its retries, each try in this one frame: the last try's outcome
  /// (attempts set), and `done` when it completed. `actual`: when the first try starts.
  /// `counted`: its bytes written count. `location` (redirect_target: null unless --redirects)
  /// receives a redirect's Location, and the plan's request's redirect is followed (the outcome is
  /// the chain's, timed from `actual`; a step's, `other`, is scenario_request's to follow). `other`: a request other than the plan's (a scenario step's).
  /// `first`: the request's first try, already run by the caller (closed_user's plain path):
  /// its tries go on from first->step.
  task<client::outcome> request_tries(std::optional<client::connection>& conn, time_point actual, bool counted,
                                      time_point& done, std::string* location, const request_override* other = nullptr,
                                      tries_so_far* first = nullptr);
  /// closed_user's plain request whose first try on `conn` ended in `first` and was not done
  /// (a re-send or a retry follows): the rest of its tries (request_tries), settled.
  task<client::outcome> plain_tries(std::optional<client::connection>& conn, const client::outcome& first, bool reused,
                                    std::uint64_t written, time_point start, bool counted, time_point& done);
  /// After a try on `conn` (open when it started): its TLS failure noted, the connection
  /// closed without keep-alive, and dropped when closed.
  void after_try(std::optional<client::connection>& conn, client::outcome& o);
  /// The request whose tries are `st` is over: its outcome (attempts set), its bytes written
  /// counted when it is, `done` when it completed.
  client::outcome settle(tries_so_far& st, bool counted, time_point& done) noexcept;
  /// Counts a request intended at `intended` as started when it is counted; whether it is.
  bool count_start(time_point intended) noexcept {
    const bool counted = intended >= plan_.counted_from;
    if (counted) ++stats_.count.started;
    return counted;
  }
  /// `s`, where request_tries keeps a redirect's Location, or null without --redirects.
  std::string* redirect_target(std::string& s) const noexcept { return plan_.config.redirects > 0 ? &s : nullptr; }
  /// At least `n` copies of the request, back to back. Grown on demand, so memory follows the
  /// depth actually used; a replaced buffer is kept, as a connection may still be writing it.
  std::string_view batch_for(std::uint64_t n);
  /// Follows `o`, a response to the request, through up to --redirects hops (`location`: its
  /// Location field); the chain's last outcome, timed from `start`. worker_redirects.cpp.
  /// `from`: the request the chain starts from (null: the plan's).
  task<client::outcome> follow_redirects(std::optional<client::connection>& conn, client::outcome o,
                                         std::string location, time_point start, bool counted,
                                         const redirect_source* from = nullptr);
  task<client::outcome> redirect_hop(std::optional<client::connection>& conn, const http::url& to,
                                     std::string_view request, bool head, time_point deadline, std::string& location,
                                     bool counted, const redirect_source& from);
  /// `conn` open (a new connection to plan_.origins[origin] when it is not); false with o's error.
  task<bool> ensure_connected(std::optional<client::connection>& conn, client::outcome& o, unsigned origin = 0);
  /// A connection of its own for a redirect to another origin `to` (its --resolve entry, its
  /// address or a lookup; TLS for https), counted; false with o's error.
  task<bool> connect_elsewhere(std::optional<client::connection>& conn, const http::url& to, client::outcome& o);
  /// The TLS handshake over a new connection, by `deadline`: the TLS transport, or nothing
  /// with o's error (tls_verify, tls_handshake, connect_timeout) and its reason kept.
  /// `host` and `port` name the server (SNI, the certificate's name, the session cache).
  task<std::optional<net::transport>> secure(net::tcp_stream plain, time_point deadline, client::outcome& o,
                                             const std::string& host, std::uint16_t port);
  /// The address for the next connection to `r`: its address, or the next of its --resolve
  /// addresses or of its name's (of the --source family when one is given); false with o's
  /// error when there is none.
  task<bool> next_target(net::socket_address& to, client::outcome& o, const origin_route& r);
  /// The next of `addrs` round-robin, of the --source family when one is given; null when none is.
  const net::socket_address* next_of(const std::vector<net::socket_address>& addrs) noexcept;
  void drop_if_closed(std::optional<client::connection>& conn) noexcept;
  bool may_start(time_point t) noexcept;
  bool follows(const client::outcome& o) const noexcept;
  /// `success`: the statuses that count as success (null: the run's --success-status).
  void record(const client::outcome& o, bool counted, time_point intended, time_point actual, time_point done,
              const success_policy* success = nullptr);
  void publish_second();

  const run_plan& plan_;
  unsigned connections_;
  std::optional<std::uint64_t> quota_;
  ramp_profile profile_;
  std::optional<arrival_schedule> schedule_;  // open model
  unsigned active_target_;                    // closed model: connections that may send
  async_event target_changed_;

  run_stats stats_;
  /// The head field slots of this thread's HTTP/1.1 connections (client::connection's shared
  /// slots): a response's fields are used before its parse step returns, so one set serves
  /// them all and stays in the cache, where a thousand connections' own would not.
  std::array<http::header, client::connection::few_fields> field_slots_{};
  // The current second, published by ticker().
  std::uint64_t second_index_ = 0;
  std::uint64_t second_requests_ = 0, second_errors_ = 0;
  histogram second_latency_;
  std::optional<histogram> second_uncorrected_;  // open model: from the actual send

  mutable std::mutex pub_mutex_;
  std::vector<second_report> published_;
  counters pub_counters_;
  std::atomic<unsigned> open_{0};
  std::atomic<double> cpu_s_{0};
  std::vector<std::unique_ptr<std::string>> batches_;  // the last is the current one
  /// Per origin (run_plan::origins), failed connects in a row: backs the next connect off.
  /// run_config::response_hold (on unless --no-response-hold): the open model's loop holds I/O until each timer batch and responses
  /// are timed by the kernel's receive stamps; only where every connection can have them
  /// (plain HTTP/1.1, no redirects, no --stream, no pipelining).
  bool hold_responses_ = false;
  unsigned connecting_ = 0;  // connects in flight: the loop holds no I/O meanwhile (they are timed by the clock)
  std::vector<unsigned> connect_failures_;
  time_point ready_at_{};          // when ensure_connected()'s last new connection was ready
  std::size_t next_source_ = 0;    // index into config.sources of the next connection
  std::size_t next_address_ = 0;   // the round-robin over the target's addresses
  /// The target's name and redirects' host names: made on first use, on the worker's loop,
  /// with the run's --dns-ttl and --dns-server.
  std::optional<net::resolver> resolver_;
  net::resolver& resolver();
  /// A request that failed with a tls_ kind after the handshake (TLS 1.3's refused client
  /// certificate arrives with the first read): its reason, kept for the report.
  void note_tls_failure(client::outcome& o, const client::connection& conn);
  unsigned users_running_ = 0;
  async_event stop_;        // stop starting requests: the plan's end, an interrupt, or every user done
  async_event users_done_;  // every connection's task ended, or the grace period did
  std::mutex loop_mutex_;
  event_loop* loop_ = nullptr;  // while run() runs: where interrupt() posts
  loop_metrics_snapshot final_loop_;  // loop_health() once run() returned
  time_point last_done_{};
  bool stopping_ = false;
  bool published_last_ = false;  // main() published the run's last second: the ticker is done
  time_point stopped_at_ = time_point::max();  // when main() stopped starting requests
  // The open model over HTTP/2 (worker_h2_open.cpp).
  std::vector<h2_slot*> h2_slots_;          // each slot's task owns its slot
  std::vector<join_handle<void>> h2_tasks_;  // the slots' tasks
  std::deque<h2_job> h2_retries_;           // requests waiting to go again
  async_event h2_changed_;                  // pulsed when a slot may take a request
  bool h2_closing_ = false;                 // every request done: the slots close
  /// plan_.h2_request, pinned (h2::request::pinned) once a probe session took it: the plan's
  /// strings outlive every session, so each submit neither checks nor copies them.
  h2::request h2_request_;
};

}  // namespace barrage::loadgen
