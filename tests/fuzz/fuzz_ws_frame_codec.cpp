// libFuzzer harness for ws::frame_codec's input side: arbitrary bytes as a peer's frames, to a
// server codec (first byte's bit 0 clear) or a client's, with a 4 KiB message limit, echoing
// every message; fed once whole and once in pieces of 1 to 64 bytes the first byte chooses.
// Never a crash; nothing after the peer's close or a protocol error; at most one of those;
// the output (pongs, echoes, one close) never exceeds what the input could cause; both
// feedings report the same events. (Their output may differ: wslay drops a pong still queued
// when it queues a close, so a ping and a bad frame in one feed yield no pong.)
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fuzz_check.hpp"
#include "ws/frame_codec.hpp"

namespace {

using namespace barrage::ws;

struct summary {
  std::vector<std::string> lines;
  std::size_t output = 0;
};

summary run(std::string_view input, unsigned control, bool whole) {
  frame_codec c((control & 1) != 0 ? role::client : role::server, {.max_message_bytes = 4096},
                [](std::span<std::uint8_t> out) {
                  for (auto& b : out) b = 0x5a;
                });
  summary sum;
  bool ended = false;
  std::uint32_t state = control * 2654435761u + 1;
  while (!input.empty()) {
    state = state * 1103515245u + 12345u;
    const std::size_t n = whole ? input.size() : std::min<std::size_t>(input.size(), 1 + (state >> 16) % 64);
    for (const event& e : c.feed(input.substr(0, n))) {
      FUZZ_CHECK(!ended);
      if (const auto* m = std::get_if<message>(&e)) {
        FUZZ_CHECK(m->data.size() <= 4096);
        sum.lines.push_back("message " + std::to_string(static_cast<int>(m->kind)) + " " + m->data);
        (void)c.queue_message(m->kind, m->data);
      } else if (const auto* p = std::get_if<ping>(&e)) {
        FUZZ_CHECK(p->data.size() <= 125);
        sum.lines.push_back("ping " + p->data);
      } else if (const auto* q = std::get_if<pong>(&e)) {
        sum.lines.push_back("pong " + q->data);
      } else if (const auto* pc = std::get_if<peer_close>(&e)) {
        ended = true;
        sum.lines.push_back("close " + std::to_string(pc->code) + " " + pc->reason);
      } else if (const auto* err = std::get_if<protocol_error>(&e)) {
        ended = true;
        FUZZ_CHECK(err->code == 1002 || err->code == 1007 || err->code == 1009);
        sum.lines.push_back("error " + std::to_string(err->code));
      }
    }
    if (ended) FUZZ_CHECK(!c.wants_read());
    input.remove_prefix(n);
    sum.output += c.pending_output().size();
    c.consume_output(c.pending_output().size());
  }
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const summary whole = run(in, data[0], true);
  const summary pieces = run(in, data[0], false);
  FUZZ_CHECK(whole.lines == pieces.lines);
  // Each echo or pong is at most its input frame plus a server header (≤ 10 bytes, and a
  // client adds a 4-byte mask to frames of at least 2 bytes), plus one close frame.
  FUZZ_CHECK(whole.output <= 3 * in.size() + 200);
  return 0;
}
