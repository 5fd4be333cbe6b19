// The objects of KUBERNETES_API.md's examples, as the registry holds them,
// for the tests of the Kubernetes view; and the uids vigil derives for them,
// computed independently with Python's uuid.uuid5 (see object_uid.h).
#pragma once

#include <chrono>
#include <string>

#include "agent/api/kubernetes/kube_json.h"
#include "exporters/registry/endpoints.h"
#include "exporters/registry/events.h"

namespace vigil::kube::testing {

// 2026-12-01T09:36:43Z.
inline WallTime Created() { return WallTime() + std::chrono::seconds(1'796'117'803); }

inline constexpr const char* kServiceUid = "4966189d-f881-578b-bfac-4ae114de58fc";
inline constexpr const char* kEndpointsUid = "315dd534-837f-536e-9c74-a286c09cb5ee";
inline constexpr const char* kSliceIpv4Uid = "abe06038-de33-5390-b4a5-7cf9eba79ef1";
inline constexpr const char* kSliceIpv6Uid = "d91f620e-ebab-5aae-a457-e6cb3eb3ad73";
inline constexpr const char* kEventUid = "f9b3dc8c-2fbc-5cf7-a85a-f34114a8ba16";

inline EndpointStatus Endpoint(const std::string& address, bool ready, const std::string& node,
                               bool terminating = false, int port = 8080) {
  EndpointStatus e;
  e.address = address;
  e.port = port;
  e.node = node;
  e.conditions = {ready && !terminating, ready, terminating};
  e.last_transition_time = Created();
  return e;
}

// alpaca-prod: 10.32.0.11, .13, .14, .15 ready on node-a, 10.32.0.12 not
// ready on node-b, all on port 8080 ("http"); given out of order, as the
// registry may hold them.
inline EndpointsObject AlpacaProd() {
  EndpointsObject o;
  o.name = "alpaca-prod";
  o.namespace_name = "default";
  o.labels = {{"app", "alpaca"}, {"env", "prod"}, {"ver", "1"}};
  o.ports = {{"http", 8080}};
  o.creation_time = Created();
  o.resource_version = 1008;
  o.service_resource_version = 1002;
  o.endpoints = {
      Endpoint("10.32.0.14", true, "node-a"), Endpoint("10.32.0.12", false, "node-b"),
      Endpoint("10.32.0.11", true, "node-a"), Endpoint("10.32.0.15", true, "node-a"),
      Endpoint("10.32.0.13", true, "node-a"),
  };
  return o;
}

// The Event of KUBERNETES_API.md §2.4, about AlpacaProd().
inline KubeEvent UnhealthyEvent() {
  KubeEvent e;
  e.name = "alpaca-prod.18ed17a053884e01";
  e.namespace_name = "default";
  e.object_name = "alpaca-prod";
  e.object_creation_time = Created();
  e.object_resource_version = 1008;
  e.type = "Warning";
  e.reason = "Unhealthy";
  e.message = "10.32.0.12:8080: Readiness probe failed: HTTP probe failed with statuscode: 503";
  e.node = "node-a";
  e.first_timestamp = WallTime() + std::chrono::nanoseconds(0x18ed17a053884e01);
  e.last_timestamp = e.first_timestamp;
  e.count = 1;
  e.resource_version = 1010;
  return e;
}

// `text` parsed and written again: a golden document in the compact form
// the encoders' dump() gives, its keys in the order written.
inline std::string Golden(const char* text) { return KubeJson::parse(text).dump(); }

}  // namespace vigil::kube::testing
