// `barrage [run] URL [options]`: the command line of the load generator.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <optional>
#include <thread>

#include "apps/cli_errors.hpp"
#include "apps/commands.hpp"
#include "apps/html_output.hpp"
#include "apps/run_line.hpp"
#include "apps/stream_options.hpp"
#include "apps/scenario_options.hpp"
#include "apps/ws_cli.hpp"
#include "apps/metrics_endpoint.hpp"
#include "base/units.hpp"
#include "base/quote_text.hpp"
#include "loadgen/engine.hpp"
#include "loadgen/options.hpp"
#include "loadgen/report_json.hpp"
#include "loadgen/report_text.hpp"
#include "loadgen/run_options.hpp"
#include "loadgen/threshold.hpp"
#include "net/source_addresses.hpp"
#include "report/hdr_log.hpp"

namespace barrage::apps {
namespace {

std::atomic<bool> interrupted{false};
extern "C" void on_sigint(int) { interrupted.store(true); }

/// What to do with the results: not part of the run.
struct output_options {
  std::optional<std::string> json;
  std::optional<std::string> hdr_log;
  std::vector<std::string> thresholds;
  bool no_progress = false, quiet = false, color = false;
  std::optional<std::string> html;  // --html: the HTML report (report/html_report.hpp)
  bool json_compact = false;  // --json-compact
};

/// The target and the load: how many connections, requests, for how long, at what rate.
void add_load_options(CLI::App& app, loadgen::run_options& o) {
  app.add_option("url", o.url, "Target URL, http[s]://[user:password@]host[:port][/path][?query] (user information: sent as "
                 "Authorization: Basic), or ws[s]://host[:port][/path][?query] for WebSocket (the ws: options)")->required();
  text_option(app, "-c,--connections", o.connections, "Concurrent connections, 1-10M (open model: the cap)")
      ->default_str("50")
      ->type_name("N");
  text_option(app, "-n,--requests", o.requests, "Stop after N requests, at least 1 (units: 10k, 1.5m)")
      ->type_name("N");
  text_option(app, "-d,--duration", o.duration, "Run time above 0 (250ms, 10s, 1m); default 10s when -n is absent")
      ->type_name("DURATION");
  text_option(app, "-t,--threads", o.threads, "Worker threads, 1-1024; default: the number of cores")
      ->type_name("N");
  text_option(app, "-r,--rate", o.rate,
              "Open model: requests per second, on a schedule, up to 100M (fractions allowed: 0.5, 10k)")
      ->type_name("RATE");
  text_option(app, "--ramp", o.ramp,
              "Stages DURATION:TARGET,... e.g. 10s:100,30s:2000,10s:0; the rate (with -r) or the connections "
              "move linearly from 0 through each target")
      ->type_name("STAGES");
}

/// What each request is.
void add_request_options(CLI::App& app, loadgen::run_options& o) {
  text_option(app, "-X,--method", o.method, "HTTP method (a token); default GET, POST with a body")
      ->type_name("METHOD");
  app.add_option("-H,--header", o.headers, "Request header \"Name: value\" (repeatable)");
  text_option(app, "-b,--body", o.body, "Request body (makes the default method POST)");
  text_option(app, "--body-file", o.body_file, "Request body read from a file (not with -b)")
      ->type_name("FILE");
}

/// How each request is tried: limits, retries, pipelining, connections, redirects.
void add_attempt_options(CLI::App& app, loadgen::run_options& o) {
  text_option(app, "--timeout", o.timeout, "Per request, total, connect included; 0: no limit")->default_str("10s")
      ->type_name("DURATION");
  text_option(app, "--connect-timeout", o.connect_timeout, "Per connection attempt; 0: no limit (the kernel's)")
      ->default_str("5s")
      ->type_name("DURATION");
  text_option(app, "--retries", o.retries, "Retries after the first try, 0-100 (exponential backoff with jitter)")
      ->default_str("0")
      ->type_name("N");
  text_option(app, "--retry-on", o.retry_on,
              "Comma list of statuses (503), classes (5xx), ranges (500-504) and error kinds (refused, reset, "
              "timeout, ...) to retry; default with --retries: 502-504,refused,reset,closed_before_response,"
              "connect_timeout")
      ->type_name("LIST");
  text_option(app, "--retry-backoff", o.retry_backoff, "First backoff, doubled per retry, 0-1h")->default_str("100ms")
      ->type_name("DURATION");
  text_option(app, "--pipeline", o.pipeline, "Requests in flight per connection (HTTP/1.1 pipelining), 1-1024")
      ->default_str("1")
      ->type_name("N");
  app.add_flag("--no-keepalive", o.no_keepalive, "A new connection for every request");
  app.add_flag("--no-response-hold", o.no_response_hold,
               "With -r: read each response when it wakes the loop and time it by the clock. Default over "
               "plain HTTP/1.1: responses are timed by the kernel's receive stamps and read with the next "
               "arrival batch when it is within 1 ms (fewer wake-ups)");
  app.add_flag("--http1.1", o.http1_1, "Speak HTTP/1.1 (the default)");
  app.add_flag("--http2", o.http2,
               "https: offer HTTP/2 by ALPN (h2, http/1.1); h2 where the server picks it");
  app.add_flag("--http2-prior-knowledge", o.http2_prior_knowledge,
               "http: speak HTTP/2 without negotiation (h2c)");
  text_option(app, "-m,--streams", o.streams,
              "HTTP/2: requests in flight per connection, as streams, 1-1000 (fewer when the server's "
              "SETTINGS_MAX_CONCURRENT_STREAMS is lower)")
      ->default_str("1")
      ->type_name("N");
  text_option(app, "--h2-window", o.h2_window,
              "HTTP/2: each stream's receive window (SETTINGS_INITIAL_WINDOW_SIZE), in bytes: 65535, 64KiB, "
              "1MiB; 0 to 2^31-1")
      ->default_str("1MiB")
      ->type_name("BYTES");
  text_option(app, "--h2-connection-window", o.h2_connection_window,
              "HTTP/2: the connection's receive window (WINDOW_UPDATE on stream 0), in bytes; 65535 to 2^31-1")
      ->default_str("16MiB")
      ->type_name("BYTES");
  text_option(app, "--redirects,--max-redirs", o.redirects,
              "Follow up to N redirects (301, 302, 303, 307, 308) per request, 0-100; a chain counts as one "
              "request, each hop timed. Default 0 (as wrk and ab): a 3xx is the response, counted per "
              "--success-status")
      ->default_str("0")
      ->type_name("N");
}

/// Where connections go from and to: local addresses and name resolution.
void add_address_options(CLI::App& app, loadgen::run_options& o) {
  text_option(app, "--source", o.source,
              "Local addresses to connect from, one connection after the other: 127.0.0.2,127.0.0.3 or a range "
              "127.0.0.2-127.0.0.9; each adds a full ephemeral port range (about 28k connections per target); "
              "default: the kernel's choice")
      ->type_name("ADDRS");
  app.add_option("--resolve", o.resolve,
                 "Connect to ADDR for HOST:PORT, with no DNS query, while the Host field, TLS SNI and the "
                 "certificate check keep HOST (curl's form HOST:PORT:ADDR[,ADDR...], IPv6 as [::1]; repeatable; "
                 "redirects too): load-test one node behind a name")
      ->type_name("HOST:PORT:ADDR");
  text_option(app, "--dns-ttl", o.dns_ttl,
              "How long each worker thread keeps a name's addresses before it asks again (0: a lookup for every "
              "new connection)")
      ->default_str("10s")
      ->type_name("DURATION");
  text_option(app, "--dns-server,--dns-servers", o.dns_server,
              "DNS servers to ask instead of /etc/resolv.conf's: ADDR[:PORT],... (port 53 by default; IPv6 as "
              "[::1]:53); /etc/hosts is still read first. A name with several addresses spreads the connections "
              "over them, round-robin; --connect-timeout bounds each lookup")
      ->type_name("ADDRS");
}

/// https:// targets: verification, client certificates, versions, ciphers, resumption.
void add_tls_options(CLI::App& app, loadgen::run_options& o) {
  app.add_flag("-k,--insecure", o.insecure, "https: do not verify the server's certificate or name");
  text_option(app, "--cacert", o.cacert,
              "https: trust the CA certificates of this PEM file instead of the system's trust store")
      ->type_name("FILE");
  text_option(app, "--cert", o.cert, "https: a client certificate (PEM) for mutual TLS; with --key")->type_name("FILE");
  text_option(app, "--key", o.key, "https: the client certificate's private key (PEM); with --cert")->type_name("FILE");
  text_option(app, "--tls-min", o.tls_min, "https: the lowest TLS version offered, 1.2 or 1.3")
      ->default_str("1.2")
      ->type_name("VERSION");
  text_option(app, "--tls-max", o.tls_max, "https: the highest TLS version offered, 1.2 or 1.3")
      ->default_str("1.3")
      ->type_name("VERSION");
  text_option(app, "--ciphers", o.ciphers, "https: TLS 1.2 ciphers, OpenSSL's list syntax; default OpenSSL's")
      ->type_name("LIST");
  text_option(app, "--tls13-ciphers", o.tls13_ciphers,
              "https: TLS 1.3 cipher suites, e.g. TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256")
      ->type_name("LIST");
  app.add_flag("--no-tls-resume", o.no_tls_resume,
               "https: a full handshake on every new connection (by default a reconnect resumes the last "
               "session: TLS 1.3 tickets, TLS 1.2 session ids)");
}

/// What is counted, and as what.
void add_counting_options(CLI::App& app, loadgen::run_options& o) {
  text_option(app, "--warmup", o.warmup, "Sent before the measured run and left out of the results")
      ->default_str("0s")
      ->type_name("DURATION");
  text_option(app, "--grace", o.grace,
              "Time given to requests in flight at the end; default: --timeout (10s with --timeout 0)")
      ->type_name("DURATION");
  text_option(app, "--success-status", o.success_status,
              "Statuses that count as success (100-599), e.g. 200-299,404 or 2xx")
      ->default_str("200-399")
      ->type_name("LIST");
}

/// What is done with the results.
void add_output_options(CLI::App& app, output_options& out, loadgen::run_options& o) {
  app.add_option("--threshold", out.thresholds,
                 "Pass/fail gate (repeatable): p99<250ms, mean<50ms, error_rate<1%, rps>1000, timeouts==0; "
                 "a failure exits with status 3");
  text_option(app, "--json", out.json, "Write the full report as JSON to FILE (- for stdout: then the text report "
                                   "goes to stderr)")
      ->type_name("FILE");
  text_option(app, "--hdr-log", out.hdr_log,
              "Write the latency of successful requests as an HdrHistogram interval log to FILE, one "
              "interval per second as the run goes (values in ns, Interval_Max in ms): corrected untagged, "
              "and with -r the uncorrected one as Tag=uncorrected (docs/report.md, HdrHistogram log)")
      ->type_name("FILE");
  text_option(app, "--html", out.html,
              "Write the HTML report to FILE (- for stdout: then the text report goes to stderr): one "
              "self-contained page with the charts, readable offline; also afterwards from a --json file with "
              "barrage report RUN.json -o FILE.html")
      ->type_name("FILE");
  app.add_flag("--json-compact", out.json_compact,
               "The --json report on one line (barrage k8s's pods: the last line of each pod's log is its report)");
  app.add_flag("--no-progress", out.no_progress, "No live progress line on stderr");
  app.add_flag("-q,--quiet", out.quiet, "No text report (use with --json)");
  app.add_flag("--color", out.color, "Colour the text report");
  app.add_option("--redact-header", o.redact_headers,
                 "Also redact this header's value in every output (repeatable, any case); Authorization, "
                 "Cookie, X-Api-Key and other credential headers always are (docs/report.md, Secrets)")
      ->type_name("NAME");
  app.add_flag("--show-secrets", o.show_secrets,
               "Show header values, URL passwords, secret query parameters and a body prefix unredacted in "
               "the reports (which then say so at the top)");
  app.footer("Exit status: 0 ok, 1 the run could not be carried out, 2 bad command line (one line on stderr\n"
             "names the option and the value), 3 a --threshold failed.\n"
             "Latency in the open model (-r) is measured from each request's intended send time.\n"
             "Environment: BARRAGE_IO_BACKEND=epoll|io_uring picks the kernel interface (default io_uring,\n"
             "which falls back to epoll where the kernel lacks it or refuses it).");
}

/// Shards of one run over several processes or machines (loadgen/shard.hpp, docs/distributed.md).
void add_shard_options(CLI::App& app, loadgen::run_options& o) {
  text_option(app, "--shard", o.shard,
              "Run shard I of N (I from 0): this process takes its share of -c, -n, -r, --ramp targets and "
              "--source addresses (remainders to the lowest indices); `barrage merge` adds the reports up")
      ->type_name("I/N");
  text_option(app, "--shards", o.shards,
              "Run one of N shards, its index from the environment variable JOB_COMPLETION_INDEX (set by "
              "Kubernetes Indexed Jobs); not with --shard")
      ->type_name("N");
  text_option(app, "--start-at", o.start_at,
              "Start at this wall-clock time, RFC 3339 (2026-12-06T18:00:00Z, 19:00:00.5+01:00), or +DURATION "
              "from now rounded up to a whole second (+30s); a time already past is refused. So that shards "
              "start together (within about a millisecond on one clock)")
      ->type_name("TIME");
}

/// Live metrics for dashboards (apps/metrics_endpoint.hpp, docs/report.md "Live metrics").
void add_metrics_options(CLI::App& app, loadgen::run_options& o) {
  text_option(app, "--metrics-listen", o.metrics_listen,
              "Serve the run's live metrics for Prometheus at http://HOST:PORT/metrics (numeric HOST; port 0 "
              "picks one; the address is printed on stderr)")
      ->type_name("HOST:PORT");
  text_option(app, "--linger", o.linger,
              "With --metrics-listen: keep serving the final metrics (the report's totals) this long after the "
              "run, so a last scrape sees them; Ctrl-C ends it")
      ->default_str("0s")
      ->type_name("DURATION");
  text_option(app, "--metrics-buckets", o.metrics_buckets,
              "With --metrics-listen: upper bounds of barrage_request_duration_seconds' buckets, in seconds or "
              "with a unit, increasing, at most 64; default 0.0005,0.001,0.0025,0.005,0.01,0.025,0.05,0.1,0.25,"
              "0.5,1,2.5,5,10")
      ->type_name("LIST");
}

void add_run_options(CLI::App& app, loadgen::run_options& o, output_options& out) {
  add_shard_options(app, o);
  add_load_options(app, o);
  add_request_options(app, o);
  add_attempt_options(app, o);
  add_address_options(app, o);
  add_tls_options(app, o);
  add_counting_options(app, o);
  add_output_options(app, out, o);
  add_metrics_options(app, o);
  add_stream_options(app, o);
  add_scenario_options(app, o.scenario);
  add_ws_options(app, o.ws);
}

/// The text report and the --json file; the exit status.
int write_reports(const loadgen::run_result& r, const std::vector<loadgen::threshold_result>& verdicts,
                  const output_options& out, const std::string& json_path) {
  const bool json_to_stdout = json_path == "-";
  const std::string html_path = out.html.value_or("");
  // With --json - (or --html -), stdout carries that document only.
  if (!out.quiet)
    std::fputs(loadgen::render_text(r, verdicts, out.color).c_str(), json_to_stdout || html_path == "-" ? stderr : stdout);
  const bool html_written = html_path.empty() || write_html_report(loadgen::to_json(r, verdicts), html_path, "barrage");
  if (!json_path.empty()) {
    std::string doc = loadgen::render_json(r, verdicts, out.json_compact ? -1 : 2);
    if (json_to_stdout) {
      std::fputs(doc.c_str(), stdout);
      std::fflush(stdout);
    } else {
      std::ofstream f(json_path, std::ios::binary | std::ios::trunc);
      if (!(f << doc)) {
        std::fprintf(stderr, "barrage: cannot write %s\n", quote_text(json_path).c_str());
        return loadgen::exit_runtime_error;
      }
    }
  }
  if (!html_written) return loadgen::exit_runtime_error;
  return loadgen::all_passed(verdicts) ? loadgen::exit_ok : loadgen::exit_thresholds_failed;
}

/// --metrics-listen: listening before the run starts, its address on stderr (one line); false
/// (said on stderr) when the address cannot be listened on.
bool start_metrics(const loadgen::metrics_endpoint_config& c, std::optional<metrics_endpoint>& metrics) {
  try {
    metrics.emplace(c);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "barrage: --metrics-listen: %s\n", e.what());
    return false;
  }
  std::fprintf(stderr, "barrage: metrics on http://%s/metrics\n", metrics->local_address().to_string().c_str());
  return true;
}

/// --linger after the reports are out: the final figures stay served; a signal ends it early.
void linger(const metrics_endpoint& metrics, duration how_long) {
  if (how_long <= duration::zero()) return;
  std::fprintf(stderr, "barrage: serving the final metrics for %s (Ctrl-C ends it)\n", format_duration(how_long).c_str());
  std::fflush(stdout);  // the text report, for whoever reads it through a pipe meanwhile
  interrupted.store(false);  // a signal that ended the run must not end the linger too
  metrics.linger(interrupted);
}

/// --hdr-log: the file, opened before the run, written each second by the engine's observer.
struct hdr_log_output {
  std::ofstream file;
  std::optional<report::hdr_log_writer> writer;

