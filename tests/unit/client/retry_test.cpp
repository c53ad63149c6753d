// The retry policy's decisions, as tables of named cases: which outcomes are retried, what
// the keep-alive race is, which methods may go again, the backoff, and whole sequences of
// tries through retry_state.
#include "client/retry.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace barrage;
using namespace barrage::client;
using namespace std::chrono_literals;

namespace {

outcome status(std::uint16_t s, std::uint64_t bytes_in = 100) {
  outcome o;
  o.status = s;
  o.bytes_in = bytes_in;
  return o;
}

outcome error(error_kind e, std::uint64_t bytes_in = 0) {
  outcome o;
  o.error = e;
  o.bytes_in = bytes_in;
  return o;
}

retry_policy policy(unsigned attempts, std::vector<unsigned> statuses = {503},
                    std::vector<error_kind> errors = {error_kind::refused}) {
  retry_policy p;
  p.attempts = attempts;
  p.statuses = std::move(statuses);
  p.errors = std::move(errors);
  return p;
}

// ---------------------------------------------------------------------------------------------
// should_retry: a listed status or a listed error kind, nothing else.

struct should_retry_case {
  const char* name;
  outcome o;
  bool retried;
};

const should_retry_case should_retry_cases[] = {
    {"a_listed_status", status(503), true},
    {"a_status_not_listed", status(500), false},
    {"a_success", status(200), false},
    {"a_listed_error_kind", error(error_kind::refused), true},
    {"an_error_kind_not_listed", error(error_kind::timeout), false},
    {"an_error_does_not_match_by_a_stale_status", [] {
       outcome o = error(error_kind::reset);
       o.status = 503;  // an error's status is not a response
       return o;
     }(), false},
};

class should_retry_table : public ::testing::TestWithParam<should_retry_case> {};
TEST_P(should_retry_table, retries_exactly_what_the_policy_lists) {
  const auto& c = GetParam();
  EXPECT_EQ(should_retry(policy(3), c.o), c.retried);
}
INSTANTIATE_TEST_SUITE_P(retry, should_retry_table, ::testing::ValuesIn(should_retry_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(retry_policy, by_default_retries_the_transient_statuses_and_connection_failures) {
  const retry_policy p;
  EXPECT_EQ(p.attempts, 1u);
  for (std::uint16_t s : {500, 502, 503, 504}) EXPECT_TRUE(should_retry(p, status(s))) << s;
  EXPECT_FALSE(should_retry(p, status(501)));
  for (auto e : {error_kind::refused, error_kind::reset, error_kind::connect_timeout})
    EXPECT_TRUE(should_retry(p, error(e))) << to_string(e);
  EXPECT_FALSE(should_retry(p, error(error_kind::timeout)));
}

// ---------------------------------------------------------------------------------------------
// The keep-alive race: a reused connection closed or reset before the first response byte.

struct race_case {
  const char* name;
  outcome o;
  bool reused;
  bool race;
};

const race_case race_cases[] = {
    {"closed_before_a_byte_on_a_reused_connection", error(error_kind::closed_before_response), true, true},
    {"reset_before_a_byte_on_a_reused_connection", error(error_kind::reset), true, true},
    {"closed_before_a_byte_on_a_new_connection", error(error_kind::closed_before_response), false, false},
    {"closed_after_part_of_the_response", error(error_kind::closed_before_response, 12), true, false},
    {"reset_after_part_of_the_response", error(error_kind::reset, 1), true, false},
    {"a_timeout_on_a_reused_connection", error(error_kind::timeout_first_byte), true, false},
    {"a_response", status(200), true, false},
};

class keepalive_race_table : public ::testing::TestWithParam<race_case> {};
TEST_P(keepalive_race_table, is_a_close_before_any_byte_on_a_reused_connection) {
  const auto& c = GetParam();
  EXPECT_EQ(is_keepalive_race(c.o, c.reused), c.race);
  EXPECT_EQ(closed_before_first_byte(c.o), c.race || (!c.reused && c.o.bytes_in == 0 && is_close(c.o.error)));
}
INSTANTIATE_TEST_SUITE_P(retry, keepalive_race_table, ::testing::ValuesIn(race_cases),
                         [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------------------------
// Idempotency, and who may send an unprocessed request again.

struct method_case {
  const char* name;
  const char* method;
  bool idempotent;
};

const method_case method_cases[] = {
    {"get", "GET", true},         {"head", "HEAD", true},       {"put", "PUT", true},
    {"delete", "DELETE", true},   {"options", "OPTIONS", true}, {"trace", "TRACE", true},
    {"post", "POST", false},      {"patch", "PATCH", false},    {"connect", "CONNECT", false},
    {"lower_case_get", "get", false},  // methods are case-sensitive (RFC 9110 §9.1)
    {"empty", "", false},
};

class idempotency_table : public ::testing::TestWithParam<method_case> {};
TEST_P(idempotency_table, follows_rfc_9110) {
  const auto& c = GetParam();
  EXPECT_EQ(is_idempotent(c.method), c.idempotent);
  // An idempotent method always goes again; any method does once retries are allowed.
  EXPECT_EQ(may_resend(is_idempotent(c.method), policy(1)), c.idempotent);
  EXPECT_TRUE(may_resend(is_idempotent(c.method), policy(2)));
}
INSTANTIATE_TEST_SUITE_P(retry, idempotency_table, ::testing::ValuesIn(method_cases),
                         [](const auto& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------------------------
// Backoff: backoff × 2^(attempts − 1), capped, times a jitter of 0.5 to 1.499.

struct backoff_case {
  const char* name;
  duration backoff;
  duration max_backoff;
  unsigned attempts;
  std::uint32_t draw;
  duration expected;
};

const backoff_case backoff_cases[] = {
    {"first_retry_at_the_middle_of_the_jitter", 100ms, 10s, 1, 500, 100ms},
    {"first_retry_at_the_lowest_jitter", 100ms, 10s, 1, 0, 50ms},
    {"first_retry_at_the_highest_jitter", 100ms, 10s, 1, 999, 149'900us},
    {"the_draw_counts_modulo_1000", 100ms, 10s, 1, 7'250, 75ms},
    {"doubles_per_try", 100ms, 10s, 3, 500, 400ms},
    {"stops_at_the_cap", 100ms, 1s, 5, 500, 1s},
    {"the_cap_is_before_the_jitter", 100ms, 1s, 5, 0, 500ms},
    {"a_backoff_above_the_cap_is_the_cap", 20s, 10s, 1, 500, 10s},
    {"doubles_at_most_16_times", 1ns, 1h, 40, 500, 65'536ns},
    {"the_generator_cap_of_1024_times", 100ms, 102'400ms, 30, 500, 102'400ms},
    {"a_long_backoff_does_not_overflow", 1h, duration::max() / 4, 100, 500, 65'536h},
    {"zero_backoff_is_no_wait", 0ms, 10s, 4, 999, 0ms},
};

class backoff_table : public ::testing::TestWithParam<backoff_case> {};
TEST_P(backoff_table, grows_exponentially_with_jitter) {
  const auto& c = GetParam();
  retry_policy p;
  p.backoff = c.backoff;
  p.max_backoff = c.max_backoff;
  EXPECT_EQ(backoff_before(p, c.attempts, c.draw).count(), c.expected.count());
}
INSTANTIATE_TEST_SUITE_P(retry, backoff_table, ::testing::ValuesIn(backoff_cases),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(retry_backoff, jitter_draws_spread_over_the_whole_range) {
  retry_policy p;
  p.backoff = 1s;
  duration lo = duration::max(), hi = duration::zero();
  for (int i = 0; i < 2000; ++i) {
    duration d = backoff_before(p, 1, jitter_draw());
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GE(lo, 500ms);
  EXPECT_LT(lo, 600ms);
  EXPECT_LE(hi, 1499ms);
  EXPECT_GT(hi, 1400ms);
}

// ---------------------------------------------------------------------------------------------
// retry_state: whole sequences of tries.

struct try_ {
  outcome o;
  bool reused;
  retry_step step;
};

struct sequence_case {
  const char* name;
  unsigned attempts;  // the policy's
  bool may_resend;
  std::vector<try_> tries;
  unsigned attempts_made;
  bool resent;
};

const auto race = error(error_kind::closed_before_response);

const sequence_case sequence_cases[] = {
    {"a_success_is_done_at_once", 3, true, {{status(200), true, retry_step::done}}, 1, false},
    {"no_retry_with_one_attempt", 1, true, {{status(503), false, retry_step::done}}, 1, false},
    {"retries_a_listed_status_until_the_attempts_are_used",
     3,
     true,
     {{status(503), false, retry_step::retry}, {status(503), true, retry_step::retry}, {status(503), true, retry_step::done}},
     3,
     false},
    {"stops_retrying_at_a_success",
     5,
     true,
     {{error(error_kind::refused), false, retry_step::retry}, {status(200), false, retry_step::done}},
     2,
     false},
    {"the_race_is_resent_once_and_is_not_an_attempt",
     1,
     true,
     {{race, true, retry_step::resend}, {status(200), false, retry_step::done}},
     1,
     true},
    {"a_second_race_is_not_resent", 1, true, {{race, true, retry_step::resend}, {race, true, retry_step::done}}, 1, true},
    {"a_race_not_resendable_is_final", 1, false, {{race, true, retry_step::done}}, 1, false},
    {"a_race_not_resendable_may_still_be_retried_by_the_policy",
     2,
     false,
     {{error(error_kind::reset), true, retry_step::retry}, {status(200), true, retry_step::done}},
     2,
     false},
    {"a_close_on_a_new_connection_is_not_the_race", 1, true, {{race, false, retry_step::done}}, 1, false},
    {"a_resend_then_retries_keep_their_full_count",
     3,
     true,
     {{race, true, retry_step::resend},
      {status(503), false, retry_step::retry},
      {status(503), true, retry_step::retry},
      {status(503), true, retry_step::done}},
     3,
     true},
};

class retry_sequence_table : public ::testing::TestWithParam<sequence_case> {};
TEST_P(retry_sequence_table, steps_through_resends_and_retries) {
  const auto& c = GetParam();
  const retry_policy p = policy(c.attempts, {503}, {error_kind::refused, error_kind::reset});
  retry_state s(p, c.may_resend);
  for (std::size_t i = 0; i < c.tries.size(); ++i)
    EXPECT_EQ(static_cast<int>(s.after(c.tries[i].o, c.tries[i].reused)), static_cast<int>(c.tries[i].step))
        << "try " << i;
  EXPECT_EQ(s.attempts(), c.attempts_made);
  EXPECT_EQ(s.resent(), c.resent);
}
INSTANTIATE_TEST_SUITE_P(retry, retry_sequence_table, ::testing::ValuesIn(sequence_cases),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
