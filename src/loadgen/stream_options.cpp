#include "loadgen/stream_options.hpp"

#include "loadgen/options.hpp"

namespace barrage::loadgen {

result<duration, std::string> parse_stall(std::string_view text) { return parse_run_time(text); }

void read_stream(const run_options& o, option_reader& in, run_config& c) {
  c.stream = o.stream;
  in.read("--stall", o.stall, parse_stall, c.stall);
  if (o.stall && !o.stream) in.refuse("--stall needs --stream");
  if (o.stream && c.http != http_choice::http1_1)
    in.refuse("--stream works over HTTP/1.1 only: not with --http2 or --http2-prior-knowledge yet");
}

}  // namespace barrage::loadgen
