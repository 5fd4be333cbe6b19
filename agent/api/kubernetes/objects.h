// The Kubernetes objects vigil shows, encoded from the registry's values, one
// codec per kind as in the kube-apiserver: for each service a Service
// (headless, selector-less), an Endpoints and one EndpointSlice per address
// family and port; an Event for each KubeEvent; a Namespace for each
// namespace the services use. KUBERNETES_API.md §2 is the contract.
//
// Every object carries kind, apiVersion and metadata (name, namespace, uid,
// resourceVersion, creationTimestamp, labels), as a get and a watch event
// need; arrays that Kubernetes clients require are never null. Pure
// functions of their arguments: no clock, no I/O, safe from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/kubernetes/kube_json.h"
#include "agent/api/kubernetes/resources.h"
#include "common/clock.h"
#include "exporters/registry/endpoints.h"
#include "exporters/registry/events.h"

namespace vigil::kube {

// A Namespace: nothing but a name the services use, and when it appeared.
struct KubeNamespace {
  std::string name;
  WallTime creation_time;
  uint64_t resource_version = 0;

  bool operator==(const KubeNamespace&) const = default;
};

// The Service of `object`: its labels, its ports (the service's, else one
// per distinct endpoint port), clusterIP "None", the address families of its
// endpoints. Its resourceVersion is the object's service_resource_version
// (else resource_version), so that a readiness flip does not change it.
KubeJson EncodeService(const EndpointsObject& object);

// The Endpoints of `object`: one subset per distinct endpoint port, ports
// ascending; ready endpoints in `addresses`, not-ready ones in
// `notReadyAddresses`, terminating ones left out (all in `addresses` when
// the service publishes not-ready addresses), each sorted by IP; empty
// arrays, empty subsets and no subsets at all are omitted, as the apiserver
// encodes them. An address that several nodes probe appears once, with the
// node that sees it best (ready, else serving, else not terminating; then
// the first node by name).
KubeJson EncodeEndpoints(const EndpointsObject& object);

// The EndpointSlices of `object`, one per (address family, port), IPv4
// first, ports ascending; none when it has no endpoint. Each lists its
// endpoints ready or not, with conditions {ready, serving, terminating}, and
// carries the labels kubernetes.io/service-name and
// endpointslice.kubernetes.io/managed-by beside the service's.
std::vector<KubeJson> EncodeEndpointSlices(const EndpointsObject& object);

// The objects of `resource` that one service's `object` shows: its Service
// (kServices), its Endpoints (kEndpoints), its EndpointSlices
// (kEndpointSlices); none for the other resources.
std::vector<KubeJson> EncodeObjects(Resource resource, const EndpointsObject& object);

// "alpaca-prod-ipv4-8080".
std::string EndpointSliceName(std::string_view service, bool ipv6, int port);

// The core/v1 Event of `event`, about its Endpoints object.
KubeJson EncodeEvent(const KubeEvent& event);

// The Namespace `ns`: Active, with the label kubernetes.io/metadata.name.
KubeJson EncodeNamespace(const KubeNamespace& ns);

// The namespaces of `objects`, sorted by name, always with "default": each
// created with the first of its services and at the smallest
// resourceVersion among them; `fallback` gives "default" its creation time
// and resourceVersion while no service is in it (and bounds them otherwise).
std::vector<KubeNamespace> CollectNamespaces(std::span<const EndpointsObject> objects,
                                             WallTime fallback_creation_time,
                                             uint64_t fallback_resource_version);

// The uids the objects of `object` carry (see object_uid.h); an Event's
// involvedObject.uid is EndpointsUid of the object it is about.
std::string ServiceUid(const EndpointsObject& object);
std::string EndpointsUid(std::string_view namespace_name, std::string_view name,
                         WallTime creation_time);

// The resourceVersion of `object` (a decimal string in metadata), or 0.
uint64_t ResourceVersionOf(const KubeJson& object);

// Sets metadata.resourceVersion, as a watch's DELETED event needs (the last
// state, at the deletion's version).
void SetResourceVersion(KubeJson& object, uint64_t resource_version);

}  // namespace vigil::kube
