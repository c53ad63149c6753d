#include "loadgen/body_summary.hpp"

#include <gtest/gtest.h>

using namespace barrage::loadgen;

namespace {

struct digest_case {
  const char* name;
  std::string input;
  const char* sha256;
};

// FIPS 180-4 examples and NIST CAVP short messages.
const digest_case digest_cases[] = {
    {"the empty string", "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"the two-block message", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"a million a's", std::string(1'000'000, 'a'),
     "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
    {"one zero byte", std::string(1, '\0'), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"},
};

struct escape_case {
  const char* name;
  std::string input;
  const char* escaped;
};

const escape_case escape_cases[] = {
    {"printable ASCII stays", "{\"a\": 1}", "{\"a\": 1}"},
    {"a backslash is doubled", "a\\b", "a\\\\b"},
    {"control bytes are hex", "a\r\n\t\x01", "a\\x0d\\x0a\\x09\\x01"},
    {"DEL is hex", "\x7f", "\\x7f"},
    {"bytes above 0x7f are hex, so never invalid UTF-8", "\xc3\xa9\xff", "\\xc3\\xa9\\xff"},
    {"a zero byte is hex", std::string("a\0b", 3), "a\\x00b"},
};

}  // namespace

TEST(body_summary, sha256_matches_the_published_test_vectors) {
  for (const auto& c : digest_cases) EXPECT_EQ(sha256_hex(c.input), c.sha256) << c.name;
}

TEST(body_summary, escaping_keeps_printable_ascii_and_writes_every_other_byte_in_hex) {
  for (const auto& c : escape_cases) EXPECT_EQ(escape_bytes(c.input), c.escaped) << c.name;
}

TEST(body_summary, the_prefix_is_the_first_64_bytes_and_the_size_and_digest_cover_all) {
  std::string body(100, 'y');
  body[70] = 'z';
  auto s = summarize_body(body);
  EXPECT_EQ(s.bytes, 100u);
  EXPECT_EQ(s.prefix, std::string(64, 'y'));
  EXPECT_EQ(s.sha256, sha256_hex(body));
  EXPECT_NE(s.sha256, sha256_hex(std::string(100, 'y')));
}
