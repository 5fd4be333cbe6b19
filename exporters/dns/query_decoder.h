// Reading a DNS query from its wire form: the one function every byte from
// outside passes through, and the entry point of the DNS fuzz target.
//
// The message is parsed by ldns (ldns_wire2pkt: lengths, counts, label
// types and compression pointers are checked there, loops included); what
// ldns accepts is then held to what a query must be. The outcome is either a
// DnsQuery or a DnsQueryError saying whether to answer (FORMERR or NOTIMP,
// with the query's id) or to drop the message: a message too short for a
// header, or one that is itself a response, gets no answer at all, so that
// two servers can never answer each other forever.
//
// Pure function: no I/O, no state; safe from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>

#include "exporters/dns/dns_message.h"

namespace vigil {

struct DnsQueryError {
  bool answer = false;  // false: drop the message
  // For the answer: the header fields a FORMERR or NOTIMP echoes.
  uint16_t id = 0;
  uint8_t opcode = 0;
  bool recursion_desired = false;
  DnsRcode rcode = DnsRcode::kFormErr;
  std::string reason;  // for logs and tests: "truncated header", …
};

using DecodedQuery = std::variant<DnsQuery, DnsQueryError>;

// Decodes one DNS message (without TCP's length prefix).
DecodedQuery DecodeDnsQuery(std::span<const uint8_t> message);

}  // namespace vigil
