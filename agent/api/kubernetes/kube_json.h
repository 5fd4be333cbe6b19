// The JSON type of the Kubernetes view. Objects keep their keys in the order
// they are written, which is the order of the fields in the apiserver's Go
// structs (kind, apiVersion, metadata, spec, ...): vigil's answers read like
// the apiserver's, byte for byte where the content is the same, and golden
// tests can compare them as text.
#pragma once

#include <nlohmann/json.hpp>

namespace vigil::kube {

using KubeJson = nlohmann::ordered_json;

}  // namespace vigil::kube
