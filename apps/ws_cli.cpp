#include "apps/ws_cli.hpp"

#include "apps/cli_errors.hpp"

namespace barrage::apps {

void add_ws_options(CLI::App& app, loadgen::ws_run_options& o) {
  text_option(app, "--message", o.message,
              "ws: the message each connection sends (echo mode; a text frame unless --binary); default \"barrage\"")
      ->type_name("TEXT");
  text_option(app, "--message-file", o.message_file, "ws: the message read from FILE (up to 64MiB)")->type_name("FILE");
  text_option(app, "--message-size", o.message_size,
              "ws: a generated message of N bytes, 1 byte to 64MiB (units: 1k, 64KiB)")
      ->type_name("N");
  app.add_flag("--binary", o.binary, "ws: send binary frames (default: text frames, which must be UTF-8)");
  text_option(app, "--message-rate", o.message_rate,
              "ws: open model: messages per second per connection, sent on schedule whatever the replies do "
              "(latency from the intended send time; each message starts with a 16-character id its reply must "
              "echo); default: the closed model, the next message when the reply came")
      ->type_name("RATE");
  app.add_flag("--listen", o.listen,
               "ws: send nothing and measure what the server pushes (messages per second, gaps between messages)");
  text_option(app, "--subscribe", o.subscribe, "ws: with --listen, a text message sent once after the handshake")
      ->type_name("TEXT");
  text_option(app, "--ping-interval", o.ping_interval,
              "ws: a ping per connection this often (250ms, 5s); round-trip times reported apart")
      ->type_name("DURATION");
  app.add_option("--subprotocol", o.subprotocols,
                 "ws: offer subprotocol NAME in the opening handshake (Sec-WebSocket-Protocol; repeatable, in "
                 "preference order); the report shows the one the server chose, or none; a server choosing one not "
                 "offered fails the handshake (unoffered_subprotocol)")
      ->type_name("NAME")
      ->allow_extra_args(false);
  app.add_flag("--reconnect", o.reconnect,
               "ws: open connections that drop or fail again, after a backoff of 100ms doubling to 5s; counted");
}

}  // namespace barrage::apps
