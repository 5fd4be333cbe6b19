// The objects the agent publishes: for each service, an Endpoints object in
// Kubernetes' sense (its labels, ports, and the state of every endpoint), and
// the latest probe details of each endpoint. Plain values; an object's
// endpoints are a SharedVector, so that copies of an object (the versions the
// board keeps) share the endpoints they have in common.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "config/config.h"
#include "config/namespaced_name.h"
#include "exporters/registry/shared_vector.h"
#include "probes/probe_result.h"

namespace vigil {

struct EndpointConditions {
  bool ready = false;        // receives traffic: probe passing and not terminating
  bool serving = false;      // probe passing, terminating or not
  bool terminating = false;  // its agent is stopping

  bool operator==(const EndpointConditions&) const = default;
};

// The versioned part of one endpoint's state: a change here is a new
// resourceVersion and a watch event.
struct EndpointStatus {
  std::string address;
  int port = 0;
  std::string node;
  EndpointConditions conditions;
  WallTime last_transition_time;

  // "ip:port" or "[v6]:port".
  std::string Key() const { return Endpoint{address, port}.HostPort(); }

  bool operator==(const EndpointStatus&) const = default;
};

// The latest probe of one endpoint. Refreshed by every probe without a new
// resourceVersion: probes are frequent, transitions are what watchers want.
struct ProbeDetails {
  WallTime time;
  ProbeOutcome result = ProbeOutcome::kSuccess;
  std::string message;
  ProbeReason reason = ProbeReason::kNone;  // why it failed (lastReason)
  std::chrono::microseconds duration{0};    // how long it took (lastProbeDurationSeconds)
};

// One change of an endpoint's readiness, with the reason the agent logged.
struct Transition {
  WallTime time;
  std::string endpoint;  // "ip:port"
  std::string node;
  bool ready = false;  // the new state
  std::string reason;  // "not ready after 3 consecutive failures: HTTP probe failed with …"
};

using EndpointList = SharedVector<EndpointStatus>;

struct EndpointsObject {
  std::string name;
  std::string namespace_name = "default";  // the Kubernetes namespace it appears in
  std::map<std::string, std::string> labels;
  std::vector<ServicePort> ports;
  WallTime creation_time;
  uint64_t resource_version = 0;  // of the object's last change
  uint64_t service_resource_version =
      0;  // of the last change to labels or ports; 0: resource_version
  EndpointList endpoints;
  bool publish_not_ready_addresses = false;  // DNS and the Kubernetes view list not-ready ones too

  // What the object is known by: a name is unique in its namespace only.
  NamespacedName Id() const { return {namespace_name, name}; }
  size_t CountReady() const;
};

}  // namespace vigil
