#pragma once
// User text quoted for a one-line error message, whatever bytes it holds.
#include <cstddef>
#include <string>
#include <string_view>

namespace barrage {

/// `text` between double quotes, at most its first `max_shown` bytes ("..." before the closing
/// quote when cut), with control bytes, DEL, `"` and `\` written as \xNN, so the message stays
/// on one line and the quotes stay unambiguous: quote_text("a\nb") == "\"a\\x0ab\"".
std::string quote_text(std::string_view text, std::size_t max_shown = 40);

}  // namespace barrage
