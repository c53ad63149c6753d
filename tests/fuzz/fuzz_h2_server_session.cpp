// libFuzzer harness for h2::server_session's input side: arbitrary bytes as a client's (after
// the connection preface when the first byte's bit 0 is set), with a 2 KiB budget for events
// (feed() pauses often), answering each complete request,
// fed once whole and once in pieces of 1 to 64 bytes the first byte chooses. Never a crash; a
// failed feed is fatal and final; a stream closes at most once; open streams never exceed
// the SETTINGS_MAX_CONCURRENT_STREAMS the session announced (memory stays bounded); both
// feedings report the same events, the pieces' a prefix when the session stopped reading.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fuzz_check.hpp"
#include "h2/server_session.hpp"

namespace {

using namespace barrage::h2;

constexpr std::uint32_t max_streams = 8;

struct summary {
  std::vector<std::string> lines;
  std::map<std::int32_t, std::string> bodies;
  std::map<std::int32_t, int> closes;
  bool failed = false;
  bool stopped = false;
};

void handle(server_session& s, summary& sum) {
  static const std::string reply(3000, 'r');
  for (const event& e : s.events()) {
    FUZZ_CHECK(s.open_streams() <= max_streams);
    if (const auto* d = std::get_if<data_chunk>(&e)) {
      FUZZ_CHECK(d->bytes.size() == d->length);
      sum.bodies[d->stream] += d->bytes;
    } else if (const auto* h = std::get_if<request_head>(&e)) {
      FUZZ_CHECK(!h->method.empty());
      sum.lines.push_back("request " + std::to_string(h->stream) + " " + std::string(h->method) + " " +
                          std::string(h->path));
    } else if (const auto* end = std::get_if<stream_end>(&e)) {
      sum.lines.push_back("end " + std::to_string(end->stream));
      const field f[] = {{"content-type", "text/plain"}};
      (void)s.respond(end->stream, {.status = 200, .fields = f, .body = reply});
    } else if (const auto* c = std::get_if<stream_closed>(&e)) {
      FUZZ_CHECK(++sum.closes[c->stream] == 1);
      sum.lines.push_back("closed " + std::to_string(c->stream) + " " + std::to_string(static_cast<std::uint32_t>(c->code)));
    } else if (const auto* r = std::get_if<stream_reset>(&e)) {
      sum.lines.push_back("reset " + std::to_string(r->stream));
    } else if (const auto* g = std::get_if<goaway>(&e)) {
      sum.lines.push_back("goaway " + std::to_string(g->last_stream_id));
    } else if (std::holds_alternative<goaway_sent>(e)) {
      sum.lines.push_back("goaway_sent");
    }
  }
  s.clear_events();
}

summary run(std::string_view input, unsigned control, bool whole) {
  server_session s({.stream_window = 4096, .max_concurrent_streams = max_streams, .max_header_list_bytes = 4096,
                    .max_header_fields = 16, .max_event_bytes = 2048,
                    // The flood guard without refill: reachable, and the same in both feedings.
                    .flood_burst = 64, .flood_per_second = 0});
  summary sum;
  std::uint32_t state = control * 2654435761u + 1;
  while (!input.empty() && !sum.failed) {
    if (!s.wants_read()) {
      sum.stopped = true;
      break;
    }
    state = state * 1103515245u + 12345u;
    const std::size_t n = whole ? input.size() : std::min<std::size_t>(input.size(), 1 + (state >> 16) % 64);
    std::string_view piece = input.substr(0, n);
    input.remove_prefix(n);
    while (!piece.empty()) {  // feed() pauses at the events' byte budget
      auto fed = s.feed(piece);
      if (!fed.ok()) {
        FUZZ_CHECK(fed.error().fatal());
        sum.failed = true;
        break;
      }
      FUZZ_CHECK(*fed > 0 && *fed <= piece.size());  // events cleared: it progresses
      piece.remove_prefix(*fed);
      handle(s, sum);
    }
  }
  // Responses go out only after all input, in both feedings alike.
  for (int i = 0; i < 64 && !sum.failed; ++i) {
    auto out = s.take_output();
    if (!out.ok()) {
      FUZZ_CHECK(out.error().fatal());
      break;
    }
    handle(s, sum);
    if (out->empty()) break;
  }
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string in(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) != 0) in.insert(0, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  const summary whole = run(in, data[0], true);
  const summary pieces = run(in, data[0], false);
  if (std::getenv("H2_FUZZ_DEBUG")) {  // both reports, to read a reproducer
    for (const auto& l : whole.lines) std::fprintf(stderr, "W %s\n", l.c_str());
    for (const auto& l : pieces.lines) std::fprintf(stderr, "P %s\n", l.c_str());
  }
  if (!whole.failed && !pieces.failed) {
    FUZZ_CHECK(pieces.lines.size() <= whole.lines.size());
    FUZZ_CHECK(std::equal(pieces.lines.begin(), pieces.lines.end(), whole.lines.begin()));
    if (!pieces.stopped) FUZZ_CHECK(whole.lines == pieces.lines && whole.bodies == pieces.bodies);
  }
  return 0;
}
