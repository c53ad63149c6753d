#pragma once
// hdr_encoding: a barrage histogram in HdrHistogram's V2 encoding, the form HdrHistogram's tools
// (Java, C, JS, Go, Rust ports) read from interval logs.
//
// barrage's histogram has HdrHistogram's layout for 3 significant digits and a lowest
// discernible value of 1 ns (histogram.hpp), so its counters are HdrHistogram's counts array,
// index for index; the encoding declares those parameters and histogram::max_value as the
// highest trackable value, so a decoder rebuilds the same counters.
//
// V2 encoding, all integers big-endian:
//   int32 cookie 0x1c849313 (V2 base 0x1c849303 | 0x10), int32 payload length,
//   int32 normalizing index offset (0), int32 significant digits (3),
//   int64 lowest discernible value (1), int64 highest trackable value, float64 integer to
//   double ratio (1.0), then the payload: the counts from index 0 through the max value's
//   index, each a ZigZag LEB128 int64 (at most 9 bytes, the ninth holding 8 bits), a run of
//   two or more empty counters written as one negative number, minus the run's length.
// Compressed: int32 cookie 0x1c849314 (V2 compressed base 0x1c849304 | 0x10), int32 length
//   of what follows, then the V2 encoding as a zlib stream (RFC 1950).
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "loadgen/histogram.hpp"

namespace barrage::report {

inline constexpr std::uint32_t hdr_v2_cookie = 0x1c849303 | 0x10;
inline constexpr std::uint32_t hdr_v2_compressed_cookie = 0x1c849304 | 0x10;
inline constexpr std::int32_t hdr_significant_digits = 3;
inline constexpr std::int64_t hdr_lowest_discernible = 1;  // ns
inline constexpr std::size_t hdr_header_bytes = 40;

/// Appends `v` as ZigZag LEB128 (HdrHistogram's LEB128-64b9B): 1 to 9 bytes.
void append_zigzag(std::vector<std::uint8_t>& out, std::int64_t v);

/// `h` in the V2 encoding (uncompressed).
std::vector<std::uint8_t> hdr_encode(const histogram& h);
/// `h` in the V2 compressed encoding (zlib at its best compression, as HdrHistogram's log
/// writer does).
std::vector<std::uint8_t> hdr_encode_compressed(const histogram& h);
/// RFC 4648 base64 with padding.
std::string base64_encode(std::span<const std::uint8_t> bytes);
/// What an interval log line carries: base64 of hdr_encode_compressed(h).
std::string hdr_compressed_base64(const histogram& h);

}  // namespace barrage::report
