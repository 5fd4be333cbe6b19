// The precompiled answers against the answers built for each query (ldns's
// decoder, the zone, ldns's encoder), byte for byte, from a real
// StatusBoard: patched for each query's ID, flags, case and SOA serial;
// truncated for each transport's size; dropped for exactly the services
// that changed, and all of them when the board's history restarts or is
// out of reach; bounded in size.
#include "exporters/dns/answer_cache.h"

#include <gtest/gtest.h>
#include <ldns/ldns.h>

#include <memory>
#include <set>
#include <tuple>

#include "exporters/dns/query_decoder.h"
#include "tests/exporters/dns/dns_fixtures.h"
#include "tests/support/dns_messages.h"

namespace vigil {
namespace {

using testing::DnsBytes;
using testing::DnsQueryBytes;
using testing::Endpoint;
using testing::Many;
using testing::Packet;
using testing::ParsePacket;
using testing::RecordText;
using testing::Service;

// A query with EDNS0 of `edns_size` (0: none), RD clear or set, CD, DO.
DnsBytes Query(uint16_t id, const std::string& name, uint16_t type, uint16_t edns_size = 0,
               bool rd = true, bool cd = false, bool dnssec_ok = false) {
  DnsBytes b = DnsQueryBytes(id, name, type, edns_size);
  b[2] = rd ? 0x01 : 0x00;
  b[3] = cd ? 0x10 : 0x00;
  if (edns_size > 0 && dnssec_ok) b[b.size() - 4] = 0x80;
  return b;
}

uint32_t SerialOf(const std::vector<uint8_t>& wire) {
  const Packet p = ParsePacket(wire);
  const ldns_rr_list* authority = ldns_pkt_authority(p.get());
  EXPECT_EQ(ldns_rr_list_rr_count(authority), 1u);
  if (ldns_rr_list_rr_count(authority) != 1) return 0;
  return ldns_rdf2native_int32(ldns_rr_rdf(ldns_rr_list_rr(authority, 0), 2));
}

class AnswerCacheTest : public ::testing::Test {
 protected:
  // The answer built for `message` alone, as the server built every answer
  // before it had a cache.
  std::vector<uint8_t> Built(const DnsBytes& message, size_t limit) {
    const DecodedQuery decoded = DecodeDnsQuery(message);
    const auto* query = std::get_if<DnsQuery>(&decoded);
    EXPECT_NE(query, nullptr);
    if (query == nullptr) return {};
    std::vector<uint8_t> wire;
    EXPECT_TRUE(encoder_.Encode(*query, AnswerQuery(*query, board_, zone_), limit, &wire).ok());
    return wire;
  }
  // The answer from the cache, after it looks at the board.
  std::vector<uint8_t> Cached(const DnsBytes& message, size_t limit) {
    cache_.Refresh();
    const std::optional<ScannedQuery> scanned = ScanDnsQuery(message);
    EXPECT_TRUE(scanned.has_value());
    if (!scanned) return {};
    std::vector<uint8_t> wire;
    EXPECT_TRUE(cache_.Answer(*scanned, message, limit, &wire).has_value());
    return wire;
  }
  size_t UdpLimitOf(const DnsBytes& message) {
    const ScannedQuery s = *ScanDnsQuery(message);
    return UdpLimit(s.edns ? std::optional<uint16_t>(s.udp_size) : std::nullopt);
  }
  // Asks twice (built, then kept) and expects the built answer both times.
  void ExpectSame(const DnsBytes& message, size_t limit, const std::string& what) {
    const std::vector<uint8_t> want = Built(message, limit);
    EXPECT_EQ(Cached(message, limit), want) << what;
    EXPECT_EQ(Cached(message, limit), want) << what << ", kept";
  }

