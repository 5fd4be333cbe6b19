// The JSON of one endpoint, of a service's ports and of its labels: one form
// shared by vigil's native API (agent/api) and the etcd records, so that an
// endpoint reads the same wherever it is found. Pure functions.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "exporters/registry/endpoints.h"

namespace vigil {

// {"k":"v",…}, an object even when empty.
nlohmann::json LabelsJson(const std::map<std::string, std::string>& labels);

// The ports of a service: [{"name","port","protocol"}] ("name" only when set).
nlohmann::json PortsJson(const std::vector<ServicePort>& ports);

// One endpoint of an Endpoints object, with its latest probe details when
// there are any.
nlohmann::json EndpointJson(const EndpointStatus& endpoint,
                            const std::optional<ProbeDetails>& probe);

}  // namespace vigil
