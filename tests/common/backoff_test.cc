#include "common/backoff.h"

#include <gtest/gtest.h>

#include <set>

namespace vigil {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, DoublesFromTheInitialDelayUpToTheCapWithHalfOfItRandom) {
  Backoff backoff(milliseconds(100), milliseconds(1000), /*seed=*/1);
  const int64_t ceilings[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (int64_t ceiling : ceilings) {
    const int64_t delay = backoff.Next().count();
    EXPECT_GE(delay, ceiling / 2) << "ceiling " << ceiling;
    EXPECT_LE(delay, ceiling) << "ceiling " << ceiling;
  }
  EXPECT_EQ(backoff.attempts(), 7);
}

TEST(BackoffTest, ResetStartsOverAndManyFailuresDoNotOverflow) {
  Backoff backoff(milliseconds(100), milliseconds(5000), /*seed=*/2);
  for (int i = 0; i < 200; ++i) {
    const int64_t delay = backoff.Next().count();
    ASSERT_GE(delay, 50);
    ASSERT_LE(delay, 5000);
  }
  backoff.Reset();
  EXPECT_EQ(backoff.attempts(), 0);
  EXPECT_LE(backoff.Next().count(), 100);
}

TEST(BackoffTest, AgentsWithOtherSeedsSpreadOut) {
  // Ten agents that lost etcd at the same moment retry at different times.
  std::set<int64_t> delays;
  for (uint64_t seed = 0; seed < 10; ++seed) {
    Backoff backoff(milliseconds(1000), milliseconds(5000), seed);
    delays.insert(backoff.Next().count());
  }
  EXPECT_GE(delays.size(), 8u);
}

}  // namespace
}  // namespace vigil
