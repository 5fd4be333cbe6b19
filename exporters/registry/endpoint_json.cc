#include "exporters/registry/endpoint_json.h"

#include "common/time_format.h"

namespace vigil {

nlohmann::json LabelsJson(const std::map<std::string, std::string>& labels) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [k, v] : labels) out[k] = v;
  return out;
}

nlohmann::json PortsJson(const std::vector<ServicePort>& ports) {
  nlohmann::json out = nlohmann::json::array();
  for (const ServicePort& p : ports) {
    nlohmann::json port = {{"port", p.port}, {"protocol", "TCP"}};
    if (!p.name.empty()) port["name"] = p.name;
    out.push_back(std::move(port));
  }
  return out;
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
      {"lastReason", probe && probe->reason != ProbeReason::kNone
                         ? nlohmann::json(ReasonName(probe->reason))
                         : nlohmann::json()},
      {"lastProbeDurationSeconds",
       probe ? nlohmann::json(std::chrono::duration<double>(probe->duration).count())
             : nlohmann::json()},
      {"message", probe ? probe->message : ""},
  };
}

}  // namespace vigil
