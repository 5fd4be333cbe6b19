// ReadinessTracker turns one target's stream of probe results into its
// readiness with kubelet's consecutive-run rule: the same result as last time
// lengthens the run, another result starts a new run of 1, and readiness
// changes only when a run of successes reaches successThreshold or a run of
// failures reaches failureThreshold. Like Envoy's handleSuccess/handleFailure,
// Observe() returns whether readiness flipped, so the caller publishes a
// transition exactly when there is one.
//
// One per probed target, owned by the agent's record of that target (a service
// without a readinessProbe has none: its endpoints are ready). Not thread-safe;
// used from the probe loop thread.
#pragma once

#include <optional>

#include "probes/probe_result.h"

namespace vigil {

class ReadinessTracker {
 public:
  // Thresholds are at least 1 (config validation sees to it). A new endpoint
  // starts not ready: it receives traffic only once its probe has succeeded.
  // `ready` carries readiness over to the tracker of a changed probe, e.g. one
  // added to a service whose endpoints, having had none, were ready.
  ReadinessTracker(int success_threshold, int failure_threshold, bool ready = false);

  // Feeds one probe result; returns true when readiness flipped. kTimeout is a
  // failure. kError (the probe could not be attempted) says nothing about the
  // target: it is ignored and neither lengthens nor breaks the current run.
  bool Observe(ProbeOutcome outcome);

  bool ready() const { return ready_; }
  // Length of the current run of identical results; 0 before any result.
  int run() const { return run_; }
  // Whether the current run is one of successes; nullopt before any result.
  std::optional<bool> last_success() const { return last_success_; }

  // Takes the thresholds of a changed probe. Readiness is kept so that a
  // config reload does not flap endpoints; the run restarts (no last result)
  // because results of the old probe say nothing about the new one.
  void Reset(int success_threshold, int failure_threshold);

 private:
  int success_threshold_;
  int failure_threshold_;
  bool ready_;
  std::optional<bool> last_success_;
  int run_ = 0;
};

}  // namespace vigil
