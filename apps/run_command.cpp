// `barrage [run] URL [options]`: the command line of the load generator.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "apps/commands.hpp"
#include "base/units.hpp"
#include "loadgen/engine.hpp"
#include "loadgen/report_json.hpp"
#include "loadgen/report_text.hpp"
#include "loadgen/threshold.hpp"
#include "net/resolver.hpp"
#include "net/source_addresses.hpp"

namespace barrage::apps {
namespace {

std::atomic<bool> interrupted{false};
extern "C" void on_sigint(int) { interrupted.store(true); }

/// Turns the option strings into a run_config; the error is one line for the user.
struct run_options {
  std::string url, duration, requests, rate, ramp, timeout = "10s", connect_timeout = "5s", warmup = "0s";
  std::string dns_ttl = "10s", grace, body, body_file, json, retry_on, success_status = "200-399";
  std::string retry_backoff = "100ms", source;
  std::optional<std::string> dns_server;
  std::vector<std::string> headers, thresholds;
  unsigned connections = 50, threads = 0, retries = 0, pipeline = 1, redirects = 0;
  std::string method = "GET";
  bool no_keepalive = false, no_progress = false, quiet = false, color = false;
};

template <class T>
T need(result<T, std::string> r) {
  if (!r) throw CLI::ValidationError(r.error());
  return std::move(*r);
}

std::vector<loadgen::ramp_stage> parse_ramp(const std::string& text) {
  std::vector<loadgen::ramp_stage> stages;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    auto colon = item.find(':');
    if (colon == std::string::npos)
      throw CLI::ValidationError("bad --ramp stage \"" + item + "\": expected DURATION:TARGET, e.g. 10s:100");
    loadgen::ramp_stage s;
    s.length = need(parse_duration(item.substr(0, colon)));
    auto target = item.substr(colon + 1);
    if (target == "0") s.target = 0;
    else s.target = need(parse_rate(target));
    stages.push_back(s);
  }
  if (stages.empty()) throw CLI::ValidationError("--ramp needs at least one stage, e.g. 10s:100,30s:2000,10s:0");
  return stages;
}

void parse_success(const std::string& spec, loadgen::success_policy& policy) {
  policy.clear();
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    unsigned lo = 0, hi = 0;
    char dash = 0;
    std::istringstream is(item);
    if (item.size() == 3 && item[1] == 'x' && item[2] == 'x') {
      lo = unsigned(item[0] - '0') * 100;
      hi = lo + 99;
    } else if (!(is >> lo) || (is >> dash && (dash != '-' || !(is >> hi)))) {
      throw CLI::ValidationError("bad --success-status \"" + item + "\": expected e.g. 200-399,404 or 2xx");
    }
    if (!hi) hi = lo;
    if (lo < 100 || hi > 599 || lo > hi) throw CLI::ValidationError("bad --success-status \"" + item + "\"");
    policy.set_range(lo, hi);
  }
}

