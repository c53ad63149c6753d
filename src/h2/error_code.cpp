#include "h2/error_code.hpp"

#include <nghttp2/nghttp2.h>

#include <array>

namespace barrage::h2 {

std::string_view name(error_code code) noexcept {
  static constexpr std::array<std::string_view, 14> names{
      "NO_ERROR",         "PROTOCOL_ERROR",    "INTERNAL_ERROR",      "FLOW_CONTROL_ERROR",
      "SETTINGS_TIMEOUT", "STREAM_CLOSED",     "FRAME_SIZE_ERROR",    "REFUSED_STREAM",
      "CANCEL",           "COMPRESSION_ERROR", "CONNECT_ERROR",       "ENHANCE_YOUR_CALM",
      "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"};
  const auto i = static_cast<std::uint32_t>(code);
  return i < names.size() ? names[i] : std::string_view("unknown");
}

bool session_error::fatal() const noexcept { return nghttp2_is_fatal(lib_code) != 0; }

std::string_view session_error::describe() const noexcept { return nghttp2_strerror(lib_code); }

}  // namespace barrage::h2
