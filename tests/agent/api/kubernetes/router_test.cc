#include "agent/api/kubernetes/router.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::kube {
namespace {

KubeRoute MustRoute(std::string_view path, std::string_view method = "GET") {
  const std::optional<ApiResult<KubeRoute>> route = RouteRequest(method, path);
  EXPECT_TRUE(route.has_value()) << path;
  if (!route) return {};
  EXPECT_TRUE(route->ok()) << path << ": " << (route->ok() ? "" : route->error().message);
  return route->ok() ? **route : KubeRoute{};
}

ApiError ErrorOf(std::string_view path, std::string_view method = "GET") {
  const std::optional<ApiResult<KubeRoute>> route = RouteRequest(method, path);
  EXPECT_TRUE(route.has_value()) << path;
  if (!route) return {};
  EXPECT_FALSE(route->ok()) << path;
  return route->ok() ? ApiError{} : route->error();
}

ResourceRequest Request(Resource resource, std::string ns = "", std::string name = "",
                        bool watch = false) {
  return {resource, std::move(ns), std::move(name), watch};
}

TEST(RouterTest, Documents) {
  EXPECT_EQ(MustRoute("/version"), KubeRoute{Document::kVersion});
  EXPECT_EQ(MustRoute("/api"), KubeRoute{Document::kApi});
  EXPECT_EQ(MustRoute("/apis"), KubeRoute{Document::kApis});
  EXPECT_EQ(MustRoute("/api/v1"), KubeRoute{Document::kCoreV1});
  EXPECT_EQ(MustRoute("/apis/discovery.k8s.io"), KubeRoute{Document::kDiscoveryGroup});
  EXPECT_EQ(MustRoute("/apis/discovery.k8s.io/v1"), KubeRoute{Document::kDiscoveryV1});
  EXPECT_EQ(MustRoute("/version", "HEAD"), KubeRoute{Document::kVersion});
}

TEST(RouterTest, Resources) {
  const struct {
    const char* path;
    ResourceRequest request;
  } cases[] = {
      {"/api/v1/namespaces/default/endpoints", Request(Resource::kEndpoints, "default")},
      {"/api/v1/namespaces/default/endpoints/alpaca-prod",
       Request(Resource::kEndpoints, "default", "alpaca-prod")},
      {"/api/v1/namespaces/default/services", Request(Resource::kServices, "default")},
      {"/api/v1/namespaces/default/services/alpaca-prod",
       Request(Resource::kServices, "default", "alpaca-prod")},
      {"/api/v1/namespaces/default/events", Request(Resource::kEvents, "default")},
      {"/api/v1/namespaces/staging/events/alpaca-prod.18ed17a053884e01",
       Request(Resource::kEvents, "staging", "alpaca-prod.18ed17a053884e01")},
      {"/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
       Request(Resource::kEndpointSlices, "default")},
      {"/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/alpaca-prod-ipv4-8080",
       Request(Resource::kEndpointSlices, "default", "alpaca-prod-ipv4-8080")},
      // Every namespace (-A).
      {"/api/v1/endpoints", Request(Resource::kEndpoints)},
      {"/api/v1/services", Request(Resource::kServices)},
      {"/api/v1/events", Request(Resource::kEvents)},
      {"/apis/discovery.k8s.io/v1/endpointslices", Request(Resource::kEndpointSlices)},
      // Namespaces: any name routes; whether it exists is the store's business.
      {"/api/v1/namespaces", Request(Resource::kNamespaces)},
      {"/api/v1/namespaces/default", Request(Resource::kNamespaces, "", "default")},
      {"/api/v1/namespaces/other", Request(Resource::kNamespaces, "", "other")},
      {"/api/v1/namespaces/other/endpoints/x", Request(Resource::kEndpoints, "other", "x")},
      // The deprecated watch prefix.
      {"/api/v1/watch/namespaces/default/endpoints",
       Request(Resource::kEndpoints, "default", "", true)},
      {"/api/v1/watch/namespaces/default/endpoints/alpaca-prod",
       Request(Resource::kEndpoints, "default", "alpaca-prod", true)},
      {"/api/v1/watch/endpoints", Request(Resource::kEndpoints, "", "", true)},
      {"/api/v1/watch/namespaces", Request(Resource::kNamespaces, "", "", true)},
      {"/apis/discovery.k8s.io/v1/watch/namespaces/default/endpointslices",
       Request(Resource::kEndpointSlices, "default", "", true)},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(MustRoute(c.path), KubeRoute{c.request}) << c.path;
  }
}

TEST(RouterTest, UnknownResources) {
  for (const char* path :
       {"/api/v2", "/api/v1/pods", "/api/v1/namespaces/default/pods",
        // A namespaced kind without its namespace (KUBERNETES_API.md §1).
        "/api/v1/endpoints/alpaca-prod", "/api/v1/services/alpaca-prod",
        "/apis/discovery.k8s.io/v1/endpointslices/x",
        // Subresources, and more segments than any path has.
        "/api/v1/namespaces/default/endpoints/alpaca-prod/status",
        "/api/v1/namespaces/default/services/alpaca-prod/proxy/x",
        "/api/v1/namespaces/default/namespaces", "/api/v1/namespaces/default/namespaces/x",
        // Kinds of another group, groups not served.
        "/apis/discovery.k8s.io/v1/namespaces/default/endpoints",
        "/api/v1/namespaces/default/endpointslices", "/apis/discovery.k8s.io/v1beta1",
        "/apis/events.k8s.io/v1", "/apis/apps/v1/namespaces/default/deployments",
        "/apis/discovery.k8s.io/v1/namespaces",
        // Empty segments.
        "/api/", "/apis/", "/api/v1/", "/api//v1", "/api/v1/namespaces//endpoints",
        "/api/v1/namespaces/default/endpoints/", "/api/v1/watch", "/api/v1/watch/",
        "/api/v1/watch/watch/endpoints"}) {
    const ApiError e = ErrorOf(path);
    EXPECT_EQ(e.code, 404) << path;
    EXPECT_EQ(e.message, "the server could not find the requested resource") << path;
  }
}

TEST(RouterTest, WritesAreNotAllowed) {
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    for (const char* path :
         {"/api/v1/namespaces/default/endpoints/alpaca-prod",
          "/api/v1/namespaces/default/endpoints", "/api/v1/namespaces/x",
          "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/y", "/api", "/version"}) {
      const ApiError e = ErrorOf(path, method);
      EXPECT_EQ(e.code, 405) << method << " " << path;
      EXPECT_EQ(e.reason, "MethodNotAllowed");
    }
    // An unknown path is unknown whatever the method.
    EXPECT_EQ(ErrorOf("/api/v1/pods", method).code, 404);
  }
}

