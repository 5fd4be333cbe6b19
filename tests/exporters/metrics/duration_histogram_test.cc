// DurationHistogram: buckets, sums and counts as prometheus::Histogram
// gives them for the same observations, and no observation lost between
// threads.
#include "exporters/metrics/duration_histogram.h"

#include <gtest/gtest.h>
#include <prometheus/histogram.h>

#include <chrono>
#include <cmath>
#include <random>
#include <thread>
#include <vector>

namespace vigil {
namespace {

using std::chrono::microseconds;
using std::chrono::nanoseconds;

const std::vector<double> kBounds = {0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 1};

TEST(DurationHistogramTest, ABoundIsInItsOwnBucket) {
  DurationHistogram histogram(kBounds);
  histogram.Observe(microseconds(100));  // le="0.0001"
  histogram.Observe(microseconds(101));  // le="0.0005"
  histogram.Observe(microseconds(1000));
  histogram.Observe(std::chrono::seconds(2));  // +Inf only
  const prometheus::ClientMetric::Histogram h = histogram.Collect();
  ASSERT_EQ(h.bucket.size(), kBounds.size() + 1);
  EXPECT_EQ(h.bucket[0].upper_bound, 0.0001);
  EXPECT_EQ(h.bucket[0].cumulative_count, 1u);
  EXPECT_EQ(h.bucket[1].cumulative_count, 2u);
  EXPECT_EQ(h.bucket[2].cumulative_count, 3u);  // le="0.001" holds 1 ms
  EXPECT_EQ(h.bucket[6].cumulative_count, 3u);
  EXPECT_TRUE(std::isinf(h.bucket[7].upper_bound));
  EXPECT_EQ(h.bucket[7].cumulative_count, 4u);
  EXPECT_EQ(h.sample_count, 4u);
  EXPECT_DOUBLE_EQ(h.sample_sum, 2.001201);
}

TEST(DurationHistogramTest, ANegativeDurationCountsAsZero) {
  DurationHistogram histogram(kBounds);
  histogram.Observe(microseconds(-5));
  const prometheus::ClientMetric::Histogram h = histogram.Collect();
  EXPECT_EQ(h.bucket[0].cumulative_count, 1u);
  EXPECT_EQ(h.sample_count, 1u);
  EXPECT_EQ(h.sample_sum, 0.0);
}

// The same observations in prometheus-cpp's histogram: the same buckets,
// count and (to rounding) sum.
TEST(DurationHistogramTest, AgreesWithPrometheusHistogram) {
  DurationHistogram ours(kBounds);
  prometheus::Histogram theirs(kBounds);
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> micros(0, 1'500'000);
  for (int i = 0; i < 10000; ++i) {
    const microseconds value(micros(rng));
    ours.Observe(value);
    theirs.Observe(std::chrono::duration<double>(value).count());
  }
  const prometheus::ClientMetric::Histogram a = ours.Collect();
  const prometheus::ClientMetric::Histogram b = theirs.Collect().histogram;
  ASSERT_EQ(a.bucket.size(), b.bucket.size());
  for (size_t i = 0; i < a.bucket.size(); ++i) {
    EXPECT_EQ(a.bucket[i].upper_bound, b.bucket[i].upper_bound) << i;
    EXPECT_EQ(a.bucket[i].cumulative_count, b.bucket[i].cumulative_count) << i;
  }
  EXPECT_EQ(a.sample_count, b.sample_count);
  EXPECT_NEAR(a.sample_sum, b.sample_sum, 1e-6);
}

TEST(DurationHistogramTest, ObservationsFromManyThreadsAreAllCounted) {
  DurationHistogram histogram(kBounds);
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&histogram, t] {
      for (int i = 0; i < kEach; ++i) histogram.Observe(nanoseconds(1000 * (t + 1)));
    });
  }
  // Scrapes meanwhile: counts never go down between buckets.
  for (int i = 0; i < 100; ++i) {
    const prometheus::ClientMetric::Histogram h = histogram.Collect();
    for (size_t b = 1; b < h.bucket.size(); ++b) {
      ASSERT_LE(h.bucket[b - 1].cumulative_count, h.bucket[b].cumulative_count);
    }
    ASSERT_EQ(h.sample_count, h.bucket.back().cumulative_count);
  }
  for (std::thread& thread : threads) thread.join();
  const prometheus::ClientMetric::Histogram h = histogram.Collect();
  EXPECT_EQ(h.sample_count, uint64_t{kThreads * kEach});
  EXPECT_EQ(h.bucket[0].cumulative_count, uint64_t{kThreads * kEach});
  EXPECT_DOUBLE_EQ(h.sample_sum, kEach * (1 + 2 + 3 + 4) * 1e-6);
}

}  // namespace
}  // namespace vigil
