#include "agent/api/kubernetes/objects.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <utility>

#include "agent/api/kubernetes/object_uid.h"
#include "common/time_format.h"

namespace vigil::kube {
namespace {

constexpr std::string_view kServiceNameLabel = "kubernetes.io/service-name";
constexpr std::string_view kManagedByLabel = "endpointslice.kubernetes.io/managed-by";
constexpr std::string_view kManagedBy = "vigil.dev/agent";
constexpr std::string_view kEventComponent = "vigil";

bool IsIpv6(const std::string& address) { return address.find(':') != std::string::npos; }

KubeJson Labels(const std::map<std::string, std::string>& labels) {
  KubeJson json = KubeJson::object();
  for (const auto& [key, value] : labels) json[key] = value;
  return json;
}

// metadata up to creationTimestamp, in ObjectMeta's order; the caller adds
// labels, ownerReferences.
KubeJson Metadata(std::string_view name, std::string_view namespace_name, std::string uid,
                  uint64_t resource_version, WallTime creation_time,
                  std::string_view generate_name = {}) {
  KubeJson metadata = {{"name", name}};
  if (!generate_name.empty()) metadata["generateName"] = generate_name;
  if (!namespace_name.empty()) metadata["namespace"] = namespace_name;
  metadata["uid"] = std::move(uid);
  metadata["resourceVersion"] = std::to_string(resource_version);
  metadata["creationTimestamp"] = FormatTime(creation_time);
  return metadata;
}

// The service port named for `port`, or "".
std::string PortName(const EndpointsObject& object, int port) {
  for (const ServicePort& p : object.ports) {
    if (p.port == port) return p.name;
  }
  return "";
}

// How well a node sees an endpoint: ready, else serving, else not
// terminating.
int Rank(const EndpointConditions& c) {
  if (c.ready) return 3;
  if (c.serving) return 2;
  return c.terminating ? 0 : 1;
}

// Each distinct (address, port) once, with its best status; sorted by port,
// then address as a string (the endpoints controller's order).
std::vector<const EndpointStatus*> Representatives(const EndpointsObject& object) {
  std::map<std::pair<int, std::string>, const EndpointStatus*> best;
  for (const EndpointStatus& e : object.endpoints) {
    const EndpointStatus*& b = best[{e.port, e.address}];
    if (b == nullptr || Rank(e.conditions) > Rank(b->conditions) ||
        (Rank(e.conditions) == Rank(b->conditions) && e.node < b->node)) {
      b = &e;
    }
  }
  std::vector<const EndpointStatus*> out;
  out.reserve(best.size());
  for (const auto& [key, e] : best) out.push_back(e);
  return out;
}

bool ReadyFor(const EndpointsObject& object, const EndpointStatus& e) {
  return object.publish_not_ready_addresses || e.conditions.ready;
}

}  // namespace

std::string ServiceUid(const EndpointsObject& object) {
  return ObjectUid("Service", object.namespace_name, object.name, object.creation_time);
}

std::string EndpointsUid(std::string_view namespace_name, std::string_view name,
                         WallTime creation_time) {
  return ObjectUid("Endpoints", namespace_name, name, creation_time);
}

KubeJson EncodeService(const EndpointsObject& object) {
  const uint64_t rv = object.service_resource_version != 0 ? object.service_resource_version
                                                           : object.resource_version;
  KubeJson metadata =
      Metadata(object.name, object.namespace_name, ServiceUid(object), rv, object.creation_time);
  if (!object.labels.empty()) metadata["labels"] = Labels(object.labels);

  KubeJson ports = KubeJson::array();
  const auto add_port = [&](const std::string& name, int port) {
    KubeJson p = KubeJson::object();
    if (!name.empty()) p["name"] = name;
    p["protocol"] = "TCP";
    p["port"] = port;
    p["targetPort"] = port;
    ports.push_back(std::move(p));
  };
  if (!object.ports.empty()) {
    for (const ServicePort& p : object.ports) add_port(p.name, p.port);
  } else {
    std::set<int> distinct;
    for (const EndpointStatus& e : object.endpoints) distinct.insert(e.port);
    for (const int port : distinct) add_port("", port);
  }

  bool any_ipv4 = false;
  bool any_ipv6 = false;
  for (const EndpointStatus& e : object.endpoints) (IsIpv6(e.address) ? any_ipv6 : any_ipv4) = true;
  KubeJson families = KubeJson::array();
  if (any_ipv4 || !any_ipv6) families.push_back("IPv4");
  if (any_ipv6) families.push_back("IPv6");

  KubeJson spec = KubeJson::object();
  if (!ports.empty()) spec["ports"] = std::move(ports);
  spec["clusterIP"] = "None";
  spec["clusterIPs"] = KubeJson::array({"None"});
  spec["type"] = "ClusterIP";
  spec["sessionAffinity"] = "None";
  if (object.publish_not_ready_addresses) spec["publishNotReadyAddresses"] = true;
  const bool dual_stack = families.size() > 1;
  spec["ipFamilies"] = std::move(families);
  spec["ipFamilyPolicy"] = dual_stack ? "PreferDualStack" : "SingleStack";
  spec["internalTrafficPolicy"] = "Cluster";

  return {{"kind", "Service"},
          {"apiVersion", "v1"},
          {"metadata", std::move(metadata)},
          {"spec", std::move(spec)},
          {"status", {{"loadBalancer", KubeJson::object()}}}};
}

KubeJson EncodeEndpoints(const EndpointsObject& object) {
  KubeJson metadata =
      Metadata(object.name, object.namespace_name,
               EndpointsUid(object.namespace_name, object.name, object.creation_time),
               object.resource_version, object.creation_time);
  if (!object.labels.empty()) metadata["labels"] = Labels(object.labels);

  const auto address = [](const EndpointStatus& e) {
    KubeJson a = {{"ip", e.address}};
    if (!e.node.empty()) a["nodeName"] = e.node;
    return a;
  };
  KubeJson subsets = KubeJson::array();
  const std::vector<const EndpointStatus*> endpoints = Representatives(object);
  for (size_t i = 0; i < endpoints.size();) {
    const int port = endpoints[i]->port;
    KubeJson ready = KubeJson::array();
    KubeJson not_ready = KubeJson::array();
    for (; i < endpoints.size() && endpoints[i]->port == port; ++i) {
      const EndpointStatus& e = *endpoints[i];
      if (ReadyFor(object, e)) {
        ready.push_back(address(e));
      } else if (!e.conditions.terminating) {
        not_ready.push_back(address(e));
      }
    }
    if (ready.empty() && not_ready.empty()) continue;
    KubeJson subset = KubeJson::object();
    if (!ready.empty()) subset["addresses"] = std::move(ready);
    if (!not_ready.empty()) subset["notReadyAddresses"] = std::move(not_ready);
    KubeJson p = KubeJson::object();
    if (const std::string name = PortName(object, port); !name.empty()) p["name"] = name;
    p["port"] = port;
    p["protocol"] = "TCP";
    subset["ports"] = KubeJson::array({std::move(p)});
    subsets.push_back(std::move(subset));
  }

  KubeJson endpoints_json = {
      {"kind", "Endpoints"}, {"apiVersion", "v1"}, {"metadata", std::move(metadata)}};
  if (!subsets.empty()) endpoints_json["subsets"] = std::move(subsets);
  return endpoints_json;
}

std::vector<KubeJson> EncodeObjects(Resource resource, const EndpointsObject& object) {
  switch (resource) {
    case Resource::kEndpoints:
      return {EncodeEndpoints(object)};
    case Resource::kServices:
      return {EncodeService(object)};
    case Resource::kEndpointSlices:
      return EncodeEndpointSlices(object);
    case Resource::kEvents:
    case Resource::kNamespaces:
      break;
  }
  return {};
}

std::string EndpointSliceName(std::string_view service, bool ipv6, int port) {
  return std::string(service) + (ipv6 ? "-ipv6-" : "-ipv4-") + std::to_string(port);
}

std::vector<KubeJson> EncodeEndpointSlices(const EndpointsObject& object) {
  // (family, port) → endpoints, sorted by address.
  std::map<std::pair<bool, int>, std::vector<const EndpointStatus*>> slices;
  for (const EndpointStatus* e : Representatives(object)) {
    slices[{IsIpv6(e->address), e->port}].push_back(e);
  }
  // Go writes a map's keys sorted: so does a std::map.
  std::map<std::string, std::string> label_map = object.labels;
  label_map[std::string(kServiceNameLabel)] = object.name;
  label_map[std::string(kManagedByLabel)] = kManagedBy;
  const KubeJson labels = Labels(label_map);
  const KubeJson owner = {{"apiVersion", "v1"},  {"kind", "Service"},
                          {"name", object.name}, {"uid", ServiceUid(object)},
                          {"controller", true},  {"blockOwnerDeletion", true}};

  std::vector<KubeJson> out;
  for (const auto& [key, endpoints] : slices) {
    const auto [ipv6, port] = key;
    const std::string name = EndpointSliceName(object.name, ipv6, port);
    KubeJson metadata =
        Metadata(name, object.namespace_name,
                 ObjectUid("EndpointSlice", object.namespace_name, name, object.creation_time),
                 object.resource_version, object.creation_time, object.name + "-");
    metadata["labels"] = labels;
    metadata["ownerReferences"] = KubeJson::array({owner});

    KubeJson endpoints_json = KubeJson::array();
    for (const EndpointStatus* e : endpoints) {
      KubeJson endpoint = {{"addresses", KubeJson::array({e->address})},
                           {"conditions",
                            {{"ready", ReadyFor(object, *e)},
                             {"serving", e->conditions.serving},
                             {"terminating", e->conditions.terminating}}}};
      if (!e->node.empty()) endpoint["nodeName"] = e->node;
      endpoints_json.push_back(std::move(endpoint));
    }
    KubeJson p = KubeJson::object();
    if (const std::string port_name = PortName(object, port); !port_name.empty()) {
      p["name"] = port_name;
    }
    p["protocol"] = "TCP";
    p["port"] = port;

    out.push_back({{"kind", "EndpointSlice"},
                   {"apiVersion", "discovery.k8s.io/v1"},
                   {"metadata", std::move(metadata)},
                   {"addressType", ipv6 ? "IPv6" : "IPv4"},
                   {"endpoints", std::move(endpoints_json)},
                   {"ports", KubeJson::array({std::move(p)})}});
  }
  return out;
}

KubeJson EncodeEvent(const KubeEvent& event) {
  KubeJson metadata =
      Metadata(event.name, event.namespace_name,
               ObjectUid("Event", event.namespace_name, event.name, event.first_timestamp),
               event.resource_version, event.first_timestamp);
  return {
      {"kind", "Event"},
      {"apiVersion", "v1"},
      {"metadata", std::move(metadata)},
      {"involvedObject",
       {{"kind", "Endpoints"},
        {"namespace", event.namespace_name},
        {"name", event.object_name},
        {"uid", EndpointsUid(event.namespace_name, event.object_name, event.object_creation_time)},
        {"apiVersion", "v1"},
        {"resourceVersion", std::to_string(event.object_resource_version)}}},
      {"reason", event.reason},
      {"message", event.message},
      {"source", {{"component", kEventComponent}, {"host", event.node}}},
      {"firstTimestamp", FormatTime(event.first_timestamp)},
      {"lastTimestamp", FormatTime(event.last_timestamp)},
      {"count", event.count},
      {"type", event.type},
      {"eventTime", nullptr},
      {"reportingComponent", kEventComponent},
      {"reportingInstance", event.node}};
}

KubeJson EncodeNamespace(const KubeNamespace& ns) {
  KubeJson metadata = Metadata(ns.name, "", ObjectUid("Namespace", "", ns.name, ns.creation_time),
                               ns.resource_version, ns.creation_time);
  metadata["labels"] = {{"kubernetes.io/metadata.name", ns.name}};
  return {{"kind", "Namespace"},
          {"apiVersion", "v1"},
          {"metadata", std::move(metadata)},
          {"spec", {{"finalizers", KubeJson::array({"kubernetes"})}}},
          {"status", {{"phase", "Active"}}}};
}

std::vector<KubeNamespace> CollectNamespaces(std::span<const EndpointsObject> objects,
                                             WallTime fallback_creation_time,
                                             uint64_t fallback_resource_version) {
  std::map<std::string, KubeNamespace> namespaces;
  namespaces["default"] = {"default", fallback_creation_time, fallback_resource_version};
  for (const EndpointsObject& o : objects) {
    const uint64_t rv =
        o.service_resource_version != 0 ? o.service_resource_version : o.resource_version;
    const auto [it, added] = namespaces.try_emplace(
        o.namespace_name, KubeNamespace{o.namespace_name, o.creation_time, rv});
    if (!added) {
      it->second.creation_time = std::min(it->second.creation_time, o.creation_time);
      it->second.resource_version = std::min(it->second.resource_version, rv);
    }
  }
  std::vector<KubeNamespace> out;
  out.reserve(namespaces.size());
  for (auto& [name, ns] : namespaces) out.push_back(std::move(ns));
  return out;
}

uint64_t ResourceVersionOf(const KubeJson& object) {
  const auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return 0;
  const auto rv = metadata->find("resourceVersion");
  if (rv == metadata->end() || !rv->is_string()) return 0;
  const std::string& text = rv->get_ref<const std::string&>();
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() ? value : 0;
}

void SetResourceVersion(KubeJson& object, uint64_t resource_version) {
  object["metadata"]["resourceVersion"] = std::to_string(resource_version);
}

}  // namespace vigil::kube
