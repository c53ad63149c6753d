#include "report/hdr_encoding.hpp"

#include <zlib.h>

#include <bit>
#include <new>

namespace barrage::report {
namespace {

void append_be(std::vector<std::uint8_t>& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void put_be32(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * (3 - i)));
}

}  // namespace

void append_zigzag(std::vector<std::uint8_t>& out, std::int64_t v) {
  std::uint64_t z = (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
  // Eight groups of 7 bits with a continuation bit; a ninth byte, when needed, carries the
  // last 8 bits whole.
  for (int i = 0; i < 8; ++i) {
    if (z < 0x80) {
      out.push_back(static_cast<std::uint8_t>(z));
      return;
    }
    out.push_back(static_cast<std::uint8_t>((z & 0x7f) | 0x80));
    z >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(z));
}

std::vector<std::uint8_t> hdr_encode(const histogram& h) {
  std::vector<std::uint8_t> out;
  out.reserve(hdr_header_bytes + 64);
  append_be(out, hdr_v2_cookie, 4);
  append_be(out, 0, 4);  // the payload's length, set below
  append_be(out, 0, 4);  // normalizing index offset
  append_be(out, hdr_significant_digits, 4);
  append_be(out, hdr_lowest_discernible, 8);
  append_be(out, histogram::max_value, 8);
  append_be(out, std::bit_cast<std::uint64_t>(1.0), 8);  // integer to double value ratio
  // The counts of indexes 0 through index_of(max()): an empty histogram is one empty counter.
  std::size_t next = 0;  // the first index not written yet
  for (const auto& b : h.buckets()) {
    const std::size_t index = histogram::index_of(b.lowest);
    const std::size_t zeros = index - next;
    if (zeros == 1) append_zigzag(out, 0);
    if (zeros > 1) append_zigzag(out, -static_cast<std::int64_t>(zeros));
    append_zigzag(out, static_cast<std::int64_t>(b.count));
    next = index + 1;
  }
  if (next == 0) append_zigzag(out, 0);
  put_be32(out, 4, static_cast<std::uint32_t>(out.size() - hdr_header_bytes));
  return out;
}

std::vector<std::uint8_t> hdr_encode_compressed(const histogram& h) {
  const std::vector<std::uint8_t> plain = hdr_encode(h);
  uLongf length = compressBound(static_cast<uLong>(plain.size()));
  std::vector<std::uint8_t> out(8 + length);
  const int rc = compress2(out.data() + 8, &length, plain.data(), static_cast<uLong>(plain.size()), Z_BEST_COMPRESSION);
  if (rc != Z_OK) throw std::bad_alloc();  // the buffer is compressBound's: only memory can fail
  out.resize(8 + length);
  put_be32(out, 0, hdr_v2_compressed_cookie);
  put_be32(out, 4, static_cast<std::uint32_t>(length));
  return out;
}

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    for (int s = 18; s >= 0; s -= 6) out.push_back(alphabet[(v >> s) & 0x3f]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) return out;
  std::uint32_t v = std::uint32_t{bytes[i]} << 16;
  if (rest == 2) v |= std::uint32_t{bytes[i + 1]} << 8;
  out.push_back(alphabet[(v >> 18) & 0x3f]);
  out.push_back(alphabet[(v >> 12) & 0x3f]);
  out.push_back(rest == 2 ? alphabet[(v >> 6) & 0x3f] : '=');
  out.push_back('=');
  return out;
}

std::string hdr_compressed_base64(const histogram& h) { return base64_encode(hdr_encode_compressed(h)); }

}  // namespace barrage::report
