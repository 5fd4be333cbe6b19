// The JSON of the HTTP API: the objects of DESIGN.md's API table, built from
// the StatusBoard's objects. Pure functions of their arguments.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "agent/endpoints.h"
#include "agent/status_board.h"

namespace vigil {

// RFC 3339 in UTC with second precision, as Kubernetes prints times.
std::string FormatTime(WallTime time);

// One item of a ServiceList: name, labels, ports, ready and notReady counts.
nlohmann::json ServiceJson(const EndpointsObject& object);

// One endpoint of an Endpoints object, with its latest probe details when
// there are any.
nlohmann::json EndpointJson(const EndpointStatus& endpoint,
                            const std::optional<ProbeDetails>& probe);

// An Endpoints object, with each endpoint's latest probe details from `details`.
nlohmann::json EndpointsJson(const EndpointsObject& object, const ProbeDetailsSource& details);

// The ports of a service as in the API: [{"name","port","protocol"}].
nlohmann::json PortsJson(const std::vector<ServicePort>& ports);

// {"time","endpoint","node","ready","reason"}
nlohmann::json TransitionJson(const Transition& transition);

// A short lowercase description of an HTTP error status ("not found").
std::string ReasonPhrase(int status);

// {"kind":"Status","code":N,"message":"…"}
nlohmann::json StatusJson(int code, const std::string& message);

}  // namespace vigil
