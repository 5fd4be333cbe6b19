// The hand-written reader of the common query: what it takes, what it
// leaves to ldns, and that whatever it takes ldns decodes the same way.
#include "exporters/dns/query_scanner.h"

#include <gtest/gtest.h>

#include "exporters/dns/query_decoder.h"
#include "tests/support/dns_messages.h"

namespace vigil {
namespace {

using testing::DnsBytes;
using testing::DnsQueryBytes;

// The query the scanner reads from `bytes`, checked against ldns's.
std::optional<DnsQuery> Scan(const DnsBytes& bytes) {
  const std::optional<ScannedQuery> scanned = ScanDnsQuery(bytes);
  if (!scanned) return std::nullopt;
  const DnsQuery query = ToDnsQuery(*scanned, std::span<const uint8_t>(bytes).subspan(
                                                  ScannedQuery::kNameOffset, scanned->name_size));
  const DecodedQuery decoded = DecodeDnsQuery(bytes);
  const auto* by_ldns = std::get_if<DnsQuery>(&decoded);
  EXPECT_NE(by_ldns, nullptr) << "ldns refuses a message the scanner takes";
  if (by_ldns != nullptr) {
    EXPECT_EQ(query, *by_ldns);
  }
  return query;
}

TEST(QueryScannerTest, ReadsACommonQuery) {
  const std::optional<DnsQuery> q = Scan(DnsQueryBytes(0x1234, "Web.default.svc.vigil", 33));
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->id, 0x1234);
  EXPECT_TRUE(q->recursion_desired);
  EXPECT_FALSE(q->checking_disabled);
  EXPECT_EQ(q->labels, (std::vector<std::string>{"Web", "default", "svc", "vigil"}));
  EXPECT_EQ(q->type, dns_type::kSrv);
  EXPECT_EQ(q->qclass, kDnsClassIn);
  EXPECT_FALSE(q->edns.has_value());

  const std::optional<ScannedQuery> s = ScanDnsQuery(DnsQueryBytes(1, "web.vigil", 1));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name_size, 11u);  // 3web5vigil0
}

TEST(QueryScannerTest, ReadsEdnsAndTheHeaderBits) {
  DnsBytes bytes = DnsQueryBytes(7, "vigil", 6, 4096);
  bytes[2] = 0x00;                 // no RD
  bytes[3] = 0x10;                 // CD
  bytes[bytes.size() - 4] = 0x80;  // DO
  const std::optional<DnsQuery> q = Scan(bytes);
  ASSERT_TRUE(q.has_value());
  EXPECT_FALSE(q->recursion_desired);
  EXPECT_TRUE(q->checking_disabled);
  ASSERT_TRUE(q->edns.has_value());
  EXPECT_EQ(q->edns->udp_size, 4096);
  EXPECT_TRUE(q->edns->dnssec_ok);
  const std::optional<ScannedQuery> s = ScanDnsQuery(bytes);
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(s->edns);
  EXPECT_TRUE(s->dnssec_ok);
  EXPECT_EQ(s->udp_size, 4096);
}

TEST(QueryScannerTest, ReadsEdnsOptionsAndTheRootAndOtherClasses) {
  // dig's COOKIE option: 12 bytes of data in the OPT record.
  DnsBytes cookie = DnsQueryBytes(9, "web.default.svc.vigil", 1, 1232);
  cookie[cookie.size() - 1] = 12;
  cookie.insert(cookie.end(), {0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8});
  ASSERT_TRUE(Scan(cookie).has_value());

  const std::optional<DnsQuery> root = Scan(DnsQueryBytes(1, "", 2));
  ASSERT_TRUE(root.has_value());
  EXPECT_TRUE(root->labels.empty());

  DnsBytes chaos = DnsQueryBytes(1, "version.bind", 16);
  chaos[chaos.size() - 1] = 3;  // CH
  const std::optional<DnsQuery> ch = Scan(chaos);
  ASSERT_TRUE(ch.has_value());
  EXPECT_EQ(ch->qclass, 3);
}

