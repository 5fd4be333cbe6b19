// EtcdPublisher: keeps one agent's keys in etcd equal to the agent's truth.
//
// The agent says what it wants (Update: keys to set, keys to delete); a
// worker thread writes the changes in transactions of at most
// max_ops_per_txn operations and about max_txn_bytes (etcd refuses more than
// --max-txn-ops, 128 by default, and requests over 1.5 MiB), every key on the
// agent's own lease, kept alive every TTL/3. Changes that come while a write
// is in flight go out together in the next one.
//
// Faults: a failed call means the connection is lost (every member was
// tried); the worker retries with capped exponential backoff and jitter. On
// connecting, on reconnecting, and whenever the lease is found gone, it takes
// a new lease and writes the full state: every wanted key is put on the new
// lease, every key under `prefix` that `owns` claims but is not wanted (left
// by an earlier run of the agent, or deleted while etcd was away) is deleted,
// and the old lease is revoked. So etcd ends equal to the agent's truth:
// nothing lost, nothing stale.
//
// Thread-safety: every public method may be called from any thread. The
// callbacks run on the worker thread and must not call back into the
// publisher.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/backoff.h"
#include "exporters/registry/etcd_client.h"

namespace vigil {

class EtcdPublisher {
 public:
  struct Options {
    // Scanned at each full write for keys of the agent's that it no longer wants.
    std::string prefix;
    // Whether a key under `prefix` is this agent's (its node's).
    std::function<bool(std::string_view key)> owns;
    int lease_ttl_seconds = 10;
    size_t max_ops_per_txn = 128;
    size_t max_txn_bytes = 1024 * 1024;
    std::chrono::milliseconds backoff_initial{100};
    std::chrono::milliseconds backoff_max{5000};
    EtcdClient::Options client;
    uint64_t seed = 0;  // of the backoff's jitter
    // Called after each write with whether it succeeded and how many keys it
    // carried (vigil_registry_publish_total).
    std::function<void(bool ok, size_t keys)> on_publish;
    // Called when the publisher becomes connected (its full state written,
    // at etcd revision `revision`) and when it stops being so (revision 0):
    // the connection or the lease was lost.
    std::function<void(bool connected, int64_t revision)> on_connection;
  };

  // A key to set to a value, or (nullopt) to delete.
  using Change = std::pair<std::string, std::optional<std::string>>;

  EtcdPublisher(std::vector<std::string> endpoints, Options options);
  ~EtcdPublisher();  // Stop(false)

  EtcdPublisher(const EtcdPublisher&) = delete;
  EtcdPublisher& operator=(const EtcdPublisher&) = delete;

  // Starts the worker, which connects in the background.
  void Start();
  // Makes `changes` part of the wanted state; returns at once.
  void Update(std::vector<Change> changes);
  // While not connected: tries again now instead of after the backoff (etcd
  // was seen to be back).
  void RetryNow();
  // Blocks until etcd holds every Update made before the call, or `timeout`
  // passes (false).
  bool Flush(std::chrono::milliseconds timeout);
  // Writes what is pending when connected, then, with `revoke`, revokes the
  // lease so that every key of the agent goes at once, and stops the worker.
  // Returns within about `timeout` even when etcd does not answer. Idempotent.
  void Stop(bool revoke, std::chrono::milliseconds timeout = std::chrono::seconds(3));

  struct State {
    bool connected = false;   // the full state is written, on a lease that is alive
    std::string error;        // the last failure, while not connected
    int failed_attempts = 0;  // since the last success
    int64_t lease = 0;
    int64_t revision = 0;      // etcd's revision after the last write
    uint64_t full_writes = 0;  // how often the full state was written
  };
  State state() const;

 private:
  void Run();
  // One full write: new lease, scan, deletes and puts, old lease revoked.
  Status WriteFullState();
  Status WriteChanges(const std::map<std::string, std::optional<std::string>>& changes,
                      int64_t lease, size_t* keys);
  Status WriteOps(std::vector<EtcdOp>& ops, size_t* keys);
  void Connected(std::chrono::steady_clock::duration took);  // REQUIRES(mutex_)
  void LeaseGone(int64_t lease);                             // REQUIRES(mutex_)
  void Failed(const Status& failure);                        // REQUIRES(mutex_)

  EtcdClient client_;
  const Options options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;                             // the worker: work, or stop
  std::condition_variable written_;                          // Flush and Stop
  std::map<std::string, std::string> wanted_;                // GUARDED_BY(mutex_)
  std::map<std::string, std::optional<std::string>> dirty_;  // GUARDED_BY(mutex_)
  uint64_t sequence_ = 0;                                    // GUARDED_BY(mutex_)
  uint64_t written_sequence_ = 0;                            // GUARDED_BY(mutex_)
  uint64_t full_write_sequence_ = 0;  // GUARDED_BY(mutex_): what the last full write held
  bool synced_ = false;               // GUARDED_BY(mutex_)
  State state_;                       // GUARDED_BY(mutex_)
  std::chrono::steady_clock::time_point retry_at_;                // GUARDED_BY(mutex_)
  std::chrono::steady_clock::time_point keepalive_at_;            // GUARDED_BY(mutex_)
  std::optional<std::chrono::steady_clock::time_point> lost_at_;  // GUARDED_BY(mutex_)
  bool stop_ = false;                                             // GUARDED_BY(mutex_)
  bool revoke_ = false;                                           // GUARDED_BY(mutex_)
  bool finished_ = false;                                         // GUARDED_BY(mutex_)
  Backoff backoff_;                                               // GUARDED_BY(mutex_)
  std::thread worker_;
};

}  // namespace vigil
