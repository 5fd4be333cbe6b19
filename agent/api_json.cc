#include "agent/api_json.h"

#include <ctime>

namespace vigil {
namespace {

nlohmann::json LabelsJson(const std::map<std::string, std::string>& labels) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : labels) out[k] = v;
  return out;
}

}  // namespace

nlohmann::json PortsJson(const std::vector<ServicePort>& ports) {
  nlohmann::json out = nlohmann::json::array();
  for (const ServicePort& p : ports) {
    nlohmann::json port = {{"port", p.port}, {"protocol", "TCP"}};
    if (!p.name.empty()) port["name"] = p.name;
    out.push_back(std::move(port));
  }
  return out;
}

std::string FormatTime(WallTime time) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

nlohmann::json ServiceJson(const EndpointsObject& object) {
  const size_t ready = object.CountReady();
  return {
      {"name", object.name},
      {"labels", LabelsJson(object.labels)},
      {"ports", PortsJson(object.ports)},
      {"creationTimestamp", FormatTime(object.creation_time)},
      {"ready", ready},
      {"notReady", object.endpoints.size() - ready},
  };
}

nlohmann::json EndpointJson(const EndpointStatus& e, const std::optional<ProbeDetails>& probe) {
  return {
      {"address", e.address},
      {"port", e.port},
      {"node", e.node},
      {"conditions",
       {{"ready", e.conditions.ready},
        {"serving", e.conditions.serving},
        {"terminating", e.conditions.terminating}}},
      {"lastTransitionTime", FormatTime(e.last_transition_time)},
      {"lastProbeTime", probe ? nlohmann::json(FormatTime(probe->time)) : nlohmann::json()},
      {"lastResult", probe ? nlohmann::json(OutcomeName(probe->result)) : nlohmann::json()},
      {"message", probe ? probe->message : ""},
  };
}

nlohmann::json EndpointsJson(const EndpointsObject& object, const ProbeDetailsSource& details) {
  nlohmann::json endpoints = nlohmann::json::array();
  for (const EndpointStatus& e : object.endpoints) {
    endpoints.push_back(EndpointJson(e, details.Probe(object.name, e)));
  }
  return {
      {"kind", "Endpoints"},
      {"name", object.name},
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

std::string ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 404:
      return "not found";
    case 405:
      return "method not allowed";
    case 413:
      return "request body too large";
    case 414:
      return "URI too long";
    case 429:
      return "too many requests";
    case 503:
      return "service unavailable";
    default:
      return "request failed with status " + std::to_string(status);
  }
}

nlohmann::json StatusJson(int code, const std::string& message) {
  return {{"kind", "Status"}, {"code", code}, {"message", message}};
}

}  // namespace vigil
