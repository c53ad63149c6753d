// libFuzzer harness for h2::client_session's input side: arbitrary bytes as the server's, fed
// to a session with three requests open (one with a body) and a 2 KiB budget for events (so
// that feed() pauses often), once whole, once in pieces the
// first byte chooses (1 to 64 bytes each), and once in pieces taking output between them as a
// transport would. Never a crash; a failed feed is fatal and final; each stream closes at most
// once and only streams the session opened; open + closed = submitted. The whole and the
// piecewise feeding report the same heads, ends, resets, closes and GOAWAYs, and the same body
// bytes per stream, except that the pieces stop where the session stops reading (a
// transport would close there), which one whole feed cannot: then the pieces' report is a
// prefix of the whole one. (With output taken between pieces the reports may differ, rightly:
// a reset the session has sent changes how later frames on that stream are treated.)
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
#include "h2/client_session.hpp"

namespace {

using namespace barrage::h2;

struct summary {
  std::vector<std::string> lines;  // every event but data, in order
  std::map<std::int32_t, std::string> bodies;
  std::map<std::int32_t, int> closes;
  bool failed = false;
  bool stopped = false;  // the session stopped reading before the input ended
};

void record(const event& e, summary& s) {
  if (const auto* d = std::get_if<data_chunk>(&e)) {
    FUZZ_CHECK(d->bytes.size() == d->length);
    s.bodies[d->stream] += d->bytes;
  } else if (const auto* h = std::get_if<response_head>(&e)) {
    FUZZ_CHECK(h->status >= 100 && h->status <= 599);
    for (const field& f : h->fields) FUZZ_CHECK(!f.name.empty() && f.name[0] != ':');
    s.lines.push_back("head " + std::to_string(h->stream) + " " + std::to_string(h->status));
  } else if (const auto* c = std::get_if<stream_closed>(&e)) {
    FUZZ_CHECK(c->stream == 1 || c->stream == 3 || c->stream == 5);
    FUZZ_CHECK(++s.closes[c->stream] == 1);
    s.lines.push_back("closed " + std::to_string(c->stream) + " " + std::to_string(static_cast<std::uint32_t>(c->code)));
  } else if (const auto* end = std::get_if<stream_end>(&e)) {
    s.lines.push_back("end " + std::to_string(end->stream));
  } else if (const auto* r = std::get_if<stream_reset>(&e)) {
    s.lines.push_back("reset " + std::to_string(r->stream));
  } else if (const auto* g = std::get_if<goaway>(&e)) {
    s.lines.push_back("goaway " + std::to_string(g->last_stream_id) + " " + std::string(g->debug));
  } else if (std::holds_alternative<goaway_sent>(e)) {
    s.lines.push_back("goaway_sent");
  }
}

void drain(client_session& c, summary& s) {
  for (const event& e : c.events()) record(e, s);
  c.clear_events();
}

void take_output(client_session& c, summary& s) {
  for (int i = 0; i < 64; ++i) {
    auto out = c.take_output();
    if (!out.ok()) {
      FUZZ_CHECK(out.error().fatal());
      s.failed = true;
      return;
    }
    drain(c, s);
    if (out->empty()) return;
  }
}

enum class feeding { whole, pieces, pieces_and_output };

summary run(std::string_view input, unsigned control, feeding how) {
  const bool whole = how == feeding::whole;
  static const std::string body(100000, 'b');
  client_session c(
      {.stream_window = 4096, .max_header_list_bytes = 4096, .max_header_fields = 16, .max_event_bytes = 2048});
  const field accept[] = {{"accept", "*/*"}};
  FUZZ_CHECK(*c.submit({.authority = "fuzz", .path = "/a", .fields = accept}) == 1);
  FUZZ_CHECK(*c.submit({.method = "POST", .authority = "fuzz", .path = "/b", .body = body}) == 3);
  FUZZ_CHECK(*c.submit({.authority = "fuzz", .path = "/c"}) == 5);
  summary s;
  take_output(c, s);
  std::uint32_t state = control * 2654435761u + 1;
  while (!input.empty() && !s.failed) {
    if (!c.wants_read()) {  // a transport would close here; nghttp2 ignores what follows
      s.stopped = true;
      break;
    }
    state = state * 1103515245u + 12345u;
    const std::size_t n = whole ? input.size() : std::min<std::size_t>(input.size(), 1 + (state >> 16) % 64);
    std::string_view piece = input.substr(0, n);
    input.remove_prefix(n);
    while (!piece.empty() && !s.failed) {  // feed() pauses at the events' byte budget
      auto fed = c.feed(piece);
      if (!fed.ok()) {
        FUZZ_CHECK(fed.error().fatal());
        s.failed = true;
        break;
      }
      FUZZ_CHECK(*fed > 0 && *fed <= piece.size());  // events cleared: it progresses
      piece.remove_prefix(*fed);
      drain(c, s);
      if (how == feeding::pieces_and_output) take_output(c, s);
    }
  }
  std::size_t closed = 0;
  for (const auto& [id, n] : s.closes) closed += static_cast<std::size_t>(n);
  FUZZ_CHECK(c.open_streams() + closed == 3);
  FUZZ_CHECK(c.open_stream_ids().size() == c.open_streams());
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const summary whole = run(in, data[0], feeding::whole);
  const summary pieces = run(in, data[0], feeding::pieces);
  (void)run(in, data[0], feeding::pieces_and_output);
  if (std::getenv("H2_FUZZ_DEBUG")) {  // both reports, to read a reproducer
    for (const auto& l : whole.lines) std::fprintf(stderr, "W %s\n", l.c_str());
    for (const auto& l : pieces.lines) std::fprintf(stderr, "P %s\n", l.c_str());
  }
  if (!whole.failed && !pieces.failed) {
    FUZZ_CHECK(pieces.lines.size() <= whole.lines.size());
    FUZZ_CHECK(std::equal(pieces.lines.begin(), pieces.lines.end(), whole.lines.begin()));
    for (const auto& [id, bytes] : pieces.bodies) FUZZ_CHECK(whole.bodies.at(id).starts_with(bytes));
    if (!pieces.stopped) {
      FUZZ_CHECK(whole.lines == pieces.lines);
      FUZZ_CHECK(whole.bodies == pieces.bodies);
    }
  }
  return 0;
}
