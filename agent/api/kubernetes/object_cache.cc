#include "agent/api/kubernetes/object_cache.h"

#include <unordered_set>
#include <utility>

#include "agent/api/kubernetes/objects.h"

namespace vigil::kube {
namespace {

constexpr size_t kEventForm = 3;

size_t FormOf(Resource resource) {
  switch (resource) {
    case Resource::kServices:
      return 0;
    case Resource::kEndpoints:
      return 1;
    case Resource::kEndpointSlices:
      return 2;
    case Resource::kEvents:
    case Resource::kNamespaces:
      break;
  }
  return kEventForm;
}

size_t BytesOf(const std::vector<EncodedPtr>& encoded) {
  size_t bytes = 0;
  for (const EncodedPtr& e : encoded) bytes += e->bytes();
  return bytes;
}

}  // namespace

ObjectCache::ObjectCache(std::vector<const StatusBoard*> boards)
    : ObjectCache(std::move(boards), Options()) {}

ObjectCache::ObjectCache(std::vector<const StatusBoard*> boards, Options options)
    : boards_(std::move(boards)), options_(options), last_sweep_(Clock::now()) {}

std::shared_ptr<const std::vector<EncodedPtr>> ObjectCache::Find(const void* object, size_t form) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = entries_.find(object);
  if (it == entries_.end() || it->second.forms[form] == nullptr) return nullptr;
  it->second.used = Clock::now();
  return it->second.forms[form];
}

std::shared_ptr<const std::vector<EncodedPtr>> ObjectCache::Keep(
    std::shared_ptr<const void> object, size_t form,
    std::shared_ptr<const std::vector<EncodedPtr>> encoded) {
  std::lock_guard<std::mutex> lock(mutex_);
  Entry& entry = entries_[object.get()];
  if (entry.object == nullptr) entry.object = std::move(object);
  entry.used = Clock::now();
  if (entry.forms[form] != nullptr) return entry.forms[form];  // another thread's, first
  const size_t bytes = BytesOf(*encoded);
  entry.bytes += bytes;
  bytes_ += bytes;
  ++encodings_;
  entry.forms[form] = encoded;
  return encoded;
}

std::shared_ptr<const std::vector<EncodedPtr>> ObjectCache::Of(
    Resource resource, const std::shared_ptr<const EndpointsObject>& object) {
  const size_t form = FormOf(resource);
  MaybeSweep();
  if (auto found = Find(object.get(), form)) return found;
  auto encoded = std::make_shared<std::vector<EncodedPtr>>();
  for (const KubeJson& json : EncodeObjects(resource, *object)) {
    encoded->push_back(std::make_shared<const EncodedObject>(resource, json));
  }
  return Keep(object, form, std::move(encoded));
}

EncodedPtr ObjectCache::Of(const std::shared_ptr<const KubeEvent>& event) {
  MaybeSweep();
  if (auto found = Find(event.get(), kEventForm)) return found->front();
  auto encoded = std::make_shared<std::vector<EncodedPtr>>();
  encoded->push_back(std::make_shared<const EncodedObject>(Resource::kEvents, EncodeEvent(*event)));
  return Keep(event, kEventForm, std::move(encoded))->front();
}

void ObjectCache::MaybeSweep() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const Clock::time_point now = Clock::now();
    if (now - last_sweep_ < options_.sweep_interval) return;
    last_sweep_ = now;
  }
  Sweep();
}

void ObjectCache::Sweep() {
  // The boards' objects, held while the entries are looked at.
  std::vector<BoardSnapshot> snapshots;
  std::unordered_set<const void*> current;
  for (const StatusBoard* board : boards_) {
    snapshots.push_back(board->Snapshot());
    for (const auto& object : snapshots.back().services) current.insert(object.get());
    for (const auto& event : snapshots.back().events) current.insert(event.get());
  }
  std::vector<std::shared_ptr<const void>> dropped;  // freed outside the lock
  std::lock_guard<std::mutex> lock(mutex_);
  const Clock::time_point now = Clock::now();
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (!current.contains(it->first) && now - it->second.used >= options_.keep_unused) {
      bytes_ -= it->second.bytes;
      dropped.push_back(std::move(it->second.object));
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

ObjectCache::Stats ObjectCache::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {entries_.size(), bytes_, encodings_};
}

}  // namespace vigil::kube
