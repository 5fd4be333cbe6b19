#include "exporters/registry/status_board.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <tuple>
#include <utility>

namespace vigil {

size_t EndpointsObject::CountReady() const {
  return static_cast<size_t>(
      std::count_if(endpoints.begin(), endpoints.end(),
                    [](const EndpointStatus& e) { return e.conditions.ready; }));
}

namespace {

// Equal apart from the version stamp and the endpoints.
bool SameHeader(const EndpointsObject& a, const EndpointsObject& b) {
  return a.name == b.name && a.namespace_name == b.namespace_name && a.labels == b.labels &&
         a.ports == b.ports && a.creation_time == b.creation_time &&
         a.publish_not_ready_addresses == b.publish_not_ready_addresses;
}

// What a Service shows of an object: a change here is a new version of the
// Service (see EncodeService in the Kubernetes view).
bool SameService(const EndpointsObject& a, const EndpointsObject& b) {
  if (a.name != b.name || a.namespace_name != b.namespace_name || a.labels != b.labels ||
      a.ports != b.ports || a.creation_time != b.creation_time ||
      a.publish_not_ready_addresses != b.publish_not_ready_addresses) {
    return false;
  }
  const auto shape = [](const EndpointsObject& o) {
    std::set<std::pair<bool, int>> families_and_ports;
    for (const EndpointStatus& e : o.endpoints) {
      families_and_ports.emplace(e.address.find(':') != std::string::npos,
                                 o.ports.empty() ? e.port : 0);
    }
    return families_and_ports;
  };
  return shape(a) == shape(b);
}

uint64_t WallClockMicros() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

StatusBoard::StatusBoard() : StatusBoard(Options{}) {}

StatusBoard::StatusBoard(Options options)
    : history_limit_(std::max<size_t>(options.history, 1)),
      version_(options.start_version.value_or(WallClockMicros())),
      dropped_through_(version_) {}

void StatusBoard::Record(EventType type, std::shared_ptr<const EndpointsObject> object,
                         std::shared_ptr<const EndpointsObject> previous) {
  const uint64_t version = object->resource_version;
  history_.push_back(
      BoardEvent{type, version, std::move(object), std::move(previous), nullptr, nullptr});
  if (history_.size() > history_limit_) {
    dropped_through_ = history_.front().resource_version;
    history_.pop_front();
  }
}

uint64_t StatusBoard::NextVersion(uint64_t proposed) const {
  return proposed > version_ ? proposed : version_ + 1;
}

bool StatusBoard::PutLocked(std::vector<EndpointsObject>& objects,
                            std::optional<uint64_t> version) {
  bool changed = false;
  for (EndpointsObject& object : objects) {
    auto it = objects_.find(object.Id());
    // Shares the endpoints that did not change with the version before,
    // whoever built the object: the history then costs only the changes.
    // (ShareWithCurrent did the work unless another commit came between.)
    if (it != objects_.end() && object.endpoints.ShareWith(it->second->endpoints) &&
        SameHeader(*it->second, object)) {
      continue;
    }
    version_ = version.value_or(version_ + 1);
    object.resource_version = version_;
    object.service_resource_version = version_;
    if (it != objects_.end() && SameService(*it->second, object)) {
      const EndpointsObject& before = *it->second;
      object.service_resource_version = before.service_resource_version != 0
                                            ? before.service_resource_version
                                            : before.resource_version;
    }
    auto shared = std::make_shared<const EndpointsObject>(std::move(object));
    std::shared_ptr<const EndpointsObject> previous;
    if (it != objects_.end()) previous = std::move(it->second);
    const EventType type = previous ? EventType::kModified : EventType::kAdded;
    objects_[shared->Id()] = shared;
    Record(type, std::move(shared), std::move(previous));
    changed = true;
  }
  return changed;
}

bool StatusBoard::DeleteLocked(const std::vector<NamespacedName>& services,
                               std::optional<uint64_t> version) {
  bool changed = false;
  for (const NamespacedName& name : services) {
    auto it = objects_.find(name);
    if (it == objects_.end()) continue;
    version_ = version.value_or(version_ + 1);
    auto last = std::make_shared<EndpointsObject>(*it->second);
    last->resource_version = version_;
    std::shared_ptr<const EndpointsObject> previous = std::move(it->second);
    objects_.erase(it);
    probes_.erase(name);
    transitions_.erase(name);
    Record(EventType::kDeleted, std::move(last), std::move(previous));
    changed = true;
  }
  return changed;
}

void StatusBoard::ShareWithCurrent(std::vector<EndpointsObject>& objects) const {
  std::vector<std::shared_ptr<const EndpointsObject>> current;
  current.reserve(objects.size());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const EndpointsObject& object : objects) {
      auto it = objects_.find(object.Id());
      current.push_back(it == objects_.end() ? nullptr : it->second);
    }
  }
  // Committed objects are immutable: compared without the lock.
  for (size_t i = 0; i < objects.size(); ++i) {
    if (current[i] != nullptr) objects[i].endpoints.ShareWith(current[i]->endpoints);
  }
}

