#pragma once
// What one feed of body bytes produced; shared by chunked_decoder and body_reader.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/parse_error.hpp"

namespace barrage::http {

enum class body_state : std::uint8_t { in_progress, done, error };

struct body_step {
  std::string_view data;     // body bytes (a view into the input); may be empty
  std::size_t consumed = 0;  // input bytes used, framing included; bytes past `consumed`
                             // belong to a later call or, once done, to the next message
  body_state state = body_state::in_progress;
  parse_error error = parse_error::none;

  constexpr bool done() const { return state == body_state::done; }
  constexpr bool is_error() const { return state == body_state::error; }
};

}  // namespace barrage::http
