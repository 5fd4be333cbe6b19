#include "exporters/dns/query_decoder.h"

#include <gtest/gtest.h>

#include "tests/support/dns_messages.h"

namespace vigil {
namespace {

using testing::DnsBytes;
using testing::DnsQueryBytes;

DecodedQuery Decode(const DnsBytes& bytes) { return DecodeDnsQuery(bytes); }

DnsQueryError ErrorOf(const DecodedQuery& d) {
  const auto* e = std::get_if<DnsQueryError>(&d);
  EXPECT_NE(e, nullptr) << "decoded as a query";
  return e != nullptr ? *e : DnsQueryError{};
}

TEST(QueryDecoderTest, DecodesAQuery) {
  const DecodedQuery d = Decode(DnsQueryBytes(0x1234, "Web.default.svc.vigil", 33));
  ASSERT_TRUE(std::holds_alternative<DnsQuery>(d)) << ErrorOf(d).reason;
  const DnsQuery& q = std::get<DnsQuery>(d);
  EXPECT_EQ(q.id, 0x1234);
  EXPECT_TRUE(q.recursion_desired);
  EXPECT_EQ(q.labels, (std::vector<std::string>{"Web", "default", "svc", "vigil"}));
  EXPECT_EQ(q.type, dns_type::kSrv);
  EXPECT_EQ(q.qclass, kDnsClassIn);
  EXPECT_FALSE(q.edns.has_value());
}

TEST(QueryDecoderTest, DecodesEdns) {
  const DecodedQuery d = Decode(DnsQueryBytes(1, "vigil", 6, 1232));
  ASSERT_TRUE(std::holds_alternative<DnsQuery>(d)) << ErrorOf(d).reason;
  const DnsQuery& q = std::get<DnsQuery>(d);
  ASSERT_TRUE(q.edns.has_value());
  EXPECT_EQ(q.edns->udp_size, 1232);
  EXPECT_EQ(q.edns->version, 0);
  EXPECT_FALSE(q.edns->dnssec_ok);
}

TEST(QueryDecoderTest, TheRootHasNoLabels) {
  const DecodedQuery d = Decode(DnsQueryBytes(1, "", 2));
  ASSERT_TRUE(std::holds_alternative<DnsQuery>(d)) << ErrorOf(d).reason;
  EXPECT_TRUE(std::get<DnsQuery>(d).labels.empty());
}

TEST(QueryDecoderTest, ShortMessagesAndResponsesAreDropped) {
  for (size_t n = 0; n < 12; ++n) {
    EXPECT_FALSE(ErrorOf(Decode(DnsBytes(n, 0))).answer) << n;
  }
  DnsBytes response = DnsQueryBytes(5, "vigil", 6);
  response[2] |= 0x80;
  const DnsQueryError e = ErrorOf(Decode(response));
  EXPECT_FALSE(e.answer);
  EXPECT_EQ(e.reason, "a response, not a query");
}

TEST(QueryDecoderTest, OtherOpcodesAreNotImplemented) {
  DnsBytes notify = DnsQueryBytes(77, "vigil", 6);
  notify[2] = static_cast<uint8_t>(4 << 3 | 1);  // NOTIFY, RD
  const DnsQueryError e = ErrorOf(Decode(notify));
  EXPECT_TRUE(e.answer);
  EXPECT_EQ(e.rcode, DnsRcode::kNotImp);
  EXPECT_EQ(e.id, 77);
  EXPECT_EQ(e.opcode, 4);
  EXPECT_TRUE(e.recursion_desired);
}

TEST(QueryDecoderTest, MalformedQueriesAreFormErrWithTheirId) {
  DnsBytes two = DnsQueryBytes(0x0102, "vigil", 6);
  two[5] = 2;
  const DnsQueryError e = ErrorOf(Decode(two));
  EXPECT_TRUE(e.answer);
  EXPECT_EQ(e.rcode, DnsRcode::kFormErr);
  EXPECT_EQ(e.id, 0x0102);
  EXPECT_EQ(e.reason, "2 questions: a query has one");
}

// Every kind of malformed message: dropped when it has no header or is a
// response, FORMERR (or NOTIMP for another opcode) otherwise, never a query.
TEST(QueryDecoderTest, EveryKindOfMalformedMessageIsRefused) {
  const std::vector<DnsBytes> messages = testing::MalformedDnsMessages(15 * 40, 42);
  for (size_t i = 0; i < messages.size(); ++i) {
    const DecodedQuery d = Decode(messages[i]);
    const size_t kind = i % 15;
    if (kind == 9) continue;  // random bytes: anything may come of them, but no crash
    SCOPED_TRACE("kind " + std::to_string(kind) + ", message " + std::to_string(i));
    const DnsQueryError e = ErrorOf(d);
    if (kind == 0 || kind == 12) {
      EXPECT_FALSE(e.answer);
      continue;
    }
    EXPECT_TRUE(e.answer) << e.reason;
    EXPECT_EQ(e.rcode, kind == 11 ? DnsRcode::kNotImp : DnsRcode::kFormErr) << e.reason;
    EXPECT_EQ(e.id, static_cast<uint16_t>(messages[i][0] << 8 | messages[i][1]));
  }
}

}  // namespace
}  // namespace vigil
