#pragma once
// --stream and --stall: checked and put into the run_config (config.hpp: stream, stall).
#include <string>
#include <string_view>

#include "base/option_values.hpp"
#include "base/result.hpp"
#include "loadgen/config.hpp"
#include "loadgen/run_options.hpp"

namespace barrage::loadgen {

/// --stall: a duration above 0 (250ms, 2s; a bare number is seconds), at most a year.
result<duration, std::string> parse_stall(std::string_view text);

/// Reads --stream and --stall into `c` (after the HTTP version is decided): --stall needs
/// --stream; --stream is refused with HTTP/2 (--http2, --http2-prior-knowledge).
void read_stream(const run_options& o, option_reader& in, run_config& c);

}  // namespace barrage::loadgen