  StatusBoard board_;
  DnsZone zone_{"vigil", 5, {"127.0.0.53", "fd00::53"}};
  ResponseEncoder encoder_;
  AnswerCache cache_{board_, zone_};
};

TEST_F(AnswerCacheTest, EveryKindOfAnswerIsTheOneBuiltForTheQuery) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true), Endpoint("10.0.0.2", 8080, false),
                              Endpoint("fd00::1", 8080, true)}),
              Many("big", 40)});
  const std::vector<std::pair<std::string, uint16_t>> questions = {
      {"web.default.svc.vigil", dns_type::kA},
      {"web.default.svc.vigil", dns_type::kAaaa},
      {"web.default.svc.vigil", dns_type::kAny},
      {"web.default.svc.vigil", 16},  // TXT
      {"_http._tcp.web.default.svc.vigil", dns_type::kSrv},
      {"_tcp.web.default.svc.vigil", dns_type::kSrv},
      {"_grpc._tcp.web.default.svc.vigil", dns_type::kSrv},
      {"10-0-0-1.web.default.svc.vigil", dns_type::kA},
      {"10-0-0-2.web.default.svc.vigil", dns_type::kA},
      {"fd00--1.web.default.svc.vigil", dns_type::kAaaa},
      {"big.default.svc.vigil", dns_type::kA},
      {"_http._tcp.big.default.svc.vigil", dns_type::kSrv},
      {"nope.default.svc.vigil", dns_type::kA},
      {"default.svc.vigil", dns_type::kA},
      {"svc.vigil", dns_type::kA},
      {"vigil", dns_type::kSoa},
      {"vigil", dns_type::kNs},
      {"vigil", dns_type::kAny},
      {"ns.dns.vigil", dns_type::kA},
      {"ns.dns.vigil", dns_type::kAaaa},
      {"example.com", dns_type::kA},
      {"", dns_type::kNs},
      {"vigil", dns_type::kAxfr},
  };
  uint16_t id = 1;
  for (const auto& [name, type] : questions) {
    const std::string what = name + " " + std::to_string(type);
    for (const uint16_t edns : {uint16_t{0}, uint16_t{512}, uint16_t{1232}, uint16_t{4096}}) {
      const DnsBytes q = Query(id++, name, type, edns);
      ExpectSame(q, UdpLimitOf(q), what + " UDP, EDNS " + std::to_string(edns));
      ExpectSame(q, kMaxTcpMessage, what + " TCP, EDNS " + std::to_string(edns));
    }
    const DnsBytes dnssec = Query(id++, name, type, 1232, false, true, true);
    ExpectSame(dnssec, UdpLimitOf(dnssec), what + " no RD, CD, DO");
  }
  // The class: IN, ANY and CHAOS (refused) are each their own answer.
  for (const uint16_t qclass : {uint16_t{1}, uint16_t{3}, uint16_t{255}}) {
    DnsBytes q = Query(id++, "web.default.svc.vigil", dns_type::kA);
    q[q.size() - 1] = static_cast<uint8_t>(qclass);
    ExpectSame(q, 512, "class " + std::to_string(qclass));
  }
}

TEST_F(AnswerCacheTest, AnAnswerKeptIsPatchedForEachQuery) {
  board_.Put(
      {Service("web", {Endpoint("10.0.0.1", 8080, true), Endpoint("10.0.0.2", 8080, true)})});
  ExpectSame(Query(1, "_http._tcp.web.default.svc.vigil", dns_type::kSrv), 512, "first");
  const uint64_t builds = cache_.builds();
  // Another ID, other header bits, another spelling: the same answer kept,
  // patched, and equal to the one built for that query.
  for (const auto& [id, name, rd, cd] : std::vector<std::tuple<uint16_t, std::string, bool, bool>>{
           {0xffff, "_http._tcp.web.default.svc.vigil", false, false},
           {0x8000, "_HTTP._TCP.Web.Default.SVC.Vigil", true, true},
           {0x0000, "_http._tcp.WEB.default.svc.vigil", false, true}}) {
    const DnsBytes q = Query(id, name, dns_type::kSrv, 0, rd, cd);
    const std::vector<uint8_t> want = Built(q, 512);
    EXPECT_EQ(Cached(q, 512), want) << name;
  }
  EXPECT_EQ(cache_.builds(), builds);
}

TEST_F(AnswerCacheTest, TheQuestionKeepsItsCaseAndTheNamesPointingAtItFollow) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true)})});
  Cached(Query(1, "_http._tcp.web.default.svc.vigil", dns_type::kSrv), 512);
  const std::vector<uint8_t> wire =
      Cached(Query(2, "_HTTP._tcp.WeB.default.svc.VIGIL", dns_type::kSrv), 512);
  const Packet p = ParsePacket(wire);
  EXPECT_EQ(RecordText(ldns_rr_list_rr(ldns_pkt_question(p.get()), 0)),
            "_HTTP._tcp.WeB.default.svc.VIGIL.\tIN\tSRV");
  // The owners point at the question, so read in its spelling (the
  // additional record's, its suffix); the SRV target is written whole, as
  // built (RFC 2782 forbids compressing it).
  EXPECT_EQ(RecordText(ldns_rr_list_rr(ldns_pkt_answer(p.get()), 0)),
            "_HTTP._tcp.WeB.default.svc.VIGIL.\t5\tIN\tSRV\t0 100 8080 "
            "10-0-0-1.web.default.svc.vigil.");
  EXPECT_EQ(RecordText(ldns_rr_list_rr(ldns_pkt_additional(p.get()), 0)),
            "10-0-0-1.WeB.default.svc.VIGIL.\t5\tIN\tA\t10.0.0.1");
  // An A record's owner is the question's name: in its spelling.
  const Packet a = ParsePacket(Cached(Query(3, "Web.DEFAULT.svc.vigil", dns_type::kA), 512));
  EXPECT_EQ(RecordText(ldns_rr_list_rr(ldns_pkt_answer(a.get()), 0)),
            "Web.DEFAULT.svc.vigil.\t5\tIN\tA\t10.0.0.1");
}

