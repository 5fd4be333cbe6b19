#include "agent/health.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(LoopHealthTest, HealthyWhileTheLoopTurns) {
  const Time now = Time() + std::chrono::hours(1);
  EXPECT_TRUE(LoopHealth(now, now).ok());
  EXPECT_TRUE(LoopHealth(now, now - seconds(1)).ok());
  EXPECT_TRUE(LoopHealth(now, now - kLoopStalledAfter).ok());
}

TEST(LoopHealthTest, StalledPastTheLimitSaysHowLongAgo) {
  const Time now = Time() + std::chrono::hours(1);
  EXPECT_EQ(LoopHealth(now, now - kLoopStalledAfter - milliseconds(1)).message(),
            "probe loop stalled: last turn 5s ago");
  EXPECT_EQ(LoopHealth(now, now - seconds(42)).message(), "probe loop stalled: last turn 42s ago");
  EXPECT_FALSE(LoopHealth(now, now - seconds(2), seconds(1)).ok());
}

}  // namespace
}  // namespace vigil
