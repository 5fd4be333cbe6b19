// Time as vigil sees it, injected so that scheduling and readiness logic can
// be tested without sleeping.
//
// Now() is monotonic and drives every schedule and timeout; WallNow() gives
// the wall-clock times shown to users (lastProbeTime, lastTransitionTime).
// SystemClock is stateless and thread-safe; FakeClock is thread-safe too.
#pragma once

#include <chrono>
#include <mutex>

namespace vigil {

using Time = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;
using WallTime = std::chrono::system_clock::time_point;

// Seconds as a Duration (config timings are fractional seconds).
inline Duration Seconds(double seconds) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
}

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Time Now() const = 0;
  virtual WallTime WallNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  Time Now() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
};

// A clock that moves only when told to. Wall time moves with it.
class FakeClock final : public Clock {
 public:
  FakeClock()
      : now_(Time() + std::chrono::hours(1)),
        wall_(WallTime() + std::chrono::hours(24 * 365 * 56)) {}

  Time Now() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return now_;
  }
  WallTime WallNow() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return wall_;
  }
  void Advance(Duration d) {
    std::lock_guard<std::mutex> lock(mutex_);
    now_ += d;
    wall_ += std::chrono::duration_cast<WallTime::duration>(d);
  }

 private:
  mutable std::mutex mutex_;
  Time now_;
  WallTime wall_;
};

}  // namespace vigil
