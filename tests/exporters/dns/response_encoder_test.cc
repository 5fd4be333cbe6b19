// The wire form of responses, read back with ldns: flags, counts, EDNS0,
// name compression and truncation to the transport's size.
#include "exporters/dns/response_encoder.h"

#include <gtest/gtest.h>
#include <ldns/ldns.h>

#include <memory>

#include "tests/exporters/dns/dns_fixtures.h"

namespace vigil {
namespace {

using testing::Packet;
using testing::ParsePacket;
using testing::RecordText;

DnsQuery Query(uint16_t type = dns_type::kA) {
  DnsQuery q;
  q.id = 0xbeef;
  q.recursion_desired = true;
  q.labels = {"Web", "default", "svc", "vigil"};
  q.type = type;
  return q;
}

DnsRecord A(const std::string& name, uint8_t last) {
  DnsAddress a;
  a.bytes = {10, 0, 0, last};
  return DnsRecord{name, 5, a};
}

DnsResponse Addresses(int n) {
  DnsResponse r;
  r.authoritative = true;
  for (int i = 0; i < n; ++i)
    r.answer.push_back(A("Web.default.svc.vigil", static_cast<uint8_t>(i)));
  return r;
}

class ResponseEncoderTest : public ::testing::Test {
 protected:
  std::vector<uint8_t> Encode(const DnsQuery& q, const DnsResponse& r, size_t limit) {
    std::vector<uint8_t> wire;
    EXPECT_TRUE(encoder_.Encode(q, r, limit, &wire).ok());
    EXPECT_LE(wire.size(), limit);
    return wire;
  }
  ResponseEncoder encoder_;
};

TEST_F(ResponseEncoderTest, WritesHeaderQuestionAndRecords) {
  DnsResponse r = Addresses(2);
  DnsSoa soa{"ns.dns.vigil", "hostmaster.vigil", 42, 7200, 1800, 86400, 5};
  r.authority.push_back(DnsRecord{"vigil", 5, soa});
  r.additional.push_back(DnsRecord{"_http._tcp.web.default.svc.vigil", 5,
                                   DnsSrv{0, 50, 8080, "10-0-0-1.web.default.svc.vigil"}});
  const Packet p = ParsePacket(Encode(Query(), r, 512));
  EXPECT_EQ(ldns_pkt_id(p.get()), 0xbeef);
  EXPECT_TRUE(ldns_pkt_qr(p.get()));
  EXPECT_TRUE(ldns_pkt_aa(p.get()));
  EXPECT_TRUE(ldns_pkt_rd(p.get()));
  EXPECT_FALSE(ldns_pkt_ra(p.get()));
  EXPECT_FALSE(ldns_pkt_tc(p.get()));
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NOERROR);
  ASSERT_EQ(ldns_pkt_qdcount(p.get()), 1);
  EXPECT_EQ(RecordText(ldns_rr_list_rr(ldns_pkt_question(p.get()), 0)),
            "Web.default.svc.vigil.\tIN\tA");
  ASSERT_EQ(ldns_pkt_ancount(p.get()), 2);
  EXPECT_EQ(RecordText(ldns_rr_list_rr(ldns_pkt_answer(p.get()), 1)),
            "Web.default.svc.vigil.\t5\tIN\tA\t10.0.0.1");
  ASSERT_EQ(ldns_pkt_nscount(p.get()), 1);
  EXPECT_EQ(RecordText(ldns_rr_list_rr(ldns_pkt_authority(p.get()), 0)),
            "vigil.\t5\tIN\tSOA\tns.dns.vigil. hostmaster.vigil. 42 7200 1800 86400 5");
  ASSERT_EQ(ldns_pkt_arcount(p.get()), 1);
  // Names compress without regard to case: the owner's suffix points at the
  // question's spelling.
  EXPECT_EQ(RecordText(ldns_rr_list_rr(ldns_pkt_additional(p.get()), 0)),
            "_http._tcp.Web.default.svc.vigil.\t5\tIN\tSRV\t0 50 8080 "
            "10-0-0-1.web.default.svc.vigil.");
  EXPECT_FALSE(ldns_pkt_edns(p.get()));
}

TEST_F(ResponseEncoderTest, NamesAreCompressed) {
  // 30 records of one name: each after the first is a 2-byte pointer + 14.
  const std::vector<uint8_t> wire = Encode(Query(), Addresses(30), 65535);
  const size_t question = 12 + 23 + 4;
  EXPECT_EQ(wire.size(), question + 30 * 16);
}

TEST_F(ResponseEncoderTest, AnswersEdnsWithItsOwnSize) {
  DnsQuery q = Query();
  q.edns = DnsEdns{4096, 0, true};
  const Packet p = ParsePacket(Encode(q, Addresses(1), UdpLimit(q)));
  ASSERT_TRUE(ldns_pkt_edns(p.get()));
  EXPECT_EQ(ldns_pkt_edns_udp_size(p.get()), kMaxUdpPayload);
  EXPECT_EQ(ldns_pkt_edns_version(p.get()), 0);
  EXPECT_TRUE(ldns_pkt_edns_do(p.get()));
}

TEST_F(ResponseEncoderTest, BadVersIsAnExtendedRcode) {
  DnsQuery q = Query();
  q.edns = DnsEdns{1232, 1, false};
  DnsResponse r;
  r.rcode = DnsRcode::kBadVers;
  const Packet p = ParsePacket(Encode(q, r, UdpLimit(q)));
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), 0);
  EXPECT_EQ(ldns_pkt_edns_extended_rcode(p.get()), 1);  // 16 >> 4
}

