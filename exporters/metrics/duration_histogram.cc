#include "exporters/metrics/duration_histogram.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vigil {

DurationHistogram::DurationHistogram(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {
  bounds_ns_.reserve(bounds.size());
  for (double bound : bounds) bounds_ns_.push_back(std::llround(bound * 1e9));
  for (size_t i = 0; i <= bounds.size(); ++i) counts_[i].store(0, std::memory_order_relaxed);
}

void DurationHistogram::Observe(std::chrono::nanoseconds value) {
  const int64_t ns = std::max<int64_t>(0, value.count());
  size_t bucket = 0;
  while (bucket < bounds_ns_.size() && ns > bounds_ns_[bucket]) ++bucket;
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
}

prometheus::ClientMetric::Histogram DurationHistogram::Collect() const {
  prometheus::ClientMetric::Histogram out;
  out.bucket.reserve(bounds_.size() + 1);
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    prometheus::ClientMetric::Bucket& bucket = out.bucket.emplace_back();
    bucket.cumulative_count = cumulative;
    bucket.upper_bound = i < bounds_.size() ? bounds_[i] : std::numeric_limits<double>::infinity();
  }
  out.sample_count = cumulative;
  out.sample_sum = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return out;
}

}  // namespace vigil
