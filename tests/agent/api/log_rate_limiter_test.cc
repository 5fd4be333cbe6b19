#include "agent/api/log_rate_limiter.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

using std::chrono::milliseconds;

TEST(LogRateLimiterTest, ABurstThenTheRateAndACountOfWhatWasHeldBack) {
  LogRateLimiter limiter(/*per_second=*/2, /*burst=*/3);
  const LogRateLimiter::TimePoint t0{};
  uint64_t suppressed = 99;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter.Allow(t0, &suppressed));
    EXPECT_EQ(suppressed, 0u);
  }
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(limiter.Allow(t0 + milliseconds(i), &suppressed));
  EXPECT_FALSE(limiter.Allow(t0 + milliseconds(400), &suppressed));  // 0.8 of a token
  EXPECT_TRUE(limiter.Allow(t0 + milliseconds(550), &suppressed));   // 1.1 tokens
  EXPECT_EQ(suppressed, 11u);
  EXPECT_FALSE(limiter.Allow(t0 + milliseconds(600), &suppressed));  // 0.2
  // A long quiet refills the burst, no more.
  const auto later = t0 + std::chrono::seconds(100);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Allow(later, &suppressed));
  EXPECT_FALSE(limiter.Allow(later, &suppressed));
}

TEST(LogRateLimiterTest, TimeGoingBackGivesNothing) {
  LogRateLimiter limiter(1, 1);
  const LogRateLimiter::TimePoint t0 = LogRateLimiter::TimePoint{} + std::chrono::seconds(10);
  uint64_t suppressed = 0;
  EXPECT_TRUE(limiter.Allow(t0, &suppressed));
  EXPECT_FALSE(limiter.Allow(t0 - std::chrono::seconds(5), &suppressed));
  EXPECT_TRUE(limiter.Allow(t0 + std::chrono::seconds(1), &suppressed));
  EXPECT_EQ(suppressed, 1u);
}

}  // namespace
}  // namespace vigil
