// The small pieces of src/h2: error code names, option checks, the event byte arena.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "h2/byte_arena.hpp"
#include "h2/error_code.hpp"
#include "h2/settings.hpp"

namespace barrage::h2 {
namespace {

TEST(ErrorCode, EachRfcCodeHasItsNameAndOthersAreUnknown) {
  EXPECT_EQ(name(error_code::no_error), "NO_ERROR");
  EXPECT_EQ(name(error_code::flow_control_error), "FLOW_CONTROL_ERROR");
  EXPECT_EQ(name(error_code::refused_stream), "REFUSED_STREAM");
  EXPECT_EQ(name(error_code::http_1_1_required), "HTTP_1_1_REQUIRED");
  EXPECT_EQ(name(error_code{0xe}), "unknown");
  EXPECT_EQ(name(error_code{0xffffffff}), "unknown");
}

struct options_case {
  const char* name;
  session_options options;
  bool ok;
};

TEST(SessionOptions, CheckAcceptsTheWindowsTheRfcAllowsAndNamesWhatIsWrongElse) {
  const options_case cases[] = {
      {"the defaults", {}, true},
      {"a zero stream window", {.stream_window = 0}, true},
      {"the largest windows", {.stream_window = max_window, .connection_window = max_window}, true},
      {"a stream window above 2^31-1", {.stream_window = max_window + 1}, false},
      {"a connection window below 65535", {.connection_window = 65534}, false},
      {"a connection window above 2^31-1", {.connection_window = max_window + 1}, false},
      {"no header fields allowed", {.max_header_fields = 0}, false},
      {"no header bytes allowed", {.max_header_list_bytes = 0}, false},
      {"no stream before the peer's SETTINGS", {.peer_streams_before_settings = 0}, false},
      {"no bytes for events", {.max_event_bytes = 0}, false},
  };
  for (const options_case& c : cases) EXPECT_EQ(check(c.options).empty(), c.ok) << c.name << ": " << check(c.options);
}

TEST(ByteArena, CopiesStayValidAcrossGrowthUntilReset) {
  byte_arena arena(64);
  std::vector<std::string_view> views;
  for (int i = 0; i < 100; ++i) views.push_back(arena.copy("value-" + std::to_string(i)));
  const std::string_view big = arena.copy(std::string(1000, 'z'));
  for (int i = 0; i < 100; ++i) EXPECT_EQ(views[i], "value-" + std::to_string(i));
  EXPECT_EQ(big, std::string(1000, 'z'));
  EXPECT_TRUE(arena.copy("").empty());
}

TEST(ByteArena, UsedCountsTheBytesHandedOutSinceTheLastReset) {
  byte_arena arena(64);
  (void)arena.copy("abc");
  (void)arena.allocate(100, 8);
  EXPECT_EQ(arena.used(), 103u);
  arena.reset();
  EXPECT_EQ(arena.used(), 0u);
}

TEST(ByteArena, ResetReusesTheBlocksWithoutGrowing) {
  byte_arena arena(256);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 50; ++i) (void)arena.copy("0123456789abcdef");
    (void)arena.copy(std::string(4096, 'q'));
    arena.reset();
  }
  const std::size_t held = arena.capacity();
  for (int i = 0; i < 50; ++i) (void)arena.copy("0123456789abcdef");
  (void)arena.copy(std::string(4096, 'q'));
  EXPECT_EQ(arena.capacity(), held);
}

TEST(ByteArena, AllocationsHonourTheirAlignment) {
  byte_arena arena(128);
  (void)arena.copy("x");
  for (std::size_t align : {2u, 4u, 8u, 16u}) {
    void* p = arena.allocate(24, align);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % align, 0u) << align;
    (void)arena.copy("y");
  }
}

}  // namespace
}  // namespace barrage::h2
