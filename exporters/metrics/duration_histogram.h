// DurationHistogram: a Prometheus histogram of durations with fixed buckets,
// observed on every probe (vigil_probe_duration_seconds,
// vigil_probe_phase_duration_seconds, vigil_probe_schedule_lateness_seconds).
//
// Hand-written in place of prometheus::Histogram for the probe loop's cost:
// that one takes a mutex and updates its bucket and its sum as doubles in
// compare-and-swap loops, about 180 instructions an observation, and a plain
// HTTP probe makes four. Here an observation is a scan of at most a few
// integer bounds and two relaxed atomic adds (counts per bucket and the sum
// in whole nanoseconds), about 20.
//
// Thread-safety: Observe may be called from any number of threads; Collect
// may run concurrently with them. Collect reads each bucket once and derives
// the cumulative counts and _count from those reads, so that a scrape is
// always self-consistent in its counts; _sum may lag or lead them by the
// observations made during the read.
#pragma once

#include <prometheus/client_metric.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace vigil {

class DurationHistogram {
 public:
  // `bounds`: the buckets' upper bounds (le) in seconds, ascending; the
  // +Inf bucket is implied. Each is rounded to whole nanoseconds.
  explicit DurationHistogram(const std::vector<double>& bounds);

  DurationHistogram(const DurationHistogram&) = delete;
  DurationHistogram& operator=(const DurationHistogram&) = delete;

  // Counts `value` in the first bucket whose bound is >= it, and adds it to
  // the sum; a negative value counts as zero.
  void Observe(std::chrono::nanoseconds value);

  // The buckets (cumulative, the last one +Inf), the count and the sum in
  // seconds, as prometheus-cpp's text writers take them.
  prometheus::ClientMetric::Histogram Collect() const;

 private:
  const std::vector<double> bounds_;  // seconds, as written in le
  std::vector<int64_t> bounds_ns_;    // the same, compared against
  // Per bucket, not cumulative: bounds_.size() + 1 (the last is +Inf).
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> sum_ns_{0};
};

}  // namespace vigil
