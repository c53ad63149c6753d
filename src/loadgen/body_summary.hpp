#pragma once
// What a report says about the request body: its size, its SHA-256 and a short printable
// prefix, never the body itself (a 1 MiB --body-file must not make a megabyte-sized report,
// and binary bodies are not text).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace barrage::loadgen {

struct body_summary {
  std::uint64_t bytes = 0;
  std::string sha256;  // 64 lower-case hex digits (of the empty string when there is no body)
  std::string prefix;  // the first prefix_bytes bytes, escaped: printable ASCII as is, `\` as
                       // `\\`, every other byte as \xHH; so always ASCII
};

inline constexpr std::size_t prefix_bytes = 64;

body_summary summarize_body(std::string_view body);

/// SHA-256 of `data` as 64 lower-case hex digits (OpenSSL's libcrypto).
std::string sha256_hex(std::string_view data);

/// `text` with printable ASCII kept, `\` doubled and every other byte written \xHH.
std::string escape_bytes(std::string_view text);

}  // namespace barrage::loadgen
