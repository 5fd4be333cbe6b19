// Prometheus HTTP service discovery (DESIGN.md, "Prometheus HTTP service
// discovery"): the board's endpoints as the target groups http_sd_configs
// reads, `[{"targets":["ip:port",…],"labels":{…}},…]`, one group per
// (service, port, node, readiness) in that order. Each group's labels:
//
//   __meta_vigil_namespace, __meta_vigil_service, __meta_vigil_node,
//   __meta_vigil_port_name (the name of the service port the endpoint's port
//   is; empty when none is named so), __meta_vigil_endpoint_ready
//   ("true"/"false"; a terminating endpoint is not ready), and
//   __meta_vigil_service_label_<name> for each service label, the name
//   sanitized as Prometheus does (every character but [a-zA-Z0-9_]
//   becomes one "_"; of labels that then collide, the first by name wins).
//
// Pure functions of their arguments.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "exporters/registry/label_selector.h"
#include "exporters/registry/status_board.h"

namespace vigil {

struct PrometheusTargetsQuery {
  LabelSelector selector;   // of the service's labels
  bool ready_only = false;  // leave out endpoints that are not ready
};

nlohmann::json PrometheusTargets(const BoardSnapshot& snapshot,
                                 const PrometheusTargetsQuery& query);

// "app.kubernetes.io/name" → "app_kubernetes_io_name".
std::string SanitizeLabelName(std::string_view name);

}  // namespace vigil
