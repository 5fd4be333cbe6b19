// DNS messages for tests, written byte by byte: well-formed queries, and
// malformed messages of every kind a DNS server must survive (truncated
// headers, compression loops, absurd counts, bad label lengths, names too
// long, random bytes). Pure functions; deterministic for a seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vigil::testing {

using DnsBytes = std::vector<uint8_t>;

// A query for `name` ("web.default.svc.vigil") of `type`; with `edns_size`
// above 0, an EDNS0 OPT record offering that UDP size.
DnsBytes DnsQueryBytes(uint16_t id, const std::string& name, uint16_t type, uint16_t edns_size = 0);

// `count` malformed messages, cycling through every kind.
std::vector<DnsBytes> MalformedDnsMessages(size_t count, uint32_t seed);

// `message` with TCP's two-byte length prefix.
DnsBytes WithLengthPrefix(const DnsBytes& message);

}  // namespace vigil::testing