TEST_F(ResponseEncoderTest, UdpLimits) {
  DnsQuery q = Query();
  EXPECT_EQ(UdpLimit(q), 512u);
  q.edns = DnsEdns{100, 0, false};
  EXPECT_EQ(UdpLimit(q), 512u);
  q.edns->udp_size = 1000;
  EXPECT_EQ(UdpLimit(q), 1000u);
  q.edns->udp_size = 4096;
  EXPECT_EQ(UdpLimit(q), 1232u);
}

TEST_F(ResponseEncoderTest, TooManyAnswersAreTruncatedWithTc) {
  const Packet p = ParsePacket(Encode(Query(), Addresses(40), 512));
  EXPECT_TRUE(ldns_pkt_tc(p.get()));
  // 512 - 39 bytes of header and question leaves room for 29 records of 16.
  EXPECT_EQ(ldns_pkt_ancount(p.get()), 29);
  EXPECT_EQ(ldns_rr_list_rr_count(ldns_pkt_answer(p.get())), 29u);

  DnsQuery edns = Query();
  edns.edns = DnsEdns{1232, 0, false};
  const Packet whole = ParsePacket(Encode(edns, Addresses(40), UdpLimit(edns)));
  EXPECT_FALSE(ldns_pkt_tc(whole.get()));
  EXPECT_EQ(ldns_pkt_ancount(whole.get()), 40);
  EXPECT_TRUE(ldns_pkt_edns(whole.get()));
}

TEST_F(ResponseEncoderTest, AdditionalRecordsGoFirstAndWithoutTc) {
  DnsResponse r;
  // SRV targets are never compressed (RFC 2782): 7 records of 50 bytes fit
  // in 512, their 7 addresses of 25 bytes after them do not.
  for (int i = 0; i < 7; ++i) {
    const std::string target = "10-0-0-" + std::to_string(i) + ".web.default.svc.vigil";
    r.answer.push_back(
        DnsRecord{"_http._tcp.web.default.svc.vigil", 5, DnsSrv{0, 10, 8080, target}});
    r.additional.push_back(A(target, static_cast<uint8_t>(i)));
  }
  DnsQuery q = Query(dns_type::kSrv);
  q.labels = {"_http", "_tcp", "web", "default", "svc", "vigil"};
  const std::vector<uint8_t> wire = Encode(q, r, 512);
  const Packet p = ParsePacket(wire);
  EXPECT_FALSE(ldns_pkt_tc(p.get()));
  EXPECT_EQ(ldns_pkt_ancount(p.get()), 7);
  EXPECT_LT(ldns_pkt_arcount(p.get()), 7);
  EXPECT_GT(ldns_pkt_arcount(p.get()), 0);
  const Packet all = ParsePacket(Encode(q, r, 65535));
  EXPECT_EQ(ldns_pkt_arcount(all.get()), 7);
}

TEST_F(ResponseEncoderTest, TcpTruncatesOnlyBeyondSixtyFourKilobytes) {
  DnsResponse r;
  for (int i = 0; i < 5000; ++i) {
    DnsAddress a;
    a.bytes = {10, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i & 0xff), 1};
    r.answer.push_back(DnsRecord{"Web.default.svc.vigil", 5, a});
  }
  const std::vector<uint8_t> wire = Encode(Query(), r, kMaxTcpMessage);
  const Packet p = ParsePacket(wire);
  EXPECT_TRUE(ldns_pkt_tc(p.get()));
  EXPECT_EQ(ldns_pkt_ancount(p.get()), (65535 - 39) / 16);
  const Packet fits = ParsePacket(Encode(Query(), Addresses(200), kMaxTcpMessage));
  EXPECT_FALSE(ldns_pkt_tc(fits.get()));
  EXPECT_EQ(ldns_pkt_ancount(fits.get()), 200);
}

TEST_F(ResponseEncoderTest, ErrorsEchoTheHeader) {
  DnsQueryError e;
  e.answer = true;
  e.id = 0x4242;
  e.opcode = 4;
  e.recursion_desired = true;
  e.rcode = DnsRcode::kNotImp;
  std::vector<uint8_t> wire;
  ASSERT_TRUE(encoder_.EncodeError(e, &wire).ok());
  ASSERT_EQ(wire.size(), 12u);
  const Packet p = ParsePacket(wire);
  EXPECT_EQ(ldns_pkt_id(p.get()), 0x4242);
  EXPECT_TRUE(ldns_pkt_qr(p.get()));
  EXPECT_EQ(ldns_pkt_get_opcode(p.get()), LDNS_PACKET_NOTIFY);
  EXPECT_EQ(ldns_pkt_get_rcode(p.get()), LDNS_RCODE_NOTIMPL);
  EXPECT_EQ(ldns_pkt_qdcount(p.get()), 0);
}

}  // namespace
}  // namespace vigil
