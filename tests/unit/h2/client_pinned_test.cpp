// What a load generator asks of the client session: responses without their header fields
// (keep_fields = false), and one request pinned and sent many times unchecked and uncopied.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "h2/client_session.hpp"
#include "h2_harness.hpp"

namespace barrage::h2 {
namespace {

using namespace testing;

TEST(ClientSessionForAGenerator, ResponsesCarryTheirStatusAndNoFieldsWhenFieldsAreNotKept) {
  client_session c({.keep_fields = false});
  server_session s;
  transcript tc, ts;
  ASSERT_TRUE(c.submit({.authority = "a", .path = "/"}).ok());
  pump(c, s, tc, ts, answer_with("hello"));
  EXPECT_EQ(tc.lines, (std::vector<std::string>{"settings", "head 1 200", "end 1", "closed 1 NO_ERROR"}));
  EXPECT_TRUE(tc.fields[1].empty());  // the server sent content-type: not kept
  EXPECT_EQ(tc.bodies[1], "hello");
}

TEST(ClientSessionForAGenerator, KeepChoosesPerRequestWhetherFieldsAndDataBytesAreKept) {
  client_session c({.keep_data_bytes = false, .keep_fields = false});
  server_session s;
  transcript tc, ts;
  ASSERT_TRUE(c.submit({.authority = "a", .path = "/1"}).ok());
  pump(c, s, tc, ts, answer_with("hello"));
  EXPECT_TRUE(tc.fields[1].empty());
  EXPECT_EQ(tc.bodies[1], "?????");  // lengths only
  c.keep(true, true);  // a step that captures: its response whole
  ASSERT_TRUE(c.submit({.authority = "a", .path = "/2"}).ok());
  pump(c, s, tc, ts, answer_with("world"));
  EXPECT_FALSE(tc.fields[3].empty());
  EXPECT_EQ(tc.bodies[3], "world");
  c.keep(false, false);  // and back: nothing copied
  ASSERT_TRUE(c.submit({.authority = "a", .path = "/3"}).ok());
  pump(c, s, tc, ts, answer_with("again"));
  EXPECT_TRUE(tc.fields[5].empty());
  EXPECT_EQ(tc.bodies[5], "?????");
}

TEST(ClientSessionForAGenerator, APinnedRequestGoesOutAsTheSameRequestEveryTime) {
  client_session c;
  server_session s;
  transcript tc, ts;
  const std::string authority = "localhost:8080", path = "/p?q=1", name = "accept", value = "*/*";
  const field fields[] = {{name, value}};
  request r{.authority = authority, .path = path, .fields = fields};
  ASSERT_TRUE(c.submit(r).ok());  // checked and copied once
  r.pinned = true;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.submit(r).ok());
  pump(c, s, tc, ts, answer_with("ok"));
  for (int id : {1, 3, 5, 7}) {
    EXPECT_NE(std::find(ts.lines.begin(), ts.lines.end(), "request " + std::to_string(id) + " GET http://localhost:8080/p?q=1 end"),
              ts.lines.end())
        << id;
    EXPECT_EQ(ts.fields[id], (std::vector<std::pair<std::string, std::string>>{{"accept", "*/*"}})) << id;
    EXPECT_EQ(tc.bodies[id], "ok") << id;
  }
}

// The session keeps the last pinned request's name-value array: a different pinned request
// (other strings, or the same array of fields with another value in it) is built again.
TEST(ClientSessionForAGenerator, PinnedRequestsThatDifferGoOutEachAsItself) {
  client_session c;
  server_session s;
  transcript tc, ts;
  const std::string authority = "localhost:8080", a = "/a", b = "/b", name = "accept", one = "text/one", two = "text/two";
  field fields[] = {{name, one}};
  request ra{.authority = authority, .path = a, .fields = fields};
  request rb{.authority = authority, .path = b, .fields = fields};
  ASSERT_TRUE(c.submit(ra).ok());  // 1: checked and copied
  ASSERT_TRUE(c.submit(rb).ok());  // 3
  ra.pinned = rb.pinned = true;
  ASSERT_TRUE(c.submit(ra).ok());  // 5
  ASSERT_TRUE(c.submit(rb).ok());  // 7
  ASSERT_TRUE(c.submit(rb).ok());  // 9: the array kept from 7
  fields[0].value = two;           // the same field array, another value
  ASSERT_TRUE(c.submit(rb).ok());  // 11
  pump(c, s, tc, ts, answer_with("ok"));
  const auto sent = [&](int id, const std::string& path) {
    return std::find(ts.lines.begin(), ts.lines.end(),
                     "request " + std::to_string(id) + " GET http://localhost:8080" + path + " end") != ts.lines.end();
  };
  EXPECT_TRUE(sent(5, "/a"));
  EXPECT_TRUE(sent(7, "/b"));
  EXPECT_TRUE(sent(9, "/b"));
  EXPECT_TRUE(sent(11, "/b"));
  using fields_sent = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(ts.fields[9], (fields_sent{{"accept", "text/one"}}));
  EXPECT_EQ(ts.fields[11], (fields_sent{{"accept", "text/two"}}));
}

}  // namespace
}  // namespace barrage::h2
