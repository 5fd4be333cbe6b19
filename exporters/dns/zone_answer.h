// The answer to a DNS query for the zone, from the StatusBoard as it is at
// that moment (no cache: a readiness change is in the very next answer).
// The names are zone_names.h's; the records, as Kubernetes' DNS
// specification has them for headless services:
//
// - SERVICE.NAMESPACE.svc.DOMAIN: A / AAAA, each address of the service's
//   ready endpoints once (every endpoint's with publishNotReadyAddresses).
// - _PORT._tcp.SERVICE…: SRV, one per such endpoint on the port so named
//   (priority 0, weight 100 / n, the endpoint's port, target
//   ENDPOINT.SERVICE…), whose A / AAAA go in the additional section.
// - ENDPOINT.SERVICE…: the endpoint's A / AAAA, while it is published.
// - DOMAIN: SOA (serial: the board's resourceVersion, low 32 bits) and NS
//   (ns.dns.DOMAIN, whose A / AAAA are the server's own addresses when
//   it listens on particular ones).
// - A name of the zone without records of the type asked: NOERROR, no
//   answer, the SOA in the authority section; a name the zone does not
//   have: NXDOMAIN with the SOA; a name outside it, a class other than IN,
//   a zone transfer: REFUSED. EDNS versions above 0: BADVERS.
// Every record has the zone's TTL, negative answers too (the SOA's minimum).
//
// Pure: no I/O, no clock; reads the board (thread-safe) only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "exporters/dns/dns_message.h"
#include "exporters/registry/status_board.h"

namespace vigil {

struct DnsZone {
  std::string domain = "vigil";  // dotted, lowercase
  uint32_t ttl = 5;
  // The addresses ns.dns.DOMAIN resolves to (IP literals); may be empty.
  std::vector<std::string> name_server_addresses;
};

DnsResponse AnswerQuery(const DnsQuery& query, const StatusBoard& board, const DnsZone& zone);

}  // namespace vigil
