// The StatusBoard: the versioned truth of every service's endpoints, the one
// piece of state shared between the probe loop (which writes it) and the API
// (which reads it).
//
// Every committed change to a service's Endpoints object gets the next
// resourceVersion and is recorded as an event (ADDED, MODIFIED, DELETED) in a
// bounded history, from which watchers resume. The versions of a board start
// above the wall clock's microseconds at its construction, so that those of
// an agent started again are above every version the agent handed out
// before (as long as it made fewer than a million changes a second): a
// client resuming from one of those is told its version is too old, never
// given a wrong history. A board that mirrors another store (the cluster
// view of an etcd registry) starts at 0 and commits at that store's versions
// instead: then versions grow but need not be consecutive, and the changes
// of one store revision share its version.
//
// Objects are immutable once committed and shared by pointer, so readers get
// consistent snapshots without copying endpoints; a committed object shares
// with the version before it every endpoint that did not change (see
// SharedVector), so the history costs about what changed, not the size of
// the services. A committed object's service_resource_version is the
// version of its last change that a Service shows (labels, ports, address
// families), so that a readiness flip moves the Endpoints' version and not
// the Service's. Kubernetes Events about the endpoints (events.h) are kept
// on the board too, with versions of the same counter and in the same
// history, so that their watchers resume like the others. Probe details (ProbeDetails) are kept
// beside the objects and refreshed without new versions.
//
// Thread-safe: all methods may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "config/namespaced_name.h"
#include "exporters/registry/endpoints.h"
#include "exporters/registry/events.h"

namespace vigil {

enum class EventType { kAdded, kModified, kDeleted };

// One change in the board's history: of a service's Endpoints object
// (`object`, `previous`), or of a Kubernetes Event (`event`,
// `previous_event`); the other pair is null.
struct BoardEvent {
  EventType type = EventType::kAdded;
  uint64_t resource_version = 0;
  std::shared_ptr<const EndpointsObject> object;    // for DELETED: the last state
  std::shared_ptr<const EndpointsObject> previous;  // the state before; null for ADDED
  std::shared_ptr<const KubeEvent> event;           // for DELETED: the last state
  std::shared_ptr<const KubeEvent> previous_event;  // the state before; null for ADDED
};

struct BoardSnapshot {
  uint64_t resource_version = 0;                                 // the board's version when taken
  std::vector<std::shared_ptr<const EndpointsObject>> services;  // by name, then namespace
  std::vector<std::shared_ptr<const KubeEvent>> events;          // by namespace, then name
};

// Where the API finds an endpoint's latest probe details: they change with
// every probe and are kept beside the versioned objects.
class ProbeDetailsSource {
 public:
  virtual ~ProbeDetailsSource() = default;
  virtual std::optional<ProbeDetails> Probe(const NamespacedName& service,
                                            const EndpointStatus& endpoint) const = 0;
};

class StatusBoard final : public ProbeDetailsSource {
 public:
  static constexpr size_t kTransitionsPerService = 50;

  struct Options {
    // The events kept for watchers to resume from (at least 1).
    size_t history = 4096;
    // The version before the first change, and the oldest a watcher can
    // resume after. Unset: the wall clock's microseconds since the epoch
    // (about 1.8e15, exact in a JSON client's double).
    std::optional<uint64_t> start_version;
  };

  StatusBoard();
  explicit StatusBoard(Options options);

  // Writes. A service is known by its namespace and name (Id()): `objects`
  // replace the services of the same ids (ADDED when new, MODIFIED when
  // different, nothing when equal); each change gets its own
  // resourceVersion, in the order given.
  void Put(std::vector<EndpointsObject> objects);
  void Delete(const std::vector<NamespacedName>& services);
  // Makes the board hold exactly `objects` (by id: the rest are deleted) at
  // `version`, a version of the mirrored store: every resulting event carries
  // it. A version not above the board's (the store lost its data) becomes the
  // board's + 1, so that versions never go back for watchers.
  void ReplaceAt(uint64_t version, std::vector<EndpointsObject> objects);
  // Like ReplaceAt for the named services only: `objects` replace theirs,
  // the services in `deleted` go.
  void CommitAt(uint64_t version, std::vector<EndpointsObject> objects,
                const std::vector<NamespacedName>& deleted);
  // Starts the history over: the board holds `objects` at `version`, which
  // may be below the board's (the board had to count on by itself while the
  // mirrored store was away). Watchers from before must list again: epoch()
  // changes.
  void ResetTo(uint64_t version, std::vector<EndpointsObject> objects);
  void RecordProbe(const NamespacedName& service, const std::string& endpoint_key,
                   ProbeDetails details);
  // The place of an endpoint's probe details, for a writer that records
  // every probe of it (the prober): RecordProbe(slot, …) then needs no
  // lookup. Valid until ForgetProbes for the endpoint, or its service's
  // deletion; only RecordProbe may use it.
  struct ProbeEntry {
    ProbeDetails details;
    bool recorded = false;  // a probe was; until then the endpoint has no details
  };
  ProbeEntry* ProbeSlot(const NamespacedName& service, const std::string& endpoint_key);
  void RecordProbe(ProbeEntry* slot, const NamespacedName& service, const std::string& endpoint_key,
                   ProbeDetails details);
  void ForgetProbes(const NamespacedName& service, const std::string& endpoint_key);
  // From now on, remembers the endpoints whose probe result or message
  // changed (a first probe counts), for TakeProbeChanges. Off by default:
  // only a registry that must copy probe details elsewhere needs it.
  void TrackProbeChanges();
  // The (service, endpoint key) pairs noted since the last call.
  std::set<std::pair<NamespacedName, std::string>> TakeProbeChanges();
  // Keeps the last kTransitionsPerService transitions of each service.
  void RecordTransition(const NamespacedName& service, Transition transition);
  // Turns what happened to endpoints into Kubernetes Events (events.h),
  // aggregated with the Events kept: each new or repeated Event gets the
  // next version (ADDED or MODIFIED in the history), and past
  // kMaxKubeEvents the oldest go (DELETED). An occurrence names its service
  // by namespace and name; its service creation time and Endpoints
  // resourceVersion are taken from the board's object of that service, so
  // record them after the object's
  // change is committed; one of a service the board does not hold is
  // dropped.
  void RecordOccurrences(const std::vector<EndpointOccurrence>& occurrences, WallTime now);

