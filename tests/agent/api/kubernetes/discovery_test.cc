#include "agent/api/kubernetes/discovery.h"

#include <gtest/gtest.h>

#include "agent/api/kubernetes/resources.h"
#include "common/version.h"
#include "tests/agent/api/kubernetes/fixtures.h"

namespace vigil::kube {
namespace {

using testing::Golden;

TEST(DiscoveryTest, Version) {
  EXPECT_EQ(VersionJson("0.1.0", "linux/amd64").dump(),
            Golden(R"({"major":"1","minor":"32","gitVersion":"v1.32.0-vigil.0.1.0",
                       "gitCommit":"","gitTreeState":"","buildDate":"","goVersion":"n/a",
                       "compiler":"gcc","platform":"linux/amd64"})"));
  EXPECT_EQ(VersionJson(kVersion, BuildPlatform())["gitVersion"],
            std::string("v1.32.0-vigil.") + kVersion);
  EXPECT_TRUE(BuildPlatform().starts_with("linux/"));
}

TEST(DiscoveryTest, PlainDocuments) {
  EXPECT_EQ(ApiVersionsJson("127.0.0.1:9476").dump(),
            Golden(R"({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":
                       [{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:9476"}]})"));
  EXPECT_EQ(ApiGroupListJson().dump(),
            Golden(R"({"kind":"APIGroupList","apiVersion":"v1","groups":[{"name":"discovery.k8s.io",
            "versions":[{"groupVersion":"discovery.k8s.io/v1","version":"v1"}],
            "preferredVersion":{"groupVersion":"discovery.k8s.io/v1","version":"v1"}}]})"));
  EXPECT_EQ(DiscoveryGroupJson().dump(),
            Golden(R"({"kind":"APIGroup","apiVersion":"v1","name":"discovery.k8s.io",
            "versions":[{"groupVersion":"discovery.k8s.io/v1","version":"v1"}],
            "preferredVersion":{"groupVersion":"discovery.k8s.io/v1","version":"v1"}})"));
  EXPECT_EQ(ResourceListJson("v1").dump(),
            Golden(R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"v1","resources":[
  {"name":"endpoints","singularName":"endpoints","namespaced":true,"kind":"Endpoints","verbs":["get","list","watch"],"shortNames":["ep"]},
  {"name":"events","singularName":"event","namespaced":true,"kind":"Event","verbs":["get","list","watch"],"shortNames":["ev"]},
  {"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["get","list","watch"],"shortNames":["ns"]},
  {"name":"services","singularName":"service","namespaced":true,"kind":"Service","verbs":["get","list","watch"],"shortNames":["svc"]}]})"));
  EXPECT_EQ(
      ResourceListJson("discovery.k8s.io/v1").dump(),
      Golden(
          R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"discovery.k8s.io/v1","resources":[
  {"name":"endpointslices","singularName":"endpointslice","namespaced":true,"kind":"EndpointSlice","verbs":["get","list","watch"]}]})"));
}

TEST(DiscoveryTest, AggregatedDocuments) {
  EXPECT_EQ(
      AggregatedDiscoveryJson(true).dump(),
      Golden(
          R"({"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","metadata":{},"items":[
  {"metadata":{"creationTimestamp":null},"versions":[{"version":"v1","resources":[
    {"resource":"endpoints","responseKind":{"group":"","version":"v1","kind":"Endpoints"},"scope":"Namespaced",
     "singularResource":"endpoints","verbs":["get","list","watch"],"shortNames":["ep"]},
    {"resource":"events","responseKind":{"group":"","version":"v1","kind":"Event"},"scope":"Namespaced",
     "singularResource":"event","verbs":["get","list","watch"],"shortNames":["ev"]},
    {"resource":"namespaces","responseKind":{"group":"","version":"v1","kind":"Namespace"},"scope":"Cluster",
     "singularResource":"namespace","verbs":["get","list","watch"],"shortNames":["ns"]},
    {"resource":"services","responseKind":{"group":"","version":"v1","kind":"Service"},"scope":"Namespaced",
     "singularResource":"service","verbs":["get","list","watch"],"shortNames":["svc"]}],
    "freshness":"Current"}]}]})"));
  EXPECT_EQ(
      AggregatedDiscoveryJson(false).dump(),
      Golden(
          R"({"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","metadata":{},"items":[
  {"metadata":{"name":"discovery.k8s.io","creationTimestamp":null},"versions":[{"version":"v1","resources":[
    {"resource":"endpointslices","responseKind":{"group":"discovery.k8s.io","version":"v1","kind":"EndpointSlice"},
     "scope":"Namespaced","singularResource":"endpointslice","verbs":["get","list","watch"]}],
    "freshness":"Current"}]}]})"));
}

// No write verb anywhere: kubectl then refuses to write before it asks.
TEST(DiscoveryTest, OnlyReadVerbs) {
  for (const char* gv : {"v1", "discovery.k8s.io/v1"}) {
    const KubeJson list = ResourceListJson(gv);
    for (const KubeJson& r : list["resources"]) {
      EXPECT_EQ(r["verbs"].dump(), R"(["get","list","watch"])") << r["name"];
    }
  }
}

TEST(DiscoveryTest, ResourcesTable) {
  EXPECT_EQ(FindResource("", "endpoints"), &Info(Resource::kEndpoints));
  EXPECT_EQ(FindResource("discovery.k8s.io", "endpointslices"), &Info(Resource::kEndpointSlices));
  EXPECT_EQ(FindResource("", "endpointslices"), nullptr);
  EXPECT_EQ(FindResource("discovery.k8s.io", "endpoints"), nullptr);
  EXPECT_EQ(FindResource("", "pods"), nullptr);
  EXPECT_EQ(QualifiedName(Info(Resource::kServices)), "services");
  EXPECT_EQ(QualifiedName(Info(Resource::kEndpointSlices)), "endpointslices.discovery.k8s.io");
  EXPECT_EQ(AllResources().size(), 5u);
}

}  // namespace
}  // namespace vigil::kube
