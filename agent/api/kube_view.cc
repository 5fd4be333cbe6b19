#include "agent/api/kube_view.h"

#include <map>
#include <memory>
#include <string_view>
#include <utility>

#include "agent/api/kubernetes/api_error.h"
#include "agent/api/kubernetes/envelopes.h"
#include "agent/api/kubernetes/selection.h"

namespace vigil {
namespace {

using kube::EncodedObject;
using kube::EncodedPtr;
using kube::KubeJson;
using kube::Resource;

// The objects of `resource` that one service's object shows.
std::vector<EncodedPtr> Render(Resource resource,
                               const std::shared_ptr<const EndpointsObject>& object,
                               const KubeEncoding& encoding) {
  if (encoding.cache != nullptr) return *encoding.cache->Of(resource, object);
  std::vector<EncodedPtr> out;
  for (const KubeJson& json : kube::EncodeObjects(resource, *object)) {
    out.push_back(std::make_shared<const EncodedObject>(resource, json));
  }
  return out;
}

EncodedPtr RenderEvent(const std::shared_ptr<const KubeEvent>& event,
                       const KubeEncoding& encoding) {
  if (encoding.adjust_event) {
    KubeJson json = kube::EncodeEvent(*event);
    encoding.adjust_event(json);
    return std::make_shared<const EncodedObject>(Resource::kEvents, json);
  }
  if (encoding.cache != nullptr) return encoding.cache->Of(event);
  return std::make_shared<const EncodedObject>(Resource::kEvents, kube::EncodeEvent(*event));
}

// Of `services`, only what a Namespace is made of: no endpoints copied.
std::vector<EndpointsObject> NamespaceHeaders(
    const std::vector<std::shared_ptr<const EndpointsObject>>& services) {
  std::vector<EndpointsObject> headers;
  headers.reserve(services.size());
  for (const auto& object : services) {
    EndpointsObject header;
    header.name = object->name;
    header.namespace_name = object->namespace_name;
    header.creation_time = object->creation_time;
    header.resource_version = object->resource_version;
    header.service_resource_version = object->service_resource_version;
    headers.push_back(std::move(header));
  }
  return headers;
}

EncodedPtr RenderNamespace(const kube::KubeNamespace& ns) {
  return std::make_shared<const EncodedObject>(Resource::kNamespaces, kube::EncodeNamespace(ns));
}

}  // namespace

std::vector<EncodedPtr> KubeObjects(Resource resource, const BoardSnapshot& snapshot,
                                    const DefaultNamespace& fallback,
                                    const KubeEncoding& encoding) {
  std::vector<EncodedPtr> objects;
  if (resource == Resource::kEvents) {
    objects.reserve(snapshot.events.size());
    for (const auto& event : snapshot.events) objects.push_back(RenderEvent(event, encoding));
  } else if (resource == Resource::kNamespaces) {
    for (const kube::KubeNamespace& ns :
         kube::CollectNamespaces(NamespaceHeaders(snapshot.services), fallback.creation_time,
                                 fallback.resource_version)) {
      objects.push_back(RenderNamespace(ns));
    }
  } else {
    objects.reserve(snapshot.services.size());
    for (const auto& object : snapshot.services) {
      for (EncodedPtr& e : Render(resource, object, encoding)) objects.push_back(std::move(e));
    }
  }
  kube::SortEncoded(objects);
  return objects;
}

bool KubeFilter::operator()(const EncodedObject& object) const {
  if (!namespace_name.empty() && object.namespace_name() != namespace_name) return false;
  if (!name.empty() && object.name() != name) return false;
  return object.Selected(labels, fields);
}

KubeWatch::KubeWatch(const StatusBoard& board, Options options)
    : board_(board), options_(std::move(options)) {}

void KubeWatch::Fail(uint64_t requested) {
  finished_ = true;
  pending_.clear();
  error_line_ = kube::Dump(kube::EncodeWatchError(
                    kube::ApiError::Expired(requested, board_.oldest_resumable_version()))) +
                "\n";
}

void KubeWatch::Start() {
  started_ = true;
  epoch_ = board_.epoch();
  const bool resume = options_.since.has_value() && *options_.since > 0;
  BoardSnapshot snapshot = board_.Snapshot();
  if (resume) {
    const uint64_t since = *options_.since;
    if (since > snapshot.resource_version || since < board_.oldest_resumable_version() ||
        (options_.filter.resource == Resource::kNamespaces && !KnowNamespacesAt(snapshot, since))) {
      Fail(since);
      return;
    }
    version_ = since;
    return;
  }
  if (options_.filter.resource == Resource::kNamespaces) KnowNamespacesAt(snapshot, std::nullopt);
  version_ = snapshot.resource_version;
  for (EncodedPtr& object :
       KubeObjects(options_.filter.resource, snapshot, options_.fallback, options_.encoding)) {
    if (options_.filter(*object)) pending_.push_back({Change::kAdded, std::move(object), {}});
  }
}

void KubeWatch::Diff(const std::vector<EncodedPtr>& before, const std::vector<EncodedPtr>& after,
                     uint64_t version) {
  std::map<std::string_view, std::pair<const EncodedPtr*, const EncodedPtr*>> by_name;
  for (const EncodedPtr& o : before) by_name[o->name()].first = &o;
  for (const EncodedPtr& o : after) by_name[o->name()].second = &o;
  for (const auto& [name, states] : by_name) {
    const auto& [was_object, is_object] = states;
    const bool was = was_object != nullptr && options_.filter(**was_object);
    const bool is = is_object != nullptr && options_.filter(**is_object);
    if (was && is) {
      if (!(*was_object)->SameState(**is_object)) {
        pending_.push_back({Change::kModified, *is_object, {}});
      }
    } else if (is) {
      pending_.push_back({Change::kAdded, *is_object, {}});
    } else if (was) {
      pending_.push_back({Change::kDeleted, *was_object, version});
    }
  }
}

void KubeWatch::Emit(const BoardEvent& event) {
  const Resource resource = options_.filter.resource;
  const uint64_t version = event.resource_version;
  const KubeEncoding& encoding = options_.encoding;
  if (resource == Resource::kEvents) {
    if (event.event == nullptr) return;
    std::vector<EncodedPtr> before, after;
    if (event.previous_event != nullptr)
      before.push_back(RenderEvent(event.previous_event, encoding));
    if (event.type != EventType::kDeleted) after.push_back(RenderEvent(event.event, encoding));
    Diff(before, after, version);
    return;
  }
  if (event.object == nullptr) return;
  if (resource == Resource::kNamespaces) {
    // A namespace comes with its first service and goes with its last.
    if (event.type == EventType::kDeleted) {
      LeaveNamespace(*event.object, version);
      return;
    }
    if (event.previous != nullptr &&
        event.previous->namespace_name != event.object->namespace_name) {
      LeaveNamespace(*event.previous, version);
    }
    JoinNamespace(*event.object, version);
    return;
  }
  std::vector<EncodedPtr> before, after;
  if (event.previous != nullptr) before = Render(resource, event.previous, encoding);
  if (event.type != EventType::kDeleted) after = Render(resource, event.object, encoding);
  Diff(before, after, version);
}

bool KubeWatch::KnowNamespacesAt(const BoardSnapshot& snapshot, std::optional<uint64_t> since) {
  std::map<NamespacedName, std::shared_ptr<const EndpointsObject>> services;
  for (const auto& object : snapshot.services) services[object->Id()] = object;
  if (since) {
    const std::optional<std::vector<BoardEvent>> events = board_.EventsSince(*since);
    if (!events) return false;
    for (auto it = events->rbegin(); it != events->rend(); ++it) {
      if (it->object == nullptr || it->resource_version > snapshot.resource_version) continue;
      if (it->type == EventType::kDeleted) {
        services[it->object->Id()] = it->object;
        continue;
      }
      services.erase(it->object->Id());
      if (it->previous != nullptr) services[it->previous->Id()] = it->previous;
    }
  }
  std::vector<std::shared_ptr<const EndpointsObject>> at;
  at.reserve(services.size());
  for (auto& [service_key, object] : services) at.push_back(std::move(object));
  const std::vector<EndpointsObject> headers = NamespaceHeaders(at);
  namespaces_.clear();
  for (kube::KubeNamespace& ns : kube::CollectNamespaces(headers, options_.fallback.creation_time,
                                                         options_.fallback.resource_version)) {
    std::string name = ns.name;
    namespaces_[std::move(name)].ns = std::move(ns);
  }
  for (const EndpointsObject& header : headers) {
    namespaces_[header.namespace_name].services.insert(header.name);
  }
  return true;
}

void KubeWatch::JoinNamespace(const EndpointsObject& service, uint64_t version) {
  const auto [it, added] = namespaces_.try_emplace(service.namespace_name);
  it->second.services.insert(service.name);
  if (!added) return;
  it->second.ns = {service.namespace_name, service.creation_time, version};
  EncodedPtr object = RenderNamespace(it->second.ns);
  if (options_.filter(*object)) pending_.push_back({Change::kAdded, std::move(object), {}});
}

void KubeWatch::LeaveNamespace(const EndpointsObject& service, uint64_t version) {
  const auto it = namespaces_.find(service.namespace_name);
  if (it == namespaces_.end()) return;
  it->second.services.erase(service.name);
  if (!it->second.services.empty() || it->first == "default") return;
  EncodedPtr object = RenderNamespace(it->second.ns);
  namespaces_.erase(it);
  if (options_.filter(*object)) pending_.push_back({Change::kDeleted, std::move(object), version});
}

void KubeWatch::AppendLine(const Pending& pending, WallTime now, std::string* out) {
  kube::WatchEventType type = kube::WatchEventType::kAdded;
  if (pending.change == Change::kModified) type = kube::WatchEventType::kModified;
  if (pending.change == Change::kDeleted) type = kube::WatchEventType::kDeleted;
  kube::AppendWatchLineHead(out, type);
  if (!options_.table) {
    pending.object->AppendJson(out, pending.resource_version);
  } else {
    kube::TableOptions table;
    table.include_object = options_.include_object;
    table.column_definitions = !column_definitions_sent_;
    column_definitions_sent_ = true;
    kube::AppendTable(out, options_.filter.resource, {&pending.object, 1},
                      pending.resource_version.value_or(pending.object->resource_version()), now,
                      table, pending.resource_version);
  }
  kube::AppendWatchLineEnd(out);
}

void KubeWatch::Take(WallTime now, std::string* out, bool all) {
  if (!started_) Start();
  const size_t start = out->size();
  const auto full = [&] { return !all && out->size() - start >= kBatchBytes; };
  // The pending events go first, in order; the board is read again only
  // once they are all taken.
  const auto flush = [&] {
    while (!pending_.empty() && !full()) {
      AppendLine(pending_.front(), now, out);
      pending_.pop_front();
    }
  };
  flush();
  while (!finished_ && pending_.empty() && !full()) {
    if (board_.epoch() != epoch_) {
      Fail(version_);
      break;
    }
    const std::optional<std::vector<BoardEvent>> events = board_.EventsSince(version_, 256);
    if (!events) {
      Fail(version_);
      break;
    }
    if (events->empty()) break;
    for (const BoardEvent& event : *events) {
      Emit(event);
      version_ = event.resource_version;
    }
    flush();
  }
  if (error_line_) {
    out->append(*error_line_);
    error_line_.reset();
  }
}

std::string KubeWatch::Bookmark() const {
  if (!pending_.empty()) return "";
  return kube::Dump(kube::EncodeBookmark(options_.filter.resource, version_)) + "\n";
}

}  // namespace vigil
