#include "exporters/dns/query_scanner.h"

namespace vigil {
namespace {

constexpr size_t kHeaderSize = ScannedQuery::kNameOffset;
constexpr size_t kMaxLabel = 63;
constexpr size_t kMaxName = 255;      // on the wire, the root's label included
constexpr size_t kOptFixedSize = 11;  // root name, type, class, TTL, RDLENGTH

uint16_t Read16(std::span<const uint8_t> m, size_t at) {
  return static_cast<uint16_t>(m[at] << 8 | m[at + 1]);
}

}  // namespace

std::optional<ScannedQuery> ScanDnsQuery(std::span<const uint8_t> m) {
  if (m.size() < kHeaderSize + 1 + 4) return std::nullopt;
  // QR 0 and opcode QUERY; AA and TC mean nothing in a query.
  if ((m[2] & 0xf8) != 0) return std::nullopt;
  if (Read16(m, 4) != 1 || Read16(m, 6) != 0 || Read16(m, 8) != 0) return std::nullopt;
  const uint16_t additional = Read16(m, 10);
  if (additional > 1) return std::nullopt;

  ScannedQuery q;
  q.id = Read16(m, 0);
  q.recursion_desired = (m[2] & 0x01) != 0;
  q.checking_disabled = (m[3] & 0x10) != 0;
  size_t at = kHeaderSize;
  while (true) {
    if (at >= m.size()) return std::nullopt;
    const size_t length = m[at];
    if (length == 0) break;
    // A pointer or an extended label type: for ldns to judge.
    if (length > kMaxLabel) return std::nullopt;
    at += 1 + length;
    if (at - kHeaderSize + 1 > kMaxName) return std::nullopt;
  }
  ++at;  // the root's label
  q.name_size = at - kHeaderSize;
  if (m.size() - at < 4) return std::nullopt;
  q.type = Read16(m, at);
  q.qclass = Read16(m, at + 2);
  at += 4;

  if (additional == 1) {
    if (m.size() - at < kOptFixedSize) return std::nullopt;
    if (m[at] != 0 || Read16(m, at + 1) != dns_type::kOpt) return std::nullopt;
    // TTL: extended rcode, version, then the flags (DO first).
    if (m[at + 6] != 0) return std::nullopt;  // a version above 0: BADVERS
    const size_t rdata = Read16(m, at + 9);
    if (m.size() - at - kOptFixedSize != rdata) return std::nullopt;
    q.edns = true;
    q.udp_size = Read16(m, at + 3);
    q.dnssec_ok = (m[at + 7] & 0x80) != 0;
    at = m.size();
  }
  if (at != m.size()) return std::nullopt;
  return q;
}

DnsQuery ToDnsQuery(const ScannedQuery& scanned, std::span<const uint8_t> name) {
  DnsQuery query;
  query.id = scanned.id;
  query.recursion_desired = scanned.recursion_desired;
  query.checking_disabled = scanned.checking_disabled;
  // The scan checked the labels' lengths; `name` ends in the root's.
  for (size_t at = 0; at + 1 < name.size();) {
    const size_t length = name[at];
    query.labels.emplace_back(reinterpret_cast<const char*>(name.data() + at + 1), length);
    at += 1 + length;
  }
  query.type = scanned.type;
  query.qclass = scanned.qclass;
  if (scanned.edns) {
    DnsEdns edns;
    edns.udp_size = scanned.udp_size;
    edns.version = 0;
    edns.dnssec_ok = scanned.dnssec_ok;
    query.edns = edns;
  }
  return query;
}

}  // namespace vigil
