#include "agent/readiness_tracker.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace vigil {
namespace {

constexpr ProbeOutcome kS = ProbeOutcome::kSuccess;
constexpr ProbeOutcome kF = ProbeOutcome::kFailure;
constexpr ProbeOutcome kT = ProbeOutcome::kTimeout;
constexpr ProbeOutcome kE = ProbeOutcome::kError;

// Feeds `n` copies of `outcome`; returns the 1-based index of each one that
// flipped readiness, so a test states exactly where flips happen.
std::vector<int> Feed(ReadinessTracker& tracker, ProbeOutcome outcome, int n) {
  std::vector<int> flips;
  for (int i = 1; i <= n; ++i) {
    if (tracker.Observe(outcome)) flips.push_back(i);
  }
  return flips;
}

TEST(ReadinessTrackerTest, StartsNotReadyWithNoResult) {
  ReadinessTracker tracker(1, 3);
  EXPECT_FALSE(tracker.ready());
  EXPECT_EQ(tracker.run(), 0);
  EXPECT_EQ(tracker.last_success(), std::nullopt);
}

// Every pair of thresholds: a success run flips exactly at successThreshold, a
// failure run exactly at failureThreshold, and longer runs never flip again.
class ThresholdTest : public testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(ThresholdTest, FlipsExactlyAtEachThreshold) {
  const auto [success_threshold, failure_threshold] = GetParam();
  ReadinessTracker tracker(success_threshold, failure_threshold);
  for (int cycle = 0; cycle < 3; ++cycle) {
    EXPECT_EQ(Feed(tracker, kS, success_threshold + 5), std::vector<int>{success_threshold});
    EXPECT_TRUE(tracker.ready());
    EXPECT_EQ(Feed(tracker, kF, failure_threshold + 5), std::vector<int>{failure_threshold});
    EXPECT_FALSE(tracker.ready());
  }
}

TEST_P(ThresholdTest, OneShortOfAThresholdDoesNotFlip) {
  const auto [success_threshold, failure_threshold] = GetParam();
  ReadinessTracker tracker(success_threshold, failure_threshold);
  // A failure between two short success runs restarts the count.
  EXPECT_TRUE(Feed(tracker, kS, success_threshold - 1).empty());
  EXPECT_FALSE(tracker.Observe(kF));
  EXPECT_TRUE(Feed(tracker, kS, success_threshold - 1).empty());
  EXPECT_FALSE(tracker.ready());
  EXPECT_EQ(Feed(tracker, kS, 1).size(), 1u);
  ASSERT_TRUE(tracker.ready());

  EXPECT_TRUE(Feed(tracker, kF, failure_threshold - 1).empty());
  EXPECT_FALSE(tracker.Observe(kS));
  EXPECT_TRUE(Feed(tracker, kF, failure_threshold - 1).empty());
  EXPECT_TRUE(tracker.ready());
  EXPECT_EQ(Feed(tracker, kF, 1).size(), 1u);
  EXPECT_FALSE(tracker.ready());
}

INSTANTIATE_TEST_SUITE_P(Edges, ThresholdTest,
                         testing::Values(std::make_tuple(1, 1), std::make_tuple(1, 3),
                                         std::make_tuple(3, 1), std::make_tuple(3, 3),
                                         std::make_tuple(2, 5)),
                         [](const auto& info) {
                           return "S" + std::to_string(std::get<0>(info.param)) + "F" +
                                  std::to_string(std::get<1>(info.param));
                         });

TEST(ReadinessTrackerTest, OneOneFollowsEveryChange) {
  ReadinessTracker tracker(1, 1);
  EXPECT_TRUE(tracker.Observe(kS));
  EXPECT_TRUE(tracker.ready());
  EXPECT_FALSE(tracker.Observe(kS));
  EXPECT_TRUE(tracker.Observe(kF));
  EXPECT_FALSE(tracker.ready());
  EXPECT_FALSE(tracker.Observe(kF));
  EXPECT_TRUE(tracker.Observe(kS));
  EXPECT_TRUE(tracker.ready());
}

TEST(ReadinessTrackerTest, FirstSuccessFlipsWithSuccessThresholdOne) {
  ReadinessTracker tracker(1, 3);
  EXPECT_TRUE(tracker.Observe(kS));
  EXPECT_TRUE(tracker.ready());
}

TEST(ReadinessTrackerTest, ThreeOneNeedsThreeSuccessesButOneFailure) {
  ReadinessTracker tracker(3, 1);
  EXPECT_FALSE(tracker.Observe(kS));
  EXPECT_FALSE(tracker.Observe(kS));
  EXPECT_FALSE(tracker.ready());
  EXPECT_TRUE(tracker.Observe(kS));
  EXPECT_TRUE(tracker.ready());
  EXPECT_TRUE(tracker.Observe(kF));
  EXPECT_FALSE(tracker.ready());
}

TEST(ReadinessTrackerTest, FailuresWhileNotReadyNeverFlip) {
  for (int failure_threshold : {1, 3}) {
    ReadinessTracker tracker(1, failure_threshold);
    EXPECT_TRUE(Feed(tracker, kF, 100).empty());
    EXPECT_TRUE(Feed(tracker, kT, 100).empty());
    EXPECT_FALSE(tracker.ready());
    EXPECT_EQ(tracker.run(), 200);
  }
}

TEST(ReadinessTrackerTest, SuccessesWhileReadyNeverFlip) {
  ReadinessTracker tracker(2, 2);
  EXPECT_EQ(Feed(tracker, kS, 100), std::vector<int>{2});
  EXPECT_TRUE(tracker.ready());
}

TEST(ReadinessTrackerTest, CountsRunsOfIdenticalResults) {
  ReadinessTracker tracker(5, 5);
  const std::vector<std::tuple<ProbeOutcome, int, bool>> steps = {
      {kS, 1, true}, {kS, 2, true},  {kF, 1, false}, {kS, 1, true},  {kS, 2, true},
      {kS, 3, true}, {kT, 1, false}, {kF, 2, false}, {kT, 3, false}, {kS, 1, true},
  };
  for (const auto& [outcome, run, success] : steps) {
    tracker.Observe(outcome);
    EXPECT_EQ(tracker.run(), run);
    EXPECT_EQ(tracker.last_success(), success);
  }
}

TEST(ReadinessTrackerTest, TimeoutsCountAsFailures) {
  ReadinessTracker tracker(1, 3);
  ASSERT_TRUE(tracker.Observe(kS));
  // Timeouts and failures make one run.
  EXPECT_FALSE(tracker.Observe(kT));
  EXPECT_FALSE(tracker.Observe(kF));
  EXPECT_EQ(tracker.last_success(), false);
  EXPECT_TRUE(tracker.Observe(kT));
  EXPECT_FALSE(tracker.ready());

  ReadinessTracker timeouts_only(1, 2);
  ASSERT_TRUE(timeouts_only.Observe(kS));
  EXPECT_EQ(Feed(timeouts_only, kT, 4), std::vector<int>{2});
}

// kubelet: pkg/kubelet/prober/worker_test.go TestFailureThreshold (readiness, success
// threshold 1, failure threshold 3): three successes, two failures still
// ready, the third and following not; twice over.
TEST(ReadinessTrackerTest, KubeletFailureThreshold) {
  ReadinessTracker tracker(1, 3);
  for (int round = 0; round < 2; ++round) {
    for (int j = 0; j < 3; ++j) {
      tracker.Observe(kS);
      EXPECT_TRUE(tracker.ready()) << round << " success " << j + 1;
    }
    for (int j = 0; j < 2; ++j) {
      tracker.Observe(kF);
      EXPECT_TRUE(tracker.ready()) << round << " failing " << j + 1;
    }
    for (int j = 0; j < 3; ++j) {
      tracker.Observe(kF);
      EXPECT_FALSE(tracker.ready()) << round << " failure " << j + 3;
    }
  }
}

// kubelet: pkg/kubelet/prober/worker_test.go TestSuccessThreshold (success threshold 3,
// failure threshold 1, starting as a failure): two successes still not
// ready, the third and following ready, one failure not ready; twice over.
TEST(ReadinessTrackerTest, KubeletSuccessThreshold) {
  ReadinessTracker tracker(3, 1);
  for (int round = 0; round < 2; ++round) {
    for (int j = 0; j < 2; ++j) {
      tracker.Observe(kS);
      EXPECT_FALSE(tracker.ready()) << round << " success " << j + 1;
    }
    for (int j = 0; j < 3; ++j) {
      tracker.Observe(kS);
      EXPECT_TRUE(tracker.ready()) << round << " success " << j + 3;
    }
    tracker.Observe(kF);
    EXPECT_FALSE(tracker.ready()) << round << " 1 failure";
  }
}

// kubelet: pkg/kubelet/prober/worker.go doProbe ("Prober error, throw away the result")
// and pkg/kubelet/prober/prober_test.go TestProbe "Probe has an error".
TEST(ReadinessTrackerTest, ErrorsAreNotResults) {
  ReadinessTracker tracker(2, 2);
  EXPECT_FALSE(tracker.Observe(kE));
  EXPECT_EQ(tracker.run(), 0);
  EXPECT_EQ(tracker.last_success(), std::nullopt);

  // An error neither lengthens nor breaks a run.
  EXPECT_FALSE(tracker.Observe(kS));
  EXPECT_FALSE(tracker.Observe(kE));
  EXPECT_EQ(tracker.run(), 1);
  EXPECT_EQ(tracker.last_success(), true);
  EXPECT_TRUE(tracker.Observe(kS));
  EXPECT_TRUE(tracker.ready());

  EXPECT_FALSE(tracker.Observe(kF));
  EXPECT_TRUE(Feed(tracker, kE, 10).empty());
  EXPECT_EQ(tracker.run(), 1);
  EXPECT_TRUE(tracker.ready());
  EXPECT_TRUE(tracker.Observe(kF));
  EXPECT_FALSE(tracker.ready());
}

TEST(ReadinessTrackerTest, AlternatingResultsNeverFlip) {
  ReadinessTracker not_ready(2, 2);
  ReadinessTracker ready(2, 2);
  ASSERT_EQ(Feed(ready, kS, 2), std::vector<int>{2});
  for (int i = 0; i < 50; ++i) {
    for (ReadinessTracker* tracker : {&not_ready, &ready}) {
      EXPECT_FALSE(tracker->Observe(kS));
      EXPECT_FALSE(tracker->Observe(i % 2 == 0 ? kF : kT));
      EXPECT_EQ(tracker->run(), 1);
    }
  }
  EXPECT_FALSE(not_ready.ready());
  EXPECT_TRUE(ready.ready());
}

TEST(ReadinessTrackerTest, ResetKeepsReadinessAndRestartsTheRun) {
  ReadinessTracker tracker(1, 3);
  ASSERT_TRUE(tracker.Observe(kS));
  EXPECT_TRUE(Feed(tracker, kF, 2).empty());
  tracker.Reset(1, 3);
  EXPECT_TRUE(tracker.ready());
  EXPECT_EQ(tracker.run(), 0);
  EXPECT_EQ(tracker.last_success(), std::nullopt);
  // The two failures before the Reset do not count toward the new threshold.
  EXPECT_EQ(Feed(tracker, kF, 3), std::vector<int>{3});
  EXPECT_FALSE(tracker.ready());
}

TEST(ReadinessTrackerTest, ResetAppliesTheNewThresholds) {
  ReadinessTracker tracker(1, 1);
  tracker.Reset(3, 2);
  EXPECT_FALSE(tracker.ready());
  EXPECT_EQ(Feed(tracker, kS, 3), std::vector<int>{3});
  EXPECT_EQ(Feed(tracker, kF, 2), std::vector<int>{2});

  // A lower threshold counts only results after the Reset.
  ASSERT_EQ(Feed(tracker, kS, 3), std::vector<int>{3});
  EXPECT_FALSE(tracker.Observe(kF));
  tracker.Reset(1, 2);
  EXPECT_FALSE(tracker.Observe(kF));
  EXPECT_TRUE(tracker.ready());
  EXPECT_TRUE(tracker.Observe(kF));
  EXPECT_FALSE(tracker.ready());
}

TEST(ReadinessTrackerTest, CanStartReady) {
  ReadinessTracker tracker(1, 3, /*ready=*/true);
  EXPECT_TRUE(tracker.ready());
  EXPECT_EQ(tracker.run(), 0);
  EXPECT_EQ(tracker.last_success(), std::nullopt);
  EXPECT_TRUE(Feed(tracker, kS, 5).empty());
  EXPECT_EQ(Feed(tracker, kF, 5), std::vector<int>{3});
}

TEST(ReadinessTrackerTest, ResetKeepsNotReady) {
  ReadinessTracker tracker(3, 1);
  EXPECT_TRUE(Feed(tracker, kS, 2).empty());
  tracker.Reset(2, 1);
  EXPECT_FALSE(tracker.ready());
  EXPECT_EQ(Feed(tracker, kS, 2), std::vector<int>{2});
}

}  // namespace
}  // namespace vigil
