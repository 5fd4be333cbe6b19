#include "agent/api/kubernetes/envelopes.h"

#include <gtest/gtest.h>

#include <vector>

#include "agent/api/kubernetes/api_error.h"
#include "agent/api/kubernetes/objects.h"
#include "tests/agent/api/kubernetes/fixtures.h"

namespace vigil::kube {
namespace {

using testing::AlpacaProd;
using testing::Golden;

TEST(EnvelopesTest, ListGolden) {
  EXPECT_EQ(EncodeList(Resource::kEndpoints, {}, 1010).dump(),
            Golden(R"({"kind":"EndpointsList","apiVersion":"v1",
                       "metadata":{"resourceVersion":"1010"},"items":[]})"));
  EXPECT_EQ(EncodeList(Resource::kEndpointSlices, {}, 3).dump(),
            Golden(R"({"kind":"EndpointSliceList","apiVersion":"discovery.k8s.io/v1",
                       "metadata":{"resourceVersion":"3"},"items":[]})"));
  const struct {
    Resource resource;
    const char* kind;
  } kinds[] = {{Resource::kServices, "ServiceList"},
               {Resource::kEvents, "EventList"},
               {Resource::kNamespaces, "NamespaceList"}};
  for (const auto& k : kinds) {
    const KubeJson list = EncodeList(k.resource, {}, 1);
    EXPECT_EQ(list["kind"], k.kind);
    EXPECT_EQ(list["apiVersion"], "v1");
    EXPECT_TRUE(list["items"].is_array());  // never null
  }
}

TEST(EnvelopesTest, ListItemsSortedByNamespaceThenName) {
  EndpointsObject a = AlpacaProd();
  EndpointsObject b = AlpacaProd();
  b.name = "bandicoot-prod";
  EndpointsObject c = AlpacaProd();
  c.name = "aardvark";
  c.namespace_name = "staging";
  const KubeJson list = EncodeList(
      Resource::kEndpoints, {EncodeEndpoints(c), EncodeEndpoints(b), EncodeEndpoints(a)}, 1100);
  ASSERT_EQ(list["items"].size(), 3u);
  EXPECT_EQ(list["items"][0]["metadata"]["name"], "alpaca-prod");
  EXPECT_EQ(list["items"][1]["metadata"]["name"], "bandicoot-prod");
  EXPECT_EQ(list["items"][2]["metadata"]["name"], "aardvark");
  EXPECT_EQ(list["items"][0], EncodeEndpoints(a));  // the items whole
  // Namespaces have no namespace: by name.
  const KubeJson namespaces = EncodeList(Resource::kNamespaces,
                                         {EncodeNamespace({"staging", testing::Created(), 1}),
                                          EncodeNamespace({"default", testing::Created(), 1})},
                                         5);
  EXPECT_EQ(namespaces["items"][0]["metadata"]["name"], "default");
}

TEST(EnvelopesTest, WatchEventsGolden) {
  const KubeJson endpoints = EncodeEndpoints(AlpacaProd());
  EXPECT_EQ(EncodeWatchEvent(WatchEventType::kAdded, endpoints).dump(),
            R"({"type":"ADDED","object":)" + endpoints.dump() + "}");
  EXPECT_EQ(EncodeWatchEvent(WatchEventType::kModified, endpoints)["type"], "MODIFIED");
  EXPECT_EQ(EncodeWatchEvent(WatchEventType::kDeleted, endpoints)["type"], "DELETED");
  EXPECT_EQ(EncodeBookmark(Resource::kEndpoints, 1010).dump(),
            Golden(R"({"type":"BOOKMARK","object":{"kind":"Endpoints","apiVersion":"v1",
                       "metadata":{"resourceVersion":"1010"}}})"));
  EXPECT_EQ(EncodeBookmark(Resource::kEndpointSlices, 7).dump(),
            Golden(R"({"type":"BOOKMARK","object":{"kind":"EndpointSlice",
                       "apiVersion":"discovery.k8s.io/v1","metadata":{"resourceVersion":"7"}}})"));
  EXPECT_EQ(EncodeWatchError(ApiError::Expired(1, 1000)).dump(),
            Golden(R"j({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},
                       "status":"Failure","message":"too old resource version: 1 (1000)",
                       "reason":"Expired","code":410}})j"));
  EXPECT_EQ(WatchEventTypeName(WatchEventType::kBookmark), "BOOKMARK");
  EXPECT_EQ(WatchEventTypeName(WatchEventType::kError), "ERROR");
}

// A DELETED event carries the last state at the deletion's version.
TEST(EnvelopesTest, DeletedAtItsVersion) {
  KubeJson last = EncodeEndpoints(AlpacaProd());
  SetResourceVersion(last, 1200);
  const KubeJson event = EncodeWatchEvent(WatchEventType::kDeleted, last);
  EXPECT_EQ(event["object"]["metadata"]["resourceVersion"], "1200");
  EXPECT_EQ(event["object"]["subsets"], EncodeEndpoints(AlpacaProd())["subsets"]);
}

TEST(StatusTest, Golden) {
  EXPECT_EQ(StatusJson(ApiError::NotFound(Info(Resource::kEndpoints), "nope")).dump(),
            Golden(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
 "message":"endpoints \"nope\" not found","reason":"NotFound",
 "details":{"name":"nope","kind":"endpoints"},"code":404})"));
  EXPECT_EQ(StatusJson(ApiError::NotFound(Info(Resource::kNamespaces), "other")).dump(),
            Golden(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
 "message":"namespaces \"other\" not found","reason":"NotFound",
 "details":{"name":"other","kind":"namespaces"},"code":404})"));
  // A resource of another group is named with it, as the apiserver does.
  EXPECT_EQ(StatusJson(ApiError::NotFound(Info(Resource::kEndpointSlices), "x")).dump(),
            Golden(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
 "message":"endpointslices.discovery.k8s.io \"x\" not found","reason":"NotFound",
 "details":{"name":"x","group":"discovery.k8s.io","kind":"endpointslices"},"code":404})"));
  EXPECT_EQ(StatusJson(ApiError::UnknownResource()).dump(),
            Golden(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
 "message":"the server could not find the requested resource","reason":"NotFound",
 "details":{},"code":404})"));
  EXPECT_EQ(StatusJson(ApiError::MethodNotAllowed()).dump(),
            Golden(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
 "message":"the server does not allow this method on the requested resource",
 "reason":"MethodNotAllowed","code":405})"));
  EXPECT_EQ(StatusJson(ApiError::BadRequest("what was wrong")).dump(),
            Golden(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
 "message":"what was wrong","reason":"BadRequest","code":400})"));
  constexpr std::string_view accepted[] = {"application/json", "application/yaml"};
  EXPECT_EQ(StatusJson(ApiError::NotAcceptable(accepted)).dump(),
            Golden(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
 "message":"only the following media types are accepted: application/json, application/yaml",
 "reason":"NotAcceptable","code":406})"));
}

TEST(StatusTest, ResultHoldsAValueOrAnError) {
  const ApiResult<int> value = 7;
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 7);
  const ApiResult<int> error = ApiError::BadRequest("no");
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error().code, 400);
  EXPECT_EQ(error.error().reason, "BadRequest");
}

}  // namespace
}  // namespace vigil::kube
