// The split of a run over shards: the shares add up exactly, remainders go to the lowest
// indices, empty shares are refused; the --shard/--shards parsers.
#include "loadgen/shard.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "loadgen/run_options.hpp"
#include "net/source_addresses.hpp"

namespace barrage::loadgen {
namespace {

TEST(shard_split, integer_shares_add_up_exactly_and_differ_by_at_most_one_with_the_extra_at_the_lowest_indices) {
  const std::uint64_t totals[] = {1, 2, 3, 4, 5, 7, 10, 50, 99, 100, 101, 1000, 1001, 65'537, 10'000'000, UINT64_MAX};
  const unsigned counts[] = {1, 2, 3, 4, 5, 7, 8, 16, 100, 1000, max_shards};
  for (auto total : totals)
    for (auto n : counts) {
      std::uint64_t sum = 0, offset = 0, previous = UINT64_MAX;
      for (unsigned i = 0; i < n; ++i) {
        const std::uint64_t share = integer_share(total, {i, n});
        EXPECT_EQ(share_offset(total, {i, n}), offset) << total << " over " << n << " at " << i;
        EXPECT_LE(share, previous) << total << " over " << n << ": a lower index never gets less";
        EXPECT_LE(share, total / n + (total % n ? 1 : 0));
        EXPECT_GE(share, total / n);
        sum += share;
        offset += share;
        previous = share;
      }
      EXPECT_EQ(sum, total) << total << " over " << n;
    }
}

TEST(shard_split, ten_connections_over_four_shards_are_three_three_two_two) {
  run_config c;
  c.connections = 10;
  c.requests = 1001;
  std::vector<unsigned> conns;
  std::vector<std::uint64_t> reqs;
  for (unsigned i = 0; i < 4; ++i) {
    auto s = shard_config(c, {i, 4});
    ASSERT_TRUE(s) << s.error();
    conns.push_back(s->connections);
    reqs.push_back(*s->requests);
    EXPECT_EQ(s->shard, (shard_spec{i, 4}));
  }
  EXPECT_EQ(conns, (std::vector<unsigned>{3, 3, 2, 2}));
  EXPECT_EQ(reqs, (std::vector<std::uint64_t>{251, 250, 250, 250}));
}

TEST(shard_split, rates_and_open_model_ramp_targets_split_evenly_and_add_up) {
  const double rates[] = {1, 0.5, 10, 1000, 12345.678, 100e6};
  for (double rate : rates)
    for (unsigned n : {1u, 2u, 3u, 4u, 7u, 100u}) {
      run_config c;
      c.connections = 1000;
      c.rate = rate;
      c.ramp = {{std::chrono::seconds(1), rate}, {std::chrono::seconds(2), 0}};
      double sum = 0, ramp_sum = 0;
      for (unsigned i = 0; i < n; ++i) {
        auto s = shard_config(c, {i, n});
        ASSERT_TRUE(s) << s.error();
        EXPECT_DOUBLE_EQ(*s->rate, rate / n);
        sum += *s->rate;
        ramp_sum += s->ramp[0].target;
        EXPECT_EQ(s->ramp[1].target, 0);
        EXPECT_EQ(s->ramp[0].length, std::chrono::seconds(1));
      }
      EXPECT_NEAR(sum, rate, rate * 1e-12) << rate << " over " << n;
      EXPECT_NEAR(ramp_sum, rate, rate * 1e-12);
    }
}

TEST(shard_split, closed_model_ramp_targets_are_connection_counts_split_as_integers) {
  run_config c;
  c.connections = 8;
  c.ramp = {{std::chrono::seconds(1), 10}, {std::chrono::seconds(1), 3}};
  double first = 0, second = 0;
  for (unsigned i = 0; i < 4; ++i) {
    auto s = shard_config(c, {i, 4});
    ASSERT_TRUE(s) << s.error();
    EXPECT_EQ(s->ramp[0].target, i < 2 ? 3 : 2);
    EXPECT_EQ(s->ramp[1].target, i < 3 ? 1 : 0);
    first += s->ramp[0].target;
    second += s->ramp[1].target;
  }
  EXPECT_EQ(first, 10);
  EXPECT_EQ(second, 3);
}

TEST(shard_split, source_addresses_split_into_contiguous_runs_whose_concatenation_is_the_list) {
  run_config c;
  c.connections = 100;
  c.sources = *net::parse_source_addresses("127.0.0.2-127.0.0.8");  // 7 addresses
  std::vector<std::string> joined;
  std::vector<std::size_t> sizes;
  for (unsigned i = 0; i < 3; ++i) {
    auto s = shard_config(c, {i, 3});
    ASSERT_TRUE(s) << s.error();
    sizes.push_back(s->sources.size());
    for (const auto& a : s->sources) joined.push_back(a.ip());
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 2, 2}));
  std::vector<std::string> whole;
  for (const auto& a : c.sources) whole.push_back(a.ip());
  EXPECT_EQ(joined, whole);
}

TEST(shard_split, fewer_connections_requests_or_sources_than_shards_are_refused_in_every_shard_with_one_line) {
  run_config c;
  c.connections = 2;
  auto none = shard_config(c, {3, 4});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), "--shard 3/4: -c 2 is fewer than 4 shards (give at least one per shard, or use fewer shards)");
  EXPECT_FALSE(shard_config(c, {0, 4})) << "every shard is refused alike, not only those whose share is 0";
  c.connections = 8;
  c.requests = 3;
  auto few = shard_config(c, {0, 4});
  ASSERT_FALSE(few);
  EXPECT_NE(few.error().find("-n 3 is fewer than 4 shards"), std::string::npos) << few.error();
  c.requests.reset();
  c.sources = *net::parse_source_addresses("127.0.0.2,127.0.0.3");
  auto addresses = shard_config(c, {0, 3});
  ASSERT_FALSE(addresses);
  EXPECT_NE(addresses.error().find("--source with 2 address(es) is fewer than 3 shards"), std::string::npos);
}

