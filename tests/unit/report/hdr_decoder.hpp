#pragma once
// The decoding side of HdrHistogram's V2 compressed encoding, written from the format's
// description (not from report/hdr_encoding.cpp), so that the tests can take apart what the
// encoder wrote: base64 → cookie, length → zlib inflate → header → ZigZag LEB128 counts.
#include <zlib.h>

#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace barrage::report::test {

struct decoded_histogram {
  std::uint32_t cookie = 0;
  std::uint32_t payload_length = 0;
  std::int32_t normalizing_offset = 0;
  std::int32_t significant_digits = 0;
  std::int64_t lowest_discernible = 0;
  std::int64_t highest_trackable = 0;
  double ratio = 0;
  std::vector<std::uint64_t> counts;  // HdrHistogram's counts array, through the last written index
};

inline std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0) return std::nullopt;
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t v = 0;
    int pad = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        ++pad;
        v <<= 6;
        continue;
      }
      const int d = value(c);
      if (d < 0 || pad > 0) return std::nullopt;
      v = (v << 6) | static_cast<std::uint32_t>(d);
    }
    out.push_back(static_cast<std::uint8_t>(v >> 16));
    if (pad < 2) out.push_back(static_cast<std::uint8_t>(v >> 8));
    if (pad < 1) out.push_back(static_cast<std::uint8_t>(v));
  }
  return out;
}

inline std::uint64_t read_be(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

/// One ZigZag LEB128 number at `at` (advanced); nullopt when the bytes end inside it.
inline std::optional<std::int64_t> read_zigzag(const std::vector<std::uint8_t>& b, std::size_t& at) {
  std::uint64_t z = 0;
  for (int i = 0; i < 9; ++i) {
    if (at >= b.size()) return std::nullopt;
    const std::uint8_t byte = b[at++];
    if (i == 8) {
      z |= std::uint64_t{byte} << 56;
      break;
    }
    z |= std::uint64_t{byte & 0x7fu} << (7 * i);
    if (!(byte & 0x80)) break;
  }
  return static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1);
}

/// The uncompressed V2 encoding; nullopt when malformed.
inline std::optional<decoded_histogram> decode_v2(const std::vector<std::uint8_t>& b) {
  if (b.size() < 40) return std::nullopt;
  decoded_histogram d;
  d.cookie = static_cast<std::uint32_t>(read_be(b.data(), 4));
  d.payload_length = static_cast<std::uint32_t>(read_be(b.data() + 4, 4));
  d.normalizing_offset = static_cast<std::int32_t>(read_be(b.data() + 8, 4));
  d.significant_digits = static_cast<std::int32_t>(read_be(b.data() + 12, 4));
  d.lowest_discernible = static_cast<std::int64_t>(read_be(b.data() + 16, 8));
  d.highest_trackable = static_cast<std::int64_t>(read_be(b.data() + 24, 8));
  d.ratio = std::bit_cast<double>(read_be(b.data() + 32, 8));
  if (b.size() != 40 + std::size_t{d.payload_length}) return std::nullopt;
  std::size_t at = 40;
  while (at < b.size()) {
    auto v = read_zigzag(b, at);
    if (!v) return std::nullopt;
    if (*v < 0) d.counts.resize(d.counts.size() + static_cast<std::size_t>(-*v), 0);
    else d.counts.push_back(static_cast<std::uint64_t>(*v));
  }
  return d;
}

/// The compressed V2 encoding: cookie, length, zlib stream of decode_v2's input.
inline std::optional<decoded_histogram> decode_compressed(const std::vector<std::uint8_t>& b,
                                                          std::uint32_t* cookie = nullptr) {
  if (b.size() < 8) return std::nullopt;
  if (cookie) *cookie = static_cast<std::uint32_t>(read_be(b.data(), 4));
  const std::size_t length = read_be(b.data() + 4, 4);
  if (b.size() != 8 + length) return std::nullopt;
  std::vector<std::uint8_t> plain(40 + 9 * 40'000);
  uLongf plain_length = plain.size();
  if (uncompress(plain.data(), &plain_length, b.data() + 8, static_cast<uLong>(length)) != Z_OK) return std::nullopt;
  plain.resize(plain_length);
  return decode_v2(plain);
}

inline std::optional<decoded_histogram> decode_base64(std::string_view text, std::uint32_t* cookie = nullptr) {
  auto bytes = base64_decode(text);
  if (!bytes) return std::nullopt;
  return decode_compressed(*bytes, cookie);
}

}  // namespace barrage::report::test
