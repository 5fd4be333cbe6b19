// The resource names the CLI accepts, with kubectl's aliases, the query
// strings it builds for the API, and the API's messages as the CLI words them.
#pragma once

#include <optional>
#include <string>

namespace vigil {

enum class Resource { kEndpoints, kServices };

// "endpoints", "endpoint", "ep" / "services", "service", "svc".
std::optional<Resource> ParseResource(const std::string& name);

// Percent-encodes `text` for a URL query value.
std::string QueryEscape(const std::string& text);

// An API error message as the CLI shows it: the API's hint for a name used
// in several namespaces ("add ?namespace=NS") becomes the flag's.
std::string CliMessage(std::string message);

}  // namespace vigil
