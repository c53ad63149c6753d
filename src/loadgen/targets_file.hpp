#pragma once
// --targets FILE: the requests to take in turn (or at random), in vegeta's formats.
//
// HTTP format (vegeta's "http"): a target is a line "METHOD URL", then header lines
// "Name: value", then an optional "@path" line: the body, read from that file (relative to the
// targets file's directory). A blank line ends a target (a line starting with a method also
// does); lines starting with '#' are comments.
//   GET http://127.0.0.1:8080/items/1
//   X-Account: 8675309
//
//   POST http://127.0.0.1:8080/login
//   Content-Type: application/json
//   @login.json
// JSON lines (vegeta's "json", chosen when the first line that is not blank or a comment starts
// with '{'): one object per line, {"method": "GET", "url": "...", "header": {"Name": ["value",
// ...]}, "body": "<base64>"}; method and url required, no other keys.
//
// Every URL is absolute (http:// or https://). Errors are usage errors "FILE:LINE[:COL]: ...".
#include <functional>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "loadgen/scenario.hpp"
#include "loadgen/source_error.hpp"

namespace barrage::loadgen {

/// Reads an "@path" body: the file's bytes, or a one-line reason it cannot be read.
using body_file_reader = std::function<result<std::string, std::string>(const std::string& path)>;

/// Parses a targets file's text; `file` names it in errors, `read_body` reads "@path" bodies
/// (paths as written in the file).
result<targets_list, source_error> parse_targets(std::string_view text, const std::string& file,
                                                 const body_file_reader& read_body);

/// Reads and parses FILE, "@path" bodies relative to its directory (absolute paths as they
/// are), each body file read once.
result<targets_list, source_error> load_targets_file(const std::string& file);

/// Reads a whole file, or says why not ("cannot read 'x': No such file or directory").
result<std::string, std::string> read_whole_file(const std::string& path);

/// Decodes standard base64 (RFC 4648 §4, padding optional); nullopt when not base64.
result<std::string, std::string> decode_base64(std::string_view text);

}  // namespace barrage::loadgen