  /// Opens `path` (true), or says why not on stderr (false).
  bool open(const std::string& path) {
    file.open(path, std::ios::binary | std::ios::trunc);
    if (!file) {
      std::fprintf(stderr, "barrage: cannot write the --hdr-log file %s\n", quote_text(path).c_str());
      return false;
    }
    writer.emplace(file);
    return true;
  }
  loadgen::second_observer observer() {
    if (!writer) return {};
    return [this](const loadgen::second_latencies& s) { writer->add(s); };
  }
  /// After the run: the header if no second came; false (said on stderr) when a write failed.
  bool finish(const std::string& path) {
    if (!writer) return true;
    writer->finish(std::chrono::system_clock::now());
    if (writer->ok()) return true;
    std::fprintf(stderr, "barrage: cannot write %s\n", quote_text(path).c_str());
    return false;
  }
};
/// --html: a usable file name, not stdout twice, and writable before the run rather than after
/// it. The exit status when not.
std::optional<int> check_html_option(const output_options& out) {
  if (!out.html) return std::nullopt;
  auto path = loadgen::parse_report_path(*out.html);
  if (!path) return usage_error("barrage", "--html: " + path.error());
  if (*path == "-" && out.json == "-") return usage_error("barrage", "--html - and --json - both want stdout");
  if (!html_path_writable(*path, "barrage")) return loadgen::exit_runtime_error;
  return std::nullopt;
}

}  // namespace

