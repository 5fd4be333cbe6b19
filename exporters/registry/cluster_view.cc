#include "exporters/registry/cluster_view.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <tuple>

#include "common/log_escape.h"

namespace vigil {
namespace {

// Endpoints sort by node, then by address as a number (10.0.0.2 before
// 10.0.0.10, IPv4 before IPv6), then by port: the same order whichever
// source an endpoint came from.
struct AddressKey {
  int family = 2;  // 0 IPv4, 1 IPv6, 2 neither
  std::array<unsigned char, 16> bytes{};
  std::string text;

  explicit AddressKey(const std::string& address) : text(address) {
    if (inet_pton(AF_INET, address.c_str(), bytes.data()) == 1) {
      family = 0;
    } else if (inet_pton(AF_INET6, address.c_str(), bytes.data()) == 1) {
      family = 1;
    }
  }
  bool operator<(const AddressKey& other) const {
    return std::tie(family, bytes, text) < std::tie(other.family, other.bytes, other.text);
  }
};

bool EndpointLess(const EndpointStatus& a, const EndpointStatus& b) {
  if (a.node != b.node) return a.node < b.node;
  if (a.address != b.address) return AddressKey(a.address) < AddressKey(b.address);
  return a.port < b.port;
}

// etcd's values carry times to the second: local values are cut the same
// way, so that an endpoint does not change when its source does.
WallTime Floor(WallTime time) { return std::chrono::floor<std::chrono::seconds>(time); }

}  // namespace

ClusterView::ClusterView(std::vector<std::string> endpoints, Options options,
                         const StatusBoard& local)
    : client_(std::move(endpoints), options.client),
      options_(std::move(options)),
      local_(local),
      backoff_(options_.backoff_initial, options_.backoff_max, options_.seed) {}

ClusterView::~ClusterView() { Stop(); }

void ClusterView::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void ClusterView::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    changed_.notify_all();
  }
  client_.Cancel();
  client_.Interrupt();
  if (thread_.joinable()) thread_.join();
}

ClusterView::State ClusterView::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  const bool held =
      watch_up_since_ && std::chrono::steady_clock::now() - *watch_up_since_ >= options_.fault_hold;
  return State{connected_, error_, revision_, overlay_, faulted_ && !held ? fault_ : ""};
}

void ClusterView::Delivered() {
  if (!faulted_) return;
  faulted_ = false;
  fault_.clear();
  backoff_.Reset();
  spdlog::info("cluster view: the watch of etcd delivers again");
}

bool ClusterView::WaitForRevision(int64_t revision, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return revision_ >= revision || stopping_; }) &&
         revision_ >= revision;
}

std::optional<ProbeDetails> ClusterView::Probe(const NamespacedName& service,
                                               const EndpointStatus& endpoint) const {
  if (endpoint.node == options_.node) return local_.Probe(service, endpoint.Key());
  std::lock_guard<std::mutex> lock(mutex_);
  // etcd's keys name a service by its name alone (etcd_records.h).
  const auto s = services_.find(service.name);
  if (s == services_.end()) return std::nullopt;
  const auto e = s->second.endpoints.find({endpoint.node, endpoint.Key()});
  if (e == s->second.endpoints.end()) return std::nullopt;
  return e->second.probe;
}

void ClusterView::OnLocalChange() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!overlay_ || stopping_) return;
  const BoardSnapshot snapshot = local_.Snapshot();
  std::map<std::string, std::shared_ptr<const EndpointsObject>> now;
  std::set<std::string> changed;
  for (const auto& object : snapshot.services) {
    const auto was = overlaid_.find(object->name);
    if (was == overlaid_.end() || was->second != object) changed.insert(object->name);
    now.emplace(object->name, object);
  }
  for (const auto& [name, object] : overlaid_) {
    if (now.count(name) == 0) changed.insert(name);
  }
  overlaid_ = std::move(now);
  if (!changed.empty()) Commit(changed, 0);
}

std::set<std::string> ClusterView::AllNames() const {
  std::set<std::string> names;
  for (const auto& [name, state] : services_) names.insert(name);
  for (const auto& object : board_.Snapshot().services) names.insert(object->name);
  if (overlay_) {
    for (const auto& object : local_.Snapshot().services) names.insert(object->name);
  }
  return names;
}

