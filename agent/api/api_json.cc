#include "agent/api/api_json.h"

namespace vigil {

nlohmann::json ServiceJson(const EndpointsObject& object) {
  const size_t ready = object.CountReady();
  return {
      {"name", object.name},
      {"namespace", object.namespace_name},
      {"labels", LabelsJson(object.labels)},
      {"ports", PortsJson(object.ports)},
      {"creationTimestamp", FormatTime(object.creation_time)},
      {"ready", ready},
      {"notReady", object.endpoints.size() - ready},
  };
}

nlohmann::json EndpointsJson(const EndpointsObject& object, const ProbeDetailsSource& details) {
  nlohmann::json endpoints = nlohmann::json::array();
  for (const EndpointStatus& e : object.endpoints) {
    endpoints.push_back(EndpointJson(e, details.Probe(object.Id(), e)));
  }
  return {
      {"kind", "Endpoints"},
      {"name", object.name},
      {"namespace", object.namespace_name},
      {"labels", LabelsJson(object.labels)},
      {"resourceVersion", std::to_string(object.resource_version)},
      {"creationTimestamp", FormatTime(object.creation_time)},
      {"ports", PortsJson(object.ports)},
      {"endpoints", std::move(endpoints)},
  };
}

nlohmann::json TransitionJson(const Transition& transition) {
  return {{"time", FormatTime(transition.time)},
          {"endpoint", transition.endpoint},
          {"node", transition.node},
          {"ready", transition.ready},
          {"reason", transition.reason}};
}

nlohmann::json StatusJson(int code, const std::string& message) {
  return {{"kind", "Status"}, {"code", code}, {"message", message}};
}

}  // namespace vigil
