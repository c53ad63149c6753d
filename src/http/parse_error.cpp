#include "http/parse_error.hpp"

namespace barrage::http {

const char* to_string(parse_error e) noexcept {
  switch (e) {
    case parse_error::none: return "none";
    case parse_error::bad_request_line: return "bad_request_line";
    case parse_error::bad_method: return "bad_method";
    case parse_error::bad_target: return "bad_target";
    case parse_error::asterisk_without_options: return "asterisk_without_options";
    case parse_error::bad_version: return "bad_version";
    case parse_error::unsupported_version: return "unsupported_version";
    case parse_error::bad_status: return "bad_status";
    case parse_error::bad_reason: return "bad_reason";
    case parse_error::start_line_too_long: return "start_line_too_long";
    case parse_error::bad_header_name: return "bad_header_name";
    case parse_error::bad_header_value: return "bad_header_value";
    case parse_error::missing_colon: return "missing_colon";
    case parse_error::space_before_colon: return "space_before_colon";
    case parse_error::obs_fold: return "obs_fold";
    case parse_error::space_after_start_line: return "space_after_start_line";
    case parse_error::bare_cr: return "bare_cr";
    case parse_error::bare_lf: return "bare_lf";
    case parse_error::nul_byte: return "nul_byte";
    case parse_error::head_too_large: return "head_too_large";
    case parse_error::too_many_headers: return "too_many_headers";
    case parse_error::bad_content_length: return "bad_content_length";
    case parse_error::duplicate_content_length: return "duplicate_content_length";
    case parse_error::content_length_overflow: return "content_length_overflow";
    case parse_error::te_and_cl: return "te_and_cl";
    case parse_error::transfer_encoding_in_http10: return "transfer_encoding_in_http10";
    case parse_error::bad_transfer_encoding: return "bad_transfer_encoding";
    case parse_error::unknown_transfer_coding: return "unknown_transfer_coding";
    case parse_error::missing_host: return "missing_host";
    case parse_error::duplicate_host: return "duplicate_host";
    case parse_error::bad_host: return "bad_host";
    case parse_error::host_mismatch: return "host_mismatch";
    case parse_error::too_many_interim_responses: return "too_many_interim_responses";
    case parse_error::bad_chunk_size: return "bad_chunk_size";
    case parse_error::chunk_size_overflow: return "chunk_size_overflow";
    case parse_error::chunk_ext_too_long: return "chunk_ext_too_long";
    case parse_error::bad_chunk_extension: return "bad_chunk_extension";
    case parse_error::bad_chunk_terminator: return "bad_chunk_terminator";
    case parse_error::trailer_too_large: return "trailer_too_large";
    case parse_error::forbidden_trailer: return "forbidden_trailer";
    case parse_error::truncated_body: return "truncated_body";
  }
  return "unknown_parse_error";
}

}  // namespace barrage::http