result<run_line, std::string> parse_run_line(const std::vector<std::string>& args) {
  CLI::App app("barrage", "barrage");
  run_line line;
  output_options out;
  add_run_options(app, line.run, out);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return fail(one_line(e.what()));
  }
  line.json = out.json;
  line.hdr_log = out.hdr_log;
  line.html = out.html;
  line.thresholds = out.thresholds;
  return line;
}

int run_command(int argc, char** argv, const char* name) {
  CLI::App app("barrage: HTTP load generator. Sends requests to URL and reports latency, throughput and every "
               "request's outcome.\n"
               "Commands:\n"
               "  barrage [run] URL [options]   load test URL (these options)\n"
               "  barrage serve [options]       the built-in target server (barrage serve --help)\n"
               "  barrage demo [options]        the built-in target and a run against it (barrage demo --help)\n"
               "  barrage compare BASE NEW      two saved JSON reports side by side (barrage compare --help)\n"
               "  barrage report RUN.json -o FILE.html   the HTML report of a saved JSON report\n"
               "  barrage merge A.json B.json   shards' reports made into one (barrage merge --help)\n"
               "  barrage k8s [options] URL     Kubernetes manifests of a sharded run (barrage k8s --help)\n"
               "  barrage --version",
               name);
  loadgen::run_options o;
  output_options out;
  add_run_options(app, o, out);
  loadgen::run_config cfg;
  std::vector<loadgen::threshold> thresholds;
  if (auto status = parse_command_line(app, argc, argv, "barrage")) return *status;
  if (const char* index = std::getenv("JOB_COMPLETION_INDEX")) o.job_completion_index = index;
  auto made = loadgen::make_run_config(o, std::thread::hardware_concurrency());
  if (!made) return usage_error("barrage", made.error());
  cfg = std::move(*made);
  if (cfg.scenario) out.thresholds.insert(out.thresholds.end(), cfg.scenario->thresholds.begin(), cfg.scenario->thresholds.end());
  for (const auto& text : out.thresholds) {
    auto t = loadgen::parse_threshold(text);
    if (!t) return usage_error("barrage", "--threshold: " + t.error());
    thresholds.push_back(std::move(*t));
  }
  if (out.json) {
    auto path = loadgen::parse_report_path(*out.json);
    if (!path) return usage_error("barrage", "--json: " + path.error());
  }
  if (auto refused = check_html_option(out)) return *refused;
  hdr_log_output hdr_log;
  if (out.hdr_log) {
    auto path = report::parse_hdr_log_path(*out.hdr_log);
    if (!path) return usage_error("barrage", "--hdr-log: " + path.error());
    if (!hdr_log.open(*path)) return loadgen::exit_runtime_error;
  }
  const std::string json_path = out.json.value_or("");
  if (!json_path.empty() && json_path != "-" && !std::ofstream(json_path, std::ios::app)) {
    std::fprintf(stderr, "barrage: cannot write the --json file %s\n", quote_text(json_path).c_str());
    return loadgen::exit_runtime_error;  // before the run, not after it
  }
  if (auto note = net::port_range_note(cfg.connections, cfg.sources.size(), net::ephemeral_port_range()))
    std::fprintf(stderr, "barrage: note: %s\n", note->c_str());
  std::optional<metrics_endpoint> metrics;
  if (cfg.metrics && !start_metrics(*cfg.metrics, metrics)) return loadgen::exit_runtime_error;
  const bool live = !out.no_progress && !out.quiet && ::isatty(STDERR_FILENO);
  std::signal(SIGINT, on_sigint);
  std::signal(SIGTERM, on_sigint);  // e.g. from timeout(1) or a CI runner: stop, still report
  std::signal(SIGPIPE, SIG_IGN);
  auto progress = [&](const loadgen::live_snapshot& s) {
    if (live) std::fprintf(stderr, "\r%s\033[K", loadgen::format_live_line(s).c_str());
    if (metrics) metrics->on_second(s);
  };
  auto r = loadgen::run_load(cfg, progress, &interrupted, hdr_log.observer());
  if (live) std::fprintf(stderr, "\r\033[K");
  if (!r) {
    std::fprintf(stderr, "barrage: %s\n", r.error().c_str());
    return loadgen::exit_runtime_error;
  }
  if (!hdr_log.finish(out.hdr_log.value_or(""))) return loadgen::exit_runtime_error;
  if (metrics) metrics->on_end(*r);
  const int status = write_reports(*r, loadgen::evaluate(thresholds, *r), out, json_path);
  if (metrics) linger(*metrics, cfg.metrics->linger);
  if (auto failed = metrics ? metrics->failure() : std::nullopt)
    std::fprintf(stderr, "barrage: the metrics endpoint stopped early: %s\n", failed->c_str());
  return status;
}

}  // namespace barrage::apps
