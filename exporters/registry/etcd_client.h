// EtcdClient: a small client of etcd's v3 JSON gateway (etcd 3.4, `POST /v3/...`)
// for the etcd registry backend (DESIGN.md, "Registry"): leases, one-transaction
// writes, prefix reads and prefix watches, over libcurl (common/http_session.h).
// Keys and values are raw bytes here; the gateway's encoding and the parsing
// of its answers are in etcd_gateway.h.
//
// Endpoints are "http://host:port", one per etcd member. A call goes to the
// member that last answered; when a member cannot be reached (or answers
// something that is not etcd's) the next one is tried, and the one that
// answered is remembered. Every failure is a Status naming the member and
// what failed (a transport error, or etcd's own error message); malformed
// answers are errors too. Nothing here throws.
//
// Nothing a member sends can take more than the caps of etcd_gateway.h: an
// answer over kEtcdMaxAnswerBytes is refused; a watch message (line) over
// kEtcdMaxWatchLineBytes, a message that does not end within
// watch_line_timeout, or a stream silent for watch_idle_timeout (not even
// etcd's progress notifications) ends the watch as misbehaving.
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
#include "exporters/registry/etcd_gateway.h"

namespace vigil {

class HttpSession;

class EtcdClient {
 public:
  struct Options {
    std::chrono::milliseconds connect_timeout{1000};  // per member
    // A unary call's whole answer, after connecting; and the wait for a
    // watch's first message.
    std::chrono::milliseconds request_timeout{3000};
    // A watch stream that delivers no message for longer is taken for
    // broken. Watches ask for progress notifications, which etcd sends
    // every 10 minutes when idle.
    std::chrono::milliseconds watch_idle_timeout{std::chrono::minutes(11)};
    // A message of a watch stream that has begun must end within this
    // (etcd writes each at once): a stream that trickles bytes of a line
    // that never ends is stuck.
    std::chrono::milliseconds watch_line_timeout{std::chrono::seconds(10)};
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

  using Range = EtcdRange;
  // Every key starting with `prefix` (all keys for ""), in key order; with
  // `keys_only`, without their values. A value over kEtcdMaxValueBytes is
  // left out (see EtcdKeyValue::refused_value_bytes).
  Result<Range> GetPrefix(const std::string& prefix, bool keys_only = false);

  // How a Watch ended, beyond its Status.
  struct WatchEnd {
    // > 0: `start_revision` was compacted; etcd keeps revisions from this
    // one on.
    int64_t compact_revision = 0;
    // What came broke the caps or the protocol (a message over
    // kEtcdMaxWatchLineBytes or not the gateway's, a message that did not
    // end, a stream silent past watch_idle_timeout): not a network fault.
    bool misbehaved = false;
  };
  // Streams the events of keys starting with `prefix` from `start_revision`
  // (inclusive; 0: from now on) to `on_events`, in order, one call per batch
  // of events of one or more revisions; a call with no events says that
  // etcd has created the watch (the first) or that it is alive (a progress
  // notification). Blocks until `on_events` returns false
  // or Cancel() is called (both: OK), or an error: etcd unreachable, the stream
  // broke (resume from the last mod_revision + 1), the stream misbehaved
  // (end->misbehaved), or `start_revision` was compacted (the message says
  // "compacted" and end->compact_revision is set: read again with GetPrefix
  // and watch from its revision + 1). `end`, when not null, says which.
  Status Watch(const std::string& prefix, int64_t start_revision,
               const std::function<bool(const std::vector<EtcdEvent>&)>& on_events,
               WatchEnd* end = nullptr);
  // Any thread: ends a running Watch promptly, and every later one at once.
  void Cancel();
  // Any thread: makes the unary calls in flight fail now rather than at their
  // timeout. Later calls work as usual.
  void Interrupt();

  // The range_end that makes [prefix, range_end) every key starting with
  // `prefix` (EtcdPrefixEnd).
  static std::string PrefixEnd(const std::string& prefix) { return EtcdPrefixEnd(prefix); }

 private:
  struct Answer {
    std::string endpoint;
    std::string body;
  };
  // One member, and the connection unary calls use to reach it.
  struct Member {
    std::string endpoint;
    bool valid = false;  // an http:// or https:// URL
    std::mutex mutex;    // serializes the calls on `session`
    std::unique_ptr<HttpSession> session;
  };

  // POSTs `body` to `path` on the preferred member, then on the others while
  // they cannot be reached; a non-200 answer is etcd's error.
  Result<Answer> Call(const std::string& path, const std::string& body);
  // Runs `parse` on an answer to `call`; its error becomes a malformed
  // answer of the member.
  template <typename T, typename Parse>
  Result<T> Parsed(const char* call, const Result<Answer>& answer, Parse&& parse);

  const Options options_;
  std::vector<std::unique_ptr<Member>> members_;
  const std::unique_ptr<HttpSession> watch_session_;

  std::mutex mutex_;
  size_t preferred_ = 0;   // GUARDED_BY(mutex_)
  bool watching_ = false;  // GUARDED_BY(mutex_)
  std::atomic<bool> cancelled_{false};
  std::atomic<uint64_t> interrupts_{0};  // Interrupt() calls so far
};

}  // namespace vigil
