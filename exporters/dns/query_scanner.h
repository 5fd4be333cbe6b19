// The common DNS query read by hand, for the server's hot path: one
// question whose name is plain labels (no compression pointer), nothing in
// the answer and authority sections, and at most an EDNS0 OPT record of
// version 0, the message ending right after it. That is what dig, stub
// resolvers, load balancers and dnsperf send. Anything else (another
// opcode, a response, a pointer, an unknown label type, more records,
// trailing bytes) is not taken: the caller decodes it with DecodeDnsQuery
// (query_decoder.h, through ldns), which also says how to answer it.
//
// Hand-written because ldns's decoder allocates the whole packet, every
// record and name, for each query (bench/README.md, "dns"). Every read is
// bounds-checked; a message this scanner takes decodes through
// DecodeDnsQuery to the same query (the dns_query fuzz target checks it).
//
// Pure functions: no I/O, no state; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "exporters/dns/dns_message.h"

namespace vigil {

struct ScannedQuery {
  static constexpr size_t kNameOffset = 12;  // the question's name follows the header

  uint16_t id = 0;
  bool recursion_desired = false;
  bool checking_disabled = false;
  // The question's name, as sent: `name_size` bytes of length-prefixed
  // labels from kNameOffset, the root's empty label included.
  size_t name_size = 1;
  uint16_t type = dns_type::kA;
  uint16_t qclass = kDnsClassIn;
  bool edns = false;
  uint16_t udp_size = 512;  // with edns: the requester's UDP payload size
  bool dnssec_ok = false;   // with edns
};

// The query in `message` when it is the common kind; nullopt otherwise.
std::optional<ScannedQuery> ScanDnsQuery(std::span<const uint8_t> message);

// The DnsQuery `scanned` stands for (what DecodeDnsQuery gives for the
// same message), with its name's labels read from `name`: the message's
// name_size bytes at kNameOffset, or the same name in another case.
DnsQuery ToDnsQuery(const ScannedQuery& scanned, std::span<const uint8_t> name);

}  // namespace vigil
