// What carries the objects of the Kubernetes view: lists (a get of a
// collection) and watch events (one JSON object per line of a watch),
// KUBERNETES_API.md §6 and §7.1. Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "agent/api/kubernetes/api_error.h"
#include "agent/api/kubernetes/kube_json.h"
#include "agent/api/kubernetes/resources.h"

namespace vigil::kube {

// {"kind":"EndpointsList","apiVersion":"v1","metadata":{"resourceVersion":"N"},
//  "items":[…]}: `items` sorted by namespace, then name, and an array even
// when empty (the Python client refuses null). `resource_version` is the
// store's version when it was read (at least every item's).
KubeJson EncodeList(Resource resource, std::vector<KubeJson> items, uint64_t resource_version);

// Sorts objects by metadata.namespace, then metadata.name: the order of
// every list, as the apiserver's (its keys are /namespace/name).
void SortByName(std::vector<KubeJson>& objects);

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

// "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR".
std::string_view WatchEventTypeName(WatchEventType type);

// {"type":"ADDED","object":…}. The object carries its kind, apiVersion and
// metadata.resourceVersion (a Table, for a Table watch: see tables.h).
KubeJson EncodeWatchEvent(WatchEventType type, KubeJson object);

// {"type":"BOOKMARK","object":{"kind":K,"apiVersion":gv,"metadata":
// {"resourceVersion":"R"}}} and nothing else, also in a Table watch.
KubeJson EncodeBookmark(Resource resource, uint64_t resource_version);

// {"type":"ERROR","object":<Status>}: the last event of a watch that cannot
// go on (410 Expired).
KubeJson EncodeWatchError(const ApiError& error);

}  // namespace vigil::kube
