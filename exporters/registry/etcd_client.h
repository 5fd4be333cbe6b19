// EtcdClient: a small client of etcd's v3 JSON gateway (etcd 3.4, `POST /v3/...`)
// for the etcd registry backend (DESIGN.md, "Registry"): leases, one-transaction
// writes, prefix reads and prefix watches. Keys and values are raw bytes here;
// the base64 and int64-as-string encoding of the gateway stays inside.
//
// Endpoints are "http://host:port", one per etcd member. A call goes to the
// member that last answered; when a member cannot be reached the next one is
// tried, and the one that answered is remembered. Every failure is a Status
// naming the member and what failed (a transport error, or etcd's own error
// message); malformed answers are errors too. Nothing here throws.
//
// Thread-safety: GrantLease, KeepAlive, Revoke, Txn and GetPrefix may be called
// concurrently from any threads (calls to one member are serialized on its
// connection). At most one Watch runs at a time per client (a second
// concurrent Watch returns an error); it uses its own connection, so unary calls
// are not blocked by it. Cancel may be called from any thread and is final:
// it ends the running Watch and makes later Watch calls return OK at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/status.h"

namespace httplib {
class Client;
}

namespace vigil {

struct EtcdKeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t lease = 0;
};

struct EtcdEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  EtcdKeyValue kv;  // for kDelete: the key and the deletion's mod_revision
};

// One operation of a transaction: a put (key, value, optional lease) or the
// deletion of [key, range_end) (an empty range_end: the key alone).
struct EtcdOp {
  enum class Type { kPut, kDeleteRange };
  Type type = Type::kPut;
  std::string key;
  std::string value;
  std::string range_end;
  int64_t lease = 0;

  static EtcdOp Put(std::string key, std::string value, int64_t lease = 0) {
    return {Type::kPut, std::move(key), std::move(value), "", lease};
  }
  static EtcdOp DeleteRange(std::string key, std::string range_end = "") {
    return {Type::kDeleteRange, std::move(key), "", std::move(range_end), 0};
  }
};

class EtcdClient {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{1000};  // per member
    std::chrono::milliseconds request_timeout{3000};  // reading an answer
    // A watch stream silent for longer is taken for broken. Watches ask for
    // progress notifications, which etcd sends every 10 minutes when idle.
    std::chrono::milliseconds watch_idle_timeout{std::chrono::minutes(11)};
  };

  EtcdClient(std::vector<std::string> endpoints, Options options);
  ~EtcdClient();

  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // A new lease of `ttl_seconds` (etcd's minimum is 2); returns its ID.
  Result<int64_t> GrantLease(int ttl_seconds);
  // Renews `lease` once; returns its remaining TTL in seconds. <= 0 means the
  // lease is gone: grant a new one and put its keys again.
  Result<int64_t> KeepAlive(int64_t lease);
  // Ends `lease` and deletes its keys at once.
  Status Revoke(int64_t lease);

  // Applies all `ops` in one transaction (no compares) and returns the
  // store's revision after it.
  Result<int64_t> Txn(const std::vector<EtcdOp>& ops);

  struct Range {
    int64_t revision = 0;  // the store's revision the read saw
    std::vector<EtcdKeyValue> kvs;
  };
  // Every key starting with `prefix` (all keys for ""), in key order; with
  // `keys_only`, without their values.
  Result<Range> GetPrefix(const std::string& prefix, bool keys_only = false);

  // Streams the events of keys starting with `prefix` from `start_revision`
  // (inclusive; 0: from now on) to `on_events`, in order, one call per batch
  // of events of one or more revisions; a first call with no events says that
  // etcd has created the watch. Blocks until `on_events` returns false
  // or Cancel() is called (both: OK), or an error: etcd unreachable, the stream
  // broke (resume from the last mod_revision + 1), or `start_revision` was
  // compacted (the message says "compacted" and *compact_revision, when not
  // null, is set to etcd's compact revision: read again with GetPrefix and
  // watch from its revision + 1).
  Status Watch(const std::string& prefix, int64_t start_revision,
               const std::function<bool(const std::vector<EtcdEvent>&)>& on_events,
               int64_t* compact_revision = nullptr);
  // Any thread: ends a running Watch promptly, and every later one at once.
  void Cancel();
  // Any thread: makes the unary calls in flight fail now rather than at their
  // timeout (a call still connecting ends within connect_timeout). Later
  // calls work as usual.
  void Interrupt();

  // The range_end that makes [prefix, range_end) every key starting with
  // `prefix`: the prefix with its last byte below 0xff incremented ("\0", all
  // keys, when there is none).
  static std::string PrefixEnd(const std::string& prefix);

 private:
  struct Answer {
    std::string endpoint;
    std::string body;
  };

  // POSTs `body` to `path` on the preferred member, then on the others while
  // they cannot be reached; a non-200 answer is etcd's error.
  Result<Answer> Call(const std::string& path, const std::string& body);

  const std::vector<std::string> endpoints_;
  const Options options_;
  std::vector<std::unique_ptr<httplib::Client>> clients_;  // one per endpoint

  std::mutex mutex_;
  size_t preferred_ = 0;                     // GUARDED_BY(mutex_)
  bool watching_ = false;                    // GUARDED_BY(mutex_)
  httplib::Client* watch_client_ = nullptr;  // GUARDED_BY(mutex_)
  std::atomic<bool> cancelled_{false};
};

}  // namespace vigil