  // Reads.
  uint64_t resource_version() const;
  BoardSnapshot Snapshot() const;
  std::shared_ptr<const EndpointsObject> Get(const NamespacedName& service) const;
  // The services named `name`, in every namespace, by namespace.
  std::vector<std::shared_ptr<const EndpointsObject>> Named(const std::string& name) const;
  // The Events kept, by namespace and name.
  std::vector<std::shared_ptr<const KubeEvent>> KubeEvents() const;
  std::optional<ProbeDetails> Probe(const NamespacedName& service,
                                    const std::string& endpoint_key) const;
  std::optional<ProbeDetails> Probe(const NamespacedName& service,
                                    const EndpointStatus& endpoint) const override {
    return Probe(service, endpoint.Key());
  }
  // The service's recent transitions, oldest first.
  std::vector<Transition> Transitions(const NamespacedName& service) const;

  // The events after `resource_version`, oldest first: at most
  // `max_events` (at least 1), and more only to end with all the events of
  // the last version given (a watcher sees the changes of one version
  // whole); none when `resource_version` is the board's or above. Nullopt
  // when some of them are no longer kept, or the version is below the
  // board's start (the watcher must list again).
  std::optional<std::vector<BoardEvent>> EventsSince(uint64_t resource_version,
                                                     size_t max_events = SIZE_MAX) const;
  // The oldest version a watcher can resume after.
  uint64_t oldest_resumable_version() const;
  // Counts the history's restarts (ResetTo): a watcher whose epoch is not the
  // board's must list again.
  uint64_t epoch() const;

  // Blocks until the version exceeds `resource_version` or `timeout` passes;
  // returns the version then.
  uint64_t WaitForChange(uint64_t resource_version, std::chrono::milliseconds timeout) const;

 private:
  void Record(EventType type, std::shared_ptr<const EndpointsObject> object,
              std::shared_ptr<const EndpointsObject> previous);  // REQUIRES(mutex_)
  // The changes of one commit; each gets `version` when set (it must not be
  // below the board's), else the next version of its own. Returns whether
  // anything changed.
  bool PutLocked(std::vector<EndpointsObject>& objects, std::optional<uint64_t> version);
  // Before a commit, without holding the lock through the comparisons:
  // shares each object's unchanged endpoints with the board's version of it.
  void ShareWithCurrent(std::vector<EndpointsObject>& objects) const;
  bool DeleteLocked(const std::vector<NamespacedName>& services, std::optional<uint64_t> version);
  uint64_t NextVersion(uint64_t proposed) const;  // REQUIRES(mutex_)

  void RecordEvent(EventType type, std::shared_ptr<const KubeEvent> event,
                   std::shared_ptr<const KubeEvent> previous);  // REQUIRES(mutex_)

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  const size_t history_limit_;
  uint64_t version_ = 0;  // GUARDED_BY(mutex_)
  // Services by name, then namespace: those of one name are adjacent.
  struct NameFirst {
    bool operator()(const NamespacedName& a, const NamespacedName& b) const {
      return std::tie(a.name, a.namespace_name) < std::tie(b.name, b.namespace_name);
    }
  };
  std::map<NamespacedName, std::shared_ptr<const EndpointsObject>, NameFirst>
      objects_;                     // GUARDED_BY(mutex_)
  std::deque<BoardEvent> history_;  // GUARDED_BY(mutex_)
  // The version of the last event dropped from the history: a watcher at an
  // older version has missed events.
  uint64_t dropped_through_ = 0;  // GUARDED_BY(mutex_)
  uint64_t epoch_ = 0;            // GUARDED_BY(mutex_)
  // service → endpoint key → details.
  std::unordered_map<NamespacedName, std::unordered_map<std::string, ProbeEntry>,
                     NamespacedNameHash>
      probes_;  // GUARDED_BY(mutex_)
  std::unordered_map<NamespacedName, std::deque<Transition>, NamespacedNameHash>
      transitions_;                   // GUARDED_BY(mutex_)
  bool track_probe_changes_ = false;  // GUARDED_BY(mutex_)
  // Events by namespace and name (an Event's name is unique in its namespace).
  std::map<NamespacedName, std::shared_ptr<const KubeEvent>> kube_events_;  // GUARDED_BY(mutex_)
  std::set<std::pair<NamespacedName, std::string>> changed_probes_;         // GUARDED_BY(mutex_)
};

}  // namespace vigil
