#include "exporters/dns/dns_message.h"

#include <arpa/inet.h>
#include <sys/socket.h>

namespace vigil {

std::string_view RcodeName(DnsRcode rcode) {
  switch (rcode) {
    case DnsRcode::kNoError:
      return "NOERROR";
    case DnsRcode::kFormErr:
      return "FORMERR";
    case DnsRcode::kServFail:
      return "SERVFAIL";
    case DnsRcode::kNxDomain:
      return "NXDOMAIN";
    case DnsRcode::kNotImp:
      return "NOTIMP";
    case DnsRcode::kRefused:
      return "REFUSED";
    case DnsRcode::kBadVers:
      return "BADVERS";
  }
  return "UNKNOWN";
}

uint16_t DnsRecord::type() const {
  struct Visitor {
    uint16_t operator()(const DnsAddress& a) const {
      return a.size == 16 ? dns_type::kAaaa : dns_type::kA;
    }
    uint16_t operator()(const DnsSrv&) const { return dns_type::kSrv; }
    uint16_t operator()(const DnsNs&) const { return dns_type::kNs; }
    uint16_t operator()(const DnsSoa&) const { return dns_type::kSoa; }
  };
  return std::visit(Visitor{}, data);
}

std::string ToString(const DnsRecord& record) {
  std::string out = record.name + ". " + std::to_string(record.ttl) + " IN ";
  if (const auto* a = std::get_if<DnsAddress>(&record.data)) {
    char text[INET6_ADDRSTRLEN] = {};
    inet_ntop(a->size == 16 ? AF_INET6 : AF_INET, a->bytes.data(), text, sizeof text);
    return out + (a->size == 16 ? "AAAA " : "A ") + text;
  }
  if (const auto* srv = std::get_if<DnsSrv>(&record.data)) {
    return out + "SRV " + std::to_string(srv->priority) + " " + std::to_string(srv->weight) + " " +
           std::to_string(srv->port) + " " + srv->target + ".";
  }
  if (const auto* ns = std::get_if<DnsNs>(&record.data)) return out + "NS " + ns->host + ".";
  const auto& soa = std::get<DnsSoa>(record.data);
  return out + "SOA " + soa.mname + ". " + soa.rname + ". " + std::to_string(soa.serial) + " " +
         std::to_string(soa.refresh) + " " + std::to_string(soa.retry) + " " +
         std::to_string(soa.expire) + " " + std::to_string(soa.minimum);
}

}  // namespace vigil
