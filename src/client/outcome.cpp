#include "client/outcome.hpp"

namespace barrage::client {

error_kind error_kind_from(std::string_view name) noexcept {
  for (std::size_t i = 1; i < error_kind_count; ++i) {
    auto k = static_cast<error_kind>(i);
    if (to_string(k) == name) return k;
  }
  return error_kind::none;
}

}  // namespace barrage::client
