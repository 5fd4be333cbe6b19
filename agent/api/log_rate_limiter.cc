#include "agent/api/log_rate_limiter.h"

#include <algorithm>

namespace vigil {

LogRateLimiter::LogRateLimiter(double per_second, double burst)
    : per_second_(per_second), burst_(burst), tokens_(burst) {}

bool LogRateLimiter::Allow(TimePoint now, uint64_t* suppressed) {
  if (started_ && now > last_) {
    tokens_ = std::min(burst_,
                       tokens_ + std::chrono::duration<double>(now - last_).count() * per_second_);
  }
  if (!started_ || now > last_) last_ = now;
  started_ = true;
  if (tokens_ < 1) {
    ++suppressed_;
    return false;
  }
  tokens_ -= 1;
  *suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace vigil
