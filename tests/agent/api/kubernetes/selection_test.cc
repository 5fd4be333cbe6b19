#include "agent/api/kubernetes/selection.h"

#include <gtest/gtest.h>

#include "agent/api/kubernetes/objects.h"
#include "tests/agent/api/kubernetes/fixtures.h"

namespace vigil::kube {
namespace {

using testing::AlpacaProd;

LabelSelector Labels(std::string_view text) {
  return *LabelSelector::Parse(text, LabelSelector::Dialect::kKubernetes);
}
FieldSelector Fields(std::string_view text) { return *FieldSelector::Parse(text); }

TEST(SelectionTest, FieldsOfEachResource) {
  EXPECT_EQ(
      ObjectFields(Resource::kEndpoints, EncodeEndpoints(AlpacaProd())),
      (FieldSelector::Fields{{"metadata.name", "alpaca-prod"}, {"metadata.namespace", "default"}}));
  EXPECT_EQ(
      ObjectFields(Resource::kNamespaces, EncodeNamespace({"default", testing::Created(), 1})),
      (FieldSelector::Fields{{"metadata.name", "default"}, {"status.phase", "Active"}}));
  EXPECT_EQ(ObjectFields(Resource::kEvents, EncodeEvent(testing::UnhealthyEvent())),
            (FieldSelector::Fields{
                {"metadata.name", "alpaca-prod.18ed17a053884e01"},
                {"metadata.namespace", "default"},
                {"involvedObject.kind", "Endpoints"},
                {"involvedObject.namespace", "default"},
                {"involvedObject.name", "alpaca-prod"},
                {"involvedObject.uid", testing::kEndpointsUid},
                {"involvedObject.apiVersion", "v1"},
                {"involvedObject.resourceVersion", "1008"},
                {"involvedObject.fieldPath", ""},
                {"reason", "Unhealthy"},
                {"reportingComponent", "vigil"},
                {"source", "vigil"},
                {"type", "Warning"},
            }));
  // Every field a resource supports is among its object's fields.
  for (const Resource r : {Resource::kEndpoints, Resource::kServices, Resource::kEndpointSlices,
                           Resource::kEvents, Resource::kNamespaces}) {
    KubeJson object;
    switch (r) {
      case Resource::kEndpoints:
        object = EncodeEndpoints(AlpacaProd());
        break;
      case Resource::kServices:
        object = EncodeService(AlpacaProd());
        break;
      case Resource::kEndpointSlices:
        object = EncodeEndpointSlices(AlpacaProd()).at(0);
        break;
      case Resource::kEvents:
        object = EncodeEvent(testing::UnhealthyEvent());
        break;
      case Resource::kNamespaces:
        object = EncodeNamespace({"default", testing::Created(), 1});
        break;
    }
    const FieldSelector::Fields fields = ObjectFields(r, object);
    EXPECT_EQ(fields.size(), Info(r).fields.size()) << Info(r).name;
    for (const std::string_view f : Info(r).fields) EXPECT_TRUE(fields.contains(f)) << f;
  }
}

// "source" is source.component, else reportingComponent.
TEST(SelectionTest, EventSourceFallsBack) {
  const KubeJson e = KubeJson::parse(R"({"reportingComponent":"kubelet","source":{}})");
  EXPECT_EQ(ObjectFields(Resource::kEvents, e).at("source"), "kubelet");
}

TEST(SelectionTest, Selects) {
  const KubeJson endpoints = EncodeEndpoints(AlpacaProd());
  EXPECT_TRUE(Selects(Resource::kEndpoints, endpoints, {}, {}));
  EXPECT_TRUE(Selects(Resource::kEndpoints, endpoints, Labels("app=alpaca,ver>0"), {}));
  EXPECT_FALSE(Selects(Resource::kEndpoints, endpoints, Labels("app=bandicoot"), {}));
  EXPECT_TRUE(Selects(Resource::kEndpoints, endpoints, {}, Fields("metadata.name=alpaca-prod")));
  EXPECT_FALSE(Selects(Resource::kEndpoints, endpoints, {}, Fields("metadata.name=other")));
  EXPECT_FALSE(Selects(Resource::kEndpoints, endpoints, Labels("app=alpaca"),
                       Fields("metadata.namespace!=default")));
  // kubectl describe service's query of the slices.
  const KubeJson slice = EncodeEndpointSlices(AlpacaProd()).at(0);
  EXPECT_TRUE(Selects(Resource::kEndpointSlices, slice,
                      Labels("kubernetes.io/service-name=alpaca-prod"), {}));
  EXPECT_FALSE(Selects(Resource::kEndpoints, endpoints,
                       Labels("kubernetes.io/service-name=alpaca-prod"), {}));
  // kubectl describe endpoints' query of the Events.
  EXPECT_TRUE(
      Selects(Resource::kEvents, EncodeEvent(testing::UnhealthyEvent()), {},
              Fields(std::string("involvedObject.name=alpaca-prod,involvedObject.namespace="
                                 "default,involvedObject.kind=Endpoints,involvedObject.uid=") +
                     testing::kEndpointsUid)));
  EXPECT_FALSE(Selects(Resource::kEvents, EncodeEvent(testing::UnhealthyEvent()), {},
                       Fields("involvedObject.kind=Service")));
  EXPECT_TRUE(ObjectLabels(KubeJson::object()).empty());
  EXPECT_EQ(ObjectLabels(endpoints).at("ver"), "1");
}

}  // namespace
}  // namespace vigil::kube
