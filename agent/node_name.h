// The node name an agent uses when neither --node nor the config sets one.
#pragma once

#include <string>

#include "common/status.h"

namespace vigil {

// The host name, lowercased as Kubernetes does for node names; an error when
// it cannot be read or is no DNS-1123 subdomain (the message says to set
// --node).
Result<std::string> HostNodeName();

}  // namespace vigil
