// The paths of the Kubernetes view (KUBERNETES_API.md §3): a pure function
// from a request's method and path to what it asks for — a discovery
// document, or a request of a resource (a list, a get or a watch, in one
// namespace or all) — or to the Status error the apiserver would answer.
// Whether the namespace or the object exists is the store's business, not
// the router's.
//
// Pure functions; safe from any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "agent/api/kubernetes/api_error.h"
#include "agent/api/kubernetes/media_type.h"
#include "agent/api/kubernetes/resources.h"

namespace vigil::kube {

enum class Document {
  kVersion,         // /version
  kApi,             // /api
  kApis,            // /apis
  kCoreV1,          // /api/v1
  kDiscoveryGroup,  // /apis/discovery.k8s.io
  kDiscoveryV1,     // /apis/discovery.k8s.io/v1
};

struct ResourceRequest {
  Resource resource = Resource::kEndpoints;
  // The namespace of the path; "" for every namespace (/api/v1/endpoints)
  // and for Namespaces themselves.
  std::string namespace_name;
  // The object's name; "" for the collection.
  std::string name;
  // The deprecated watch prefix (/api/v1/watch/…): a watch whatever the
  // query says.
  bool watch = false;

  bool operator==(const ResourceRequest&) const = default;
};

struct KubeRoute {
  std::variant<Document, ResourceRequest> target;

  bool operator==(const KubeRoute&) const = default;
};

// What `route` may answer with besides JSON (see media_type.h).
Offer OfferOf(const KubeRoute& route);

// The route of `method` and `path` (decoded, without the query), or nullopt
// when the path is not the Kubernetes view's (it owns /version, /api and
// /apis, and everything under the last two). Errors:
//   404 "the server could not find the requested resource": a path under
//       /api or /apis that names nothing served (an unknown group, version
//       or resource, a subresource, /api/v1/endpoints/NAME — a namespaced
//       kind without its namespace);
//   405 MethodNotAllowed: any method but GET and HEAD on a path served.
std::optional<ApiResult<KubeRoute>> RouteRequest(std::string_view method, std::string_view path);

}  // namespace vigil::kube
