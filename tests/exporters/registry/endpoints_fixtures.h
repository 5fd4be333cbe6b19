// Endpoints objects for tests of the board and the API.
#pragma once

#include <string>
#include <vector>

#include "exporters/registry/endpoints.h"

namespace vigil::testing {

// A service "name" labelled app=name with one port (http, 8080) and one
// endpoint 10.0.0.i:8080 on node-a per entry of `ready`, ready as given.
inline EndpointsObject MakeEndpoints(const std::string& name, const std::vector<bool>& ready) {
  EndpointsObject object;
  object.name = name;
  object.labels = {{"app", name}};
  object.ports = {{"http", 8080}};
  for (size_t i = 0; i < ready.size(); ++i) {
    EndpointStatus e;
    e.address = "10.0.0." + std::to_string(i + 1);
    e.port = 8080;
    e.node = "node-a";
    e.conditions = {ready[i], ready[i], false};
    object.endpoints.push_back(e);
  }
  return object;
}

}  // namespace vigil::testing
