// The JSON of the HTTP API: the objects of DESIGN.md's API table, built from
// the StatusBoard's objects. Pure functions of their arguments.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/time_format.h"
#include "exporters/registry/endpoint_json.h"
#include "exporters/registry/endpoints.h"
#include "exporters/registry/status_board.h"

namespace vigil {

// One item of a ServiceList: name, namespace, labels, ports, ready and
// notReady counts.
nlohmann::json ServiceJson(const EndpointsObject& object);

// An Endpoints object, with each endpoint's latest probe details from `details`.
nlohmann::json EndpointsJson(const EndpointsObject& object, const ProbeDetailsSource& details);

// {"time","endpoint","node","ready","reason"}
nlohmann::json TransitionJson(const Transition& transition);

// {"kind":"Status","code":N,"message":"…"}
nlohmann::json StatusJson(int code, const std::string& message);

}  // namespace vigil
