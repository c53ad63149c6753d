#pragma once
// The values of `barrage URL [options]`, one parser per kind of value. Each returns the value
// or a one-line error that quotes the text as typed (base/quote_text) and says what is
// allowed; run_options.cpp puts the option's name in front:
//   --pipeline: bad count "0": must be between 1 and 1024
//   --retry-on: bad retry condition "5x": expected a status (503), a class (5xx), ...
// Counts take base/units suffixes ("10k"); durations take units ("250ms", a bare number is
// seconds) and are at most a year (base/option_values.hpp) unless said otherwise.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/result.hpp"
#include "client/outcome.hpp"
#include "http/url.hpp"
#include "loadgen/config.hpp"
#include "loadgen/stats.hpp"

namespace barrage::loadgen {

/// Limits of the options (barrage --help shows them).
inline constexpr unsigned max_connections = 10'000'000;
inline constexpr unsigned max_threads = 1024;
inline constexpr unsigned max_pipeline = 1024;
inline constexpr unsigned max_streams = 1000;
inline constexpr unsigned max_retries = 100;
inline constexpr unsigned max_redirects = 100;
inline constexpr double max_rate = 100e6;  // requests per second, also for --ramp targets
inline constexpr duration max_retry_backoff = std::chrono::hours(1);  // doubled up to max_backoff_factor times

/// -c, --connections: 1 to max_connections.
result<unsigned, std::string> parse_connections(std::string_view text);
/// -t, --threads: 1 to max_threads (its absence means the number of cores; 0 is refused).
result<unsigned, std::string> parse_threads(std::string_view text);
/// --pipeline: requests in flight per connection, 1 to max_pipeline.
result<unsigned, std::string> parse_pipeline(std::string_view text);
/// -m/--streams: HTTP/2 streams in flight per connection, 1 to max_streams.
result<unsigned, std::string> parse_streams(std::string_view text);
/// --redirects: redirects followed per request, 0 to max_redirects.
result<unsigned, std::string> parse_redirects(std::string_view text);
/// --retries: retries after the first try, 0 to max_retries.
result<unsigned, std::string> parse_retries(std::string_view text);
/// -n, --requests: at least 1.
result<std::uint64_t, std::string> parse_request_count(std::string_view text);
/// -d, --duration: above 0.
result<duration, std::string> parse_run_time(std::string_view text);
/// -r, --rate: requests per second, above 0 and at most max_rate; fractions allowed ("0.5").
result<double, std::string> parse_request_rate(std::string_view text);
/// --warmup, --grace, --dns-ttl: 0 allowed.
result<duration, std::string> parse_wait(std::string_view text);
/// --timeout, --connect-timeout: 0 (in any unit) means no limit, as in curl, and gives
/// no_time_limit (config.hpp).
result<duration, std::string> parse_time_limit(std::string_view text);
/// --retry-backoff: 0 to max_retry_backoff.
result<duration, std::string> parse_retry_backoff(std::string_view text);

/// --ramp: DURATION:TARGET,... e.g. "10s:100,30s:2000,10s:0". Each stage lasts above 0; a
/// target is 0 or a rate (parse_rate: "2.5k") of at most max_rate.
result<std::vector<ramp_stage>, std::string> parse_ramp(std::string_view text);

/// Status lists, shared by --success-status and --retry-on: comma-separated items, each a
/// status (404), a class (2xx: 200-299) or a range (500-504); statuses are 100 to 599.
struct status_range {
  unsigned lo = 0, hi = 0;
  bool operator==(const status_range&) const = default;
};
/// --success-status: a non-empty status list.
result<success_policy, std::string> parse_success_statuses(std::string_view text);
/// The canonical form of a policy: its statuses as merged ranges, "200-399,404" ("" for none).
std::string format_statuses(const success_policy& policy);

/// --retry-on: a non-empty comma list of status items (as above) and error kinds by name
/// (client::to_string: refused, reset, timeout, ...).
struct retry_conditions {
  std::vector<unsigned> statuses;          // ascending, each once
  std::vector<client::error_kind> errors;  // in the order given, each once
  bool operator==(const retry_conditions&) const = default;
};
result<retry_conditions, std::string> parse_retry_on(std::string_view text);
/// The canonical form: statuses as merged ranges, then the error kinds ("502-504,refused").
std::string format_retry_on(const retry_conditions& c);

/// -X, --method: an HTTP token (RFC 9110 §9), e.g. GET, POST, PURGE.
result<std::string, std::string> parse_method(std::string_view text);
/// -H, --header: "Name: value", a token name and a value without control characters; not
/// Host, Content-Length or Transfer-Encoding (barrage writes those). Returns the text.
result<std::string, std::string> parse_header(std::string_view text);
/// The target URL: http:// or https://, a host, a port 1 to 65535, and optionally user
/// information "user[:password]@" (sent as Authorization: Basic, as curl does; see
/// url_credentials). An error quotes the URL with its password redacted (redact.hpp).
result<http::url, std::string> parse_target_url(std::string_view text);
/// The user information of a target URL, percent-decoded; nullopt when it has none (or when
/// parse_target_url refuses it).
struct url_credentials {
  std::string user, password;
};
std::optional<url_credentials> parse_url_credentials(std::string_view url);
/// "Basic " and the base64 of "user:password" (RFC 7617), the Authorization value for them.
std::string basic_authorization(const url_credentials& c);
/// barrage demo --path: a path and query on the built-in target, "/delay/20ms".
result<std::string, std::string> parse_request_path(std::string_view text);
/// --json: a file name or "-" (stdout); not empty.
result<std::string, std::string> parse_report_path(std::string_view text);
/// --cacert, --cert, --key: a readable file (its contents are read by the TLS context).
result<std::string, std::string> parse_pem_file(std::string_view text);
/// --ciphers, --tls13-ciphers: a non-empty OpenSSL list ("A:B"); OpenSSL checks the names when
/// the run's TLS context is made.
result<std::string, std::string> parse_cipher_list(std::string_view text);

}  // namespace barrage::loadgen
