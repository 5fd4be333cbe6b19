#include "exporters/dns/zone_names.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

using Kind = ZoneName::Kind;

std::vector<std::string> Labels(const std::string& dotted) {
  std::vector<std::string> labels;
  size_t start = 0;
  while (start < dotted.size()) {
    size_t dot = dotted.find('.', start);
    if (dot == std::string::npos) dot = dotted.size();
    labels.push_back(dotted.substr(start, dot - start));
    start = dot + 1;
  }
  return labels;
}

ZoneName Parse(const std::string& name, const std::string& domain = "vigil") {
  return ParseZoneName(Labels(name), domain);
}

TEST(ZoneNamesTest, EndpointLabelsPutDashesForDotsAndColons) {
  EXPECT_EQ(EndpointLabel("10.0.0.1"), "10-0-0-1");
  EXPECT_EQ(EndpointLabel("fd00::1"), "fd00--1");
  EXPECT_EQ(EndpointLabel("::1"), "--1");
  EXPECT_EQ(EndpointLabel("2001:db8:0:1::a"), "2001-db8-0-1--a");
}

TEST(ZoneNamesTest, ServiceAndNameServerNames) {
  EXPECT_EQ(ServiceDomainName("web", "default", "vigil"), "web.default.svc.vigil");
  EXPECT_EQ(ServiceDomainName("db", "shop", "cluster.local"), "db.shop.svc.cluster.local");
  EXPECT_EQ(NameServerName("vigil"), "ns.dns.vigil");
}

TEST(ZoneNamesTest, EveryKindOfName) {
  EXPECT_EQ(Parse("vigil").kind, Kind::kApex);
  EXPECT_EQ(Parse("svc.vigil").kind, Kind::kEmpty);
  EXPECT_EQ(Parse("dns.vigil").kind, Kind::kEmpty);
  EXPECT_EQ(Parse("ns.dns.vigil").kind, Kind::kNameServer);

  const ZoneName ns = Parse("shop.svc.vigil");
  EXPECT_EQ(ns.kind, Kind::kNamespace);
  EXPECT_EQ(ns.namespace_name, "shop");

  const ZoneName service = Parse("web.shop.svc.vigil");
  EXPECT_EQ(service.kind, Kind::kService);
  EXPECT_EQ(service.service, "web");
  EXPECT_EQ(service.namespace_name, "shop");

  EXPECT_EQ(Parse("_tcp.web.shop.svc.vigil").kind, Kind::kPortProtocol);

  const ZoneName srv = Parse("_http._tcp.web.shop.svc.vigil");
  EXPECT_EQ(srv.kind, Kind::kSrv);
  EXPECT_EQ(srv.port, "http");
  EXPECT_EQ(srv.service, "web");

  const ZoneName endpoint = Parse("10-0-0-1.web.shop.svc.vigil");
  EXPECT_EQ(endpoint.kind, Kind::kEndpoint);
  EXPECT_EQ(endpoint.endpoint, "10-0-0-1");
  EXPECT_EQ(endpoint.service, "web");
  EXPECT_EQ(Parse("fd00--1.web.shop.svc.vigil").endpoint, "fd00--1");
}

TEST(ZoneNamesTest, NamesTheZoneDoesNotHave) {
  for (const char* name : {"x.vigil", "ns.vigil", "a.ns.dns.vigil", "web.shop.svc.x.vigil",
                           "_http.web.shop.svc.vigil", "_http._udp.web.shop.svc.vigil",
                           "http._tcp.web.shop.svc.vigil", "_._tcp.web.shop.svc.vigil",
                           "a._http._tcp.web.shop.svc.vigil", "a.10-0-0-1.web.shop.svc.vigil"}) {
    EXPECT_EQ(Parse(name).kind, Kind::kUnknown) << name;
  }
}

TEST(ZoneNamesTest, NamesOutsideTheZone) {
  for (const char* name : {"", "com", "example.com", "web.default.svc.cluster.local", "vigil.com",
                           "xvigil", "web.default.svc.vigilx"}) {
    EXPECT_EQ(Parse(name).kind, Kind::kOutside) << name;
  }
}

TEST(ZoneNamesTest, ComparesWithoutRegardToCase) {
  const ZoneName name = Parse("WeB.ShOp.SVC.Vigil");
  EXPECT_EQ(name.kind, Kind::kService);
  EXPECT_EQ(name.service, "web");
  EXPECT_EQ(name.namespace_name, "shop");
  EXPECT_EQ(Parse("_HTTP._TCP.web.shop.svc.VIGIL").port, "http");
  EXPECT_EQ(Parse("FD00--1.web.shop.svc.vigil").endpoint, "fd00--1");
}

TEST(ZoneNamesTest, ADomainOfSeveralLabels) {
  EXPECT_EQ(Parse("cluster.local", "cluster.local").kind, Kind::kApex);
  EXPECT_EQ(Parse("web.shop.svc.cluster.local", "cluster.local").kind, Kind::kService);
  EXPECT_EQ(Parse("local", "cluster.local").kind, Kind::kOutside);
  EXPECT_EQ(Parse("web.shop.svc.other.local", "cluster.local").kind, Kind::kOutside);
}

// A label holding a dot (sent as "\." inside one label) is not two labels.
TEST(ZoneNamesTest, ALabelWithADotIsOneLabel) {
  const ZoneName ns = ParseZoneName({"web.shop", "svc", "vigil"}, "vigil");
  EXPECT_EQ(ns.kind, Kind::kNamespace);  // no namespace has that name
  EXPECT_EQ(ns.namespace_name, "web.shop");
  EXPECT_EQ(ParseZoneName({"web", "shop.svc", "vigil"}, "vigil").kind, Kind::kUnknown);
  EXPECT_EQ(ParseZoneName({"x", "cluster.local"}, "cluster.local").kind, Kind::kOutside);
}

}  // namespace
}  // namespace vigil
