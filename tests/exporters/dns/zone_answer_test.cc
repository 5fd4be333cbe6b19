// The zone's answers, from a real StatusBoard, as records in zone-file form.
#include "exporters/dns/zone_answer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/exporters/dns/dns_fixtures.h"

namespace vigil {
namespace {

using Lines = std::vector<std::string>;
using testing::Endpoint;
using testing::Service;

DnsQuery Query(const std::string& name, uint16_t type) {
  DnsQuery q;
  q.id = 7;
  size_t start = 0;
  while (start < name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q.labels.push_back(name.substr(start, dot - start));
    start = dot + 1;
  }
  q.type = type;
  return q;
}

Lines Strings(const std::vector<DnsRecord>& records) {
  Lines lines;
  for (const DnsRecord& r : records) lines.push_back(ToString(r));
  return lines;
}

class ZoneAnswerTest : public ::testing::Test {
 protected:
  DnsResponse Ask(const std::string& name, uint16_t type) const {
    return AnswerQuery(Query(name, type), board_, zone_);
  }
  Lines Answer(const std::string& name, uint16_t type) const {
    const DnsResponse r = Ask(name, type);
    EXPECT_EQ(r.rcode, DnsRcode::kNoError) << name;
    return Strings(r.answer);
  }
  std::string Soa() const {
    return "vigil. 5 IN SOA ns.dns.vigil. hostmaster.vigil. " +
           std::to_string(static_cast<uint32_t>(board_.resource_version())) + " 7200 1800 86400 5";
  }

  StatusBoard board_;
  DnsZone zone_;
};

TEST_F(ZoneAnswerTest, AServiceResolvesToItsReadyEndpointsEachOnce) {
  board_.Put({Service(
      "web", {Endpoint("10.0.0.1", 8080, true), Endpoint("10.0.0.2", 8080, false),
              Endpoint("10.0.0.3", 8080, true), Endpoint("10.0.0.1", 9090, true),  // another port
              Endpoint("10.0.0.3", 8080, true, "node-b")})});
  EXPECT_EQ(
      Answer("web.default.svc.vigil", dns_type::kA),
      (Lines{"web.default.svc.vigil. 5 IN A 10.0.0.1", "web.default.svc.vigil. 5 IN A 10.0.0.3"}));
  const DnsResponse r = Ask("web.default.svc.vigil", dns_type::kA);
  EXPECT_TRUE(r.authoritative);
  EXPECT_TRUE(r.authority.empty());
  EXPECT_TRUE(r.additional.empty());
}

TEST_F(ZoneAnswerTest, AaaaForIpv6EndpointsAndAnyForBoth) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true), Endpoint("fd00::1", 8080, true),
                              Endpoint("fd00::2", 8080, false)})});
  EXPECT_EQ(Answer("web.default.svc.vigil", dns_type::kAaaa),
            (Lines{"web.default.svc.vigil. 5 IN AAAA fd00::1"}));
  EXPECT_EQ(Answer("web.default.svc.vigil", dns_type::kA),
            (Lines{"web.default.svc.vigil. 5 IN A 10.0.0.1"}));
  EXPECT_EQ(Answer("web.default.svc.vigil", dns_type::kAny),
            (Lines{"web.default.svc.vigil. 5 IN A 10.0.0.1",
                   "web.default.svc.vigil. 5 IN AAAA fd00::1"}));
}

TEST_F(ZoneAnswerTest, PublishNotReadyAddressesListsEveryEndpoint) {
  EndpointsObject db = Service(
      "db", {Endpoint("10.0.0.1", 5432, false), Endpoint("10.0.0.2", 5432, true)}, {{"pg", 5432}});
  db.publish_not_ready_addresses = true;
  db.endpoints[0].conditions.terminating = true;
  board_.Put({db});
  EXPECT_EQ(
      Answer("db.default.svc.vigil", dns_type::kA),
      (Lines{"db.default.svc.vigil. 5 IN A 10.0.0.1", "db.default.svc.vigil. 5 IN A 10.0.0.2"}));
  EXPECT_EQ(Answer("_pg._tcp.db.default.svc.vigil", dns_type::kSrv).size(), 2u);
  EXPECT_EQ(Answer("10-0-0-1.db.default.svc.vigil", dns_type::kA),
            (Lines{"10-0-0-1.db.default.svc.vigil. 5 IN A 10.0.0.1"}));
}

