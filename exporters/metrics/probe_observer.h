// ProbeObserver: what the Prober reports about targets and probes besides
// readiness, for metrics. Targets are named by a numeric id, fixed for the
// target's life, so that the per-probe calls need no string lookups.
//
// All calls come from the probe loop thread.
#pragma once

#include <cstdint>
#include <string>

#include "common/clock.h"
#include "probes/probe_result.h"

namespace vigil {

class ProbeObserver {
 public:
  virtual ~ProbeObserver() = default;

  // `type`: "http", "https", "tcp", "grpc", "exec", or "none" for an endpoint
  // without a probe.
  // `ready`: its readiness now (a new endpoint with a probe starts not ready).
  virtual void OnTargetAdded(uint64_t id, const std::string& service, const std::string& endpoint,
                             const std::string& type, bool ready) = 0;
  // Its probe changed; readiness is kept.
  virtual void OnTargetUpdated(uint64_t id, const std::string& type) = 0;
  virtual void OnTargetRemoved(uint64_t id) = 0;
  virtual void OnReadinessChanged(uint64_t id, bool ready) = 0;
  // How long after its scheduled slot a probe started.
  virtual void OnProbeStarted(Duration lateness) = 0;
  virtual void OnProbeDone(uint64_t id, const ProbeResult& result) = 0;
};

}  // namespace vigil
