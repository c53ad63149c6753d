#include "server/server.hpp"

#include <sys/socket.h>

#include <stdexcept>

#include "net/tcp.hpp"
#include "server/state.hpp"
#include "server/worker.hpp"
#include "server/ws_metrics.hpp"

namespace barrage::server {

// ---------------------------------------------------------------------------- shared state

std::string server::state::metrics_text() const {
  std::vector<loop_metrics_snapshot> loops;
  http_metrics::snapshot http;
  ws_metrics::snapshot ws;
  {
    std::lock_guard lock(mu);
    for (const auto& w : workers) {
      loops.push_back(w->loop ? w->loop->metrics().snapshot() : loop_metrics_snapshot{});
      http.merge(w->metrics.read());
      ws.merge(w->ws.read());
    }
  }
  http.tls = opts.tls.has_value();
  std::string out;
  out.reserve(8192);
  render_metrics(out, loops, http, swallowed.read(), read_process_figures());
  render_ws_metrics(out, ws);
  return out;
}

void server::state::request_stop(bool cut) noexcept {
  std::lock_guard lock(mu);
  stopping = true;
  cut_now = cut_now || cut;
  for (const auto& w : workers) {
    if (!w->loop) continue;
    detail::worker* wp = w.get();
    try {
      w->loop->call_soon_threadsafe([wp, cut] { wp->begin_drain(cut); });
    } catch (...) {
      // Out of memory: that loop keeps serving until asked again (stop() may be called any
      // number of times), which is better than ending the process from here.
      swallowed.count(swallowed_at::stop_request);
    }
  }
}

std::optional<time_point> server::state::stall_until(time_point now) const noexcept {
  const stall_schedule& st = opts.stall;
  if (st.every <= duration::zero() || st.length <= duration::zero()) return std::nullopt;
  const duration since = now - started;
  if (since < st.every) return std::nullopt;
  const time_point window = started + (since / st.every) * st.every;
  if (now < window + st.length) return window + st.length;
  return std::nullopt;
}

// ---------------------------------------------------------------------------- server

namespace {

void validate(const server_options& o) {
  if (o.threads == 0 || o.threads > 1024) throw std::invalid_argument("threads must be 1 to 1024");
  if (o.max_connections == 0) throw std::invalid_argument("max_connections must be at least 1");
  if (o.max_head_bytes < 1024) throw std::invalid_argument("max_head_bytes must be at least 1 KiB");
  if (o.max_request_line < 16) throw std::invalid_argument("max_request_line must be at least 16 bytes");
  if (o.max_headers == 0) throw std::invalid_argument("max_headers must be at least 1");
  if (o.stall.every > duration::zero() && o.stall.length >= o.stall.every)
    throw std::invalid_argument("the stall must be shorter than its period");
  if (o.tls && o.tls->is_client()) throw std::invalid_argument("the TLS context is a client's, not a server's");
  if (o.tls && o.tls_handshake_timeout <= duration::zero())
    throw std::invalid_argument("tls_handshake_timeout must be above 0");
  if (o.listen.family() != AF_INET && o.listen.family() != AF_INET6)
    throw std::invalid_argument("no address to listen on");
}

void run_worker_thread(std::shared_ptr<server::state> st, unsigned index) {
  std::exception_ptr error;
  try {
    event_loop loop;
    loop.run(st->workers[index]->run());
  } catch (...) {
    error = std::current_exception();
  }
  server::state* s = st.get();
  s->main_loop->call_soon_threadsafe([st = std::move(st), error] {
    if (error && !st->thread_error) {
      st->thread_error = error;
      st->request_stop(true);
    }
    if (--st->threads_running == 0) st->threads_done.set();
  });
}

}  // namespace

server::server(router routes, server_options opts) : state_(std::make_shared<state>()) {
  validate(opts);
  state& s = *state_;
  s.opts = std::move(opts);
  s.routes = std::move(routes);
  if (s.opts.expose_metrics && s.routes.find("GET", "/metrics").what != router::outcome::found) {
    state* sp = state_.get();
    s.routes.get("/metrics", [sp](request&) -> task<response> {
      co_return response(200, sp->metrics_text(), metrics_content_type);
    });
  }
  s.allow_all = s.routes.allowed("*");
  if (s.allow_all.empty()) s.allow_all = "OPTIONS";
  const unsigned n = s.opts.threads;
  const std::size_t cap = (s.opts.max_connections + n - 1) / n;
  // One listening socket per loop, all bound here: a port in use fails the constructor. The
  // first is bound as the port's only socket (a port another process holds, even another
  // barrage with SO_REUSEPORT, is refused); the others join it.
  using sharing = net::listen_options::port_sharing;
  net::listen_options lo{s.opts.backlog, n > 1 ? sharing::open_group : sharing::none};
  s.workers.push_back(std::make_unique<detail::worker>(s, 0, net::listening_socket::bind(s.opts.listen, lo), cap));
  s.local = s.workers[0]->bound.local();
  lo.reuse_port = sharing::join_group;
  for (unsigned i = 1; i < n; ++i)
    s.workers.push_back(std::make_unique<detail::worker>(s, i, net::listening_socket::bind(s.local, lo), cap));
  s.started = mono_clock::now();
}

server::~server() = default;

net::socket_address server::local_address() const noexcept { return state_->local; }
const server_options& server::options() const noexcept { return state_->opts; }
bool server::stopping() const noexcept {
  std::lock_guard lock(state_->mu);
  return state_->stopping;
}
void server::stop() noexcept { state_->request_stop(false); }
void server::stop_now() noexcept { state_->request_stop(true); }
std::string server::metrics_text() const { return state_->metrics_text(); }

task<void> server::serve() {
  std::shared_ptr<state> st = state_;
  st->main_loop = &event_loop::current();
  st->threads_running = st->workers.size() - 1;
  for (unsigned i = 1; i < st->workers.size(); ++i) st->threads.emplace_back(run_worker_thread, st, i);
  std::exception_ptr error;
  try {
    co_await st->workers[0]->run();
  } catch (...) {
    error = std::current_exception();
    st->request_stop(true);
  }
  if (st->threads_running > 0) co_await st->threads_done.wait();
  for (auto& t : st->threads) t.join();
  st->threads.clear();
  if (error) std::rethrow_exception(error);
  if (st->thread_error) std::rethrow_exception(st->thread_error);
}

}  // namespace barrage::server
