// Prints what the Kubernetes view sends, one sample per line, for
// python_client_test.py to feed through the official Python client:
//   {"model":"V1Endpoints","json":{…}}             a document and its model
//   {"watch":"V1Endpoints","line":"{\"type\":…}"}  a watch event line
//   {"invalid":"V1EndpointSlice","json":{…}}       a document the client must refuse
#include <iostream>
#include <string>
#include <vector>

#include "agent/api/kubernetes/api_error.h"
#include "agent/api/kubernetes/discovery.h"
#include "agent/api/kubernetes/envelopes.h"
#include "agent/api/kubernetes/objects.h"
#include "common/version.h"
#include "tests/agent/api/kubernetes/fixtures.h"

namespace vigil::kube {
namespace {

using testing::AlpacaProd;
using testing::Endpoint;

void Model(const char* model, const KubeJson& json) {
  std::cout << KubeJson{{"model", model}, {"json", json}}.dump() << '\n';
}

void Watch(const char* model, const KubeJson& event) {
  std::cout << KubeJson{{"watch", model}, {"line", event.dump()}}.dump() << '\n';
}

void Samples() {
  const EndpointsObject alpaca = AlpacaProd();
  EndpointsObject bandicoot = AlpacaProd();
  bandicoot.name = "bandicoot-prod";
  bandicoot.labels = {};
  bandicoot.ports = {};
  bandicoot.endpoints = {Endpoint("fd00::7", true, "node-a"),
                         Endpoint("10.32.1.21", false, "node-b"),
                         Endpoint("10.32.1.22", true, "node-b", /*terminating=*/true),
                         Endpoint("10.32.1.23", true, "node-b", false, 9090)};
  EndpointsObject empty = AlpacaProd();
  empty.name = "empty";
  empty.endpoints = {};
  EndpointsObject not_ready = AlpacaProd();
  not_ready.name = "not-ready";
  not_ready.endpoints = {Endpoint("10.32.2.1", false, "node-a")};

  Model("V1Service", EncodeService(alpaca));
  Model("V1Service", EncodeService(bandicoot));
  Model("V1Service", EncodeService(empty));
  Model("V1ServiceList",
        EncodeList(Resource::kServices, {EncodeService(alpaca), EncodeService(bandicoot)}, 1100));
  for (const EndpointsObject* o :
       std::vector<const EndpointsObject*>{&alpaca, &bandicoot, &empty, &not_ready}) {
    Model("V1Endpoints", EncodeEndpoints(*o));
    for (const KubeJson& slice : EncodeEndpointSlices(*o)) Model("V1EndpointSlice", slice);
  }
  Model("V1EndpointsList",
        EncodeList(Resource::kEndpoints, {EncodeEndpoints(alpaca), EncodeEndpoints(empty)}, 1100));
  Model("V1EndpointsList", EncodeList(Resource::kEndpoints, {}, 1100));
  std::vector<KubeJson> slices = EncodeEndpointSlices(bandicoot);
  Model("V1EndpointSliceList", EncodeList(Resource::kEndpointSlices, slices, 1100));
  Model("V1EndpointSliceList", EncodeList(Resource::kEndpointSlices, {}, 1100));

  KubeEvent event = testing::UnhealthyEvent();
  Model("CoreV1Event", EncodeEvent(event));
  KubeEvent ready = event;
  ready.name = "alpaca-prod.18ed17a053884e02";
  ready.type = "Normal";
  ready.reason = "Ready";
  ready.message = "10.32.0.12:8080: Readiness probe succeeded";
  ready.count = 4;
  Model("CoreV1EventList",
        EncodeList(Resource::kEvents, {EncodeEvent(event), EncodeEvent(ready)}, 1100));

  const KubeNamespace ns{"default", testing::Created(), 3};
  Model("V1Namespace", EncodeNamespace(ns));
  Model(
      "V1NamespaceList",
      EncodeList(Resource::kNamespaces,
                 {EncodeNamespace(ns), EncodeNamespace({"staging", testing::Created(), 4})}, 1100));

  constexpr std::string_view accepted[] = {"application/json"};
  for (const ApiError& e :
       {ApiError::NotFound(Info(Resource::kEndpoints), "nope"),
        ApiError::NotFound(Info(Resource::kEndpointSlices), "nope"), ApiError::UnknownResource(),
        ApiError::MethodNotAllowed(), ApiError::BadRequest("bad"),
        ApiError::NotAcceptable(accepted), ApiError::Expired(1, 1000)}) {
    Model("V1Status", StatusJson(e));
  }

  Model("VersionInfo", VersionJson(kVersion, BuildPlatform()));
  Model("V1APIVersions", ApiVersionsJson("127.0.0.1:9476"));
  Model("V1APIGroupList", ApiGroupListJson());
  Model("V1APIGroup", DiscoveryGroupJson());
  Model("V1APIResourceList", ResourceListJson("v1"));
  Model("V1APIResourceList", ResourceListJson("discovery.k8s.io/v1"));

  Watch("V1Endpoints", EncodeWatchEvent(WatchEventType::kAdded, EncodeEndpoints(alpaca)));
  Watch("V1Endpoints", EncodeWatchEvent(WatchEventType::kModified, EncodeEndpoints(not_ready)));
  KubeJson deleted = EncodeEndpoints(empty);
  SetResourceVersion(deleted, 1200);
  Watch("V1Endpoints", EncodeWatchEvent(WatchEventType::kDeleted, deleted));
  Watch("V1EndpointSlice",
        EncodeWatchEvent(WatchEventType::kAdded, EncodeEndpointSlices(alpaca).at(0)));
  Watch("CoreV1Event", EncodeWatchEvent(WatchEventType::kAdded, EncodeEvent(event)));
  Watch("V1Endpoints", EncodeBookmark(Resource::kEndpoints, 1300));
  Watch("V1Endpoints", EncodeWatchError(ApiError::Expired(1, 1000)));

  // A control: the client's validation is on, and refuses a null array.
  KubeJson null_endpoints = EncodeEndpointSlices(alpaca).at(0);
  null_endpoints["endpoints"] = nullptr;
  std::cout << KubeJson{{"invalid", "V1EndpointSlice"}, {"json", null_endpoints}}.dump() << '\n';
  KubeJson null_items = EncodeList(Resource::kEndpoints, {}, 1);
  null_items["items"] = nullptr;
  std::cout << KubeJson{{"invalid", "V1EndpointsList"}, {"json", null_items}}.dump() << '\n';
}

}  // namespace
}  // namespace vigil::kube

int main() {
  vigil::kube::Samples();
  return 0;
}
