#pragma once
// Secrets in outputs: what a report, a log line, a manifest or any other output may show of a
// credential. Every output that prints a header, a URL or a request body goes through here
// (docs/report.md, "Secrets"); the requests sent are never changed, only what is printed.
//
// A redacted value keeps its name and becomes `<redacted, N bytes, sha256:XXXXXXXX>`: its
// size and the first 8 hex digits of its SHA-256, so that two runs can still be told apart
// without the value being recoverable from the report.
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"

namespace barrage::loadgen {

/// `<redacted, N bytes, sha256:XXXXXXXX>` for `value` (its bytes as given).
std::string redacted(std::string_view value);

/// A credential-bearing name, compared case-insensitively: exactly one of the well-known
/// names (Authorization, Proxy-Authorization, Cookie, Set-Cookie, X-Api-Key, Api-Key, ApiKey,
/// X-Auth-Token, Private-Token, auth, key, sig, pwd), or a name containing authoriz, auth-,
/// auth_, token, secret, passw, apikey, api-key, api_key, cookie, session, credential or
/// signature. Used for header names and for query parameter names alike.
bool is_secret_name(std::string_view name);

/// Where the secrets of a URL are, as redaction_policy::url finds them: the password of its
/// user information (user:PASSWORD@host) and the value of each secret query parameter
/// (is_secret_name), in order. `name` is "password" or the parameter's name; a value may be empty.
struct url_secret {
  std::size_t offset = 0, size = 0;
  std::string name;
};
std::vector<url_secret> url_secrets(std::string_view url);

/// --redact-header NAME: a header name (an HTTP token); returns it as typed.
result<std::string, std::string> parse_redact_header(std::string_view text);

/// What the outputs of one run show: by default every secret is redacted; --show-secrets
/// (show_secrets) turns redaction off, and each output then says so at its top.
struct redaction_policy {
  bool show_secrets = false;
  std::vector<std::string> extra_headers;  // --redact-header names, compared case-insensitively

  /// is_secret_name(name) or one of extra_headers.
  bool secret_header(std::string_view name) const;
  /// A "Name: value" line with the value redacted when the name is a secret header; a line
  /// without a name (no colon) is returned as given.
  std::string header_line(std::string_view line) const;
  /// `url` with the password of its user information (user:PASSWORD@host; the user stays)
  /// and the values of secret query parameters (is_secret_name) redacted. Works on any text,
  /// valid URL or not, so that an error message can quote a URL it refused.
  std::string url(std::string_view url) const;
  /// What a report shows of the request body besides its size and hash: with show_secrets
  /// its first prefix_bytes bytes escaped (body_summary.hpp); otherwise redacted(body), or
  /// "" when there is no body.
  std::string body_prefix(std::string_view body) const;
};

/// The one line an output puts at its top when secrets are shown.
inline constexpr std::string_view secrets_shown_notice =
    "WARNING: --show-secrets: credentials (Authorization and other secret headers, URL passwords, "
    "secret query parameters, the request body) are shown unredacted in this report";

}  // namespace barrage::loadgen