TEST(QueryScannerTest, LeavesEverythingElseToLdns) {
  const DnsBytes plain = DnsQueryBytes(1, "web.default.svc.vigil", 1);
  ASSERT_TRUE(ScanDnsQuery(plain).has_value());
  const auto changed = [&](auto change, DnsBytes base) {
    change(base);
    return base;
  };
  std::vector<std::pair<std::string, DnsBytes>> cases = {
      {"a response", changed([](DnsBytes& b) { b[2] |= 0x80; }, plain)},
      {"NOTIFY", changed([](DnsBytes& b) { b[2] = 4 << 3; }, plain)},
      {"no question", changed([](DnsBytes& b) { b[5] = 0; }, plain)},
      {"two questions", changed([](DnsBytes& b) { b[5] = 2; }, plain)},
      {"an answer", changed([](DnsBytes& b) { b[7] = 1; }, plain)},
      {"an authority record", changed([](DnsBytes& b) { b[9] = 1; }, plain)},
      {"two additional records", changed([](DnsBytes& b) { b[11] = 2; }, plain)},
      {"an additional record missing", changed([](DnsBytes& b) { b[11] = 1; }, plain)},
      {"a byte too many", changed([](DnsBytes& b) { b.push_back(0); }, plain)},
      {"a byte too few", changed([](DnsBytes& b) { b.pop_back(); }, plain)},
      {"a compression pointer", changed(
                                    [](DnsBytes& b) {
                                      b.insert(b.begin() + 12, {0xc0, 0x0c});
                                    },
                                    plain)},
      {"an extended label type", changed([](DnsBytes& b) { b[12] = 0x41; }, plain)},
      {"a label past the end", changed([](DnsBytes& b) { b.resize(14); }, plain)},
      {"EDNS version 1",
       changed([](DnsBytes& b) { b[b.size() - 5] = 1; }, DnsQueryBytes(1, "vigil", 6, 1232))},
      {"an OPT record not at the root",
       changed([](DnsBytes& b) { b[b.size() - 11] = 1; }, DnsQueryBytes(1, "vigil", 6, 1232))},
      {"another additional record",
       changed([](DnsBytes& b) { b[b.size() - 9] = 1; }, DnsQueryBytes(1, "vigil", 6, 1232))},
      {"OPT data past the end",
       changed([](DnsBytes& b) { b[b.size() - 1] = 4; }, DnsQueryBytes(1, "vigil", 6, 1232))},
      {"OPT data short of the end",
       changed([](DnsBytes& b) { b.push_back(0); }, DnsQueryBytes(1, "vigil", 6, 1232))},
  };
  for (const auto& [what, bytes] : cases) {
    EXPECT_FALSE(ScanDnsQuery(bytes).has_value()) << what;
  }
}

// Names of every length around DNS's 255 bytes: the scanner takes those
// that fit, and ldns reads them the same way.
TEST(QueryScannerTest, AgreesWithLdnsAroundTheLongestName) {
  for (size_t wire = 240; wire <= 260; ++wire) {
    // Labels of "a" whose wire form, the root's label included, is `wire` bytes.
    std::string name;
    for (size_t left = wire - 1; left > 0;) {
      size_t label = std::min<size_t>(63, left - 1);
      if (left - 1 - label == 1) --label;  // no room for a label of 0
      if (!name.empty()) name += '.';
      name += std::string(label, 'a');
      left -= 1 + label;
    }
    const DnsBytes bytes = DnsQueryBytes(1, name, 1);
    const std::optional<ScannedQuery> s = ScanDnsQuery(bytes);
    EXPECT_EQ(s.has_value(), wire <= 255) << wire;
    if (s.has_value()) {
      EXPECT_EQ(s->name_size, wire);
      Scan(bytes);
    }
  }
}

TEST(QueryScannerTest, WhatItTakesOfMalformedMessagesLdnsReadsTheSame) {
  size_t taken = 0;
  for (const DnsBytes& bytes : testing::MalformedDnsMessages(3000, 11)) {
    if (Scan(bytes).has_value()) ++taken;
  }
  // Random bytes behind a header make a query now and then; little else.
  EXPECT_LT(taken, 100u);
}

}  // namespace
}  // namespace vigil