void StatusBoard::Put(std::vector<EndpointsObject> objects) {
  ShareWithCurrent(objects);
  std::lock_guard<std::mutex> lock(mutex_);
  if (PutLocked(objects, std::nullopt)) changed_.notify_all();
}

void StatusBoard::Delete(const std::vector<NamespacedName>& services) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (DeleteLocked(services, std::nullopt)) changed_.notify_all();
}

void StatusBoard::CommitAt(uint64_t version, std::vector<EndpointsObject> objects,
                           const std::vector<NamespacedName>& deleted) {
  ShareWithCurrent(objects);
  std::lock_guard<std::mutex> lock(mutex_);
  // One version for the whole commit: computed once, before any change.
  const uint64_t at = NextVersion(version);
  const bool put = PutLocked(objects, at);
  const bool removed = DeleteLocked(deleted, at);
  if (put || removed) changed_.notify_all();
}

void StatusBoard::ReplaceAt(uint64_t version, std::vector<EndpointsObject> objects) {
  ShareWithCurrent(objects);
  std::lock_guard<std::mutex> lock(mutex_);
  std::set<NamespacedName> kept;
  for (const EndpointsObject& object : objects) kept.insert(object.Id());
  std::vector<NamespacedName> deleted;
  for (const auto& [name, object] : objects_) {
    if (kept.count(name) == 0) deleted.push_back(name);
  }
  const uint64_t at = NextVersion(version);
  const bool put = PutLocked(objects, at);
  const bool removed = DeleteLocked(deleted, at);
  if (put || removed) changed_.notify_all();
}

void StatusBoard::RecordProbe(const NamespacedName& service, const std::string& endpoint_key,
                              ProbeDetails details) {
  RecordProbe(ProbeSlot(service, endpoint_key), service, endpoint_key, std::move(details));
}

StatusBoard::ProbeEntry* StatusBoard::ProbeSlot(const NamespacedName& service,
                                                const std::string& endpoint_key) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Node-based maps: the value stays where it is however the maps grow.
  return &probes_[service][endpoint_key];
}

void StatusBoard::RecordProbe(ProbeEntry* slot, const NamespacedName& service,
                              const std::string& endpoint_key, ProbeDetails details) {
  std::lock_guard<std::mutex> lock(mutex_);
  ProbeDetails& kept = slot->details;
  if (track_probe_changes_ &&
      (!slot->recorded || kept.result != details.result || kept.message != details.message)) {
    changed_probes_.emplace(service, endpoint_key);
  }
  kept = std::move(details);
  slot->recorded = true;
}

void StatusBoard::TrackProbeChanges() {
  std::lock_guard<std::mutex> lock(mutex_);
  track_probe_changes_ = true;
}

std::set<std::pair<NamespacedName, std::string>> StatusBoard::TakeProbeChanges() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::exchange(changed_probes_, {});
}

void StatusBoard::ForgetProbes(const NamespacedName& service, const std::string& endpoint_key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = probes_.find(service);
  if (it != probes_.end()) it->second.erase(endpoint_key);
}

void StatusBoard::RecordTransition(const NamespacedName& service, Transition transition) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::deque<Transition>& log = transitions_[service];
  log.push_back(std::move(transition));
  if (log.size() > kTransitionsPerService) log.pop_front();
}

void StatusBoard::RecordEvent(EventType type, std::shared_ptr<const KubeEvent> event,
                              std::shared_ptr<const KubeEvent> previous) {
  BoardEvent change;
  change.type = type;
  change.resource_version = event->resource_version;
  change.event = std::move(event);
  change.previous_event = std::move(previous);
  history_.push_back(std::move(change));
  if (history_.size() > history_limit_) {
    dropped_through_ = history_.front().resource_version;
    history_.pop_front();
  }
}

void StatusBoard::RecordOccurrences(const std::vector<EndpointOccurrence>& occurrences,
                                    WallTime now) {
  std::lock_guard<std::mutex> lock(mutex_);
  bool changed = false;
  for (EndpointOccurrence occurrence : occurrences) {
    auto object = objects_.find(NamespacedName{occurrence.namespace_name, occurrence.service});
    if (object == objects_.end()) continue;
    occurrence.service_creation_time = object->second->creation_time;
    occurrence.endpoints_resource_version = object->second->resource_version;
    // Only Events of the same service can repeat it or share its name
    // ("<service>.<hex>" in its namespace; a service name has no dot): the
    // capacity of all is kept here.
    std::vector<KubeEvent> same;
    const NamespacedName prefix{occurrence.namespace_name, occurrence.service + "."};
    for (auto it = kube_events_.lower_bound(prefix);
         it != kube_events_.end() && it->first.namespace_name == prefix.namespace_name &&
         it->first.name.starts_with(prefix.name);
         ++it) {
      same.push_back(*it->second);
    }
    EventUpdate update = CorrelateEvent(same, occurrence, now, SIZE_MAX);
    version_ += 1;
    update.event.resource_version = version_;
    auto shared = std::make_shared<const KubeEvent>(std::move(update.event));
    auto [it, created] =
        kube_events_.try_emplace(NamespacedName{shared->namespace_name, shared->name}, shared);
    std::shared_ptr<const KubeEvent> previous;
    if (!created) previous = std::exchange(it->second, shared);
    RecordEvent(created ? EventType::kAdded : EventType::kModified, shared, std::move(previous));
    changed = true;
    while (kube_events_.size() > kMaxKubeEvents) {
      auto oldest = kube_events_.begin();
      for (auto e = kube_events_.begin(); e != kube_events_.end(); ++e) {
        if (std::tie(e->second->last_timestamp, e->second->resource_version) <
            std::tie(oldest->second->last_timestamp, oldest->second->resource_version)) {
          oldest = e;
        }
      }
      version_ += 1;
      auto last = std::make_shared<KubeEvent>(*oldest->second);
      last->resource_version = version_;
      std::shared_ptr<const KubeEvent> before = oldest->second;
      kube_events_.erase(oldest);
      RecordEvent(EventType::kDeleted, std::move(last), std::move(before));
    }
  }
  if (changed) changed_.notify_all();
}

