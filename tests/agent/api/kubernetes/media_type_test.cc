#include "agent/api/kubernetes/media_type.h"

#include <gtest/gtest.h>

#include <string>

namespace vigil::kube {
namespace {

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kAggregated =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

// kubectl's Accept headers, recorded (KUBERNETES_API.md §11.3, §12).
constexpr std::string_view kKubectlGet =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/"
    "json;as=Table;v=v1beta1;g=meta.k8s.io,"
    "application/json";
constexpr std::string_view kKubectlDiscovery130 =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
constexpr std::string_view kKubectlDiscovery127 =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
constexpr std::string_view kKubectlTyped = "application/vnd.kubernetes.protobuf,application/json";

Negotiation MustNegotiate(std::string_view accept, Offer offer) {
  const ApiResult<Negotiation> n = Negotiate(accept, offer);
  EXPECT_TRUE(n.ok()) << accept << ": " << (n.ok() ? "" : n.error().message);
  return n.ok() ? *n : Negotiation{};
}

TEST(MediaTypeTest, KubectlGetGetsATable) {
  EXPECT_EQ(MustNegotiate(kKubectlGet, Offer::kObjects),
            (Negotiation{Representation::kTable, kJson}));
  // v1beta1 alone is a Table too (encoded as meta.k8s.io/v1).
  EXPECT_EQ(MustNegotiate("application/json;as=Table;v=v1beta1;g=meta.k8s.io", Offer::kObjects)
                .representation,
            Representation::kTable);
  // Table on a discovery document: not offered, the JSON after it wins.
  EXPECT_EQ(MustNegotiate(kKubectlGet, Offer::kDocument).representation, Representation::kJson);
  EXPECT_EQ(MustNegotiate(kKubectlGet, Offer::kDiscoveryRoot).representation,
            Representation::kJson);
}

TEST(MediaTypeTest, AggregatedDiscoveryOnlyWhenV2IsAsked) {
  EXPECT_EQ(MustNegotiate(kKubectlDiscovery130, Offer::kDiscoveryRoot),
            (Negotiation{Representation::kAggregatedDiscovery, kAggregated}));
  // kubectl 1.27 to 1.29 ask v2beta1 only: plain JSON, so that they fall back.
  EXPECT_EQ(MustNegotiate(kKubectlDiscovery127, Offer::kDiscoveryRoot),
            (Negotiation{Representation::kJson, kJson}));
  // Only /api and /apis serve it.
  EXPECT_EQ(MustNegotiate(kKubectlDiscovery130, Offer::kDocument).representation,
            Representation::kJson);
  EXPECT_EQ(MustNegotiate(kKubectlDiscovery130, Offer::kObjects).representation,
            Representation::kJson);
}

TEST(MediaTypeTest, JsonForTheTypedCallsAndWildcards) {
  for (const Offer offer : {Offer::kObjects, Offer::kDiscoveryRoot, Offer::kDocument}) {
    EXPECT_EQ(MustNegotiate(kKubectlTyped, offer), (Negotiation{Representation::kJson, kJson}));
    for (const char* accept :
         {"", "  ", "application/json", "*/*", "application/*", "Application/JSON",
          "application/json;charset=utf-8", "application/json;stream=watch",
          "application/yaml, */*;q=0.5", "text/html,application/xhtml+xml,*/*;q=0.8",
          "application/json;g=meta.k8s.io;v=v1"}) {
      EXPECT_EQ(MustNegotiate(accept, offer).representation, Representation::kJson) << accept;
    }
  }
}

TEST(MediaTypeTest, NothingAcceptable) {
  const ApiResult<Negotiation> protobuf =
      Negotiate("application/vnd.kubernetes.protobuf", Offer::kObjects);
  ASSERT_FALSE(protobuf.ok());
  EXPECT_EQ(protobuf.error().code, 406);
  EXPECT_EQ(protobuf.error().reason, "NotAcceptable");
  EXPECT_EQ(protobuf.error().message,
            "only the following media types are accepted: application/json, "
            "application/json;as=Table;v=v1;g=meta.k8s.io, "
            "application/json;as=Table;v=v1beta1;g=meta.k8s.io");
  EXPECT_EQ(Negotiate("application/cbor", Offer::kDiscoveryRoot).error().message,
            "only the following media types are accepted: application/json, "
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  EXPECT_EQ(Negotiate("application/yaml", Offer::kDocument).error().message,
            "only the following media types are accepted: application/json");
  for (const char* accept :
       {"text/plain", "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
        "application/json;as=Table;v=v2;g=meta.k8s.io", "application/json;as=Table;v=v1",
        "application/json;as=Table;g=other;v=v1", "application/*;as=Table;v=v1;g=meta.k8s.io",
        "application/json;q=0", "*/*;q=0", "garbage", "application/json;q=2",
        "application/json;q=x", "application/json;broken"}) {
    const ApiResult<Negotiation> n = Negotiate(accept, Offer::kObjects);
    EXPECT_FALSE(n.ok()) << accept;
  }
}

// The client's order, highest q first.
TEST(MediaTypeTest, ClientOrderAndQuality) {
  EXPECT_EQ(MustNegotiate("application/json,application/json;as=Table;v=v1;g=meta.k8s.io",
                          Offer::kObjects)
                .representation,
            Representation::kJson);
  EXPECT_EQ(MustNegotiate("application/json;q=0.5,application/json;as=Table;v=v1;g=meta.k8s.io",
                          Offer::kObjects)
                .representation,
            Representation::kTable);
  EXPECT_EQ(MustNegotiate("application/json;as=Table;v=v1;g=meta.k8s.io;q=0,application/json",
                          Offer::kObjects)
                .representation,
            Representation::kJson);
}

TEST(MediaTypeTest, ParseAccept) {
  const std::vector<MediaRange> ranges = ParseAccept(
      " Application/JSON ; AS=Table ; v=\"v1\" ;g=meta.k8s.io;q=0.9 , , */*;q=0.1,bad,"
      "text/plain;x=\"a,b\"");
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0].type, "application");
  EXPECT_EQ(ranges[0].subtype, "json");
  EXPECT_EQ(ranges[0].parameters, (std::vector<std::pair<std::string, std::string>>{
                                      {"as", "Table"}, {"v", "v1"}, {"g", "meta.k8s.io"}}));
  EXPECT_DOUBLE_EQ(ranges[0].quality, 0.9);
  EXPECT_EQ(ranges[1].type, "*");
  EXPECT_DOUBLE_EQ(ranges[1].quality, 0.1);
  EXPECT_EQ(ranges[2].parameters, (std::vector<std::pair<std::string, std::string>>{{"x", "a,b"}}));
  EXPECT_TRUE(ParseAccept("").empty());
  EXPECT_TRUE(ParseAccept("/json,application/,a b/c").empty());
  EXPECT_EQ(ParseAccept("a/b;q=1.000").at(0).quality, 1.0);
  EXPECT_TRUE(ParseAccept("a/b;q=1.0001").empty());
}

}  // namespace
}  // namespace vigil::kube
