#include "agent/api/kubernetes/router.h"

#include <vector>

namespace vigil::kube {
namespace {

// The segments of `path` after its leading "/"; an empty segment (a double
// or trailing slash) is kept, and names nothing.
std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> segments;
  path.remove_prefix(1);
  size_t start = 0;
  while (true) {
    const size_t slash = path.find('/', start);
    segments.push_back(path.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return segments;
}

// A resource request from the segments after a group version, e.g.
// {"namespaces","default","endpoints","alpaca-prod"}; nullopt names nothing.
std::optional<ResourceRequest> ResourcePath(std::string_view group,
                                            std::vector<std::string_view> rest) {
  ResourceRequest request;
  if (!rest.empty() && rest.front() == "watch") {
    request.watch = true;
    rest.erase(rest.begin());
  }
  for (const std::string_view s : rest) {
    if (s.empty()) return std::nullopt;
  }
  if (rest.empty()) return std::nullopt;
  // Namespaces themselves: /api/v1/namespaces[/NAME].
  if (group.empty() && rest.front() == "namespaces" && rest.size() <= 2) {
    request.resource = Resource::kNamespaces;
    if (rest.size() == 2) request.name = std::string(rest[1]);
    return request;
  }
  const ResourceInfo* info = nullptr;
  if (rest.front() == "namespaces" && (rest.size() == 3 || rest.size() == 4)) {
    info = FindResource(group, rest[2]);
    if (info == nullptr || !info->namespaced) return std::nullopt;
    request.namespace_name = std::string(rest[1]);
    if (rest.size() == 4) request.name = std::string(rest[3]);
  } else if (rest.size() == 1) {
    // Every namespace: /api/v1/endpoints. A name here (/api/v1/endpoints/X)
    // would be a cluster-scoped get of a namespaced kind: not a path.
    info = FindResource(group, rest[0]);
    if (info == nullptr || !info->namespaced) return std::nullopt;
  } else {
    return std::nullopt;
  }
  request.resource = info->resource;
  return request;
}

std::optional<KubeRoute> Resolve(std::string_view path) {
  if (path == "/version") return KubeRoute{Document::kVersion};
  if (path == "/api") return KubeRoute{Document::kApi};
  if (path == "/apis") return KubeRoute{Document::kApis};
  std::vector<std::string_view> s = Segments(path);
  std::string_view group;
  if (s[0] == "api") {
    if (s.size() < 2 || s[1] != "v1") return std::nullopt;
    if (s.size() == 2) return KubeRoute{Document::kCoreV1};
    s.erase(s.begin(), s.begin() + 2);
  } else {  // "apis"
    if (s.size() < 2 || s[1] != "discovery.k8s.io") return std::nullopt;
    if (s.size() == 2) return KubeRoute{Document::kDiscoveryGroup};
    if (s[2] != "v1") return std::nullopt;
    if (s.size() == 3) return KubeRoute{Document::kDiscoveryV1};
    group = s[1];
    s.erase(s.begin(), s.begin() + 3);
  }
  std::optional<ResourceRequest> request = ResourcePath(group, std::move(s));
  if (!request) return std::nullopt;
  return KubeRoute{std::move(*request)};
}

}  // namespace

Offer OfferOf(const KubeRoute& route) {
  if (std::holds_alternative<ResourceRequest>(route.target)) return Offer::kObjects;
  const Document d = std::get<Document>(route.target);
  return d == Document::kApi || d == Document::kApis ? Offer::kDiscoveryRoot : Offer::kDocument;
}

std::optional<ApiResult<KubeRoute>> RouteRequest(std::string_view method, std::string_view path) {
  const bool ours = path == "/version" || path == "/api" || path == "/apis" ||
                    path.starts_with("/api/") || path.starts_with("/apis/");
  if (!ours) return std::nullopt;
  std::optional<KubeRoute> route = Resolve(path);
  if (!route) return ApiResult<KubeRoute>(ApiError::UnknownResource());
  if (method != "GET" && method != "HEAD")
    return ApiResult<KubeRoute>(ApiError::MethodNotAllowed());
  return ApiResult<KubeRoute>(std::move(*route));
}

}  // namespace vigil::kube
