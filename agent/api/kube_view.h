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
// values (through an ObjectCache, once per committed object, when one is
// given), and every event comes from the board's history.
//
// KubeObjects and KubeFilter are pure but for the cache; a KubeWatch is
// used by one thread at a time (its board and cache are thread-safe).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/api/kubernetes/encoded.h"
#include "agent/api/kubernetes/kube_json.h"
#include "agent/api/kubernetes/object_cache.h"
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

// How the view encodes the board's objects.
struct KubeEncoding {
  kube::ObjectCache* cache = nullptr;  // null: every object encoded anew
  // Applied to each Event before it is encoded, when set (KubeApi points the
  // Events of the agent's own board at the cluster view's Endpoints); such
  // Events are encoded anew each time.
  std::function<void(kube::KubeJson&)> adjust_event;
};

// Every object of `resource` in `snapshot`, all namespaces, sorted by
// namespace and name.
std::vector<kube::EncodedPtr> KubeObjects(kube::Resource resource, const BoardSnapshot& snapshot,
                                          const DefaultNamespace& fallback,
                                          const KubeEncoding& encoding = {});

struct KubeFilter {
  kube::Resource resource = kube::Resource::kEndpoints;
  std::string namespace_name;  // "": every namespace
  std::string name;            // "": every object
  LabelSelector labels;
  FieldSelector fields;

  bool operator()(const kube::EncodedObject& object) const;
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
    KubeEncoding encoding;
  };

  // Lines are taken until they pass this many bytes: a long backlog (the
  // ADDED events of a large list, a resume from far back) goes out a batch
  // at a time, each taken when the one before is sent.
  static constexpr size_t kBatchBytes = 256 << 10;

  KubeWatch(const StatusBoard& board, Options options);

  // Appends the next lines (each ending in '\n') to `out`, until they pass
  // kBatchBytes (with `all`, until every change so far is taken); nothing
  // when there is nothing new. After an ERROR line the watch is finished.
  // `now` is for a Table's ages.
  void Take(WallTime now, std::string* out, bool all = false);
  // Whether every change so far was taken (no batch is left over).
  bool caught_up() const { return pending_.empty(); }
  // A BOOKMARK line at the version up to which every change was taken;
  // "" while a batch is left over.
  std::string Bookmark() const;

  bool finished() const { return finished_; }
  uint64_t version() const { return version_; }

 private:
  enum class Change { kAdded, kModified, kDeleted };
  struct Pending {
    Change change;
    kube::EncodedPtr object;
    std::optional<uint64_t> resource_version;  // for DELETED: the deletion's
  };

  void Start();
  void Fail(uint64_t requested);
  // The watch events of one board change.
  void Emit(const BoardEvent& event);
  void Diff(const std::vector<kube::EncodedPtr>& before, const std::vector<kube::EncodedPtr>& after,
            uint64_t version);
  void AppendLine(const Pending& pending, WallTime now, std::string* out);
  // Namespace watches: what was there at `since`, the snapshot's services
  // with the changes after `since` undone; false when those are not kept.
  bool KnowNamespacesAt(const BoardSnapshot& snapshot, std::optional<uint64_t> since);
  void JoinNamespace(const EndpointsObject& service, uint64_t version);
  void LeaveNamespace(const EndpointsObject& service, uint64_t version);

  const StatusBoard& board_;
  const Options options_;
  std::deque<Pending> pending_;
  // Namespace watches: the namespaces there were at version_ ("default"
  // always), each with the names of its services. One goes (DELETED) with
  // its last service.
  struct KnownNamespace {
    kube::KubeNamespace ns;
    std::set<std::string> services;
  };
  std::map<std::string, KnownNamespace> namespaces_;
  std::optional<std::string> error_line_;
  uint64_t version_ = 0;
  uint64_t epoch_ = 0;
  bool started_ = false;
  bool finished_ = false;
  bool column_definitions_sent_ = false;
};

}  // namespace vigil
