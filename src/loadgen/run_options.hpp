#pragma once
// The options of `barrage URL [options]` as typed, and the run_config they make. Every value
// goes through its parser in options.hpp; an absent option (nullopt) takes its default. The
// error is one line that names the option and quotes the bad value:
//   --pipeline: bad count "0": must be between 1 and 1024
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "loadgen/config.hpp"
#include "loadgen/scenario_options.hpp"
#include "loadgen/ws_options.hpp"

namespace barrage::loadgen {

struct run_options {
  std::string url;
  std::optional<std::string> connections, requests, duration, threads, rate, ramp;
  std::optional<std::string> method, body, body_file;
  std::optional<std::string> timeout, connect_timeout, retries, retry_on, retry_backoff, pipeline, streams;
  std::optional<std::string> source, dns_ttl, dns_server, warmup, grace, success_status, redirects;
  std::optional<std::string> cacert, cert, key, tls_min, tls_max, ciphers, tls13_ciphers;
  std::vector<std::string> headers, redact_headers;
  std::vector<std::string> resolve;  // --resolve, repeatable
  std::optional<std::string> metrics_listen, linger, metrics_buckets;  // metrics_options.hpp
  bool no_keepalive = false, show_secrets = false;
  bool no_response_hold = false;  // --no-response-hold
  bool insecure = false, no_tls_resume = false;
  bool http1_1 = false, http2 = false, http2_prior_knowledge = false;
  // Shards (loadgen/shard.hpp) and --start-at (loadgen/wall_clock.hpp). job_completion_index:
  // the environment variable's value, read by the command (nullopt: not set).
  std::optional<std::string> shard, shards, job_completion_index, start_at;
  bool stream = false;               // --stream (loadgen/stream_options.hpp)
  std::optional<std::string> stall;  // --stall
  scenario_options scenario;  // a scenario file as `url`, --targets, --iterations
  std::optional<std::string> h2_window, h2_connection_window;  // loadgen/h2_settings.hpp
  ws_run_options ws;  // ws:// and wss:// runs (loadgen/ws_options.hpp)
};

/// Defaults, shown in --help: 50 connections, 10s run when -n is absent, one thread per core
/// (`cores`), --timeout 10s, --connect-timeout 5s, --retry-backoff 100ms, --dns-ttl 10s,
/// --success-status 200-399, --pipeline 1, --redirects 0, the system's DNS servers. With --retries and no --retry-on: 502-504,
/// refused, reset, closed_before_response, connect_timeout. A body (-b or --body-file, not
/// both; the file is read here) makes the default method POST. TLS: verification on against
/// the system trust store, TLS 1.2 to 1.3, OpenSSL's ciphers, resumption on; --cert and --key
/// come together. A URL's user information becomes an Authorization: Basic header unless -H
/// gives one. Outputs redact secrets (redact.hpp) unless show_secrets; redact_headers adds
/// header names to the default list. --shard I/N or --shards N (not both) make the config the
/// shard's share (shard_config); --start-at is resolved against the wall clock now.
result<run_config, std::string> make_run_config(const run_options& options, unsigned cores);

}  // namespace barrage::loadgen
