#include "exporters/registry/etcd_publisher.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace vigil {
namespace {

using SteadyClock = std::chrono::steady_clock;

// What one operation adds to a transaction's request: base64 grows keys and
// values by a third, and each op carries some JSON around them.
size_t OpBytes(const EtcdOp& op) { return (op.key.size() + op.value.size()) * 4 / 3 + 64; }

std::string Seconds(SteadyClock::duration d) {
  return fmt::format("{:.1f}s", std::chrono::duration<double>(d).count());
}

}  // namespace

EtcdPublisher::EtcdPublisher(std::vector<std::string> endpoints, Options options)
    : client_(std::move(endpoints), options.client),
      options_(std::move(options)),
      backoff_(options_.backoff_initial, options_.backoff_max, options_.seed) {}

EtcdPublisher::~EtcdPublisher() { Stop(false); }

void EtcdPublisher::Start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (worker_.joinable() || stop_) return;
  worker_ = std::thread([this] { Run(); });
}

void EtcdPublisher::Update(std::vector<Change> changes) {
  if (changes.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [key, value] : changes) {
    if (value) {
      wanted_[key] = *value;
    } else {
      wanted_.erase(key);
    }
    dirty_[std::move(key)] = std::move(value);
  }
  ++sequence_;
  wake_.notify_all();
}

void EtcdPublisher::RetryNow() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (synced_) return;
  retry_at_ = SteadyClock::now();
  wake_.notify_all();
}

bool EtcdPublisher::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  const uint64_t target = sequence_;
  return written_.wait_for(lock, timeout, [&] { return written_sequence_ >= target; });
}

EtcdPublisher::State EtcdPublisher::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return state_;
}

void EtcdPublisher::Stop(bool revoke, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  stop_ = true;
  revoke_ = revoke;
  wake_.notify_all();
  if (!worker_.joinable()) return;
  // A call to an etcd that does not answer would hold the worker for its
  // whole timeout: past the deadline, calls in flight are cut short.
  if (!written_.wait_for(lock, timeout, [&] { return finished_; })) {
    while (!finished_) {
      client_.Interrupt();
      written_.wait_for(lock, std::chrono::milliseconds(50), [&] { return finished_; });
    }
  }
  lock.unlock();
  worker_.join();
}

void EtcdPublisher::Failed(const Status& failure) {
  synced_ = false;
  const bool was_connected = state_.connected;
  state_.connected = false;
  state_.error = failure.message();
  ++state_.failed_attempts;
  const auto backoff = backoff_.Next();
  retry_at_ = SteadyClock::now() + backoff;
  if (was_connected || state_.failed_attempts == 1) {
    lost_at_ = SteadyClock::now();
    spdlog::warn("etcd registry: {}: {}; probing goes on, retrying with backoff",
                 was_connected ? "lost the connection" : "cannot connect", failure.message());
    if (was_connected && options_.on_connection) options_.on_connection(false, 0);
  } else {
    spdlog::debug("etcd registry: attempt {} failed: {}; next in {} ms", state_.failed_attempts,
                  failure.message(), backoff.count());
  }
}

void EtcdPublisher::LeaseGone(int64_t lease) {
  spdlog::warn(
      "etcd registry: lease {:x} is gone, and this node's keys with it; writing them "
      "again on a new lease",
      lease);
  synced_ = false;
  state_.connected = false;
  retry_at_ = SteadyClock::now();
  if (options_.on_connection) options_.on_connection(false, 0);
}

void EtcdPublisher::Connected(SteadyClock::duration took) {
  const int failures = state_.failed_attempts;
  synced_ = true;
  state_.connected = true;
  state_.error.clear();
  state_.failed_attempts = 0;
  backoff_.Reset();
  ++state_.full_writes;
  keepalive_at_ =
      SteadyClock::now() + std::chrono::milliseconds(options_.lease_ttl_seconds * 1000 / 3);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(took).count();
  if (failures > 0 && lost_at_) {
    spdlog::info(
        "etcd registry: connected again after {} ({} failed {}); wrote {} keys in {} ms on lease "
        "{:x}",
        Seconds(SteadyClock::now() - *lost_at_), failures, failures == 1 ? "attempt" : "attempts",
        wanted_.size(), ms, state_.lease);
  } else {
    spdlog::info("etcd registry: connected; wrote {} keys in {} ms on lease {:x}", wanted_.size(),
                 ms, state_.lease);
  }
  lost_at_.reset();
  if (options_.on_connection) options_.on_connection(true, state_.revision);
}

Status EtcdPublisher::WriteOps(std::vector<EtcdOp>& ops, size_t* keys) {
  // Split into transactions within etcd's limits; each is atomic, together
  // they are not (a full write of thousands of keys cannot be one).
  size_t begin = 0;
  while (begin < ops.size()) {
    size_t end = begin;
    size_t bytes = 0;
    while (end < ops.size() && end - begin < options_.max_ops_per_txn &&
           (end == begin || bytes + OpBytes(ops[end]) <= options_.max_txn_bytes)) {
      bytes += OpBytes(ops[end]);
      ++end;
    }
    std::vector<EtcdOp> batch(std::make_move_iterator(ops.begin() + static_cast<ptrdiff_t>(begin)),
                              std::make_move_iterator(ops.begin() + static_cast<ptrdiff_t>(end)));
    Result<int64_t> revision = client_.Txn(batch);
    if (options_.on_publish) options_.on_publish(revision.ok(), batch.size());
    if (!revision.ok()) return revision.status();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      state_.revision = std::max(state_.revision, *revision);
    }
    *keys += batch.size();
    begin = end;
  }
  return Status::Ok();
}

