#include "agent/health.h"

#include <string>

namespace vigil {

Status LoopHealth(Time now, Time last_turn, Duration stalled_after) {
  const Duration since = now - last_turn;
  if (since <= stalled_after) return Status::Ok();
  return Status::Error(
      "probe loop stalled: last turn " +
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(since).count()) + "s ago");
}

}  // namespace vigil