void ClusterView::SetConnected(bool connected, const std::string& error) {
  error_ = error;
  if (connected == connected_ && (connected || overlay_)) return;
  connected_ = connected;
  // While the watch misbehaves again and again, its first warning says it all.
  const auto level = faulted_ ? spdlog::level::debug : spdlog::level::info;
  if (connected) {
    spdlog::log(level, "cluster view: listed {}/ in etcd at revision {}; watching", options_.prefix,
                revision_);
    if (options_.on_connection) options_.on_connection(true);
    return;
  }
  spdlog::log(faulted_ ? spdlog::level::debug : spdlog::level::warn,
              "cluster view: lost etcd ({}); serving the last known cluster view, with this "
              "node's endpoints from its own probes",
              error);
  if (options_.on_connection) options_.on_connection(false);
  // From now on this node's endpoints follow its own board.
  const std::set<std::string> before = AllNames();
  overlay_ = true;
  overlaid_.clear();
  for (const auto& object : local_.Snapshot().services) overlaid_.emplace(object->name, object);
  std::set<std::string> names = AllNames();
  names.insert(before.begin(), before.end());
  Commit(names, 0);
}

std::optional<EndpointsObject> ClusterView::Build(const std::string& name) const {
  const auto found = services_.find(name);
  const ServiceState* state = found == services_.end() ? nullptr : &found->second;
  const bool own_local = overlay_;
  // The config keeps a name in one namespace with etcd; while a reload moves
  // it, the local board holds it in at most one.
  std::shared_ptr<const EndpointsObject> local;
  if (own_local) {
    const std::vector<std::shared_ptr<const EndpointsObject>> named = local_.Named(name);
    if (!named.empty()) local = named.front();
  }

  EndpointsObject object;
  object.name = name;
  bool described = false;
  int64_t newest = -1;
  const auto describe = [&](const std::string& namespace_name, bool publish_not_ready,
                            const std::map<std::string, std::string>& labels,
                            const std::vector<ServicePort>& ports, WallTime created,
                            int64_t revision) {
    // Nodes may disagree while a config change rolls out: the newest word wins.
    if (revision > newest) {
      newest = revision;
      object.namespace_name = namespace_name;
      object.publish_not_ready_addresses = publish_not_ready;
      object.labels = labels;
      object.ports = ports;
    }
    object.creation_time = described ? std::min(object.creation_time, created) : created;
    described = true;
  };
  if (state != nullptr) {
    for (const auto& [node, entry] : state->records) {
      if (own_local && node == options_.node) continue;
      describe(entry.record.namespace_name, entry.record.publish_not_ready_addresses,
               entry.record.labels, entry.record.ports, entry.record.creation_time,
               entry.mod_revision);
    }
    for (const auto& [key, record] : state->endpoints) {
      if (own_local && key.first == options_.node) continue;
      object.endpoints.push_back(record.status);
    }
  }
  if (local != nullptr) {
    describe(local->namespace_name, local->publish_not_ready_addresses, local->labels, local->ports,
             Floor(local->creation_time), std::numeric_limits<int64_t>::max());
    for (EndpointStatus endpoint : local->endpoints) {
      endpoint.last_transition_time = Floor(endpoint.last_transition_time);
      object.endpoints.push_back(std::move(endpoint));
    }
  }
  if (!described && object.endpoints.empty()) return std::nullopt;
  if (!described) {
    // Endpoints whose service key is missing: shown, without labels.
    object.creation_time = object.endpoints.front().last_transition_time;
    for (const EndpointStatus& e : object.endpoints) {
      object.creation_time = std::min(object.creation_time, e.last_transition_time);
    }
  }
  object.endpoints.Sort(EndpointLess);
  return object;
}

void ClusterView::RecordTransitions(const EndpointsObject& object) {
  const auto previous = board_.Get(object.Id());
  if (previous == nullptr) return;
  std::map<std::pair<std::string, std::string>, bool> was_ready;
  for (const EndpointStatus& e : previous->endpoints)
    was_ready[{e.node, e.Key()}] = e.conditions.ready;
  for (const EndpointStatus& e : object.endpoints) {
    const auto was = was_ready.find({e.node, e.Key()});
    if (was == was_ready.end() || was->second == e.conditions.ready) continue;
    std::string reason = e.conditions.ready ? "ready" : "not ready";
    // This node's own reasons are known in full.
    std::optional<std::string> own;
    if (e.node == options_.node) {
      const std::vector<Transition> local = local_.Transitions(object.Id());
      for (auto t = local.rbegin(); t != local.rend(); ++t) {
        if (t->endpoint == e.Key()) {
          if (t->ready == e.conditions.ready) own = t->reason;
          break;
        }
      }
    }
    if (own) {
      reason = std::move(*own);
    } else if (e.conditions.terminating) {
      reason += ": the agent on node " + e.node + " is stopping";
    } else if (!e.conditions.ready) {
      std::optional<ProbeDetails> probe;
      if (e.node == options_.node) {
        probe = local_.Probe(object.Id(), e.Key());
      } else if (const auto s = services_.find(object.name); s != services_.end()) {
        if (const auto r = s->second.endpoints.find({e.node, e.Key()});
            r != s->second.endpoints.end())
          probe = r->second.probe;
      }
      if (probe && !probe->message.empty()) reason += ": " + probe->message;
    }
    board_.RecordTransition(object.Id(), Transition{e.last_transition_time, e.Key(), e.node,
                                                    e.conditions.ready, std::move(reason)});
  }
}

