// The Kubernetes view of the StatusBoard: its snapshots rendered as the
// objects of one resource (KubeObjects), which of them a request selects
// (KubeFilter), and KubeWatch, one watcher's position in the board's history
// turned into the lines of a Kubernetes watch (KUBERNETES_API.md §7): ADDED
// for what exists (no resourceVersion, or "0"), then every change after it
// in version order; from a version N, exactly the changes after N; one ERROR
// (410 Expired) when N is not within what the board keeps (older than its
// history or its start, or newer than its version), when the watcher falls
// behind the history, or when the history restarts. An object that stops
// matching the filter is DELETED (its last state at the new version), one
// that starts matching ADDED; a change that does not show in the resource
// (a readiness flip, for a Service; the other slices of a service) is no
// event. Each service's EndpointSlices are diffed by name: a slice that
// disappears is DELETED. Lines are JSON or one-row Tables (the first with
// columnDefinitions).
//
// There is no second store: every object is encoded from the board's
// values when it is read, and every event comes from the board's history.
//
// KubeObjects and KubeFilter are pure; a KubeWatch is used by one thread at
// a time (its board is thread-safe).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/api/kubernetes/kube_json.h"
#include "agent/api/kubernetes/objects.h"
#include "agent/api/kubernetes/resources.h"
#include "agent/api/kubernetes/tables.h"
#include "common/clock.h"
#include "exporters/registry/field_selector.h"
#include "exporters/registry/label_selector.h"
#include "exporters/registry/status_board.h"

namespace vigil {

// What "default" is when no service is in it: the view's start.
struct DefaultNamespace {
  WallTime creation_time;
  uint64_t resource_version = 0;
};

// Every object of `resource` in `snapshot`, all namespaces, sorted by
// namespace and name.
std::vector<kube::KubeJson> KubeObjects(kube::Resource resource, const BoardSnapshot& snapshot,
                                        const DefaultNamespace& fallback);

struct KubeFilter {
  kube::Resource resource = kube::Resource::kEndpoints;
  std::string namespace_name;  // "": every namespace
  std::string name;            // "": every object
  LabelSelector labels;
  FieldSelector fields;

  bool operator()(const kube::KubeJson& object) const;
};

class KubeWatch {
 public:
  struct Options {
    KubeFilter filter;
    // The resourceVersion to resume after; none or 0: ADDED for what exists.
    std::optional<uint64_t> since;
    bool table = false;
    kube::IncludeObject include_object = kube::IncludeObject::kMetadata;
    DefaultNamespace fallback;
    // Applied to every object before the filter, when set (KubeApi points
    // the Events of the agent's own board at the cluster view's Endpoints).
    std::function<void(kube::KubeJson&)> adjust;
  };

  // Lines are taken until they pass this many bytes.
  static constexpr size_t kBatchBytes = 1 << 20;

  KubeWatch(const StatusBoard& board, Options options);

  // The next lines (each ending in '\n'), the events of whole versions,
  // until they pass kBatchBytes; empty when there is nothing new. After an
  // ERROR line the watch is finished. `now` is for a Table's ages.
  std::vector<std::string> Take(WallTime now);
  // A BOOKMARK line at the version up to which every change was taken.
  std::string Bookmark() const;

  bool finished() const { return finished_; }
  uint64_t version() const { return version_; }

 private:
  enum class Change { kAdded, kModified, kDeleted };
  struct Pending {
    Change change;
    kube::KubeJson object;
  };

  void Start();
  void Fail(uint64_t requested);
  // The watch events of one board change.
  void Emit(const BoardEvent& event);
  void Diff(const std::vector<kube::KubeJson>& before, const std::vector<kube::KubeJson>& after,
            uint64_t version);
  std::string Line(const Pending& pending, WallTime now);

  const StatusBoard& board_;
  const Options options_;
  std::vector<Pending> pending_;
  std::set<std::string> namespaces_;  // known to this watcher (namespace watches)
  std::optional<std::string> error_line_;
  uint64_t version_ = 0;
  uint64_t epoch_ = 0;
  bool started_ = false;
  bool finished_ = false;
  bool column_definitions_sent_ = false;
};

}  // namespace vigil
