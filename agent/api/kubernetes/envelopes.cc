#include "agent/api/kubernetes/envelopes.h"

#include <algorithm>
#include <string>
#include <utility>

namespace vigil::kube {
namespace {

std::string_view MetadataString(const KubeJson& object, const char* field) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return {};
  const auto value = metadata->find(field);
  if (value == metadata->end() || !value->is_string()) return {};
  return value->get_ref<const std::string&>();
}

}  // namespace

void SortByName(std::vector<KubeJson>& objects) {
  std::stable_sort(objects.begin(), objects.end(), [](const KubeJson& a, const KubeJson& b) {
    const std::string_view a_ns = MetadataString(a, "namespace");
    const std::string_view b_ns = MetadataString(b, "namespace");
    if (a_ns != b_ns) return a_ns < b_ns;
    return MetadataString(a, "name") < MetadataString(b, "name");
  });
}

KubeJson EncodeList(Resource resource, std::vector<KubeJson> items, uint64_t resource_version) {
  const ResourceInfo& info = Info(resource);
  SortByName(items);
  KubeJson array = KubeJson::array();
  for (KubeJson& item : items) array.push_back(std::move(item));
  return {{"kind", info.list_kind},
          {"apiVersion", info.api_version},
          {"metadata", {{"resourceVersion", std::to_string(resource_version)}}},
          {"items", std::move(array)}};
}

std::string_view WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
  }
  return "ERROR";
}

KubeJson EncodeWatchEvent(WatchEventType type, KubeJson object) {
  return {{"type", WatchEventTypeName(type)}, {"object", std::move(object)}};
}

KubeJson EncodeBookmark(Resource resource, uint64_t resource_version) {
  const ResourceInfo& info = Info(resource);
  return EncodeWatchEvent(WatchEventType::kBookmark,
                          {{"kind", info.kind},
                           {"apiVersion", info.api_version},
                           {"metadata", {{"resourceVersion", std::to_string(resource_version)}}}});
}

KubeJson EncodeWatchError(const ApiError& error) {
  return EncodeWatchEvent(WatchEventType::kError, StatusJson(error));
}

}  // namespace vigil::kube
