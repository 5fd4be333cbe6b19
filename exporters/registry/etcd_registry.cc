#include "exporters/registry/etcd_registry.h"

#include <spdlog/spdlog.h>

#include <random>
#include <set>

#include "exporters/registry/etcd_records.h"

namespace vigil {
namespace {

// The keys and values that turn `before` (null: nothing) into `after`.
void Diff(const std::string& prefix, const std::string& node, const StatusBoard& local,
          const EndpointsObject* before, const EndpointsObject& after,
          std::vector<EtcdPublisher::Change>* changes) {
  if (before == nullptr || before->namespace_name != after.namespace_name ||
      before->publish_not_ready_addresses != after.publish_not_ready_addresses ||
      before->labels != after.labels || before->ports != after.ports ||
      before->creation_time != after.creation_time) {
    changes->emplace_back(ServiceKey(prefix, after.name, node), EncodeServiceRecord(after, node));
  }
  std::map<std::string, const EndpointStatus*> old;
  if (before != nullptr) {
    for (const EndpointStatus& e : before->endpoints) old.emplace(e.Key(), &e);
  }
  for (const EndpointStatus& e : after.endpoints) {
    const std::string key = e.Key();
    const auto was = old.find(key);
    if (was == old.end() || !(*was->second == e)) {
      changes->emplace_back(EndpointKey(prefix, after.name, node, key),
                            EncodeEndpointRecord(e, local.Probe(after.Id(), key)));
    }
    if (was != old.end()) old.erase(was);
  }
  for (const auto& [key, e] : old) {
    changes->emplace_back(EndpointKey(prefix, after.name, node, key), std::nullopt);
  }
}

void Deleted(const std::string& prefix, const std::string& node, const EndpointsObject& before,
             std::vector<EtcdPublisher::Change>* changes) {
  changes->emplace_back(ServiceKey(prefix, before.name, node), std::nullopt);
  for (const EndpointStatus& e : before.endpoints) {
    changes->emplace_back(EndpointKey(prefix, before.name, node, e.Key()), std::nullopt);
  }
}

}  // namespace

EtcdRegistry::EtcdRegistry(const EtcdConfig& config, std::string node, StatusBoard& local,
                           Reports reports, Options options)
    : node_(std::move(node)),
      prefix_(config.prefix),
      local_(local),
      reports_(std::move(reports)),
      publisher_(config.endpoints,
                 EtcdPublisher::Options{
                     .prefix = config.prefix,
                     .owns =
                         [prefix = config.prefix, node = node_](std::string_view key) {
                           const std::optional<RegistryKey> parsed = ParseRegistryKey(prefix, key);
                           return parsed && parsed->node == node;
                         },
                     .lease_ttl_seconds = config.lease_ttl_seconds,
                     .backoff_initial = options.backoff_initial,
                     .backoff_max = options.backoff_max,
                     .client = options.client,
                     .seed = std::random_device{}(),
                     .on_publish =
                         [this](bool ok, size_t keys) {
                           if (reports_.publish) reports_.publish(ok, keys);
                         },
                     .on_connection =
                         [this](bool connected, int64_t) {
                           publisher_connected_ = connected;
                           UpdateConnected();
                         },
                 }),
      view_(config.endpoints,
            ClusterView::Options{
                .prefix = config.prefix,
                .node = node_,
                .client = options.client,
                .backoff_initial = options.backoff_initial,
                .backoff_max = options.backoff_max,
                .seed = std::random_device{}(),
                .fault_hold = options.fault_hold,
                .on_connection =
                    [this](bool connected) {
                      view_connected_ = connected;
                      UpdateConnected();
                      // etcd is back: write this node's state now rather
                      // than after the publisher's own backoff.
                      if (connected) publisher_.RetryNow();
                    },
            },
            local) {
  if (reports_.connected) reports_.connected(false);
}

EtcdRegistry::~EtcdRegistry() { Stop(); }

void EtcdRegistry::UpdateConnected() {
  if (reports_.connected) reports_.connected(publisher_connected_ && view_connected_);
}

void EtcdRegistry::Start() {
  if (started_) return;
  started_ = true;
  local_.TrackProbeChanges();
  Sync();
  publisher_.Start();
  view_.Start();
  follower_ = std::thread([this] { Follow(); });
}

void EtcdRegistry::Follow() {
  uint64_t seen = 0;
  while (!stopping_) {
    local_.WaitForChange(seen, std::chrono::milliseconds(100));
    if (stopping_) break;
    Sync();
    std::lock_guard<std::mutex> lock(sync_mutex_);
    seen = synced_version_.value_or(0);
  }
}

void EtcdRegistry::Sync() {
  std::lock_guard<std::mutex> lock(sync_mutex_);
  const std::set<std::pair<NamespacedName, std::string>> probed = local_.TakeProbeChanges();
  const BoardSnapshot snapshot = local_.Snapshot();
  const bool objects_changed = synced_version_ != snapshot.resource_version;
  std::vector<EtcdPublisher::Change> changes;
  if (objects_changed) {
    std::map<std::string, std::shared_ptr<const EndpointsObject>> now;
    for (const auto& object : snapshot.services) {
      now.emplace(object->name, object);
      const auto was = published_.find(object->name);
      const EndpointsObject* before = was == published_.end() ? nullptr : was->second.get();
      if (before == object.get()) continue;
      Diff(prefix_, node_, local_, before, *object, &changes);
    }
    for (const auto& [name, object] : published_) {
      if (now.count(name) == 0) Deleted(prefix_, node_, *object, &changes);
    }
    published_ = std::move(now);
    synced_version_ = snapshot.resource_version;
  }
  // Endpoints whose probe result or message changed without a transition
  // (a first failure, another error): other nodes show why they are not
  // ready. Their status is as published.
  std::set<std::string> written;
  for (const auto& change : changes) written.insert(change.first);
  const EndpointsObject* object = nullptr;
  std::map<std::string, const EndpointStatus*> by_key;
  for (const auto& [service, key] : probed) {
    if (object == nullptr || object->Id() != service) {
      // Published by name, as etcd's keys are (the config keeps a name in
      // one namespace with etcd).
      const auto found = published_.find(service.name);
      object = found == published_.end() ? nullptr : found->second.get();
      by_key.clear();
      if (found != published_.end() && object->namespace_name != service.namespace_name)
        object = nullptr;
      if (object == nullptr) continue;
      for (const EndpointStatus& e : object->endpoints) by_key.emplace(e.Key(), &e);
    }
    const auto endpoint = by_key.find(key);
    if (endpoint == by_key.end()) continue;
    std::string etcd_key = EndpointKey(prefix_, service.name, node_, key);
    if (written.count(etcd_key) != 0) continue;
    changes.emplace_back(std::move(etcd_key),
                         EncodeEndpointRecord(*endpoint->second, local_.Probe(service, key)));
  }
  publisher_.Update(std::move(changes));
  if (objects_changed) view_.OnLocalChange();
}

void EtcdRegistry::Stop() {
  if (!started_) {
    publisher_.Stop(false);
    view_.Stop();
    return;
  }
  started_ = false;
  stopping_ = true;
  follower_.join();
  Sync();  // the endpoints as terminating
  if (publisher_.state().connected && publisher_.Flush(std::chrono::milliseconds(1500))) {
    // Watchers of this agent's API see the node's endpoints terminate too.
    view_.WaitForRevision(publisher_.state().revision, std::chrono::milliseconds(500));
  }
  publisher_.Stop(/*revoke=*/true, std::chrono::milliseconds(1500));
  view_.Stop();
}

Status EtcdRegistry::Health() const {
  const EtcdPublisher::State published = publisher_.state();
  if (!published.connected) {
    std::string why = published.error.empty()
                          ? "connecting to etcd"
                          : published.error + " (" + std::to_string(published.failed_attempts) +
                                (published.failed_attempts == 1 ? " attempt)" : " attempts)");
    return Status::Error("etcd registry: this node's endpoints are not in etcd: " + why +
                         "; probing goes on and the API serves this node's own endpoints");
  }
  const ClusterView::State view = view_.state();
  if (!view.fault.empty()) {
    return Status::Error("etcd registry: the watch of etcd misbehaved: " + view.fault +
                         "; the API serves the last known cluster view");
  }
  if (!view.connected) {
    return Status::Error("etcd registry: not watching etcd: " +
                         (view.error.empty() ? std::string("connecting") : view.error) +
                         "; the API serves the last known cluster view");
  }
  return Status::Ok();
}

}  // namespace vigil
