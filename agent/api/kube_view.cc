#include "agent/api/kube_view.h"

#include <map>
#include <utility>

#include "agent/api/kubernetes/api_error.h"
#include "agent/api/kubernetes/envelopes.h"
#include "agent/api/kubernetes/selection.h"

namespace vigil {
namespace {

using kube::KubeJson;
using kube::Resource;

std::string Dump(const KubeJson& j) {
  return j.dump(-1, ' ', false, KubeJson::error_handler_t::replace) + "\n";
}

const std::string& StringField(const KubeJson& object, const char* a, const char* b) {
  static const std::string kEmpty;
  const auto first = object.find(a);
  if (first == object.end() || !first->is_object()) return kEmpty;
  const auto second = first->find(b);
  if (second == first->end() || !second->is_string()) return kEmpty;
  return second->get_ref<const std::string&>();
}

const std::string& NameOf(const KubeJson& object) {
  return StringField(object, "metadata", "name");
}

// Equal but for metadata.resourceVersion: the same state of the object.
bool SameState(const KubeJson& a, const KubeJson& b) {
  KubeJson x = a;
  KubeJson y = b;
  x["metadata"].erase("resourceVersion");
  y["metadata"].erase("resourceVersion");
  return x == y;
}

// The objects of `resource` that one service's object shows.
std::vector<KubeJson> Render(Resource resource, const EndpointsObject& object) {
  switch (resource) {
    case Resource::kEndpoints:
      return {kube::EncodeEndpoints(object)};
    case Resource::kServices:
      return {kube::EncodeService(object)};
    case Resource::kEndpointSlices:
      return kube::EncodeEndpointSlices(object);
    case Resource::kEvents:
    case Resource::kNamespaces:
      break;
  }
  return {};
}

}  // namespace

std::vector<KubeJson> KubeObjects(Resource resource, const BoardSnapshot& snapshot,
                                  const DefaultNamespace& fallback) {
  std::vector<KubeJson> objects;
  if (resource == Resource::kEvents) {
    objects.reserve(snapshot.events.size());
    for (const auto& event : snapshot.events) objects.push_back(kube::EncodeEvent(*event));
  } else if (resource == Resource::kNamespaces) {
    // Only what a Namespace is made of: no endpoints copied.
    std::vector<EndpointsObject> headers;
    headers.reserve(snapshot.services.size());
    for (const auto& object : snapshot.services) {
      EndpointsObject header;
      header.name = object->name;
      header.namespace_name = object->namespace_name;
      header.creation_time = object->creation_time;
      header.resource_version = object->resource_version;
      header.service_resource_version = object->service_resource_version;
      headers.push_back(std::move(header));
    }
    for (const kube::KubeNamespace& ns :
         kube::CollectNamespaces(headers, fallback.creation_time, fallback.resource_version)) {
      objects.push_back(kube::EncodeNamespace(ns));
    }
  } else {
    for (const auto& object : snapshot.services) {
      for (KubeJson& j : Render(resource, *object)) objects.push_back(std::move(j));
    }
  }
  kube::SortByName(objects);
  return objects;
}

bool KubeFilter::operator()(const KubeJson& object) const {
  if (!namespace_name.empty() && StringField(object, "metadata", "namespace") != namespace_name) {
    return false;
  }
  if (!name.empty() && NameOf(object) != name) return false;
  return kube::Selects(resource, object, labels, fields);
}

KubeWatch::KubeWatch(const StatusBoard& board, Options options)
    : board_(board), options_(std::move(options)) {}

void KubeWatch::Fail(uint64_t requested) {
  finished_ = true;
  pending_.clear();
  error_line_ = Dump(kube::EncodeWatchError(
      kube::ApiError::Expired(requested, board_.oldest_resumable_version())));
}

void KubeWatch::Start() {
  started_ = true;
  epoch_ = board_.epoch();
  const bool resume = options_.since.has_value() && *options_.since > 0;
  BoardSnapshot snapshot = board_.Snapshot();
  if (options_.filter.resource == Resource::kNamespaces) {
    for (const auto& object : snapshot.services) namespaces_.insert(object->namespace_name);
    namespaces_.insert("default");
  }
  if (resume) {
    const uint64_t since = *options_.since;
    if (since > snapshot.resource_version || since < board_.oldest_resumable_version()) {
      Fail(since);
      return;
    }
    version_ = since;
    return;
  }
  version_ = snapshot.resource_version;
  for (KubeJson& object : KubeObjects(options_.filter.resource, snapshot, options_.fallback)) {
    if (options_.adjust) options_.adjust(object);
    if (options_.filter(object)) pending_.push_back({Change::kAdded, std::move(object)});
  }
}

void KubeWatch::Diff(const std::vector<KubeJson>& before, const std::vector<KubeJson>& after,
                     uint64_t version) {
  std::map<std::string, std::pair<const KubeJson*, const KubeJson*>> by_name;
  for (const KubeJson& o : before) by_name[NameOf(o)].first = &o;
  for (const KubeJson& o : after) by_name[NameOf(o)].second = &o;
  for (const auto& [name, states] : by_name) {
    const auto& [was_object, is_object] = states;
    const bool was = was_object != nullptr && options_.filter(*was_object);
    const bool is = is_object != nullptr && options_.filter(*is_object);
    if (was && is) {
      if (!SameState(*was_object, *is_object)) pending_.push_back({Change::kModified, *is_object});
    } else if (is) {
      pending_.push_back({Change::kAdded, *is_object});
    } else if (was) {
      KubeJson last = *was_object;
      kube::SetResourceVersion(last, version);
      pending_.push_back({Change::kDeleted, std::move(last)});
    }
  }
}

void KubeWatch::Emit(const BoardEvent& event) {
  const Resource resource = options_.filter.resource;
  const uint64_t version = event.resource_version;
  if (resource == Resource::kEvents) {
    if (event.event == nullptr) return;
    std::vector<KubeJson> before, after;
    if (event.previous_event != nullptr) before.push_back(kube::EncodeEvent(*event.previous_event));
    if (event.type != EventType::kDeleted) after.push_back(kube::EncodeEvent(*event.event));
    if (options_.adjust) {
      for (KubeJson& o : before) options_.adjust(o);
      for (KubeJson& o : after) options_.adjust(o);
    }
    Diff(before, after, version);
    return;
  }
  if (event.object == nullptr) return;
  if (resource == Resource::kNamespaces) {
    // A namespace appears with its first service; it stays while the
    // watch lasts.
    const std::string& ns = event.object->namespace_name;
    if (event.type == EventType::kDeleted || namespaces_.contains(ns)) return;
    namespaces_.insert(ns);
    KubeJson object = kube::EncodeNamespace({ns, event.object->creation_time, version});
    if (options_.filter(object)) pending_.push_back({Change::kAdded, std::move(object)});
    return;
  }
  std::vector<KubeJson> before, after;
  if (event.previous != nullptr) before = Render(resource, *event.previous);
  if (event.type != EventType::kDeleted) after = Render(resource, *event.object);
  Diff(before, after, version);
}

std::string KubeWatch::Line(const Pending& pending, WallTime now) {
  kube::WatchEventType type = kube::WatchEventType::kAdded;
  if (pending.change == Change::kModified) type = kube::WatchEventType::kModified;
  if (pending.change == Change::kDeleted) type = kube::WatchEventType::kDeleted;
  if (!options_.table) return Dump(kube::EncodeWatchEvent(type, pending.object));
  kube::TableOptions table;
  table.include_object = options_.include_object;
  table.column_definitions = !column_definitions_sent_;
  column_definitions_sent_ = true;
  return Dump(kube::EncodeWatchEvent(
      type, kube::EncodeTable(options_.filter.resource, {pending.object},
                              kube::ResourceVersionOf(pending.object), now, table)));
}

std::vector<std::string> KubeWatch::Take(WallTime now) {
  std::vector<std::string> lines;
  if (!started_) Start();
  size_t bytes = 0;
  const auto flush = [&] {
    for (const Pending& p : pending_) {
      lines.push_back(Line(p, now));
      bytes += lines.back().size();
    }
    pending_.clear();
  };
  flush();
  while (!finished_ && bytes < kBatchBytes) {
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
    lines.push_back(std::move(*error_line_));
    error_line_.reset();
  }
  return lines;
}

std::string KubeWatch::Bookmark() const {
  return Dump(kube::EncodeBookmark(options_.filter.resource, version_));
}

}  // namespace vigil
