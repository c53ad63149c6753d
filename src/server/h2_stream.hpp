#pragma once
// Internal to the server (not API): one request of an HTTP/2 connection, from its header
// block to its stream's close: the request as handlers see it (its strings copied out of
// the session's events), its body, the handler's task, and the response's body going out
// as the client's windows allow (a streamed body piece by piece, through body_writer).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "h2/event.hpp"
#include "http/request_parser.hpp"
#include "runtime/async_event.hpp"
#include "runtime/spawn.hpp"
#include "runtime/task.hpp"
#include "server/request.hpp"
#include "server/response.hpp"

namespace barrage::server::detail {

class h2_connection;

struct h2_stream final : body_writer {
  /// Copies the head's strings (the event's views live until the session's next batch).
  h2_stream(h2_connection& c, const h2::request_head& h, time_point started);

  std::int32_t id;
  h2_connection& conn;
  time_point started;
  std::string text;  // the head's strings, copied
  std::vector<http::header> fields;
  http::request_head head;
  std::string body;
  request req;
  response resp;
  std::string out_text;  // the response's field names (lowercased) and values
  std::vector<h2::field> out_fields;
  join_handle<void> job;  // the handler's task
  async_event progress;  // a streamed piece was framed, or the stream closed
  std::uint64_t stream_left = 0;  // a streamed body of known length: bytes still owed
  bool too_large = false;        // the request body went over max_body_bytes
  bool closed = false;           // the session reported the stream closed
  bool running = false;          // the handler's task has not finished
  bool write_failed = false;
  bool responded = false;        // the session took the response's head

  // body_writer: one piece at a time, framed as the client's windows allow.
  task<bool> write(std::string_view data) override;
  bool ok() const noexcept override { return !write_failed && !closed; }
};

/// The stream's handler, run as its own task; `self` keeps the connection's state alive.
task<void> run_h2_stream(std::shared_ptr<h2_connection> self, h2_stream* s);

/// Answers a stream without a handler (413 for a body over the limit), now.
void answer_h2_now(h2_stream& s, response r);

}  // namespace barrage::server::detail
