// The discovery documents of the Kubernetes view (KUBERNETES_API.md §11):
// /version, the plain documents client-go reads (/api, /apis, /api/v1,
// /apis/discovery.k8s.io, /apis/discovery.k8s.io/v1) and the aggregated
// ones (apidiscovery.k8s.io/v2) that kubectl 1.30+ asks of /api and /apis.
// Each resource is listed with only the verbs served (get, list, watch) and
// its short names, from the table of resources.h.
//
// Pure functions; safe from any thread.
#pragma once

#include <string_view>

#include "agent/api/kubernetes/kube_json.h"

namespace vigil::kube {

// The Kubernetes minor version vigil claims: kubectl's dispatcher picks its
// kubectl.1.<minor> from it, and kubectl warns of skew without a 1.x.
inline constexpr int kClaimedMinor = 32;

// {"major":"1","minor":"32","gitVersion":"v1.32.0-vigil.<vigil_version>",…}.
// `platform` is "linux/amd64" or the like.
KubeJson VersionJson(std::string_view vigil_version, std::string_view platform);

// The platform vigil was built for, as Go names it: "linux/amd64".
std::string_view BuildPlatform();

// GET /api: {"kind":"APIVersions","versions":["v1"],
// "serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":…}]}.
// `server_address` is "host:port" as the client reached the server.
KubeJson ApiVersionsJson(std::string_view server_address);

// GET /apis: the APIGroupList with discovery.k8s.io.
KubeJson ApiGroupListJson();

// GET /apis/discovery.k8s.io: the APIGroup.
KubeJson DiscoveryGroupJson();

// GET /api/v1 ("v1") or /apis/discovery.k8s.io/v1 ("discovery.k8s.io/v1"):
// the APIResourceList of that group version.
KubeJson ResourceListJson(std::string_view group_version);

// GET /api (`core` true) or /apis with the aggregated Accept: the
// APIGroupDiscoveryList of the core group, or of the other groups.
KubeJson AggregatedDiscoveryJson(bool core);

}  // namespace vigil::kube
