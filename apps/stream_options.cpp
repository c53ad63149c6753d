#include "apps/stream_options.hpp"

#include "apps/cli_errors.hpp"

namespace barrage::apps {

void add_stream_options(CLI::App& app, loadgen::run_options& o) {
  app.add_flag("--stream", o.stream,
               "Measure streamed responses (chunked bodies, text/event-stream) as they arrive: time to the first "
               "body byte, the gap between chunks or events, events per second, bytes and events per stream "
               "(report: Streams); HTTP/1.1 only. A stream must end within --timeout (0: no limit)");
  text_option(app, "--stall", o.stall,
              "With --stream: a stream whose largest gap between chunks or events is above this counts as "
              "stalled (even if it finishes); above 0")
      ->default_str("1s")
      ->type_name("DURATION");
}

}  // namespace barrage::apps