TEST_F(ZoneAnswerTest, SrvPerReadyEndpointOnTheNamedPortWithTargetsInTheAdditionalSection) {
  board_.Put({Service("web",
                      {Endpoint("10.0.0.1", 8080, true), Endpoint("10.0.0.2", 8080, true),
                       Endpoint("fd00::3", 8080, true), Endpoint("10.0.0.4", 8080, false),
                       Endpoint("10.0.0.5", 9090, true)},
                      {{"http", 8080}, {"admin", 9090}})});
  const DnsResponse r = Ask("_http._tcp.web.default.svc.vigil", dns_type::kSrv);
  EXPECT_EQ(r.rcode, DnsRcode::kNoError);
  EXPECT_EQ(
      Strings(r.answer),
      (Lines{
          "_http._tcp.web.default.svc.vigil. 5 IN SRV 0 33 8080 10-0-0-1.web.default.svc.vigil.",
          "_http._tcp.web.default.svc.vigil. 5 IN SRV 0 33 8080 10-0-0-2.web.default.svc.vigil.",
          "_http._tcp.web.default.svc.vigil. 5 IN SRV 0 33 8080 fd00--3.web.default.svc.vigil.",
      }));
  EXPECT_EQ(Strings(r.additional), (Lines{"10-0-0-1.web.default.svc.vigil. 5 IN A 10.0.0.1",
                                          "10-0-0-2.web.default.svc.vigil. 5 IN A 10.0.0.2",
                                          "fd00--3.web.default.svc.vigil. 5 IN AAAA fd00::3"}));
  EXPECT_EQ(Answer("_admin._tcp.web.default.svc.vigil", dns_type::kSrv),
            (Lines{"_admin._tcp.web.default.svc.vigil. 5 IN SRV 0 100 9090 "
                   "10-0-0-5.web.default.svc.vigil."}));
}

TEST_F(ZoneAnswerTest, SrvWeightIsAHundredOverTheCount) {
  const auto weight_with = [&](int n) {
    std::vector<EndpointStatus> endpoints;
    for (int i = 0; i < n; ++i) {
      endpoints.push_back(Endpoint(
          "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1), 8080, true));
    }
    board_.Put({Service("web", endpoints)});
    const DnsResponse r = Ask("_http._tcp.web.default.svc.vigil", dns_type::kSrv);
    EXPECT_EQ(r.answer.size(), static_cast<size_t>(n));
    return std::get<DnsSrv>(r.answer.front().data).weight;
  };
  EXPECT_EQ(weight_with(1), 100);
  EXPECT_EQ(weight_with(2), 50);
  EXPECT_EQ(weight_with(3), 33);
  EXPECT_EQ(weight_with(7), 14);
  EXPECT_EQ(weight_with(100), 1);
  EXPECT_EQ(weight_with(101), 0);
}

TEST_F(ZoneAnswerTest, TargetsResolveOnTheirOwn) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true), Endpoint("fd00::1", 8080, true),
                              Endpoint("10.0.0.2", 8080, false)})});
  EXPECT_EQ(Answer("10-0-0-1.web.default.svc.vigil", dns_type::kA),
            (Lines{"10-0-0-1.web.default.svc.vigil. 5 IN A 10.0.0.1"}));
  EXPECT_EQ(Answer("fd00--1.web.default.svc.vigil", dns_type::kAaaa),
            (Lines{"fd00--1.web.default.svc.vigil. 5 IN AAAA fd00::1"}));
  // An address of the other family: the name is there, without that record.
  const DnsResponse other = Ask("10-0-0-1.web.default.svc.vigil", dns_type::kAaaa);
  EXPECT_EQ(other.rcode, DnsRcode::kNoError);
  EXPECT_TRUE(other.answer.empty());
  EXPECT_EQ(Strings(other.authority), Lines{Soa()});
  // A not-ready endpoint is not published.
  EXPECT_EQ(Ask("10-0-0-2.web.default.svc.vigil", dns_type::kA).rcode, DnsRcode::kNxDomain);
  EXPECT_EQ(Ask("10-0-0-9.web.default.svc.vigil", dns_type::kA).rcode, DnsRcode::kNxDomain);
}