void ClusterView::Commit(const std::set<std::string>& names, int64_t revision) {
  std::vector<EndpointsObject> puts;
  std::vector<NamespacedName> deletes;
  for (const std::string& name : names) {
    std::optional<EndpointsObject> object = Build(name);
    // What the board holds of the name in another namespace (the service
    // moved), or at all when it is gone, goes.
    for (const auto& held : board_.Named(name)) {
      if (!object || held->namespace_name != object->namespace_name) deletes.push_back(held->Id());
    }
    if (object) {
      RecordTransitions(*object);
      puts.push_back(std::move(*object));
    }
  }
  const uint64_t before = board_.resource_version();
  board_.CommitAt(static_cast<uint64_t>(std::max<int64_t>(revision, 0)), std::move(puts), deletes);
  // Only a commit that changed something moved the board past etcd's
  // revisions (one that changes nothing keeps the board's version).
  if (revision <= 0 && board_.resource_version() != before) counted_on_ = true;
}

void ClusterView::ApplyKey(const EtcdKeyValue& kv, bool deleted, std::set<std::string>* touched) {
  const std::optional<RegistryKey> key = ParseRegistryKey(options_.prefix, kv.key);
  if (!key) return;  // not the registry's
  touched->insert(key->service);
  ServiceState& state = services_[key->service];
  const auto forget = [&] {
    if (key->kind == RegistryKey::Kind::kService) {
      state.records.erase(key->node);
    } else {
      state.endpoints.erase({key->node, key->endpoint});
    }
    if (state.empty()) services_.erase(key->service);
  };
  if (deleted) {
    bad_keys_.erase(kv.key);
    forget();
    return;
  }
  // `why` holds outside text escaped already.
  const auto reject = [&](const std::string& why) {
    auto [it, fresh] = bad_keys_.try_emplace(kv.key, kv.mod_revision);
    if (fresh || it->second != kv.mod_revision) {
      it->second = kv.mod_revision;
      spdlog::warn("cluster view: ignoring etcd key {} (revision {}): {}", EscapeForLog(kv.key),
                   kv.mod_revision, why);
    }
    forget();
  };
  if (kv.refused_value_bytes > 0) {
    return reject("its value has " + std::to_string(kv.refused_value_bytes) +
                  " bytes, over the cap of " + std::to_string(kEtcdMaxValueBytes) +
                  "; not decoded");
  }
  if (key->kind == RegistryKey::Kind::kService) {
    Result<ServiceRecord> record = DecodeServiceRecord(kv.value);
    if (!record.ok()) return reject(record.status().message());
    state.records[key->node] = ServiceEntry{std::move(*record), kv.mod_revision};
  } else {
    Result<EndpointRecord> record = DecodeEndpointRecord(kv.value);
    if (!record.ok()) return reject(record.status().message());
    if (record->status.Key() != key->endpoint) {
      return reject("the value is endpoint " + EscapeForLog(record->status.Key()) + ", the key " +
                    EscapeForLog(key->endpoint));
    }
    record->status.node = key->node;  // the key is the writer's word
    state.endpoints[{key->node, key->endpoint}] = std::move(*record);
  }
  bad_keys_.erase(kv.key);
}

