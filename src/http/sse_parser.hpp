#pragma once
// Server-Sent Events (WHATWG HTML, "Server-sent events", §9.2.6 "Event stream
// interpretation"): a pure state machine fed the bytes of a text/event-stream body in pieces
// of any size, down to one byte; the events it dispatches do not depend on where the input
// was split.
//
//   http::sse_parser p;
//   while (!in.empty()) {
//     http::sse_step s = p.feed(in);
//     in.remove_prefix(s.consumed);
//     if (s.error != http::sse_error::none) ...;   // a limit was exceeded: stop reading
//     if (s.dispatched) use(p.event());            // valid until the next feed()
//   }
//   p.finish();  // end of the stream: an event without its blank line is discarded
//
// As the spec says: one leading U+FEFF (BOM) is dropped; lines end in CRLF, LF or CR (a CR
// at the end of one piece and a LF at the start of the next are one line end); a line
// starting with ':' is a comment; "field: value" loses one space after the colon, a line
// without a colon is a field with an empty value; `data` lines are joined with LF, `event`
// sets the type (default "message"), `id` sets the last event ID unless it holds NUL,
// `retry` takes only ASCII digits; unknown fields are ignored; a blank line dispatches the
// event unless its data is empty. Invalid UTF-8 becomes U+FFFD (maximal subparts, as the
// UTF-8 decoder of the Encoding standard).
//
// Beyond the spec, memory is bounded: a line longer than sse_limits::max_line or an event
// whose data outgrows max_event is an error, after which feed() consumes nothing. max_line
// counts the bytes received: with each invalid byte replaced by U+FFFD (3 bytes), an `event` or
// `id` value may reach 3 x max_line. The buffers are kept from event to event (no allocation
// per event once they have grown).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace barrage::http {

enum class sse_error : std::uint8_t {
  none,
  line_too_long,    // a line (without its end) longer than max_line
  event_too_large,  // an event's data longer than max_event
};
std::string_view to_string(sse_error e) noexcept;

struct sse_limits {
  std::size_t max_line = 64 * 1024;
  std::size_t max_event = 1024 * 1024;
};

/// A dispatched event: views into the parser, valid until its next feed(), reset() or finish().
struct sse_event {
  std::string_view type;           // the `event` field, or "message"
  std::string_view data;           // the `data` lines joined with LF (no trailing LF)
  std::string_view last_event_id;  // the last `id` seen up to this event (it persists)
};

struct sse_step {
  std::size_t consumed = 0;  // input bytes used; call again with the rest
  bool dispatched = false;   // an event is ready: sse_parser::event()
  sse_error error = sse_error::none;
};

class sse_parser {
 public:
  explicit sse_parser(sse_limits limits = {}) : limits_(limits) {}

  /// Consumes `in` up to the end of the blank line that dispatches the next event, the end
  /// of the input, or an error, whichever comes first.
  sse_step feed(std::string_view in);
  /// The event of the last feed() that returned `dispatched`.
  sse_event event() const noexcept;
  /// The end of the stream: a line without its end and an event without its blank line are
  /// discarded. Returns whether anything was (the stream was cut inside an event); false after
  /// an error.
  bool finish() noexcept;
  /// Back to the start of a new stream; the buffers keep their capacity.
  void reset() noexcept;

  sse_error error() const noexcept { return error_; }
  /// The reconnection time of the last valid `retry` field, in milliseconds.
  std::optional<std::uint64_t> retry_ms() const noexcept { return retry_; }
  std::uint64_t comments() const noexcept { return comments_; }
  std::uint64_t events() const noexcept { return events_; }

 private:
  /// One complete line (without its end); true when it dispatched an event.
  bool line(std::string_view text);
  void field(std::string_view name, std::string_view value);
  /// Whether `bytes` (more of the current line) fits under max_line; sets the error if not.
  bool line_fits(std::size_t bytes) noexcept;

  sse_limits limits_;
  std::string line_;      // the current line when it spans pieces
  std::string fixed_;     // a line with its invalid UTF-8 replaced
  std::string data_;      // the event's data buffer
  std::string type_;      // the event type buffer
  std::string id_;        // the last event ID buffer
  std::string last_id_;   // the last event ID as of the last dispatch
  std::optional<std::uint64_t> retry_;
  std::uint64_t comments_ = 0;
  std::uint64_t events_ = 0;
  sse_error error_ = sse_error::none;
  std::uint8_t bom_ = 0;        // bytes of a leading BOM matched so far
  bool started_ = false;        // past the BOM check
  bool cr_pending_ = false;     // the last byte was a CR ending a line: skip one LF
  bool dispatched_ = false;     // data_ and type_ hold a dispatched event: clear them first
};

/// Appends `in` to `out` with each ill-formed UTF-8 subsequence replaced by U+FFFD.
void append_utf8_replacing(std::string& out, std::string_view in);
/// Whether `in` is well-formed UTF-8.
bool is_utf8(std::string_view in) noexcept;

}  // namespace barrage::http