std::vector<std::shared_ptr<const KubeEvent>> StatusBoard::KubeEvents() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<const KubeEvent>> events;
  events.reserve(kube_events_.size());
  for (const auto& [name, event] : kube_events_) events.push_back(event);
  return events;
}

std::vector<Transition> StatusBoard::Transitions(const NamespacedName& service) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = transitions_.find(service);
  if (it == transitions_.end()) return {};
  return std::vector<Transition>(it->second.begin(), it->second.end());
}

uint64_t StatusBoard::resource_version() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return version_;
}

BoardSnapshot StatusBoard::Snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  BoardSnapshot snapshot;
  snapshot.resource_version = version_;
  snapshot.services.reserve(objects_.size());
  for (const auto& [name, object] : objects_) snapshot.services.push_back(object);
  snapshot.events.reserve(kube_events_.size());
  for (const auto& [name, event] : kube_events_) snapshot.events.push_back(event);
  return snapshot;
}

std::shared_ptr<const EndpointsObject> StatusBoard::Get(const NamespacedName& service) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = objects_.find(service);
  return it == objects_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const EndpointsObject>> StatusBoard::Named(
    const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::shared_ptr<const EndpointsObject>> named;
  for (auto it = objects_.lower_bound(NamespacedName{"", name});
       it != objects_.end() && it->first.name == name; ++it) {
    named.push_back(it->second);
  }
  return named;
}

std::optional<ProbeDetails> StatusBoard::Probe(const NamespacedName& service,
                                               const std::string& endpoint_key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto s = probes_.find(service);
  if (s == probes_.end()) return std::nullopt;
  auto e = s->second.find(endpoint_key);
  // A slot (ProbeSlot) holds nothing until the first probe is recorded.
  if (e == s->second.end() || !e->second.recorded) return std::nullopt;
  return e->second.details;
}

std::optional<std::vector<BoardEvent>> StatusBoard::EventsSince(uint64_t resource_version,
                                                                size_t max_events) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (resource_version >= version_) return std::vector<BoardEvent>{};
  if (resource_version < dropped_through_) return std::nullopt;
  // The history is sorted by version; events of one version are adjacent.
  const auto after = [](uint64_t version, const BoardEvent& event) {
    return version < event.resource_version;
  };
  const auto first = std::upper_bound(history_.begin(), history_.end(), resource_version, after);
  auto last = history_.end();
  if (static_cast<size_t>(last - first) > std::max<size_t>(max_events, 1)) {
    // Up to the end of the version of the last event allowed.
    const auto allowed = first + static_cast<std::ptrdiff_t>(std::max<size_t>(max_events, 1) - 1);
    last = std::upper_bound(allowed, history_.end(), allowed->resource_version, after);
  }
  return std::vector<BoardEvent>(first, last);
}

void StatusBoard::ResetTo(uint64_t version, std::vector<EndpointsObject> objects) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::set<NamespacedName> kept;
  for (const EndpointsObject& object : objects) kept.insert(object.Id());
  for (auto it = objects_.begin(); it != objects_.end();) {
    if (kept.count(it->first) == 0) {
      probes_.erase(it->first);
      transitions_.erase(it->first);
      it = objects_.erase(it);
    } else {
      ++it;
    }
  }
  for (EndpointsObject& object : objects) {
    object.resource_version = version;
    const NamespacedName id = object.Id();
    objects_[id] = std::make_shared<const EndpointsObject>(std::move(object));
  }
  history_.clear();
  version_ = version;
  dropped_through_ = version;
  ++epoch_;
  changed_.notify_all();
}

uint64_t StatusBoard::epoch() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return epoch_;
}

uint64_t StatusBoard::oldest_resumable_version() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_through_;
}

uint64_t StatusBoard::WaitForChange(uint64_t resource_version,
                                    std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  const uint64_t epoch = epoch_;
  changed_.wait_for(lock, timeout, [&] { return version_ > resource_version || epoch_ != epoch; });
  return version_;
}

}  // namespace vigil