// Every compression pointer of a patched answer points back, at a label
// that begins inside the message: the patch moved nothing.
TEST_F(AnswerCacheTest, CompressionPointersStayValidAfterPatching) {
  board_.Put({Many("big", 6)});
  Cached(Query(1, "_http._tcp.big.default.svc.vigil", dns_type::kSrv), 512);
  const std::vector<uint8_t> wire =
      Cached(Query(2, "_HTTP._TCP.BIG.DEFAULT.SVC.VIGIL", dns_type::kSrv), 512);
  // The labels' starts, walking the message as ldns wrote it.
  std::set<size_t> starts;
  size_t pointers = 0;
  size_t at = 12;
  const auto name = [&] {
    while (at < wire.size()) {
      if ((wire[at] & 0xc0) == 0xc0) {
        const size_t target = static_cast<size_t>((wire[at] & 0x3f) << 8 | wire[at + 1]);
        EXPECT_LT(target, at);
        EXPECT_EQ(starts.count(target), 1u) << target;
        ++pointers;
        at += 2;
        return;
      }
      starts.insert(at);
      const size_t length = wire[at];
      at += 1 + length;
      if (length == 0) return;
    }
  };
  const auto count = [&](size_t i) { return static_cast<size_t>(wire[i] << 8 | wire[i + 1]); };
  name();
  at += 4;
  for (size_t r = 0; r < count(6) + count(8) + count(10); ++r) {
    name();
    const size_t type = count(at);
    const size_t length = count(at + 8);
    at += 10;
    const size_t end = at + length;
    if (type == dns_type::kSrv) {
      at += 6;
      name();
    }
    at = end;
  }
  EXPECT_EQ(at, wire.size());
  EXPECT_EQ(pointers, 12u);  // 6 owners, 6 additional owners (targets are whole)
  EXPECT_EQ(ldns_pkt_ancount(ParsePacket(wire).get()), 6);
}

TEST_F(AnswerCacheTest, EachLimitGetsItsOwnTruncation) {
  board_.Put({Many("big", 60)});
  const std::string srv = "_http._tcp.big.default.svc.vigil";
  // Without EDNS 512 bytes; with it, its size within [512, 1232]; TCP whole.
  for (const uint16_t edns : {uint16_t{0}, uint16_t{600}, uint16_t{800}, uint16_t{1000},
                              uint16_t{1100}, uint16_t{1232}, uint16_t{700}, uint16_t{0}}) {
    const DnsBytes q = Query(edns, srv, dns_type::kSrv, edns);
    const size_t limit = UdpLimitOf(q);
    const std::vector<uint8_t> want = Built(q, limit);
    const std::vector<uint8_t> got = Cached(q, limit);
    EXPECT_EQ(got, want) << edns;
    EXPECT_LE(got.size(), limit);
    EXPECT_TRUE(ldns_pkt_tc(ParsePacket(got).get()) ||
                ldns_pkt_arcount(ParsePacket(got).get()) < 60)
        << edns;
  }
  const DnsBytes tcp = Query(9, srv, dns_type::kSrv);
  const std::vector<uint8_t> whole = Cached(tcp, kMaxTcpMessage);
  EXPECT_EQ(whole, Built(tcp, kMaxTcpMessage));
  EXPECT_EQ(ldns_pkt_ancount(ParsePacket(whole).get()), 60);
  EXPECT_FALSE(ldns_pkt_tc(ParsePacket(whole).get()));
  // And A records past 512 bytes: TC, as many as fit.
  const DnsBytes a = Query(10, "big.default.svc.vigil", dns_type::kA);
  EXPECT_EQ(Cached(a, 512), Built(a, 512));
  EXPECT_TRUE(ldns_pkt_tc(ParsePacket(Cached(a, 512)).get()));
}

