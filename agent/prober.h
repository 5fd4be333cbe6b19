// The Prober owns one target per (service, endpoint): its resolved probe, its
// ReadinessTracker and its slot in the Scheduler. It starts due probes on the
// ProbeEngine, feeds their results through the trackers, and publishes the
// endpoints' state to the StatusBoard.
//
// State flows one way: result → tracker → board. A change is committed to the
// board at the end of the loop's turn that made it, unless the last commit
// was less than kCommitDelay before: then the changes wait until kCommitDelay
// after it and go together, so that a burst of transitions in a large service
// costs a few new objects, not one per endpoint, while a lone transition
// reaches the board (and every watch) at once. What deserves a Kubernetes Event (an endpoint going
// not ready, a never-ready one reaching failureThreshold, a new failure message while not ready,
// going ready) is recorded on the board with the same commit.
//
// Threading: construct it anywhere; every other method runs on the engine's
// loop thread (OnWake is the engine's wake handler; use ProbeEngine::Post to
// call Apply from elsewhere).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "agent/readiness_tracker.h"
#include "agent/scheduler.h"
#include "common/clock.h"
#include "config/config.h"
#include "config/namespaced_name.h"
#include "exporters/metrics/probe_observer.h"
#include "exporters/registry/endpoints.h"
#include "exporters/registry/status_board.h"
#include "probes/probe_engine.h"

namespace vigil {

class Prober {
 public:
  static constexpr Duration kCommitDelay = std::chrono::milliseconds(5);
  // A failing endpoint logs the first failure of its run and each transition;
  // the failures in between are summarized this often.
  static constexpr Duration kFailureSummaryInterval = std::chrono::seconds(60);
  // As kubelet's runProbeWithRetries: a probe that errors (kError) is run
  // again at once, within its period, up to this many tries in all, each
  // counted; when the last errors too, the endpoint keeps its readiness and
  // its run. A probe that cannot be attempted is not retried.
  static constexpr int kMaxProbeTries = 3;

  // All references must outlive the Prober. `observer` may be null.
  Prober(const Clock& clock, ProbeEngine& engine, StatusBoard& board, std::string node,
         uint64_t seed, ProbeObserver* observer = nullptr,
         Duration summary_interval = kFailureSummaryInterval);

  // Makes `services` the probed set, as a diff against the current one, a
  // service being known by its namespace and name (one that moves to
  // another namespace is removed and added): unchanged endpoints keep their
  // state; an endpoint whose probe changed keeps its readiness and restarts
  // its counts; new endpoints start not ready (ready at once without a
  // probe); removed ones leave the board. Metrics and log lines name a
  // service by ServiceLabel: NAMESPACE/NAME while its name is in several
  // namespaces.
  void Apply(const std::vector<Service>& services);

  // The engine's wake handler: starts due probes, commits pending changes.
  void OnWake(Time now);

  // Called on the loop thread with the number of objects each commit to the
  // board changed (the embedded registry's publishes).
  void SetPublishListener(std::function<void(size_t)> listener) {
    publish_listener_ = std::move(listener);
  }

  // For a graceful stop: no more probes start; every endpoint is published at
  // once as terminating (not ready, still serving as it was).
  void Terminate();

  size_t target_count() const { return targets_.size(); }

 private:
  struct Target {
    Scheduler::Id id = 0;
    NamespacedName service;
    std::string label;                           // ServiceLabel: in metrics and log lines
    size_t index = 0;                            // of its endpoint in the service's object
    std::string key;                             // "ip:port"
    StatusBoard::ProbeEntry* details = nullptr;  // its place in the board
    std::optional<Probe> probe;
    // Built once per configuration: a probe formats nothing.
    Result<std::shared_ptr<const PreparedProbe>> spec = Status::Error("no probe");
    std::string type;           // "http", "https", "tcp", "grpc", "exec" or "none"
    std::string last_error;     // the error last logged, so that a repeat is not
    int unlogged_failures = 0;  // since the last summary
    int tries = 0;              // of the probe in flight, when it errored
    std::string last_failure;
    ReadinessTracker tracker{1, 3};
    bool ever_ready = false;
    // The probe message of the last Warning Unhealthy Event, while not ready.
    std::optional<std::string> unhealthy_message;
  };

  struct ServiceEntry {
    Service config;
    EndpointsObject object;  // the working copy; committed when dirty
    bool dirty = false;
  };

  void AddTarget(ServiceEntry& entry, const Endpoint& endpoint, size_t index,
                 const std::string& label, Time now);
  void RemoveTarget(Scheduler::Id id);
  void ConfigureProbe(Target& target, const Service& service, const Endpoint& endpoint, Time now,
                      bool schedule_first);
  void OnResult(Scheduler::Id id, const ProbeResult& result);
  void MarkDirty(ServiceEntry& entry);
  // Sets the commit's time for a change made now, when none is set.
  void ScheduleCommit();
  // An Event for the board, recorded with the next commit (after the
  // Endpoints change it is about).
  void Note(EndpointHappening what, const Target& target, std::string probe_message);
  void Commit();
  void ScheduleWake();
  void LogFailureSummary();

  const Clock& clock_;
  ProbeEngine& engine_;
  StatusBoard& board_;
  const std::string node_;
  ProbeObserver* observer_;
  Scheduler scheduler_;
  std::vector<Scheduler::Due> due_;  // TakeDue's, kept for its capacity
  Scheduler::Id next_id_ = 1;
  std::map<NamespacedName, ServiceEntry> services_;
  std::unordered_map<Scheduler::Id, Target> targets_;
  std::optional<Time> commit_due_;
  std::optional<Time> last_commit_;              // of a commit that changed the board
  std::vector<EndpointOccurrence> occurrences_;  // for the next commit
  const Duration summary_interval_;
  Time summary_due_;
  bool terminating_ = false;
  std::function<void(size_t)> publish_listener_;
};

}  // namespace vigil
