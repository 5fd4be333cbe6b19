// The resource names the CLI accepts, with kubectl's aliases, and the query
// strings it builds for the API.
#pragma once

#include <optional>
#include <string>

namespace vigil {

enum class Resource { kEndpoints, kServices };

// "endpoints", "endpoint", "ep" / "services", "service", "svc".
std::optional<Resource> ParseResource(const std::string& name);

// Percent-encodes `text` for a URL query value.
std::string QueryEscape(const std::string& text);

}  // namespace vigil
