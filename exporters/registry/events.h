// Kubernetes Events about endpoints: why an endpoint left or joined its
// service, as `kubectl describe endpoints` shows under "Events:". A KubeEvent
// is a plain value the store keeps (with its own resourceVersion, like every
// object); CorrelateEvent is the pure logic that turns what happened to an
// endpoint into a new Event or into one more occurrence of an existing one,
// as client-go's event correlator aggregates repeats. The Kubernetes view
// (agent/api/kubernetes) encodes KubeEvents as core/v1 Events.
//
// Plain values and pure functions: no clock (the caller passes `now`), no
// I/O, no synchronization.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/clock.h"

namespace vigil {

// The most Events kept; recording one more removes the oldest.
inline constexpr size_t kMaxKubeEvents = 1000;

// The longest message kept, in bytes (events.k8s.io's limit for a note):
// probe messages can be long (an exec probe's output).
inline constexpr size_t kMaxKubeEventMessage = 1024;

struct KubeEvent {
  std::string name;  // "<service>.<16 hex digits>", unique among the Events kept
  std::string namespace_name;

  // The Endpoints object the Event is about (involvedObject). Its creation
  // time tells one life of the service from the next, as a uid does.
  std::string object_name;
  WallTime object_creation_time;
  uint64_t object_resource_version = 0;  // the object's, when the Event was created

  std::string type;     // "Normal" or "Warning"
  std::string reason;   // "Unhealthy", "Ready" or "Terminating"
  std::string message;  // "10.0.0.1:8080: Readiness probe failed: HTTP probe failed with ..."
  std::string node;     // the agent's node that saw it (source.host)

  WallTime first_timestamp;  // also the Event's creation time
  WallTime last_timestamp;
  int32_t count = 1;

  uint64_t resource_version = 0;  // set by the store

  bool operator==(const KubeEvent&) const = default;
};

// What happened to one endpoint that deserves an Event.
enum class EndpointHappening {
  kWentNotReady,      // ready → not ready; Warning Unhealthy with the probe's message
  kNeverReadyFailed,  // a new endpoint, never ready, reached failureThreshold; Warning Unhealthy
  kMessageChanged,    // still not ready, its probe message changed; Warning Unhealthy
  kWentReady,         // not ready → ready; Normal Ready
  kTerminating,       // withdrawn while its agent stops; Normal Terminating
};

struct EndpointOccurrence {
  EndpointHappening what = EndpointHappening::kWentNotReady;
  // The service's Endpoints object as it is now: namespace, name, creation
  // time and resourceVersion.
  std::string namespace_name = "default";
  std::string service;
  WallTime service_creation_time;
  uint64_t endpoints_resource_version = 0;
  std::string endpoint;       // "ip:port" or "[v6]:port"
  std::string node;           // the node whose agent probes it
  std::string probe_message;  // for the three failures: "HTTP probe failed with statuscode: 503"
};

// Where an occurrence lands.
struct EventUpdate {
  // The new Event (count 1), or the existing one it repeats with count + 1
  // and lastTimestamp now; in either case without a resourceVersion of its
  // own yet (the store gives it the next one).
  KubeEvent event;
  bool created = false;
  // Events to remove, oldest first, so that the store keeps at most its
  // capacity with the new one: empty unless `created`.
  std::vector<std::string> removed;
};

// The Event's type, reason and message for `occurrence`, as kubelet writes
// them for a readiness probe, the endpoint's "ip:port" first because one
// Endpoints object holds many endpoints:
//   Warning  Unhealthy    10.0.0.1:8080: Readiness probe failed: <probe message>
//   Normal   Ready        10.0.0.1:8080: Readiness probe succeeded
//   Normal   Terminating  10.0.0.1:8080: Withdrawn: its agent is stopping
// A message longer than kMaxKubeEventMessage is cut there (at a UTF-8
// character boundary).
KubeEvent DescribeOccurrence(const EndpointOccurrence& occurrence);

// Correlates `occurrence` at `now` with the Events `kept` (in any order): an
// Event about the same object (name and creation time), with the same type,
// reason, message and node, is repeated; otherwise a new one is created,
// named "<service>.<now in ns since the epoch, 16 hex digits>" (moved on by
// a nanosecond while that name is taken), and the oldest Events (by last
// timestamp, then resourceVersion) are removed past `capacity` (at least 1).
EventUpdate CorrelateEvent(std::span<const KubeEvent> kept, const EndpointOccurrence& occurrence,
                           WallTime now, size_t capacity = kMaxKubeEvents);

}  // namespace vigil
