#include "agent/readiness_tracker.h"

#include <cassert>
#include <limits>

namespace vigil {

ReadinessTracker::ReadinessTracker(int success_threshold, int failure_threshold, bool ready)
    : ready_(ready) {
  Reset(success_threshold, failure_threshold);
}

bool ReadinessTracker::Observe(ProbeOutcome outcome) {
  if (outcome == ProbeOutcome::kError) return false;
  const bool success = outcome == ProbeOutcome::kSuccess;
  if (last_success_ == success) {
    // Saturates: a 50 ms probe would overflow an int run in about 3.4 years.
    if (run_ < std::numeric_limits<int>::max()) ++run_;
  } else {
    last_success_ = success;
    run_ = 1;
  }
  // Once a run has flipped readiness, readiness equals the run's result, so a
  // longer run never flips again.
  if (success != ready_ && run_ >= (success ? success_threshold_ : failure_threshold_)) {
    ready_ = success;
    return true;
  }
  return false;
}

void ReadinessTracker::Reset(int success_threshold, int failure_threshold) {
  assert(success_threshold >= 1 && failure_threshold >= 1);
  success_threshold_ = success_threshold;
  failure_threshold_ = failure_threshold;
  last_success_.reset();
  run_ = 0;
}

}  // namespace vigil
