#include "exporters/registry/events.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>
#include <string_view>
#include <tuple>
#include <unordered_set>

namespace vigil {
namespace {

// `text` cut to at most `size` bytes without splitting a UTF-8 character.
std::string Truncate(std::string text, size_t size) {
  if (text.size() <= size) return text;
  size_t end = size;
  // Step back over continuation bytes (10xxxxxx) to the start of a character.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  text.resize(end);
  return text;
}

bool SameOccurrence(const KubeEvent& a, const KubeEvent& b) {
  return a.namespace_name == b.namespace_name && a.object_name == b.object_name &&
         a.object_creation_time == b.object_creation_time && a.type == b.type &&
         a.reason == b.reason && a.message == b.message && a.node == b.node;
}

std::string EventName(const std::string& service, uint64_t nanos) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(nanos));
  return service + "." + hex;
}

}  // namespace

KubeEvent DescribeOccurrence(const EndpointOccurrence& occurrence) {
  KubeEvent event;
  event.namespace_name = occurrence.namespace_name;
  event.object_name = occurrence.service;
  event.object_creation_time = occurrence.service_creation_time;
  event.object_resource_version = occurrence.endpoints_resource_version;
  event.node = occurrence.node;
  std::string message = occurrence.endpoint + ": ";
  switch (occurrence.what) {
    case EndpointHappening::kWentNotReady:
    case EndpointHappening::kNeverReadyFailed:
    case EndpointHappening::kMessageChanged:
      event.type = "Warning";
      event.reason = "Unhealthy";
      message += "Readiness probe failed: " + occurrence.probe_message;
      break;
    case EndpointHappening::kWentReady:
      event.type = "Normal";
      event.reason = "Ready";
      message += "Readiness probe succeeded";
      break;
    case EndpointHappening::kTerminating:
      event.type = "Normal";
      event.reason = "Terminating";
      message += "Withdrawn: its agent is stopping";
      break;
  }
  event.message = Truncate(std::move(message), kMaxKubeEventMessage);
  return event;
}

EventUpdate CorrelateEvent(std::span<const KubeEvent> kept, const EndpointOccurrence& occurrence,
                           WallTime now, size_t capacity) {
  EventUpdate update;
  update.event = DescribeOccurrence(occurrence);
  for (const KubeEvent& e : kept) {
    if (!SameOccurrence(e, update.event)) continue;
    update.event = e;
    if (update.event.count < std::numeric_limits<int32_t>::max()) ++update.event.count;
    update.event.last_timestamp = now;
    update.event.resource_version = 0;
    return update;
  }

  update.created = true;
  update.event.first_timestamp = now;
  update.event.last_timestamp = now;
  update.event.count = 1;
  std::unordered_set<std::string_view> names;
  for (const KubeEvent& e : kept) names.insert(e.name);
  // kubelet names an Event after the time it was made, in nanoseconds; two
  // made in the same nanosecond (a fake clock, one batch of probes) take the
  // next free one.
  uint64_t nanos = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
  update.event.name = EventName(occurrence.service, nanos);
  while (names.contains(update.event.name))
    update.event.name = EventName(occurrence.service, ++nanos);

  capacity = std::max<size_t>(capacity, 1);
  if (kept.size() + 1 > capacity) {
    std::vector<const KubeEvent*> oldest;
    oldest.reserve(kept.size());
    for (const KubeEvent& e : kept) oldest.push_back(&e);
    const size_t excess = kept.size() + 1 - capacity;
    const auto older = [](const KubeEvent* a, const KubeEvent* b) {
      return std::tie(a->last_timestamp, a->resource_version, a->name) <
             std::tie(b->last_timestamp, b->resource_version, b->name);
    };
    std::partial_sort(oldest.begin(), oldest.begin() + excess, oldest.end(), older);
    for (size_t i = 0; i < excess; ++i) update.removed.push_back(oldest[i]->name);
  }
  return update;
}

}  // namespace vigil