TEST(RouterTest, OtherPathsAreNotTheKubernetesViews) {
  for (const char* path : {"/", "/metrics", "/healthz", "/readyz", "/vigil/v1/endpoints", "/apiary",
                           "/apis-other", "/versions", "/version/", "/-/reload"}) {
    EXPECT_FALSE(RouteRequest("GET", path).has_value()) << path;
    EXPECT_FALSE(RouteRequest("POST", path).has_value()) << path;
  }
}

TEST(RouterTest, Offers) {
  EXPECT_EQ(OfferOf(MustRoute("/api")), Offer::kDiscoveryRoot);
  EXPECT_EQ(OfferOf(MustRoute("/apis")), Offer::kDiscoveryRoot);
  EXPECT_EQ(OfferOf(MustRoute("/version")), Offer::kDocument);
  EXPECT_EQ(OfferOf(MustRoute("/api/v1")), Offer::kDocument);
  EXPECT_EQ(OfferOf(MustRoute("/apis/discovery.k8s.io/v1")), Offer::kDocument);
  EXPECT_EQ(OfferOf(MustRoute("/api/v1/endpoints")), Offer::kObjects);
  EXPECT_EQ(OfferOf(MustRoute("/api/v1/namespaces/default")), Offer::kObjects);
}

}  // namespace
}  // namespace vigil::kube