Status EtcdPublisher::WriteChanges(const std::map<std::string, std::optional<std::string>>& changes,
                                   int64_t lease, size_t* keys) {
  std::vector<EtcdOp> ops;
  ops.reserve(changes.size());
  for (const auto& [key, value] : changes) {
    ops.push_back(value ? EtcdOp::Put(key, *value, lease) : EtcdOp::DeleteRange(key));
  }
  return WriteOps(ops, keys);
}

Status EtcdPublisher::WriteFullState() {
  Result<int64_t> lease = client_.GrantLease(options_.lease_ttl_seconds);
  if (!lease.ok()) return lease.status();
  Result<EtcdClient::Range> existing = client_.GetPrefix(options_.prefix + "/", /*keys_only=*/true);
  if (!existing.ok()) return existing.status();

  std::map<std::string, std::string> wanted;
  uint64_t sequence = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wanted = wanted_;
    sequence = sequence_;
    dirty_.clear();  // all of it is in `wanted`
  }
  std::vector<EtcdOp> ops;
  ops.reserve(wanted.size());
  for (const EtcdKeyValue& kv : existing->kvs) {
    if (wanted.count(kv.key) == 0 && options_.owns && options_.owns(kv.key)) {
      ops.push_back(EtcdOp::DeleteRange(kv.key));
    }
  }
  const size_t stale = ops.size();
  for (auto& [key, value] : wanted) ops.push_back(EtcdOp::Put(key, std::move(value), *lease));
  size_t keys = 0;
  if (Status s = WriteOps(ops, &keys); !s.ok()) return s;
  if (stale > 0) spdlog::info("etcd registry: deleted {} stale keys of this node", stale);

  int64_t old_lease = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    old_lease = state_.lease;
    state_.lease = *lease;
    full_write_sequence_ = sequence;
  }
  // Its keys are on the new lease now; only forgotten ones could be left on
  // it. When etcd lost it already, revoking fails harmlessly.
  if (old_lease != 0 && old_lease != *lease) (void)client_.Revoke(old_lease);
  return Status::Ok();
}

void EtcdPublisher::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    const auto now = SteadyClock::now();
    if (!synced_) {
      if (now < retry_at_) {
        wake_.wait_until(lock, retry_at_, [&] { return stop_; });
        continue;
      }
      lock.unlock();
      const Status written = WriteFullState();
      lock.lock();
      if (written.ok()) {
        Connected(SteadyClock::now() - now);
        written_sequence_ = std::max(written_sequence_, full_write_sequence_);
        written_.notify_all();
      } else {
        Failed(written);
      }
      continue;
    }
    if (now >= keepalive_at_) {
      const int64_t lease = state_.lease;
      lock.unlock();
      Result<int64_t> ttl = client_.KeepAlive(lease);
      lock.lock();
      if (!ttl.ok()) {
        Failed(ttl.status());
      } else if (*ttl <= 0) {
        // etcd forgot the lease (it expired while this agent could not reach
        // etcd, or etcd lost its data): its keys are gone; write them again.
        LeaseGone(lease);
      } else {
        keepalive_at_ = now + std::chrono::milliseconds(options_.lease_ttl_seconds * 1000 / 3);
      }
      continue;
    }
    if (!dirty_.empty()) {
      std::map<std::string, std::optional<std::string>> changes;
      changes.swap(dirty_);
      const uint64_t sequence = sequence_;
      const int64_t lease = state_.lease;
      lock.unlock();
      size_t keys = 0;
      const Status written = WriteChanges(changes, lease, &keys);
      lock.lock();
      if (written.ok()) {
        written_sequence_ = std::max(written_sequence_, sequence);
        written_.notify_all();
      } else if (written.message().find("lease not found") != std::string::npos) {
        LeaseGone(lease);
      } else {
        // The full write on reconnecting writes these too.
        Failed(written);
      }
      continue;
    }
    wake_.wait_until(lock, keepalive_at_, [&] { return stop_ || !dirty_.empty(); });
  }

  // Stopping: what is pending, then the lease.
  if (synced_) {
    std::map<std::string, std::optional<std::string>> changes;
    changes.swap(dirty_);
    const uint64_t sequence = sequence_;
    const int64_t lease = state_.lease;
    const bool revoke = revoke_;
    lock.unlock();
    size_t keys = 0;
    const Status written = WriteChanges(changes, lease, &keys);
    Status revoked;
    if (revoke) revoked = client_.Revoke(lease);
    lock.lock();
    if (written.ok()) written_sequence_ = std::max(written_sequence_, sequence);
    if (!written.ok()) spdlog::warn("etcd registry: last write failed: {}", written.message());
    if (revoke && revoked.ok()) {
      spdlog::info("etcd registry: revoked lease {:x}; this node's keys are gone", lease);
      state_.lease = 0;
    } else if (revoke) {
      spdlog::warn("etcd registry: cannot revoke lease {:x} ({}); its keys go when it expires",
                   lease, revoked.message());
    }
  }
  finished_ = true;
  written_.notify_all();
}

}  // namespace vigil