TEST_F(ZoneAnswerTest, KnownNamesWithoutTheTypeAreNoDataWithTheSoa) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, false)})});
  for (const auto& [name, type] : std::vector<std::pair<std::string, uint16_t>>{
           {"web.default.svc.vigil", dns_type::kA},  // a service with none ready
           {"web.default.svc.vigil", dns_type::kSrv},
           {"web.default.svc.vigil", dns_type::kAaaa},
           {"_http._tcp.web.default.svc.vigil", dns_type::kSrv},  // none ready
           {"_http._tcp.web.default.svc.vigil", dns_type::kA},
           {"_tcp.web.default.svc.vigil", dns_type::kSrv},
           {"default.svc.vigil", dns_type::kA},
           {"svc.vigil", dns_type::kA},
           {"dns.vigil", dns_type::kA},
           {"ns.dns.vigil", dns_type::kA},  // the server listens on every address
           {"vigil", dns_type::kA},
           {"vigil", dns_type::kSrv},
       }) {
    const DnsResponse r = Ask(name, type);
    EXPECT_EQ(r.rcode, DnsRcode::kNoError) << name << " " << type;
    EXPECT_TRUE(r.authoritative) << name;
    EXPECT_TRUE(r.answer.empty()) << name << " " << type;
    EXPECT_EQ(Strings(r.authority), Lines{Soa()}) << name << " " << type;
  }
}

TEST_F(ZoneAnswerTest, UnknownNamesInTheZoneAreNxDomainWithTheSoa) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true)}),
              Service("db", {Endpoint("10.0.0.2", 5432, true)}, {{"", 5432}}, "storage")});
  for (const char* name :
       {"nope.default.svc.vigil", "web.other.svc.vigil", "db.default.svc.vigil", "other.svc.vigil",
        "_grpc._tcp.web.default.svc.vigil", "_http._udp.web.default.svc.vigil",
        "_tcp.db.storage.svc.vigil", "x.vigil", "a.b.web.default.svc.vigil"}) {
    const DnsResponse r = Ask(name, dns_type::kA);
    EXPECT_EQ(r.rcode, DnsRcode::kNxDomain) << name;
    EXPECT_TRUE(r.authoritative) << name;
    EXPECT_TRUE(r.answer.empty()) << name;
    EXPECT_EQ(Strings(r.authority), Lines{Soa()}) << name;
  }
  EXPECT_EQ(Ask("storage.svc.vigil", dns_type::kA).rcode, DnsRcode::kNoError);
  EXPECT_EQ(Answer("db.storage.svc.vigil", dns_type::kA),
            Lines{"db.storage.svc.vigil. 5 IN A 10.0.0.2"});
}

TEST_F(ZoneAnswerTest, OutsideTheZoneOtherClassesAndTransfersAreRefused) {
  for (const char* name : {"example.com", "web.default.svc.cluster.local", "", "vigil.com"}) {
    const DnsResponse r = Ask(name, dns_type::kA);
    EXPECT_EQ(r.rcode, DnsRcode::kRefused) << name;
    EXPECT_FALSE(r.authoritative) << name;
    EXPECT_TRUE(r.answer.empty() && r.authority.empty()) << name;
  }
  DnsQuery chaos = Query("vigil", dns_type::kSoa);
  chaos.qclass = 3;  // CH
  EXPECT_EQ(AnswerQuery(chaos, board_, zone_).rcode, DnsRcode::kRefused);
  EXPECT_EQ(Ask("vigil", dns_type::kAxfr).rcode, DnsRcode::kRefused);
  EXPECT_EQ(Ask("vigil", dns_type::kIxfr).rcode, DnsRcode::kRefused);
  DnsQuery any_class = Query("vigil", dns_type::kSoa);
  any_class.qclass = kDnsClassAny;
  EXPECT_EQ(AnswerQuery(any_class, board_, zone_).rcode, DnsRcode::kNoError);
}

TEST_F(ZoneAnswerTest, TheApexHasTheSoaAndTheNs) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true)})});
  EXPECT_EQ(Answer("vigil", dns_type::kSoa), Lines{Soa()});
  EXPECT_EQ(Answer("vigil", dns_type::kNs), Lines{"vigil. 5 IN NS ns.dns.vigil."});
  EXPECT_EQ(Answer("vigil", dns_type::kAny), (Lines{Soa(), "vigil. 5 IN NS ns.dns.vigil."}));
  // The serial follows the board.
  const uint32_t before = static_cast<uint32_t>(board_.resource_version());
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, false)})});
  const DnsResponse r = Ask("vigil", dns_type::kSoa);
  EXPECT_EQ(std::get<DnsSoa>(r.answer.at(0).data).serial, before + 1);
}

TEST_F(ZoneAnswerTest, TheNameServerHasTheServersAddresses) {
  zone_.name_server_addresses = {"127.0.0.53", "::1"};
  EXPECT_EQ(Answer("ns.dns.vigil", dns_type::kA), Lines{"ns.dns.vigil. 5 IN A 127.0.0.53"});
  EXPECT_EQ(Answer("ns.dns.vigil", dns_type::kAaaa), Lines{"ns.dns.vigil. 5 IN AAAA ::1"});
  const DnsResponse ns = Ask("vigil", dns_type::kNs);
  EXPECT_EQ(Strings(ns.additional),
            (Lines{"ns.dns.vigil. 5 IN A 127.0.0.53", "ns.dns.vigil. 5 IN AAAA ::1"}));
}

