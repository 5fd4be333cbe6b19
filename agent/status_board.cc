#include "agent/status_board.h"

#include <algorithm>

namespace vigil {

size_t EndpointsObject::CountReady() const {
  return static_cast<size_t>(
      std::count_if(endpoints.begin(), endpoints.end(),
                    [](const EndpointStatus& e) { return e.conditions.ready; }));
}

namespace {

// Equal apart from the version stamp.
bool SameContent(const EndpointsObject& a, const EndpointsObject& b) {
  return a.name == b.name && a.labels == b.labels && a.ports == b.ports &&
         a.creation_time == b.creation_time && a.endpoints == b.endpoints;
}

}  // namespace

StatusBoard::StatusBoard(size_t history) : history_limit_(std::max<size_t>(history, 1)) {}

void StatusBoard::Record(EventType type, std::shared_ptr<const EndpointsObject> object,
                         std::shared_ptr<const EndpointsObject> previous) {
  history_.push_back(BoardEvent{type, version_, std::move(object), std::move(previous)});
  if (history_.size() > history_limit_) history_.pop_front();
}

void StatusBoard::Put(std::vector<EndpointsObject> objects) {
  std::lock_guard<std::mutex> lock(mutex_);
  bool changed = false;
  for (EndpointsObject& object : objects) {
    auto it = objects_.find(object.name);
    if (it != objects_.end() && SameContent(*it->second, object)) continue;
    object.resource_version = ++version_;
    auto shared = std::make_shared<const EndpointsObject>(std::move(object));
    std::shared_ptr<const EndpointsObject> previous;
    if (it != objects_.end()) previous = std::move(it->second);
    const EventType type = previous ? EventType::kModified : EventType::kAdded;
    objects_[shared->name] = shared;
    Record(type, std::move(shared), std::move(previous));
    changed = true;
  }
  if (changed) changed_.notify_all();
}

void StatusBoard::Delete(const std::vector<std::string>& names) {
  std::lock_guard<std::mutex> lock(mutex_);
  bool changed = false;
  for (const std::string& name : names) {
    auto it = objects_.find(name);
    if (it == objects_.end()) continue;
    auto last = std::make_shared<EndpointsObject>(*it->second);
    last->resource_version = ++version_;
    std::shared_ptr<const EndpointsObject> previous = std::move(it->second);
    objects_.erase(it);
    probes_.erase(name);
    transitions_.erase(name);
    Record(EventType::kDeleted, std::move(last), std::move(previous));
    changed = true;
  }
  if (changed) changed_.notify_all();
}

void StatusBoard::RecordProbe(const std::string& service, const std::string& endpoint_key,
                              ProbeDetails details) {
  std::lock_guard<std::mutex> lock(mutex_);
  probes_[service][endpoint_key] = std::move(details);
}

void StatusBoard::ForgetProbes(const std::string& service, const std::string& endpoint_key) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = probes_.find(service);
  if (it != probes_.end()) it->second.erase(endpoint_key);
}

void StatusBoard::RecordTransition(const std::string& service, Transition transition) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::deque<Transition>& log = transitions_[service];
  log.push_back(std::move(transition));
  if (log.size() > kTransitionsPerService) log.pop_front();
}

std::vector<Transition> StatusBoard::Transitions(const std::string& service) const {
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
  return snapshot;
}

std::shared_ptr<const EndpointsObject> StatusBoard::Get(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = objects_.find(name);
  return it == objects_.end() ? nullptr : it->second;
}

std::optional<ProbeDetails> StatusBoard::Probe(const std::string& service,
                                               const std::string& endpoint_key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto s = probes_.find(service);
  if (s == probes_.end()) return std::nullopt;
  auto e = s->second.find(endpoint_key);
  if (e == s->second.end()) return std::nullopt;
  return e->second;
}

std::optional<std::vector<BoardEvent>> StatusBoard::EventsSince(uint64_t resource_version) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (resource_version >= version_) return std::vector<BoardEvent>{};
  // History holds consecutive versions ending at version_.
  if (history_.empty() || history_.front().resource_version > resource_version + 1) {
    return std::nullopt;
  }
  const size_t skip = resource_version + 1 - history_.front().resource_version;
  return std::vector<BoardEvent>(history_.begin() + static_cast<std::ptrdiff_t>(skip),
                                 history_.end());
}

uint64_t StatusBoard::oldest_resumable_version() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return history_.empty() ? version_ : history_.front().resource_version - 1;
}

uint64_t StatusBoard::WaitForChange(uint64_t resource_version,
                                    std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return version_ > resource_version; });
  return version_;
}

}  // namespace vigil
