// The endpoints registry's layout in etcd (DESIGN.md, "Registry"): each agent
// writes, on its own lease,
//
//   PREFIX/services/SERVICE/NODE {"name","namespace","labels","ports",
//                                 "publishNotReadyAddresses","creationTimestamp","node"}
//   PREFIX/endpoints/SERVICE/NODE/ADDRESS:PORT   one endpoint, as in the API's Endpoints object
//
// so that a node's keys of a service are found by its name and node, and
// every node's view of one endpoint is a key of its own. This file turns the
// agent's objects into those keys and values and back; decoding checks every
// field, because the values come from outside (any etcd client can write
// them). Pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "exporters/registry/endpoints.h"

namespace vigil {

std::string ServiceKey(std::string_view prefix, std::string_view service, std::string_view node);
std::string EndpointKey(std::string_view prefix, std::string_view service, std::string_view node,
                        std::string_view endpoint);  // endpoint: "ip:port"

// A key of the registry, split into its parts.
struct RegistryKey {
  enum class Kind { kService, kEndpoint };
  Kind kind = Kind::kService;
  std::string service;
  std::string node;
  std::string endpoint;  // "ip:port"; empty for kService

  bool operator==(const RegistryKey&) const = default;
};

// The parts of `key`, or nullopt when it is not a registry key under
// `prefix` (another program's key, or a malformed one).
std::optional<RegistryKey> ParseRegistryKey(std::string_view prefix, std::string_view key);

// What one node says of a service.
struct ServiceRecord {
  // Records written before namespaces were carried have none: "default".
  std::string namespace_name = kDefaultNamespace;
  bool publish_not_ready_addresses = false;
  std::map<std::string, std::string> labels;
  std::vector<ServicePort> ports;
  WallTime creation_time;

  bool operator==(const ServiceRecord&) const = default;
};

// What one node says of one endpoint: its versioned status and the probe
// details at the time it was written.
struct EndpointRecord {
  EndpointStatus status;
  std::optional<ProbeDetails> probe;
};

std::string EncodeServiceRecord(const EndpointsObject& object, std::string_view node);
std::string EncodeEndpointRecord(const EndpointStatus& endpoint,
                                 const std::optional<ProbeDetails>& probe);

// An error names the field that is missing or wrong.
Result<ServiceRecord> DecodeServiceRecord(std::string_view value);
Result<EndpointRecord> DecodeEndpointRecord(std::string_view value);

}  // namespace vigil
