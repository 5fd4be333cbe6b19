// EtcdRegistry: the etcd backend of the endpoints registry (DESIGN.md,
// "Registry") for one agent. It follows the agent's own StatusBoard and
// publishes its services and endpoints under the prefix through an
// EtcdPublisher (on the agent's lease), and serves the cluster-wide view of
// every node's endpoints through a ClusterView, which the API reads instead
// of the local board.
//
// A change of the local board reaches etcd within one write (a few ms); only
// the objects that changed are looked at, and within them only the endpoints
// whose status changed are written. An endpoint's probe details (lastResult,
// message) are written again when its result or message changes, not on
// every probe: other nodes see why an endpoint fails, and etcd is not
// written thousands of times a second.
//
// Threading: Start() and Stop() from one controlling thread; board(),
// details() and Health() from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/status.h"
#include "config/config.h"
#include "exporters/registry/cluster_view.h"
#include "exporters/registry/etcd_publisher.h"
#include "exporters/registry/status_board.h"

namespace vigil {

class EtcdRegistry {
 public:
  struct Options {
    std::chrono::milliseconds backoff_initial{100};
    std::chrono::milliseconds backoff_max{5000};
    EtcdClient::Options client{std::chrono::milliseconds(500), std::chrono::milliseconds(2000),
                               std::chrono::minutes(11), std::chrono::seconds(10)};
    // ClusterView::Options::fault_hold.
    std::chrono::milliseconds fault_hold{std::chrono::minutes(1)};
  };

  // What the registry reports as it works (the agent counts it in its
  // metrics). Called from the registry's threads; either may be empty.
  struct Reports {
    std::function<void(bool ok, size_t keys)> publish;  // each write to etcd
    std::function<void(bool connected)> connected;      // publisher and view both up, or not
  };

  // `local` must outlive the registry.
  EtcdRegistry(const EtcdConfig& config, std::string node, StatusBoard& local, Reports reports,
               Options options);
  EtcdRegistry(const EtcdConfig& config, std::string node, StatusBoard& local, Reports reports)
      : EtcdRegistry(config, std::move(node), local, std::move(reports), Options{}) {}
  ~EtcdRegistry();

  EtcdRegistry(const EtcdRegistry&) = delete;
  EtcdRegistry& operator=(const EtcdRegistry&) = delete;

  // Connects in the background: the agent runs whether etcd answers or not.
  void Start();
  // A graceful stop, after the agent published its endpoints as terminating:
  // writes that to etcd, lets the view see it, revokes the lease (the
  // node's keys go at once) and stops. Bounded (about 4 s) when etcd does
  // not answer. Idempotent.
  void Stop();

  // The cluster-wide view the API serves.
  const StatusBoard& board() const { return view_.board(); }
  const ProbeDetailsSource& details() const { return view_; }

  // OK while the agent's state is in etcd and the view follows etcd;
  // otherwise what is wrong, for /readyz: etcd unreachable, or its watch
  // misbehaving (ClusterView::State::fault) while it is reachable.
  Status Health() const;

  EtcdPublisher::State publisher_state() const { return publisher_.state(); }
  ClusterView::State view_state() const { return view_.state(); }

 private:
  // Hands the local board's changes to the publisher and the view.
  void Follow();
  void Sync();
  void UpdateConnected();

  const std::string node_;
  const std::string prefix_;
  StatusBoard& local_;  // read, and asked for probe changes
  const Reports reports_;
  EtcdPublisher publisher_;
  ClusterView view_;

  std::atomic<bool> publisher_connected_{false};
  std::atomic<bool> view_connected_{false};

  std::mutex sync_mutex_;  // serializes Sync()
  // The objects last handed to the publisher, by service.
  std::map<std::string, std::shared_ptr<const EndpointsObject>>
      published_;                           // GUARDED_BY(sync_mutex_)
  std::optional<uint64_t> synced_version_;  // GUARDED_BY(sync_mutex_)

  std::atomic<bool> stopping_{false};
  bool started_ = false;
  std::thread follower_;
};

}  // namespace vigil
