// The agent's liveness rule, as a pure function so that it is tested without
// stalling a real loop.
#pragma once

#include "common/clock.h"
#include "common/status.h"

namespace vigil {

// The probe loop wakes at least once a second; this long without a turn
// means it is stuck.
inline constexpr Duration kLoopStalledAfter = std::chrono::seconds(5);

// OK when the loop last turned at most `stalled_after` before `now`;
// otherwise an error saying how long ago it turned.
Status LoopHealth(Time now, Time last_turn, Duration stalled_after = kLoopStalledAfter);

}  // namespace vigil
