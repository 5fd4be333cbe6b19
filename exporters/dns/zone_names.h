// The names of the zone (DESIGN.md, "DNS"; Kubernetes' DNS specification
// for headless services), under DOMAIN:
//
//   DOMAIN                                         SOA, NS (ns.dns.DOMAIN)
//   SERVICE.NAMESPACE.svc.DOMAIN                   A / AAAA of its endpoints
//   _PORT._tcp.SERVICE.NAMESPACE.svc.DOMAIN        SRV per endpoint on that named port
//   ENDPOINT.SERVICE.NAMESPACE.svc.DOMAIN          A / AAAA of one endpoint
//
// where ENDPOINT is the endpoint's address with "-" for "." or ":"
// (10-0-0-1, fd00--1). svc.DOMAIN, dns.DOMAIN, NAMESPACE.svc.DOMAIN and
// _tcp.SERVICE… are names without records of their own.
//
// Pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vigil {

// "10-0-0-1" for 10.0.0.1, "fd00--1" for fd00::1.
std::string EndpointLabel(std::string_view address);

// "web.default.svc.vigil".
std::string ServiceDomainName(std::string_view service, std::string_view namespace_name,
                              std::string_view domain);

// "ns.dns.vigil": the name server the zone's NS record names.
std::string NameServerName(std::string_view domain);

// What a query's name is in the zone `domain`. Names are compared without
// regard to case; the parts are lowercase.
struct ZoneName {
  enum class Kind {
    kOutside,       // not in the zone
    kUnknown,       // in the zone, but no name it has
    kApex,          // DOMAIN
    kEmpty,         // svc.DOMAIN, dns.DOMAIN: the zone's structure, no records
    kNameServer,    // ns.dns.DOMAIN
    kNamespace,     // NAMESPACE.svc.DOMAIN
    kService,       // SERVICE.NAMESPACE.svc.DOMAIN
    kPortProtocol,  // _tcp.SERVICE.NAMESPACE.svc.DOMAIN
    kSrv,           // _PORT._tcp.SERVICE.NAMESPACE.svc.DOMAIN
    kEndpoint,      // ENDPOINT.SERVICE.NAMESPACE.svc.DOMAIN
  };
  Kind kind = Kind::kOutside;
  std::string namespace_name;
  std::string service;
  std::string port;      // kSrv: the port's name, without its "_"
  std::string endpoint;  // kEndpoint: the label, e.g. "10-0-0-1"
};

// `labels` as a DnsQuery holds them; `domain` dotted and lowercase.
ZoneName ParseZoneName(const std::vector<std::string>& labels, std::string_view domain);

}  // namespace vigil