TEST_F(AnswerCacheTest, AChangedServiceIsAnsweredAnewAndTheOthersAreKept) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true), Endpoint("10.0.0.2", 8080, true)}),
              Service("db", {Endpoint("10.0.1.1", 5432, true)})});
  const DnsBytes web = Query(1, "web.default.svc.vigil", dns_type::kA);
  const DnsBytes web_srv = Query(2, "_http._tcp.web.default.svc.vigil", dns_type::kSrv);
  const DnsBytes web_endpoint = Query(3, "10-0-0-2.web.default.svc.vigil", dns_type::kA);
  const DnsBytes db = Query(4, "db.default.svc.vigil", dns_type::kA);
  for (const DnsBytes* q : {&web, &web_srv, &web_endpoint, &db}) ExpectSame(*q, 512, "before");
  EXPECT_EQ(ldns_pkt_ancount(ParsePacket(Cached(web, 512)).get()), 2);

  // 10.0.0.2 fails: every name of web is answered anew, in the very next answer.
  board_.Put(
      {Service("web", {Endpoint("10.0.0.1", 8080, true), Endpoint("10.0.0.2", 8080, false)})});
  const uint64_t builds = cache_.builds();
  ExpectSame(db, 512, "db, web changed");
  EXPECT_EQ(cache_.builds(), builds) << "db's answer was built again";
  for (const DnsBytes* q : {&web, &web_srv, &web_endpoint}) ExpectSame(*q, 512, "after");
  EXPECT_EQ(ldns_pkt_ancount(ParsePacket(Cached(web, 512)).get()), 1);
  EXPECT_EQ(ldns_pkt_get_rcode(ParsePacket(Cached(web_endpoint, 512)).get()), LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(cache_.builds(), builds + 3);

  // Deleted, then back.
  board_.Delete({{"default", "web"}});
  EXPECT_EQ(ldns_pkt_get_rcode(ParsePacket(Cached(web, 512)).get()), LDNS_RCODE_NXDOMAIN);
  ExpectSame(web, 512, "deleted");
  board_.Put({Service("web", {Endpoint("10.0.0.3", 8080, true)})});
  ExpectSame(web, 512, "back");
  EXPECT_EQ(RecordText(ldns_rr_list_rr(ldns_pkt_answer(ParsePacket(Cached(web, 512)).get()), 0)),
            "web.default.svc.vigil.\t5\tIN\tA\t10.0.0.3");
}

TEST_F(AnswerCacheTest, WithoutLookingAtTheBoardTheKeptAnswerIsGiven) {
  // What Refresh() is for: the cache itself never reads the board's version.
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true)})});
  const DnsBytes q = Query(1, "web.default.svc.vigil", dns_type::kA);
  const std::vector<uint8_t> before = Cached(q, 512);
  board_.Put({Service("web", {Endpoint("10.0.0.2", 8080, true)})});
  std::vector<uint8_t> stale;
  ASSERT_TRUE(cache_.Answer(*ScanDnsQuery(q), q, 512, &stale).has_value());
  EXPECT_EQ(stale, before);
  EXPECT_NE(Cached(q, 512), before);
}

