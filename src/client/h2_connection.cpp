#include "client/h2_connection.hpp"

#include "client/connection.hpp"

namespace barrage::client {

h2_connection::h2_connection(net::transport t, const h2::session_options& options)
    : transport_(std::move(t)), session_(options), buf_(std::make_unique<char[]>(read_buffer)) {}

task<error_kind> h2_connection::flush(time_point deadline) {
  for (;;) {
    auto out = session_.take_output();
    if (!out) {
      failed_ = true;
      co_return error_kind::h2_protocol_error;
    }
    if (out->empty()) co_return error_kind::none;
    // take_output's bytes stay valid until the next call on the session: written whole first.
    std::string_view rest = *out;
    while (!rest.empty()) {
      const long n = co_await transport_.write(rest.data(), rest.size(), deadline);
      if (n < 0) co_return n == -ETIMEDOUT ? error_kind::timeout : from_errno(n);
      sent_ += static_cast<std::uint64_t>(n);
      rest.remove_prefix(static_cast<std::size_t>(n));
    }
  }
}

}  // namespace barrage::client
