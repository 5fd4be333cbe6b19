// Endpoints objects for tests of the board and the API.
#pragma once

#include <chrono>
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

// A service "name" of `count` ready endpoints 10.1.x.y:8080, each on a node
// named as a cloud names them ("ip-10-1-x-y.eu-west-1.compute.internal").
inline EndpointsObject MakeLargeEndpoints(const std::string& name, size_t count) {
  EndpointsObject object;
  object.name = name;
  object.labels = {{"app", name}};
  object.ports = {{"http", 8080}};
  for (size_t i = 0; i < count; ++i) {
    EndpointStatus e;
    e.address = "10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    e.port = 8080;
    e.node = "ip-10-1-" + std::to_string(i / 256) + "-" + std::to_string(i % 256) +
             ".eu-west-1.compute.internal";
    e.conditions = {true, true, false};
    object.endpoints.push_back(e);
  }
  return object;
}

// Turns endpoint i of `object` ready or not ready, a second after its last
// transition: one flap.
inline void Flip(EndpointsObject& object, size_t i) {
  EndpointStatus& e = object.endpoints[i];
  e.conditions.ready = e.conditions.serving = !e.conditions.ready;
  e.last_transition_time += std::chrono::seconds(1);
}

}  // namespace vigil::testing
