// The DNS messages the server handles, as plain values: a decoded query
// (one question, perhaps EDNS0) and a response (an rcode and its three
// sections of records). The wire format lives elsewhere: query_decoder.h
// reads a query, response_encoder.h writes a response. Plain values: copy
// freely, no synchronization.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace vigil {

// Record types and classes the zone knows (RFC 1035, 3596, 2782, 6891).
namespace dns_type {
inline constexpr uint16_t kA = 1;
inline constexpr uint16_t kNs = 2;
inline constexpr uint16_t kSoa = 6;
inline constexpr uint16_t kAaaa = 28;
inline constexpr uint16_t kSrv = 33;
inline constexpr uint16_t kOpt = 41;
inline constexpr uint16_t kIxfr = 251;
inline constexpr uint16_t kAxfr = 252;
inline constexpr uint16_t kAny = 255;
}  // namespace dns_type

inline constexpr uint16_t kDnsClassIn = 1;
inline constexpr uint16_t kDnsClassAny = 255;

// Response codes; kBadVers (16) needs EDNS0's extended rcode.
enum class DnsRcode : uint16_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
  kBadVers = 16,
};

// "NOERROR", "NXDOMAIN", …: as dig prints them, and the `rcode` label of
// vigil_dns_queries_total.
std::string_view RcodeName(DnsRcode rcode);

struct DnsEdns {
  uint16_t udp_size = 512;  // the requester's UDP payload size
  uint8_t version = 0;
  bool dnssec_ok = false;

  bool operator==(const DnsEdns&) const = default;
};

// A query with its one question.
struct DnsQuery {
  uint16_t id = 0;
  bool recursion_desired = false;
  bool checking_disabled = false;
  // The question's name as sent, one label per item (case kept, bytes as
  // they were); the root name has none.
  std::vector<std::string> labels;
  uint16_t type = dns_type::kA;
  uint16_t qclass = kDnsClassIn;
  std::optional<DnsEdns> edns;

  bool operator==(const DnsQuery&) const = default;
};

// An A or AAAA record's address, in network order.
struct DnsAddress {
  std::array<uint8_t, 16> bytes{};
  uint8_t size = 4;  // 4 (A) or 16 (AAAA)

  bool operator==(const DnsAddress&) const = default;
};

struct DnsSrv {
  uint16_t priority = 0;
  uint16_t weight = 0;
  uint16_t port = 0;
  std::string target;

  bool operator==(const DnsSrv&) const = default;
};

struct DnsNs {
  std::string host;

  bool operator==(const DnsNs&) const = default;
};

struct DnsSoa {
  std::string mname;
  std::string rname;
  uint32_t serial = 0;
  uint32_t refresh = 0;
  uint32_t retry = 0;
  uint32_t expire = 0;
  uint32_t minimum = 0;

  bool operator==(const DnsSoa&) const = default;
};

struct DnsRecord {
  std::string name;  // dotted, without the final dot; class IN
  uint32_t ttl = 0;
  std::variant<DnsAddress, DnsSrv, DnsNs, DnsSoa> data;

  uint16_t type() const;
  bool operator==(const DnsRecord&) const = default;
};

// "web.default.svc.vigil. 5 IN A 10.0.0.1": a record as a zone file (and
// dig) writes it.
std::string ToString(const DnsRecord& record);

struct DnsResponse {
  DnsRcode rcode = DnsRcode::kNoError;
  bool authoritative = false;
  std::vector<DnsRecord> answer;
  std::vector<DnsRecord> authority;
  std::vector<DnsRecord> additional;
};

}  // namespace vigil
