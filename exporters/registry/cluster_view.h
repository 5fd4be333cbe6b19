// ClusterView: the cluster-wide endpoints registry an agent serves when its
// registry is etcd. It lists every node's services and endpoints under the
// prefix (etcd_records.h), then watches the prefix, and keeps the merged
// objects in a StatusBoard of its own whose resourceVersions are etcd's
// revisions: one Endpoints object per service, holding every node's
// endpoints (each with its `node`). A compacted revision means listing again
// and watching from there; the board turns the difference into events, so
// watchers of the API never miss a change's net effect.
//
// While etcd cannot be reached, the view keeps the other nodes' endpoints as
// last seen and takes the agent's own from the agent's board (`local`), so
// that the API keeps serving what this node knows; such changes get versions
// after the last revision seen. When etcd is listed again and the board had
// counted past etcd's revision, the board's history restarts at etcd's
// revision and watchers are told to list again (410), as Kubernetes' watch
// cache does: while connected, resourceVersions are etcd's revisions, always.
// Probe details of the agent's own endpoints always come from `local` (fresh
// on every probe); other nodes' are those of their last write.
//
// Values that fail to decode (any etcd client can write under the prefix),
// and values over kEtcdMaxValueBytes, are logged once (keys escaped) and
// left out; they never stop the view. A watch that misbehaves (a message
// over the caps or not etcd's, a message that does not end, a stream
// silent past its idle timeout: EtcdClient::WatchEnd) is ended and retried
// with backoff, listing again; state().fault says so until a watch
// delivers again (an event or a progress notification after its creation)
// or stays up for `fault_hold`.
//
// Threading: one thread lists and watches; OnLocalChange may be called from
// any thread; the board and Probe() may be read from anywhere.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/backoff.h"
#include "exporters/registry/etcd_client.h"
#include "exporters/registry/etcd_records.h"
#include "exporters/registry/status_board.h"

namespace vigil {

class ClusterView final : public ProbeDetailsSource {
 public:
  struct Options {
    std::string prefix = "/vigil";
    std::string node;  // this agent's
    EtcdClient::Options client;
    std::chrono::milliseconds backoff_initial{100};
    std::chrono::milliseconds backoff_max{5000};
    uint64_t seed = 0;
    // How long a watch must stay up, after one misbehaved, for the fault to
    // be over when nothing is delivered.
    std::chrono::milliseconds fault_hold{std::chrono::minutes(1)};
    // Called on the view's thread when it starts or stops following etcd.
    std::function<void(bool connected)> on_connection;
  };

  // `local` must outlive the view.
  ClusterView(std::vector<std::string> endpoints, Options options, const StatusBoard& local);
  ~ClusterView();

  ClusterView(const ClusterView&) = delete;
  ClusterView& operator=(const ClusterView&) = delete;

  void Start();
  void Stop();  // idempotent

  const StatusBoard& board() const { return board_; }
  std::optional<ProbeDetails> Probe(const NamespacedName& service,
                                    const EndpointStatus& endpoint) const override;

  // The local board changed: while the agent's own endpoints come from it,
  // the view takes the change.
  void OnLocalChange();

  struct State {
    bool connected = false;       // listed, and watching
    std::string error;            // the last failure, while not connected
    int64_t revision = 0;         // the last etcd revision applied
    bool own_from_local = false;  // the agent's own endpoints come from its board
    std::string fault;            // how the watch last misbehaved, until that is over
  };
  State state() const;
  // Blocks until the view has applied etcd revision `revision`, or `timeout`
  // passes (false).
  bool WaitForRevision(int64_t revision, std::chrono::milliseconds timeout) const;

 private:
  // One node's word on a service, and on one endpoint of it.
  struct ServiceEntry {
    ServiceRecord record;
    int64_t mod_revision = 0;
  };
  struct ServiceState {
    std::map<std::string, ServiceEntry> records;                              // by node
    std::map<std::pair<std::string, std::string>, EndpointRecord> endpoints;  // by (node, ip:port)
    bool empty() const { return records.empty() && endpoints.empty(); }
  };

  void Run();
  // Each REQUIRES(mutex_).
  void Relist(const EtcdClient::Range& range);
  void ApplyEvents(const std::vector<EtcdEvent>& events);
  void ApplyKey(const EtcdKeyValue& kv, bool deleted, std::set<std::string>* touched);
  std::optional<EndpointsObject> Build(const std::string& name) const;
  // Commits the services in `names` at `revision` (0: after the board's).
  void Commit(const std::set<std::string>& names, int64_t revision);
  void RecordTransitions(const EndpointsObject& object);
  void SetConnected(bool connected, const std::string& error);
  // The watch delivered after its creation: a fault is over.
  void Delivered();
  std::set<std::string> AllNames() const;

  EtcdClient client_;
  const Options options_;
  const StatusBoard& local_;
  // Its versions are etcd's revisions (persistent, cluster-wide): from 0.
  StatusBoard board_{StatusBoard::Options{.start_version = 0}};

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;       // revision_, stopping_
  std::map<std::string, ServiceState> services_;  // GUARDED_BY(mutex_): from etcd
  // The local objects last overlaid, to find what changed.
  std::map<std::string, std::shared_ptr<const EndpointsObject>> overlaid_;  // GUARDED_BY(mutex_)
  std::map<std::string, int64_t> bad_keys_;  // GUARDED_BY(mutex_): key → revision logged
  int64_t revision_ = 0;                     // GUARDED_BY(mutex_)
  bool connected_ = false;                   // GUARDED_BY(mutex_)
  std::string error_;                        // GUARDED_BY(mutex_)
  // The agent's own endpoints come from `local`: etcd failed and has not
  // been listed since.
  bool overlay_ = false;  // GUARDED_BY(mutex_)
  // A commit since the last list had no etcd revision (it took the next
  // version).
  bool counted_on_ = false;  // GUARDED_BY(mutex_)
  bool stopping_ = false;    // GUARDED_BY(mutex_)
  // A watch misbehaved, and none has delivered since; fault_ says how.
  bool faulted_ = false;  // GUARDED_BY(mutex_)
  std::string fault_;     // GUARDED_BY(mutex_)
  // When the running watch was created; empty while none runs.
  std::optional<std::chrono::steady_clock::time_point> watch_up_since_;  // GUARDED_BY(mutex_)
  Backoff backoff_;                                                      // view thread only
  std::thread thread_;
};

}  // namespace vigil