void ClusterView::Relist(const EtcdClient::Range& range) {
  if (range.revision < revision_) {
    spdlog::warn("cluster view: etcd's revision went back from {} to {} (did it lose its data?)",
                 revision_, range.revision);
  }
  std::set<std::string> names = AllNames();
  services_.clear();
  for (const EtcdKeyValue& kv : range.kvs) ApplyKey(kv, false, &names);
  revision_ = range.revision;
  overlay_ = false;
  overlaid_.clear();
  const uint64_t version = board_.resource_version();
  const uint64_t revision = static_cast<uint64_t>(range.revision);
  if (revision < version || (revision == version && counted_on_)) {
    // The board counted on by itself while etcd was away: it cannot go on
    // at etcd's revisions without going back. Start its history over there.
    std::vector<EndpointsObject> objects;
    for (const std::string& name : names) {
      if (std::optional<EndpointsObject> object = Build(name))
        objects.push_back(std::move(*object));
    }
    spdlog::info(
        "cluster view: versions go back from {} to etcd's revision {}; watchers list "
        "again",
        version, revision);
    board_.ResetTo(revision, std::move(objects));
  } else {
    Commit(names, range.revision);
  }
  counted_on_ = false;
  SetConnected(true, "");
  changed_.notify_all();
}

void ClusterView::ApplyEvents(const std::vector<EtcdEvent>& events) {
  // Each revision is committed on its own: the board's versions are etcd's.
  for (size_t i = 0; i < events.size();) {
    const int64_t revision = events[i].kv.mod_revision;
    std::set<std::string> touched;
    for (; i < events.size() && events[i].kv.mod_revision == revision; ++i) {
      ApplyKey(events[i].kv, events[i].type == EtcdEvent::Type::kDelete, &touched);
    }
    revision_ = revision;
    Commit(touched, revision);
  }
  changed_.notify_all();
}

void ClusterView::Run() {
  const std::string prefix = options_.prefix + "/";
  const auto failed = [&](const Status& failure) {
    std::unique_lock<std::mutex> lock(mutex_);
    SetConnected(false, failure.message());
    const auto delay = backoff_.Next();
    spdlog::debug("cluster view: attempt {} failed: {}; next in {} ms", backoff_.attempts(),
                  failure.message(), delay.count());
    changed_.wait_for(lock, delay, [&] { return stopping_; });
  };
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
    }
    Result<EtcdClient::Range> range = client_.GetPrefix(prefix);
    if (!range.ok()) {
      failed(range.status());
      continue;
    }
    int64_t next = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      Relist(*range);
      next = range->revision + 1;
    }
    // Watch from the list on; a stream that breaks is resumed where it
    // stopped (on another member when its own is gone), at once the first
    // time and with backoff while that keeps failing.
    bool retried = false;
    while (true) {
      EtcdClient::WatchEnd end;
      bool created = false;  // this watch
      const Status watched = client_.Watch(
          prefix, next,
          [&](const std::vector<EtcdEvent>& events) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_) return false;
            if (events.empty() && !created) {  // the watch is set up
              created = true;
              retried = false;
              watch_up_since_ = std::chrono::steady_clock::now();
              // After a fault, only a watch that delivers undoes the backoff.
              if (!faulted_) backoff_.Reset();
              return true;
            }
            Delivered();
            if (events.empty()) return true;  // a progress notification
            ApplyEvents(events);
            next = events.back().kv.mod_revision + 1;
            return true;
          },
          &end);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (faulted_ && watch_up_since_ &&
            std::chrono::steady_clock::now() - *watch_up_since_ >= options_.fault_hold) {
          faulted_ = false;  // it held long enough, delivering or not
          fault_.clear();
        }
        watch_up_since_.reset();
        if (stopping_) return;
      }
      if (end.compact_revision > 0) {
        spdlog::info("cluster view: revision {} is compacted (etcd keeps from {}); listing again",
                     next, end.compact_revision);
        break;
      }
      if (end.misbehaved) {
        // Not a network fault: no resuming at once, and /readyz says so.
        {
          std::lock_guard<std::mutex> lock(mutex_);
          spdlog::log(faulted_ ? spdlog::level::debug : spdlog::level::warn,
                      "cluster view: {}; serving the last known cluster view, listing and "
                      "watching again with backoff",
                      watched.message());
          faulted_ = true;
          fault_ = watched.message();
        }
        failed(watched);
        break;
      }
      if (!retried && !watched.ok()) {
        spdlog::debug("cluster view: {}; resuming the watch at revision {}", watched.message(),
                      next);
        retried = true;
        continue;
      }
      // etcd is away: list afresh once it is back, which also notices an
      // etcd that came back without its data.
      failed(watched.ok() ? Status::Error("the watch ended") : watched);
      break;
    }
  }
}

}  // namespace vigil