loadgen::run_config to_config(const run_options& o) {
  loadgen::run_config c;
  c.url = o.url;
  c.method = o.method;
  c.headers = o.headers;
  c.connections = o.connections;
  if (c.connections == 0) throw CLI::ValidationError("--connections must be at least 1");
  c.threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  if (!o.requests.empty()) c.requests = need(parse_count(o.requests));
  if (c.requests && *c.requests == 0) throw CLI::ValidationError("--requests must be at least 1");
  if (!o.duration.empty()) {
    c.run_time = need(parse_duration(o.duration));
    c.has_duration = true;
    if (c.run_time <= duration::zero()) throw CLI::ValidationError("--duration must be positive");
  }
  if (!o.rate.empty()) c.rate = need(parse_rate(o.rate));
  if (!o.ramp.empty()) c.ramp = parse_ramp(o.ramp);
  c.timeout = need(parse_duration(o.timeout));
  c.connect_timeout = need(parse_duration(o.connect_timeout));
  c.warmup = need(parse_duration(o.warmup));
  c.dns_ttl = need(parse_duration(o.dns_ttl));
  if (o.dns_server) c.dns_servers = need(net::parse_dns_servers(*o.dns_server));
  if (!o.grace.empty()) c.grace = need(parse_duration(o.grace));
  c.pipeline = std::max(1u, o.pipeline);
  c.keepalive = !o.no_keepalive;
  c.redirects = o.redirects;
  if (!o.source.empty()) {
    auto s = net::parse_source_addresses(o.source);
    if (!s) throw CLI::ValidationError("--source: " + s.error());
    c.sources = std::move(*s);
  }
  c.retry.attempts = o.retries + 1;
  c.retry.backoff = need(parse_duration(o.retry_backoff));
  if (!o.retry_on.empty()) {
    std::stringstream ss(o.retry_on);
    std::string item;
    while (std::getline(ss, item, ',')) {
      if (!item.empty() && std::isdigit(static_cast<unsigned char>(item[0]))) {
        c.retry.statuses.push_back(static_cast<unsigned>(std::stoul(item)));
      } else if (auto k = client::error_kind_from(item); k != client::error_kind::none) {
        c.retry.errors.push_back(k);
      } else {
        throw CLI::ValidationError("bad --retry-on item \"" + item +
                                   "\": a status (503) or an error kind (refused, reset, timeout, ...)");
      }
    }
  } else if (o.retries > 0) {
    c.retry.errors = {client::error_kind::refused, client::error_kind::reset, client::error_kind::closed_before_response,
                      client::error_kind::connect_timeout};
    c.retry.statuses = {502, 503, 504};
  }
  c.success_spec = o.success_status;
  parse_success(o.success_status, c.success);
  if (!o.body_file.empty()) {
    std::ifstream f(o.body_file, std::ios::binary);
    if (!f) throw CLI::ValidationError("cannot read --body-file " + o.body_file);
    c.body.assign(std::istreambuf_iterator<char>(f), {});
  } else {
    c.body = o.body;
  }
  if (!o.body.empty() || !o.body_file.empty())
    if (o.method == "GET") c.method = "POST";
  return c;
}

}  // namespace


