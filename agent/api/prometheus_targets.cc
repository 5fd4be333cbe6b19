#include "agent/api/prometheus_targets.h"

#include <map>
#include <tuple>
#include <vector>

namespace vigil {
namespace {

// The name of the service port `port` is, or "".
std::string PortName(const EndpointsObject& service, int port) {
  for (const ServicePort& p : service.ports) {
    if (p.port == port) return p.name;
  }
  return "";
}

}  // namespace

std::string SanitizeLabelName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    // One "_" per character, as Prometheus replaces runes: a UTF-8
    // continuation byte belongs to the character already replaced.
    if ((static_cast<unsigned char>(c) & 0xc0) == 0x80) continue;
    const bool keep =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out.push_back(keep ? c : '_');
  }
  return out;
}

nlohmann::json PrometheusTargets(const BoardSnapshot& snapshot,
                                 const PrometheusTargetsQuery& query) {
  nlohmann::json groups = nlohmann::json::array();
  for (const auto& service : snapshot.services) {
    if (!query.selector.Matches(service->labels)) continue;
    nlohmann::json service_labels = nlohmann::json::object();
    for (const auto& [name, value] : service->labels) {
      const std::string key = "__meta_vigil_service_label_" + SanitizeLabelName(name);
      if (!service_labels.contains(key)) service_labels[key] = value;
    }
    // (port name, node, ready) → targets, in the order endpoints come.
    using GroupKey = std::tuple<std::string, std::string, bool>;
    std::map<GroupKey, std::vector<std::string>> by_group;
    for (const EndpointStatus& e : service->endpoints) {
      const bool ready = e.conditions.ready;
      if (query.ready_only && !ready) continue;
      by_group[{PortName(*service, e.port), e.node, ready}].push_back(e.Key());
    }
    for (auto& [key, targets] : by_group) {
      const auto& [port_name, node, ready] = key;
      nlohmann::json labels = service_labels;
      labels["__meta_vigil_namespace"] = service->namespace_name;
      labels["__meta_vigil_service"] = service->name;
      labels["__meta_vigil_node"] = node;
      labels["__meta_vigil_port_name"] = port_name;
      labels["__meta_vigil_endpoint_ready"] = ready ? "true" : "false";
      groups.push_back({{"targets", std::move(targets)}, {"labels", std::move(labels)}});
    }
  }
  return groups;
}

}  // namespace vigil
