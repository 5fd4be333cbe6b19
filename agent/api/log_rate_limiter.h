// LogRateLimiter: lets through at most a burst of messages, then a steady
// rate (a token bucket), and counts what it held back, so that a flood of
// the same complaint (every connection an attacker opens and drops) costs a
// few log lines, not a write per connection on the thread that serves.
//
// Pure logic: time is passed in. Not thread-safe; its owner serializes calls.
#pragma once

#include <chrono>
#include <cstdint>

namespace vigil {

class LogRateLimiter {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // `per_second` messages a second on average, `burst` at once.
  LogRateLimiter(double per_second, double burst);

  // Whether a message at `now` may be logged. When it may, `*suppressed`
  // is the number held back since the last one let through (to say so).
  bool Allow(TimePoint now, uint64_t* suppressed);

 private:
  const double per_second_;
  const double burst_;
  double tokens_;
  TimePoint last_{};
  bool started_ = false;
  uint64_t suppressed_ = 0;
};

}  // namespace vigil
