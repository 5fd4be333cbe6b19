#include "agent/api/kubernetes/objects.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "agent/api/kubernetes/object_uid.h"
#include "tests/agent/api/kubernetes/fixtures.h"

namespace vigil::kube {
namespace {

using testing::AlpacaProd;
using testing::Created;
using testing::Endpoint;
using testing::Golden;

// ---------------------------------------------------------------------------
// The examples of KUBERNETES_API.md §2, byte for byte but for the uids
// (vigil's own, see object_uid.h).

TEST(ObjectsTest, ServiceGolden) {
  EXPECT_EQ(EncodeService(AlpacaProd()).dump(), Golden(R"({"kind":"Service","apiVersion":"v1",
 "metadata":{"name":"alpaca-prod","namespace":"default","uid":"4966189d-f881-578b-bfac-4ae114de58fc",
             "resourceVersion":"1002","creationTimestamp":"2026-12-01T09:36:43Z",
             "labels":{"app":"alpaca","env":"prod","ver":"1"}},
 "spec":{"ports":[{"name":"http","protocol":"TCP","port":8080,"targetPort":8080}],
         "clusterIP":"None","clusterIPs":["None"],"type":"ClusterIP","sessionAffinity":"None",
         "ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","internalTrafficPolicy":"Cluster"},
 "status":{"loadBalancer":{}}})"));
}

TEST(ObjectsTest, EndpointsGolden) {
  EXPECT_EQ(EncodeEndpoints(AlpacaProd()).dump(), Golden(R"({"kind":"Endpoints","apiVersion":"v1",
 "metadata":{"name":"alpaca-prod","namespace":"default","uid":"315dd534-837f-536e-9c74-a286c09cb5ee",
             "resourceVersion":"1008","creationTimestamp":"2026-12-01T09:36:43Z",
             "labels":{"app":"alpaca","env":"prod","ver":"1"}},
 "subsets":[{"addresses":[{"ip":"10.32.0.11","nodeName":"node-a"},{"ip":"10.32.0.13","nodeName":"node-a"},
                          {"ip":"10.32.0.14","nodeName":"node-a"},{"ip":"10.32.0.15","nodeName":"node-a"}],
             "notReadyAddresses":[{"ip":"10.32.0.12","nodeName":"node-b"}],
             "ports":[{"name":"http","port":8080,"protocol":"TCP"}]}]})"));
}

TEST(ObjectsTest, EndpointSliceGolden) {
  EndpointsObject o = AlpacaProd();
  o.resource_version = 1009;
  o.endpoints = {Endpoint("10.32.0.12", false, "node-b"), Endpoint("10.32.0.11", true, "node-a")};
  const std::vector<KubeJson> slices = EncodeEndpointSlices(o);
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_EQ(slices[0].dump(), Golden(R"({"kind":"EndpointSlice","apiVersion":"discovery.k8s.io/v1",
 "metadata":{"name":"alpaca-prod-ipv4-8080","generateName":"alpaca-prod-","namespace":"default",
             "uid":"abe06038-de33-5390-b4a5-7cf9eba79ef1","resourceVersion":"1009",
             "creationTimestamp":"2026-12-01T09:36:43Z",
             "labels":{"app":"alpaca",
                       "endpointslice.kubernetes.io/managed-by":"vigil.dev/agent","env":"prod",
                       "kubernetes.io/service-name":"alpaca-prod","ver":"1"},
             "ownerReferences":[{"apiVersion":"v1","kind":"Service","name":"alpaca-prod",
                                 "uid":"4966189d-f881-578b-bfac-4ae114de58fc","controller":true,"blockOwnerDeletion":true}]},
 "addressType":"IPv4",
 "endpoints":[{"addresses":["10.32.0.11"],"conditions":{"ready":true,"serving":true,"terminating":false},"nodeName":"node-a"},
              {"addresses":["10.32.0.12"],"conditions":{"ready":false,"serving":false,"terminating":false},"nodeName":"node-b"}],
 "ports":[{"name":"http","protocol":"TCP","port":8080}]})"));
}

TEST(ObjectsTest, EventGolden) {
  EXPECT_EQ(EncodeEvent(testing::UnhealthyEvent()).dump(),
            Golden(R"({"kind":"Event","apiVersion":"v1",
 "metadata":{"name":"alpaca-prod.18ed17a053884e01","namespace":"default",
             "uid":"f9b3dc8c-2fbc-5cf7-a85a-f34114a8ba16","resourceVersion":"1010",
             "creationTimestamp":"2026-12-01T09:36:43Z"},
 "involvedObject":{"kind":"Endpoints","namespace":"default","name":"alpaca-prod",
                   "uid":"315dd534-837f-536e-9c74-a286c09cb5ee","apiVersion":"v1","resourceVersion":"1008"},
 "reason":"Unhealthy",
 "message":"10.32.0.12:8080: Readiness probe failed: HTTP probe failed with statuscode: 503",
 "source":{"component":"vigil","host":"node-a"},
 "firstTimestamp":"2026-12-01T09:36:43Z","lastTimestamp":"2026-12-01T09:36:43Z","count":1,
 "type":"Warning","eventTime":null,"reportingComponent":"vigil","reportingInstance":"node-a"})"));
}

TEST(ObjectsTest, NamespaceGolden) {
  const KubeNamespace ns{"default", WallTime() + std::chrono::seconds(1'796'115'600), 7};
  EXPECT_EQ(EncodeNamespace(ns).dump(), Golden(R"({"kind":"Namespace","apiVersion":"v1",
 "metadata":{"name":"default","uid":"a38d378b-375b-5fe3-b41d-ea20d8e65006","resourceVersion":"7",
             "creationTimestamp":"2026-12-01T09:00:00Z",
             "labels":{"kubernetes.io/metadata.name":"default"}},
 "spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}})"));
}

// ---------------------------------------------------------------------------
// Service.

TEST(ObjectsTest, ServiceVersionIgnoresReadiness) {
  EndpointsObject o = AlpacaProd();
  const KubeJson before = EncodeService(o);
  o.resource_version = 1020;  // a readiness flip: the Endpoints changes, not the Service
  o.endpoints[0].conditions = {false, false, false};
  EXPECT_EQ(EncodeService(o), before);
  // Until the board tracks the Service's own version, the object's stands in.
  o.service_resource_version = 0;
  EXPECT_EQ(EncodeService(o)["metadata"]["resourceVersion"], "1020");
}

TEST(ObjectsTest, ServiceWithoutPortsShowsEachEndpointPort) {
  EndpointsObject o = AlpacaProd();
  o.ports.clear();
  o.labels.clear();
  o.endpoints = {Endpoint("10.0.0.1", true, "a", false, 9090), Endpoint("10.0.0.2", true, "a"),
                 Endpoint("10.0.0.3", false, "a", false, 9090)};
  const KubeJson service = EncodeService(o);
  EXPECT_EQ(service["spec"]["ports"].dump(),
            R"([{"protocol":"TCP","port":8080,"targetPort":8080},)"
            R"({"protocol":"TCP","port":9090,"targetPort":9090}])");
  EXPECT_FALSE(service["metadata"].contains("labels"));  // omitted when empty, as omitempty

  // No ports and no endpoints: no "ports" at all (omitempty).
  o.endpoints.clear();
  EXPECT_FALSE(EncodeService(o)["spec"].contains("ports"));
  EXPECT_EQ(EncodeService(o)["spec"]["ipFamilies"].dump(), R"(["IPv4"])");
}

TEST(ObjectsTest, ServicePortNamesAsConfigured) {
  EndpointsObject o = AlpacaProd();
  o.ports = {{"", 8080}};
  EXPECT_EQ(EncodeService(o)["spec"]["ports"].dump(),
            R"([{"protocol":"TCP","port":8080,"targetPort":8080}])");
  o.ports = {{"http", 8080}, {"metrics", 9100}};
  EXPECT_EQ(EncodeService(o)["spec"]["ports"].dump(),
            R"([{"name":"http","protocol":"TCP","port":8080,"targetPort":8080},)"
            R"({"name":"metrics","protocol":"TCP","port":9100,"targetPort":9100}])");
}

TEST(ObjectsTest, ServiceIpFamiliesFollowTheEndpoints) {
  EndpointsObject o = AlpacaProd();
  o.endpoints = {Endpoint("fd00::7", true, "a"), Endpoint("fd00::8", false, "a")};
  KubeJson spec = EncodeService(o)["spec"];
  EXPECT_EQ(spec["ipFamilies"].dump(), R"(["IPv6"])");
  EXPECT_EQ(spec["ipFamilyPolicy"], "SingleStack");
  o.endpoints.push_back(Endpoint("10.0.0.1", true, "a"));
  spec = EncodeService(o)["spec"];
  EXPECT_EQ(spec["ipFamilies"].dump(), R"(["IPv4","IPv6"])");
  EXPECT_EQ(spec["ipFamilyPolicy"], "PreferDualStack");
}

TEST(ObjectsTest, ServicePublishesNotReadyAddresses) {
  EndpointsObject o = AlpacaProd();
  o.publish_not_ready_addresses = true;
  const KubeJson spec = EncodeService(o)["spec"];
  EXPECT_EQ(spec["publishNotReadyAddresses"], true);
  // In ServiceSpec's order: after sessionAffinity, before ipFamilies.
  std::vector<std::string> keys;
  for (auto it = spec.begin(); it != spec.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys,
            (std::vector<std::string>{"ports", "clusterIP", "clusterIPs", "type", "sessionAffinity",
                                      "publishNotReadyAddresses", "ipFamilies", "ipFamilyPolicy",
                                      "internalTrafficPolicy"}));
  EXPECT_FALSE(EncodeService(AlpacaProd())["spec"].contains("publishNotReadyAddresses"));
}

// ---------------------------------------------------------------------------
// Endpoints.

TEST(ObjectsTest, EndpointsLeaveTerminatingOut) {
  EndpointsObject o = AlpacaProd();
  o.endpoints = {Endpoint("10.0.0.1", true, "a", /*terminating=*/true),
                 Endpoint("10.0.0.2", false, "a", /*terminating=*/true),
                 Endpoint("10.0.0.3", true, "a")};
  EXPECT_EQ(EncodeEndpoints(o)["subsets"].dump(),
            R"([{"addresses":[{"ip":"10.0.0.3","nodeName":"a"}],)"
            R"("ports":[{"name":"http","port":8080,"protocol":"TCP"}]}])");
  // Nothing but terminating endpoints: no subset, and then no "subsets".
  o.endpoints = {Endpoint("10.0.0.1", true, "a", /*terminating=*/true),
                 Endpoint("10.0.0.2", false, "a", /*terminating=*/true)};
  EXPECT_FALSE(EncodeEndpoints(o).contains("subsets"));
  o.endpoints.clear();
  EXPECT_EQ(EncodeEndpoints(o).dump(),
            R"({"kind":"Endpoints","apiVersion":"v1","metadata":{"name":"alpaca-prod",)"
            R"("namespace":"default","uid":"315dd534-837f-536e-9c74-a286c09cb5ee",)"
            R"("resourceVersion":"1008","creationTimestamp":"2026-12-01T09:36:43Z",)"
            R"("labels":{"app":"alpaca","env":"prod","ver":"1"}}})");
}

TEST(ObjectsTest, EndpointsOmitEmptyAddressLists) {
  EndpointsObject o = AlpacaProd();
  o.endpoints = {Endpoint("10.0.0.2", false, "a"), Endpoint("10.0.0.1", false, "a")};
  EXPECT_EQ(EncodeEndpoints(o)["subsets"].dump(),
            R"([{"notReadyAddresses":[{"ip":"10.0.0.1","nodeName":"a"},{"ip":"10.0.0.2",)"
            R"("nodeName":"a"}],"ports":[{"name":"http","port":8080,"protocol":"TCP"}]}])");
}

TEST(ObjectsTest, EndpointsHaveOneSubsetPerPortAscending) {
  EndpointsObject o = AlpacaProd();
  o.ports = {{"http", 8080}, {"admin", 9000}};
  o.endpoints = {Endpoint("10.0.0.1", true, "a", false, 9100),
                 Endpoint("10.0.0.1", true, "a", false, 8080),
                 Endpoint("10.0.0.2", false, "a", false, 9000)};
  // 9100 is no service port: its subset's port has no name.
  EXPECT_EQ(EncodeEndpoints(o)["subsets"].dump(),
            R"([{"addresses":[{"ip":"10.0.0.1","nodeName":"a"}],)"
            R"("ports":[{"name":"http","port":8080,"protocol":"TCP"}]},)"
            R"({"notReadyAddresses":[{"ip":"10.0.0.2","nodeName":"a"}],)"
            R"("ports":[{"name":"admin","port":9000,"protocol":"TCP"}]},)"
            R"({"addresses":[{"ip":"10.0.0.1","nodeName":"a"}],)"
            R"("ports":[{"port":9100,"protocol":"TCP"}]}])");
}

// The endpoints controller's order is the IP as a string.
TEST(ObjectsTest, EndpointsSortAddressesAsStrings) {
  EndpointsObject o = AlpacaProd();
  o.endpoints = {Endpoint("10.0.0.2", true, "a"), Endpoint("10.0.0.10", true, "a"),
                 Endpoint("fd00::1", true, "a"), Endpoint("10.0.0.1", true, "a")};
  std::vector<std::string> ips;
  const KubeJson endpoints = EncodeEndpoints(o);
  for (const KubeJson& a : endpoints["subsets"][0]["addresses"]) ips.push_back(a["ip"]);
  EXPECT_EQ(ips, (std::vector<std::string>{"10.0.0.1", "10.0.0.10", "10.0.0.2", "fd00::1"}));
}

// The cluster view may hold an address several nodes probe: it shows once,
// from the node that sees it best.
TEST(ObjectsTest, EndpointsShowAnAddressOnce) {
  EndpointsObject o = AlpacaProd();
  o.endpoints = {Endpoint("10.0.0.1", false, "node-a"), Endpoint("10.0.0.1", true, "node-c"),
                 Endpoint("10.0.0.1", true, "node-b"), Endpoint("10.0.0.2", false, "node-b"),
                 Endpoint("10.0.0.2", false, "node-a", /*terminating=*/true)};
  EXPECT_EQ(EncodeEndpoints(o)["subsets"].dump(),
            R"([{"addresses":[{"ip":"10.0.0.1","nodeName":"node-b"}],)"
            R"("notReadyAddresses":[{"ip":"10.0.0.2","nodeName":"node-b"}],)"
            R"("ports":[{"name":"http","port":8080,"protocol":"TCP"}]}])");
}

TEST(ObjectsTest, EndpointsPublishNotReadyAddresses) {
  EndpointsObject o = AlpacaProd();
  o.publish_not_ready_addresses = true;
  o.endpoints = {Endpoint("10.0.0.1", false, "a"), Endpoint("10.0.0.2", true, "a", true),
                 Endpoint("10.0.0.3", true, "a")};
  // As the endpoints controller with tolerateUnreadyEndpoints: all ready.
  EXPECT_EQ(EncodeEndpoints(o)["subsets"].dump(),
            R"([{"addresses":[{"ip":"10.0.0.1","nodeName":"a"},{"ip":"10.0.0.2","nodeName":"a"},)"
            R"({"ip":"10.0.0.3","nodeName":"a"}],)"
            R"("ports":[{"name":"http","port":8080,"protocol":"TCP"}]}])");
}

TEST(ObjectsTest, EndpointsWithoutANodeHaveNoNodeName) {
  EndpointsObject o = AlpacaProd();
  o.endpoints = {Endpoint("10.0.0.1", true, "")};
  EXPECT_EQ(EncodeEndpoints(o)["subsets"][0]["addresses"].dump(), R"([{"ip":"10.0.0.1"}])");
}

// ---------------------------------------------------------------------------
// EndpointSlices.

TEST(ObjectsTest, SlicePerFamilyAndPort) {
  EndpointsObject o = AlpacaProd();
  o.endpoints = {Endpoint("fd00::7", true, "a"), Endpoint("10.0.0.1", true, "a", false, 9090),
                 Endpoint("10.0.0.1", false, "a"), Endpoint("fd00::8", false, "b")};
  const std::vector<KubeJson> slices = EncodeEndpointSlices(o);
  std::vector<std::string> names;
  for (const KubeJson& s : slices) names.push_back(s["metadata"]["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"alpaca-prod-ipv4-8080", "alpaca-prod-ipv4-9090",
                                             "alpaca-prod-ipv6-8080"}));
  EXPECT_EQ(slices[1]["ports"].dump(), R"([{"protocol":"TCP","port":9090}])");
  EXPECT_EQ(slices[2]["addressType"], "IPv6");
  EXPECT_EQ(slices[2]["metadata"]["uid"], testing::kSliceIpv6Uid);
  EXPECT_EQ(slices[2]["endpoints"].dump(),
            R"([{"addresses":["fd00::7"],"conditions":{"ready":true,"serving":true,)"
            R"("terminating":false},"nodeName":"a"},{"addresses":["fd00::8"],"conditions":)"
            R"({"ready":false,"serving":false,"terminating":false},"nodeName":"b"}])");
  EXPECT_EQ(EndpointSliceName("web", true, 443), "web-ipv6-443");
}

TEST(ObjectsTest, SliceConditionsOfATerminatingEndpoint) {
  EndpointsObject o = AlpacaProd();
  o.endpoints = {Endpoint("10.0.0.1", true, "a", /*terminating=*/true),
                 Endpoint("10.0.0.2", false, "a", /*terminating=*/true)};
  const KubeJson endpoints = EncodeEndpointSlices(o).at(0)["endpoints"];
  EXPECT_EQ(endpoints[0]["conditions"].dump(),
            R"({"ready":false,"serving":true,"terminating":true})");
  EXPECT_EQ(endpoints[1]["conditions"].dump(),
            R"({"ready":false,"serving":false,"terminating":true})");
  // Publishing not-ready addresses makes every endpoint ready, as the
  // EndpointSlice controller does; serving stays the probe's word.
  o.publish_not_ready_addresses = true;
  EXPECT_EQ(EncodeEndpointSlices(o).at(0)["endpoints"][1]["conditions"].dump(),
            R"({"ready":true,"serving":false,"terminating":true})");
}

TEST(ObjectsTest, NoEndpointNoSlice) {
  EndpointsObject o = AlpacaProd();
  o.endpoints.clear();
  EXPECT_TRUE(EncodeEndpointSlices(o).empty());
}

// kubectl describe service finds slices by this label: the service's own
// labels cannot override it.
TEST(ObjectsTest, SliceLabelsWin) {
  EndpointsObject o = AlpacaProd();
  o.labels["kubernetes.io/service-name"] = "other";
  EXPECT_EQ(EncodeEndpointSlices(o).at(0)["metadata"]["labels"]["kubernetes.io/service-name"],
            "alpaca-prod");
}

// ---------------------------------------------------------------------------
// Events, Namespaces, uids.

TEST(ObjectsTest, EventPointsAtTheEndpointsUid) {
  const EndpointsObject o = AlpacaProd();
  const KubeJson event = EncodeEvent(testing::UnhealthyEvent());
  EXPECT_EQ(event["involvedObject"]["uid"], EncodeEndpoints(o)["metadata"]["uid"]);
  EXPECT_EQ(EndpointsUid("default", "alpaca-prod", Created()), testing::kEndpointsUid);
  EXPECT_EQ(ServiceUid(o), testing::kServiceUid);
  // An Event of the service's previous life keeps pointing at that life.
  KubeEvent old = testing::UnhealthyEvent();
  old.object_creation_time -= std::chrono::hours(1);
  EXPECT_NE(EncodeEvent(old)["involvedObject"]["uid"], EncodeEndpoints(o)["metadata"]["uid"]);
}

TEST(ObjectsTest, EventCountsAndTimes) {
  KubeEvent e = testing::UnhealthyEvent();
  e.count = 3;
  e.last_timestamp = e.first_timestamp + std::chrono::minutes(2);
  const KubeJson event = EncodeEvent(e);
  EXPECT_EQ(event["count"], 3);
  EXPECT_EQ(event["firstTimestamp"], "2026-12-01T09:36:43Z");
  EXPECT_EQ(event["lastTimestamp"], "2026-12-01T09:38:43Z");
  EXPECT_EQ(event["metadata"]["creationTimestamp"], "2026-12-01T09:36:43Z");
  // The uid is the Event's for life: repeats do not change it.
  EXPECT_EQ(event["metadata"]["uid"], testing::kEventUid);
}

TEST(ObjectsTest, UidsDifferByKindNamespaceNameAndLife) {
  const std::set<std::string> uids = {
      ObjectUid("Endpoints", "default", "web", Created()),
      ObjectUid("Service", "default", "web", Created()),
      ObjectUid("Endpoints", "staging", "web", Created()),
      ObjectUid("Endpoints", "default", "web2", Created()),
      ObjectUid("Endpoints", "default", "web", Created() + std::chrono::seconds(1)),
  };
  EXPECT_EQ(uids.size(), 5u);
  // Within one second it is the same object: creationTimestamp shows seconds.
  EXPECT_EQ(ObjectUid("Endpoints", "default", "web", Created()),
            ObjectUid("Endpoints", "default", "web", Created() + std::chrono::milliseconds(999)));
  const std::string uid = ObjectUid("Endpoints", "default", "web", Created());
  ASSERT_EQ(uid.size(), 36u);
  EXPECT_EQ(uid[14], '5');                                          // version 5
  EXPECT_NE(std::string("89ab").find(uid[19]), std::string::npos);  // the RFC 4122 variant
}

TEST(ObjectsTest, CollectNamespaces) {
  EndpointsObject a = AlpacaProd();
  EndpointsObject b = AlpacaProd();
  b.name = "bandicoot";
  b.namespace_name = "staging";
  b.creation_time = Created() + std::chrono::seconds(5);
  b.service_resource_version = 0;
  b.resource_version = 1200;
  EndpointsObject c = b;
  c.name = "cat";
  c.creation_time = Created() + std::chrono::seconds(2);
  c.resource_version = 1300;
  const std::vector<EndpointsObject> objects = {b, a, c};
  const WallTime boot = Created() + std::chrono::hours(1);
  EXPECT_EQ(CollectNamespaces(objects, boot, 900),
            (std::vector<KubeNamespace>{{"default", Created(), 900},
                                        {"staging", Created() + std::chrono::seconds(2), 1200}}));
  // "default" always, even with no service in it.
  EXPECT_EQ(CollectNamespaces({}, boot, 900), (std::vector<KubeNamespace>{{"default", boot, 900}}));
}

TEST(ObjectsTest, ResourceVersionOfAndSet) {
  KubeJson endpoints = EncodeEndpoints(AlpacaProd());
  EXPECT_EQ(ResourceVersionOf(endpoints), 1008u);
  SetResourceVersion(endpoints, 1500);
  EXPECT_EQ(endpoints["metadata"]["resourceVersion"], "1500");
  EXPECT_EQ(ResourceVersionOf(endpoints), 1500u);
  EXPECT_EQ(ResourceVersionOf(KubeJson::object()), 0u);
  EXPECT_EQ(ResourceVersionOf(KubeJson::parse(R"({"metadata":{"resourceVersion":"x1"}})")), 0u);
  EXPECT_EQ(ResourceVersionOf(KubeJson::parse(R"({"metadata":{"resourceVersion":12}})")), 0u);
}

}  // namespace
}  // namespace vigil::kube
