// Backoff: the delays between retries of something that keeps failing
// (reaching etcd): exponential from `initial`, capped at `max`, with "equal
// jitter" (half the delay fixed, half random) so that agents that lost the
// same server do not all come back in the same instant.
//
// Not thread-safe: one Backoff per retrying loop.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace vigil {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max, uint64_t seed)
      : initial_(std::max<int64_t>(initial.count(), 1)),
        max_(std::max<int64_t>(max.count(), initial_)),
        random_(seed) {}

  // The delay before the next retry; each call doubles the ceiling.
  std::chrono::milliseconds Next() {
    const int64_t ceiling = std::min(max_, initial_ << std::min(attempts_, 30));
    ++attempts_;
    const int64_t half = ceiling / 2;
    std::uniform_int_distribution<int64_t> jitter(0, ceiling - half);
    return std::chrono::milliseconds(half + jitter(random_));
  }
  // After a success: the next failure starts from `initial` again.
  void Reset() { attempts_ = 0; }
  int attempts() const { return attempts_; }

 private:
  const int64_t initial_;
  const int64_t max_;
  int attempts_ = 0;
  std::mt19937_64 random_;
};

}  // namespace vigil