TEST(shard_split, everything_that_is_not_a_share_of_the_load_is_the_same_in_every_shard) {
  run_config c;
  c.connections = 40;
  c.url = "http://127.0.0.1:9/x";
  c.headers = {"X-A: 1"};
  c.threads = 3;
  c.run_time = std::chrono::seconds(7);
  c.warmup = std::chrono::seconds(2);
  auto s = shard_config(c, {1, 4});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->url, c.url);
  EXPECT_EQ(s->headers, c.headers);
  EXPECT_EQ(s->threads, 3u);
  EXPECT_EQ(s->run_time, c.run_time);
  EXPECT_EQ(s->warmup, c.warmup);
}

struct shard_case {
  const char* name;
  const char* text;
  bool ok;
  shard_spec want;
  const char* error;  // a part of the message
};

TEST(shard_parse, shard_texts_parse_or_are_refused_with_a_reason) {
  const shard_case cases[] = {
      {"first of four", "0/4", true, {0, 4}, ""},
      {"last of four", "3/4", true, {3, 4}, ""},
      {"alone", "0/1", true, {0, 1}, ""},
      {"the most shards", "9999/10000", true, {9999, 10000}, ""},
      {"index equal to count", "4/4", false, {}, "must be below the count (4)"},
      {"count zero", "0/0", false, {}, "the count must be from 1 to 10000"},
      {"too many shards", "0/10001", false, {}, "the count must be from 1 to 10000"},
      {"no slash", "3", false, {}, "expected INDEX/COUNT"},
      {"negative", "-1/4", false, {}, "expected INDEX/COUNT"},
      {"empty index", "/4", false, {}, "expected INDEX/COUNT"},
      {"empty count", "1/", false, {}, "expected INDEX/COUNT"},
      {"spaces", "1 / 4", false, {}, "expected INDEX/COUNT"},
      {"units are not for shards", "1/4k", false, {}, "expected INDEX/COUNT"},
      {"empty", "", false, {}, "expected INDEX/COUNT"},
  };
  for (const auto& c : cases) {
    auto r = parse_shard(c.text);
    EXPECT_EQ(bool(r), c.ok) << c.name;
    if (r && c.ok) {
      EXPECT_EQ(*r, c.want) << c.name;
    }
    if (!r && !c.ok) {
      EXPECT_NE(r.error().find(c.error), std::string::npos) << c.name << ": " << r.error();
    }
  }
}

TEST(shard_parse, shards_take_the_index_from_job_completion_index_and_say_when_it_is_missing_or_out_of_range) {
  EXPECT_EQ(*shard_from_environment(4, std::string("2")), (shard_spec{2, 4}));
  EXPECT_EQ(*shard_from_environment(1, std::string("0")), (shard_spec{0, 1}));
  auto missing = shard_from_environment(4, std::nullopt);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error(),
            "--shards 4: JOB_COMPLETION_INDEX is not set (a Kubernetes Indexed Job sets it; elsewhere give --shard I/N)");
  auto high = shard_from_environment(4, std::string("4"));
  ASSERT_FALSE(high);
  EXPECT_EQ(high.error(), "--shards 4: bad JOB_COMPLETION_INDEX \"4\": expected a whole number from 0 to 3");
  EXPECT_FALSE(shard_from_environment(4, std::string("")));
  EXPECT_FALSE(shard_from_environment(4, std::string("x")));
  EXPECT_FALSE(parse_shard_count("0"));
  EXPECT_EQ(*parse_shard_count("16"), 16u);
}

TEST(shard_parse, the_run_options_make_the_shards_share_and_refuse_both_shard_flags_at_once) {
  run_options o;
  o.url = "http://127.0.0.1:8080/";
  o.connections = "10";
  o.requests = "1001";
  o.shards = "4";
  o.job_completion_index = "1";
  auto c = make_run_config(o, 2);
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->shard, (shard_spec{1, 4}));
  EXPECT_EQ(c->connections, 3u);
  EXPECT_EQ(*c->requests, 250u);
  o.shard = "1/4";
  auto both = make_run_config(o, 2);
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error(), "--shard and --shards: give one or the other, not both");
  o.shards.reset();
  o.job_completion_index.reset();
  o.shard = "4/4";
  auto bad = make_run_config(o, 2);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().rfind("--shard: bad shard \"4/4\"", 0), 0u) << bad.error();
  o.shard.reset();
  auto unsharded = make_run_config(o, 2);
  ASSERT_TRUE(unsharded);
  EXPECT_FALSE(unsharded->shard);
  EXPECT_EQ(unsharded->connections, 10u);
}

}  // namespace
}  // namespace barrage::loadgen
