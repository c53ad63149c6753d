#pragma once
// UTF-8 validity (RFC 3629) for text messages and close reasons: wslay leaves it to us.
#include <string_view>

namespace barrage::ws {

/// Whether `text` is well-formed UTF-8: no overlong forms, surrogates, code points above
/// U+10FFFF, truncated or stray continuation bytes.
bool valid_utf8(std::string_view text) noexcept;

}  // namespace barrage::ws