TEST_F(AnswerCacheTest, ANewServiceAndANewNamespaceAreSeen) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true)})});
  const DnsBytes shop = Query(1, "shop.svc.vigil", dns_type::kA);
  const DnsBytes cart = Query(2, "cart.shop.svc.vigil", dns_type::kA);
  EXPECT_EQ(ldns_pkt_get_rcode(ParsePacket(Cached(shop, 512)).get()), LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(ldns_pkt_get_rcode(ParsePacket(Cached(cart, 512)).get()), LDNS_RCODE_NXDOMAIN);
  board_.Put({Service("cart", {Endpoint("10.0.2.1", 8080, true)}, {{"http", 8080}}, "shop")});
  ExpectSame(shop, 512, "the namespace");
  EXPECT_EQ(ldns_pkt_get_rcode(ParsePacket(Cached(shop, 512)).get()), LDNS_RCODE_NOERROR);
  ExpectSame(cart, 512, "the service");
  EXPECT_EQ(ldns_pkt_ancount(ParsePacket(Cached(cart, 512)).get()), 1);
  // The service moves to another namespace (the old one goes, the new one
  // comes): the old names go with it.
  board_.Delete({{"shop", "cart"}});
  board_.Put({Service("cart", {Endpoint("10.0.2.1", 8080, true)}, {{"http", 8080}}, "store")});
  EXPECT_EQ(ldns_pkt_get_rcode(ParsePacket(Cached(shop, 512)).get()), LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(ldns_pkt_get_rcode(ParsePacket(Cached(cart, 512)).get()), LDNS_RCODE_NXDOMAIN);
  ExpectSame(Query(3, "cart.store.svc.vigil", dns_type::kA), 512, "moved");
}

TEST_F(AnswerCacheTest, TheSoaSerialIsTheBoardsVersionWithoutBuildingAgain) {
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true)})});
  const DnsBytes nx = Query(1, "nope.default.svc.vigil", dns_type::kA);
  const DnsBytes nodata = Query(2, "web.default.svc.vigil", dns_type::kAaaa);
  const DnsBytes apex = Query(3, "vigil", dns_type::kAny);
  for (const DnsBytes* q : {&nx, &nodata, &apex}) ExpectSame(*q, 512, "before");
  const uint64_t builds = cache_.builds();
  for (int i = 0; i < 3; ++i) {
    board_.Put({Service("other" + std::to_string(i), {Endpoint("10.0.9.1", 80, true)})});
    for (const DnsBytes* q : {&nx, &nodata, &apex}) ExpectSame(*q, 512, "after");
    EXPECT_EQ(SerialOf(Cached(nx, 512)), static_cast<uint32_t>(board_.resource_version()));
  }
  // The apex's and the name server's answers depend on nothing else; web's
  // on web only.
  EXPECT_EQ(cache_.builds(), builds);
}

TEST_F(AnswerCacheTest, ARestartedHistoryDropsEveryAnswer) {
  StatusBoard board(StatusBoard::Options{.history = 16, .start_version = 100});
  AnswerCache cache(board, zone_);
  const auto ask = [&](const DnsBytes& q) {
    cache.Refresh();
    std::vector<uint8_t> wire;
    EXPECT_TRUE(cache.Answer(*ScanDnsQuery(q), q, 512, &wire).has_value());
    return wire;
  };
  const auto built = [&](const DnsBytes& q) {
    const DnsQuery query = std::get<DnsQuery>(DecodeDnsQuery(q));
    std::vector<uint8_t> wire;
    EXPECT_TRUE(encoder_.Encode(query, AnswerQuery(query, board, zone_), 512, &wire).ok());
    return wire;
  };
  board.Put({Service("web", {Endpoint("10.0.0.1", 8080, true)})});
  const DnsBytes q = Query(1, "web.default.svc.vigil", dns_type::kA);
  EXPECT_EQ(ask(q), built(q));
  // The same version, other contents: only the epoch says so.
  board.ResetTo(board.resource_version(), {Service("web", {Endpoint("10.0.0.9", 8080, true)})});
  EXPECT_EQ(ask(q), built(q));
  EXPECT_NE(
      RecordText(ldns_rr_list_rr(ldns_pkt_answer(ParsePacket(ask(q)).get()), 0)).find("10.0.0.9"),
      std::string::npos);
  // More changes than the history keeps: everything is built again.
  for (int i = 0; i < 40; ++i) {
    board.Put({Service("web", {Endpoint("10.0.0." + std::to_string(i % 2 + 1), 8080, true)}),
               Service("x" + std::to_string(i), {Endpoint("10.0.3.1", 80, true)})});
  }
  ASSERT_FALSE(board.EventsSince(101).has_value());
  EXPECT_EQ(ask(q), built(q));
}

TEST_F(AnswerCacheTest, ItsSizeIsBounded) {
  constexpr size_t kMax = 64 << 10;
  AnswerCache small(board_, zone_, kMax);
  board_.Put({Service("web", {Endpoint("10.0.0.1", 8080, true)})});
  size_t most = 0;
  for (int i = 0; i < 2000; ++i) {
    const DnsBytes q = Query(1, "n" + std::to_string(i) + ".default.svc.vigil", dns_type::kA);
    small.Refresh();
    std::vector<uint8_t> wire;
    ASSERT_TRUE(small.Answer(*ScanDnsQuery(q), q, 512, &wire).has_value());
    EXPECT_EQ(wire, Built(q, 512));
    most = std::max(most, small.bytes());
  }
  EXPECT_LE(most, kMax + 1024);
  EXPECT_LT(small.entries(), 2000u);
  EXPECT_GT(small.entries(), 0u);
}

}  // namespace
}  // namespace vigil