TEST_F(ZoneAnswerTest, NamesAreCaseInsensitiveAndAnswersKeepTheAskedSpelling) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true)})});
  EXPECT_EQ(Answer("WeB.DeFault.SVC.ViGiL", dns_type::kA),
            Lines{"WeB.DeFault.SVC.ViGiL. 5 IN A 10.0.0.1"});
  EXPECT_EQ(Answer("_HTTP._Tcp.WEB.default.svc.vigil", dns_type::kSrv),
            Lines{"_HTTP._Tcp.WEB.default.svc.vigil. 5 IN SRV 0 100 8080 "
                  "10-0-0-1.web.default.svc.vigil."});
}

TEST_F(ZoneAnswerTest, EveryRecordHasTheZonesTtl) {
  zone_.ttl = 0;
  zone_.domain = "cluster.local";
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true)})});
  const DnsResponse srv =
      AnswerQuery(Query("_http._tcp.web.default.svc.cluster.local", dns_type::kSrv), board_, zone_);
  ASSERT_EQ(srv.answer.size(), 1u);
  EXPECT_EQ(srv.answer[0].ttl, 0u);
  EXPECT_EQ(srv.additional.at(0).ttl, 0u);
  zone_.ttl = 3600;
  const DnsResponse none =
      AnswerQuery(Query("nope.default.svc.cluster.local", dns_type::kA), board_, zone_);
  EXPECT_EQ(Strings(none.authority),
            Lines{"cluster.local. 3600 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. " +
                  std::to_string(static_cast<uint32_t>(board_.resource_version())) +
                  " 7200 1800 86400 3600"});
}

// No cache: the answer after a board change is the new one.
TEST_F(ZoneAnswerTest, AReadinessChangeIsInTheNextAnswer) {
  board_.Put(
      {Service("web", {Endpoint("10.0.0.1", 8080, true), Endpoint("10.0.0.2", 8080, true)})});
  EXPECT_EQ(Answer("web.default.svc.vigil", dns_type::kA).size(), 2u);
  board_.Put(
      {Service("web", {Endpoint("10.0.0.1", 8080, true), Endpoint("10.0.0.2", 8080, false)})});
  EXPECT_EQ(Answer("web.default.svc.vigil", dns_type::kA),
            Lines{"web.default.svc.vigil. 5 IN A 10.0.0.1"});
  board_.Put(
      {Service("web", {Endpoint("10.0.0.1", 8080, true), Endpoint("10.0.0.2", 8080, true)})});
  EXPECT_EQ(Answer("web.default.svc.vigil", dns_type::kA).size(), 2u);
  board_.Delete({{"default", "web"}});
  EXPECT_EQ(Ask("web.default.svc.vigil", dns_type::kA).rcode, DnsRcode::kNxDomain);
}

TEST_F(ZoneAnswerTest, EdnsVersionsAboveZeroAreBadVers) {
  DnsQuery q = Query("vigil", dns_type::kSoa);
  q.edns = DnsEdns{4096, 1, false};
  const DnsResponse r = AnswerQuery(q, board_, zone_);
  EXPECT_EQ(r.rcode, DnsRcode::kBadVers);
  EXPECT_TRUE(r.answer.empty());
  q.edns->version = 0;
  EXPECT_EQ(AnswerQuery(q, board_, zone_).rcode, DnsRcode::kNoError);
}

// Values another etcd client wrote may hold anything: an address that is
// none is left out rather than answered.
TEST_F(ZoneAnswerTest, AnAddressThatIsNoneIsLeftOut) {
  board_.Put(
      {Service("web", {Endpoint("not-an-ip", 8080, true), Endpoint("10.0.0.1", 8080, true)})});
  EXPECT_EQ(Answer("web.default.svc.vigil", dns_type::kA),
            Lines{"web.default.svc.vigil. 5 IN A 10.0.0.1"});
  EXPECT_EQ(Answer("_http._tcp.web.default.svc.vigil", dns_type::kSrv).size(), 1u);
  EXPECT_EQ(Ask("not-an-ip.web.default.svc.vigil", dns_type::kA).rcode, DnsRcode::kNxDomain);
}

}  // namespace
}  // namespace vigil
