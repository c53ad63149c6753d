#include "loadgen/run_options.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include "base/option_values.hpp"
#include "base/quote_text.hpp"
#include "http/message.hpp"
#include "loadgen/options.hpp"
#include "loadgen/shard.hpp"
#include "loadgen/stream_options.hpp"
#include "loadgen/wall_clock.hpp"
#include "net/resolve_override.hpp"
#include "net/resolver.hpp"
#include "net/source_addresses.hpp"

namespace barrage::loadgen {
namespace {

result<std::string, std::string> read_body_file(const std::string& path) {
  if (path.empty()) return fail(std::string("bad file name \"\": empty"));
  std::ifstream f(path, std::ios::binary);
  if (!f) return fail("cannot read " + quote_text(path) + ": " + std::strerror(errno));
  std::string body(std::istreambuf_iterator<char>(f), {});
  if (f.bad()) return fail("cannot read " + quote_text(path) + ": " + std::strerror(errno));
  return body;
}

void read_retry(const run_options& o, option_reader& in, run_config& c) {
  unsigned retries = 0;
  in.read("--retries", o.retries, parse_retries, retries);
  c.retry.attempts = retries + 1;
  in.read("--retry-backoff", o.retry_backoff, parse_retry_backoff, c.retry.backoff);
  c.retry.max_backoff = c.retry.backoff * max_backoff_factor;
  retry_conditions on;
  if (o.retry_on) {
    in.read("--retry-on", o.retry_on, parse_retry_on, on);
  } else if (retries > 0) {
    on.statuses = {502, 503, 504};
    on.errors = {client::error_kind::refused, client::error_kind::reset, client::error_kind::closed_before_response,
                 client::error_kind::connect_timeout};
  }
  c.retry.statuses = std::move(on.statuses);
  c.retry.errors = std::move(on.errors);
}

void read_load_shape(const run_options& o, unsigned cores, option_reader& in, run_config& c) {
  in.read("--connections", o.connections, parse_connections, c.connections);
  c.threads = std::clamp(cores, 1u, max_threads);
  in.read("--threads", o.threads, parse_threads, c.threads);
  in.read("--requests", o.requests, parse_request_count, c.requests);
  in.read("--duration", o.duration, parse_run_time, c.run_time);
  c.has_duration = o.duration.has_value();
  in.read("--rate", o.rate, parse_request_rate, c.rate);
  in.read("--ramp", o.ramp, parse_ramp, c.ramp);
  if (!c.open_model())
    for (const auto& s : c.ramp)
      if (s.target > max_connections)
        in.refuse("--ramp: a target of " + std::to_string(std::llround(s.target)) +
                  " connections is above the limit of " + std::to_string(max_connections) +
                  " (with -r the targets are rates)");
  in.read("--pipeline", o.pipeline, parse_pipeline, c.pipeline);
  in.read("--redirects", o.redirects, parse_redirects, c.redirects);
  c.keepalive = !o.no_keepalive;
  c.response_hold = !o.no_response_hold;
}

void read_times(const run_options& o, option_reader& in, run_config& c) {
  in.read("--timeout", o.timeout, parse_time_limit, c.timeout);
  in.read("--connect-timeout", o.connect_timeout, parse_time_limit, c.connect_timeout);
  in.read("--warmup", o.warmup, parse_wait, c.warmup);
  in.read("--grace", o.grace, parse_wait, c.grace);
  in.read("--dns-ttl", o.dns_ttl, parse_wait, c.dns_ttl);
}

void read_request(const run_options& o, option_reader& in, run_config& c) {
  in.read("--method", o.method, parse_method, c.method);
  for (const auto& h : o.headers) {
    std::string header;
    in.read("--header", std::optional<std::string>(h), parse_header, header);
    c.headers.push_back(std::move(header));
  }
  if (o.body && o.body_file) in.refuse("--body and --body-file: give one or the other, not both");
  if (o.body) c.body = *o.body;
  in.read("--body-file", o.body_file, read_body_file, c.body);
  if ((o.body || o.body_file) && !o.method) c.method = "POST";
  // http://user:password@host/: sent as curl sends it, unless -H gives an Authorization.
  const bool has_authorization = std::any_of(c.headers.begin(), c.headers.end(), [](const std::string& h) {
    return http::iequals(std::string_view(h).substr(0, h.find(':')), "Authorization");
  });
  if (auto credentials = parse_url_credentials(o.url); credentials && !has_authorization)
    c.headers.push_back("Authorization: " + basic_authorization(*credentials));
}

void read_secrets(const run_options& o, option_reader& in, run_config& c) {
  c.secrets.show_secrets = o.show_secrets;
  for (const auto& h : o.redact_headers) {
    std::string name;
    in.read("--redact-header", std::optional<std::string>(h), parse_redact_header, name);
    c.secrets.extra_headers.push_back(std::move(name));
  }
}

void read_tls(const run_options& o, option_reader& in, run_config& c) {
  net::tls_client_options& t = c.tls;
  t.verify = !o.insecure;
  t.resume = !o.no_tls_resume;
  in.read("--cacert", o.cacert, parse_pem_file, t.ca_file);
  in.read("--cert", o.cert, parse_pem_file, t.cert_file);
  in.read("--key", o.key, parse_pem_file, t.key_file);
  if (o.cert.has_value() != o.key.has_value()) in.refuse("--cert and --key: give both (a client certificate and its key)");
  in.read("--tls-min", o.tls_min, net::parse_tls_version, t.min_version);
  in.read("--tls-max", o.tls_max, net::parse_tls_version, t.max_version);
  if (t.min_version > t.max_version)
    in.refuse("--tls-min " + std::string(net::to_string(t.min_version)) + " is above --tls-max " +
              std::string(net::to_string(t.max_version)));
  in.read("--ciphers", o.ciphers, parse_cipher_list, t.ciphers);
  in.read("--tls13-ciphers", o.tls13_ciphers, parse_cipher_list, t.ciphersuites);
}

/// The name of the first scenario step or target whose URL is https:// ("" for none): h2c
/// (--http2-prior-knowledge) cannot go there.
std::string first_https_step(const run_config& c) {
  const std::vector<flow>* flows = c.scenario ? &c.scenario->flows : c.targets ? &c.targets->targets : nullptr;
  if (flows)
    for (const auto& f : *flows)
      for (const auto& s : f.steps)
        if (s.absolute && !s.target.parts.empty() && s.target.parts.front().text.starts_with("https://")) return s.name;
  return {};
}

/// --http1.1, --http2, --http2-prior-knowledge, -m and the windows. What HTTP/2 has no
/// meaning for, or the generator does not do over it, is refused, not ignored.
void read_http(const run_options& o, option_reader& in, run_config& c) {
  const int chosen = int(o.http1_1) + int(o.http2) + int(o.http2_prior_knowledge);
  if (chosen > 1) in.refuse("--http1.1, --http2 and --http2-prior-knowledge: give one of them");
  const bool https = c.url.starts_with("https://");
  if (o.http2) {
    if (!https) in.refuse("--http2 needs an https:// URL (h2 is negotiated by ALPN); for h2c use --http2-prior-knowledge");
    c.http = http_choice::h2_alpn;
    c.tls.alpn = {"h2", "http/1.1"};
  }
  if (o.http2_prior_knowledge) {
    if (https) in.refuse("--http2-prior-knowledge needs an http:// URL; for https:// use --http2");
    c.http = http_choice::h2_prior_knowledge;
  }
  in.read("--streams", o.streams, parse_streams, c.streams);
  in.read("--h2-window", o.h2_window, parse_h2_stream_window, c.h2_windows.stream_window);
  in.read("--h2-connection-window", o.h2_connection_window, parse_h2_connection_window,
          c.h2_windows.connection_window);
  if (c.http == http_choice::http1_1) {
    if (c.streams > 1) in.refuse("--streams needs --http2 or --http2-prior-knowledge (HTTP/1.1 has --pipeline)");
    if (o.h2_window || o.h2_connection_window)
      in.refuse("--h2-window and --h2-connection-window need --http2 or --http2-prior-knowledge");
    return;
  }
  if (c.pipeline > 1)
    in.refuse("--pipeline is HTTP/1.1's; over HTTP/2 requests are multiplexed: use -m/--streams");
  if (c.redirects > 0) in.refuse("--redirects is not supported with HTTP/2 yet");
  if (!c.keepalive && c.streams > 1)
    in.refuse("--no-keepalive carries one request per connection: -m/--streams above 1 has nothing to multiplex");
}

/// --shard, --shards (with JOB_COMPLETION_INDEX) and --start-at; applied last, to the whole
/// load's settings.
result<run_config, std::string> read_shard(const run_options& o, run_config c) {
  if (o.start_at) {
    auto at = parse_start_at(*o.start_at, unix_now_ns());
    if (!at) return fail("--start-at: " + at.error());
    c.start_at_unix_ns = *at;
  }
  if (o.shard && o.shards) return fail(std::string("--shard and --shards: give one or the other, not both"));
  std::optional<shard_spec> s;
  if (o.shard) {
    auto parsed = parse_shard(*o.shard);
    if (!parsed) return fail("--shard: " + parsed.error());
    s = *parsed;
  } else if (o.shards) {
    auto count = parse_shard_count(*o.shards);
    if (!count) return fail("--shards: " + count.error());
    auto parsed = shard_from_environment(*count, o.job_completion_index);
    if (!parsed) return fail(parsed.error());
    s = *parsed;
  }
  if (!s) return c;
  return shard_config(c, *s);
}

}  // namespace

result<run_config, std::string> make_run_config(const run_options& o, unsigned cores) {
  run_config c;
  const bool request_given = o.method || o.body || o.body_file;
  if (auto s = read_scenario_input(o.scenario, o.url, o.headers, request_given, c); !s) return fail(s.error());
  const std::string target = c.scenario || c.targets ? c.url : o.url;
  auto url = is_ws_url(target) ? parse_ws_url(target) : parse_target_url(target);
  if (!url) return fail(url.error());
  c.url = target;
  option_reader in;
  read_request(o, in, c);
  read_secrets(o, in, c);
  read_load_shape(o, cores, in, c);
  read_times(o, in, c);
  read_retry(o, in, c);
  read_tls(o, in, c);
  read_ws_options(o, in, c);
  read_http(o, in, c);
  if (c.scenario || c.targets) {  // what a flow cannot honour is refused, not ignored
    if (c.http == http_choice::h2_prior_knowledge)
      if (const std::string https = first_https_step(c); !https.empty())
        in.refuse("--http2-prior-knowledge is for http:// origins; step \"" + https + "\" goes to https://: use --http2");
    if (c.streams > 1)
      in.refuse("scenarios and --targets run one stream at a time per virtual user (its steps go in order): "
                "-m/--streams 1; more users (-c) for more streams");
  }
  read_stream(o, in, c);
  in.read("--source", o.source, [](const std::string& t) { return net::parse_source_addresses(t); }, c.sources);
  for (const auto& r : o.resolve) {
    net::resolve_override entry;
    in.read("--resolve", std::optional<std::string>(r), [](const std::string& t) { return net::parse_resolve_override(t); },
            entry);
    c.resolves.push_back(std::move(entry));
  }
  in.read("--dns-server", o.dns_server, [](const std::string& t) { return net::parse_dns_servers(t); },
          c.dns_servers);
  if (o.success_status) {
    in.read("--success-status", o.success_status, parse_success_statuses, c.success);
    c.success_spec = *o.success_status;
  }
  if (in.error()) return fail(*in.error());
  auto metrics = make_metrics_endpoint_config(o.metrics_listen, o.linger, o.metrics_buckets);
  if (!metrics) return fail(metrics.error());
  c.metrics = std::move(*metrics);
  return read_shard(o, std::move(c));
}

}  // namespace barrage::loadgen