int run_command(int argc, char** argv, const char* name) {
  CLI::App app("barrage: HTTP load generator. Sends requests to URL and reports latency, throughput and every "
               "request's outcome.",
               name);
  run_options o;
  app.add_option("url", o.url, "Target URL, http://host[:port][/path][?query]")->required();
  app.add_option("-c,--connections", o.connections, "Concurrent connections (open model: the cap)")->default_val(50);
  app.add_option("-n,--requests", o.requests, "Stop after N requests (units: 10k, 1.5m)");
  app.add_option("-d,--duration", o.duration, "Run time (250ms, 10s, 1m); default 10s when -n is absent");
  app.add_option("-t,--threads", o.threads, "Worker threads; default: the number of cores");
  app.add_option("-r,--rate", o.rate, "Open model: requests per second, on a schedule (fractions allowed: 0.5, 10k)");
  app.add_option("--ramp", o.ramp,
                 "Stages DURATION:TARGET,... e.g. 10s:100,30s:2000,10s:0; the rate (with -r) or the connections "
                 "move linearly from 0 through each target");
  app.add_option("-X,--method", o.method, "HTTP method")->default_val("GET");
  app.add_option("-H,--header", o.headers, "Request header \"Name: value\" (repeatable)");
  app.add_option("-b,--body", o.body, "Request body (makes the default method POST)");
  app.add_option("--body-file", o.body_file, "Request body read from a file");
  app.add_option("--timeout", o.timeout, "Per request, total, connect included")->default_val("10s");
  app.add_option("--connect-timeout", o.connect_timeout, "Per connection attempt")->default_val("5s");
  app.add_option("--retries", o.retries, "Retries after the first try (exponential backoff with jitter)")->default_val(0);
  app.add_option("--retry-on", o.retry_on,
                 "Comma list of statuses and error kinds to retry; default with --retries: "
                 "502,503,504,refused,reset,closed_before_response,connect_timeout");
  app.add_option("--retry-backoff", o.retry_backoff, "First backoff, doubled per retry")->default_val("100ms");
  app.add_option("--pipeline", o.pipeline, "Requests in flight per connection (HTTP/1.1 pipelining)")->default_val(1);
  app.add_option("--redirects,--max-redirs", o.redirects,
                 "Follow up to N redirects (301, 302, 303, 307, 308) per request; a chain counts as one request. "
                 "Default 0: a 3xx is the response, counted per --success-status")
      ->default_val(0);
  app.add_flag("--no-keepalive", o.no_keepalive, "A new connection for every request");
  app.add_option("--source", o.source,
                 "Local addresses to connect from, one connection after the other: 127.0.0.2,127.0.0.3 or a range "
                 "127.0.0.2-127.0.0.9; each adds a full ephemeral port range (about 28k connections per target); "
                 "default: the kernel's choice")
      ->type_name("ADDRS");
  app.add_option("--dns-ttl", o.dns_ttl,
                 "How long each worker thread keeps a name's addresses before it asks again (0: a lookup for "
                 "every new connection)")
      ->default_val("10s");
  app.add_option("--dns-server,--dns-servers", o.dns_server,
                 "DNS servers to ask instead of /etc/resolv.conf's: ADDR[:PORT],... (port 53 by default; IPv6 as "
                 "[::1]:53); /etc/hosts is still read first. A name with several addresses spreads the connections "
                 "over them, round-robin")
      ->type_name("ADDRS");
  app.add_option("--warmup", o.warmup, "Sent before the measured run and left out of the results")->default_val("0s");
  app.add_option("--grace", o.grace, "Time given to requests in flight at the end; default: --timeout");
  app.add_option("--success-status", o.success_status, "Statuses that count as success, e.g. 200-299,404 or 2xx")
      ->default_val("200-399");
  app.add_option("--threshold", o.thresholds,
                 "Pass/fail gate (repeatable): p99<250ms, mean<50ms, error_rate<1%, rps>1000, timeouts==0; "
                 "a failure exits with status 3");
  app.add_option("--json", o.json, "Write the full report as JSON to FILE (- for stdout)");
  app.add_flag("--no-progress", o.no_progress, "No live progress line on stderr");
  app.add_flag("-q,--quiet", o.quiet, "No text report (use with --json)");
  app.add_flag("--color", o.color, "Colour the text report");
  app.footer("Exit status: 0 ok, 1 the run could not be carried out, 2 bad command line, 3 a --threshold failed.\n"
             "Latency in the open model (-r) is measured from each request's intended send time.\n"
             "Environment: BARRAGE_IO_BACKEND=epoll|io_uring picks the kernel interface (default epoll;\n"
             "io_uring falls back to epoll where the kernel lacks it or refuses it).");

  loadgen::run_config cfg;
  std::vector<loadgen::threshold> thresholds;
  try {
    app.parse(argc, argv);
    cfg = to_config(o);
    for (const auto& t : o.thresholds) thresholds.push_back(need(loadgen::parse_threshold(t)));
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "barrage: %s\n", e.what());
    return loadgen::exit_usage_error;
  }

  if (!o.json.empty() && o.json != "-" && !std::ofstream(o.json, std::ios::app)) {
    std::fprintf(stderr, "barrage: cannot write the --json file %s\n", o.json.c_str());
    return loadgen::exit_runtime_error;  // before the run, not after it
  }
  if (auto note = net::port_range_note(cfg.connections, cfg.sources.size(), net::ephemeral_port_range()))
    std::fprintf(stderr, "barrage: note: %s\n", note->c_str());
  const bool live = !o.no_progress && !o.quiet && ::isatty(STDERR_FILENO);
  std::signal(SIGINT, on_sigint);
  std::signal(SIGTERM, on_sigint);  // e.g. from timeout(1) or a CI runner: stop, still report
  std::signal(SIGPIPE, SIG_IGN);
  auto progress = [&](const loadgen::live_snapshot& s) {
    if (live) std::fprintf(stderr, "\r%s\033[K", loadgen::format_live_line(s).c_str());
  };
  auto r = loadgen::run_load(cfg, progress, &interrupted);
  if (live) std::fprintf(stderr, "\r\033[K");
  if (!r) {
    std::fprintf(stderr, "barrage: %s\n", r.error().c_str());
    return loadgen::exit_runtime_error;
  }
  auto verdicts = loadgen::evaluate(thresholds, *r);
  if (!o.quiet) std::fputs(loadgen::render_text(*r, verdicts, o.color).c_str(), stdout);
  if (!o.json.empty()) {
    std::string doc = loadgen::render_json(*r, verdicts);
    if (o.json == "-") {
      std::fputs(doc.c_str(), stdout);
    } else {
      std::ofstream f(o.json, std::ios::binary | std::ios::trunc);
      if (!(f << doc)) {
        std::fprintf(stderr, "barrage: cannot write %s\n", o.json.c_str());
        return loadgen::exit_runtime_error;
      }
    }
  }
  return loadgen::all_passed(verdicts) ? loadgen::exit_ok : loadgen::exit_thresholds_failed;
}

}  // namespace barrage::apps
