#include "agent/api/kubernetes/resources.h"

#include <cassert>

namespace vigil::kube {
namespace {

constexpr std::string_view kMetaFields[] = {"metadata.name", "metadata.namespace"};
// As the apiserver's namespace strategy (pkg/registry/core/namespace).
constexpr std::string_view kNamespaceFields[] = {"metadata.name", "status.phase"};
// As the apiserver's event strategy (pkg/registry/core/event): "source" is
// source.component, else reportingComponent.
constexpr std::string_view kEventFields[] = {
    "metadata.name",
    "metadata.namespace",
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
};

constexpr std::string_view kEndpointsShort[] = {"ep"};
constexpr std::string_view kEventsShort[] = {"ev"};
constexpr std::string_view kNamespacesShort[] = {"ns"};
constexpr std::string_view kServicesShort[] = {"svc"};

constexpr ResourceInfo kResources[] = {
    {Resource::kEndpoints, "endpoints", "endpoints", "Endpoints", "EndpointsList", "", "v1", "v1",
     true, kEndpointsShort, kMetaFields},
    {Resource::kEvents, "events", "event", "Event", "EventList", "", "v1", "v1", true, kEventsShort,
     kEventFields},
    {Resource::kNamespaces, "namespaces", "namespace", "Namespace", "NamespaceList", "", "v1", "v1",
     false, kNamespacesShort, kNamespaceFields},
    {Resource::kServices, "services", "service", "Service", "ServiceList", "", "v1", "v1", true,
     kServicesShort, kMetaFields},
    {Resource::kEndpointSlices,
     "endpointslices",
     "endpointslice",
     "EndpointSlice",
     "EndpointSliceList",
     "discovery.k8s.io",
     "v1",
     "discovery.k8s.io/v1",
     true,
     {},
     kMetaFields},
};

}  // namespace

const ResourceInfo& Info(Resource resource) {
  for (const ResourceInfo& info : kResources) {
    if (info.resource == resource) return info;
  }
  assert(false && "every Resource has an entry");
  return kResources[0];
}

std::span<const ResourceInfo> AllResources() { return kResources; }

const ResourceInfo* FindResource(std::string_view group, std::string_view name) {
  for (const ResourceInfo& info : kResources) {
    if (info.group == group && info.name == name) return &info;
  }
  return nullptr;
}

std::string QualifiedName(const ResourceInfo& info) {
  std::string name(info.name);
  if (!info.group.empty()) name += "." + std::string(info.group);
  return name;
}

}  // namespace vigil::kube
