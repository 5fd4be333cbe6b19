#include "exporters/dns/zone_answer.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <optional>
#include <set>

#include "exporters/dns/zone_names.h"

namespace vigil {
namespace {

// The SOA's timers, as CoreDNS's kubernetes plugin has them; nothing
// transfers this zone, so only `minimum` (negative caching) matters.
constexpr uint32_t kSoaRefresh = 7200;
constexpr uint32_t kSoaRetry = 1800;
constexpr uint32_t kSoaExpire = 86400;

std::optional<DnsAddress> ParseAddress(const std::string& text) {
  DnsAddress address;
  if (inet_pton(AF_INET, text.c_str(), address.bytes.data()) == 1) {
    address.size = 4;
    return address;
  }
  if (inet_pton(AF_INET6, text.c_str(), address.bytes.data()) == 1) {
    address.size = 16;
    return address;
  }
  return std::nullopt;  // only a value from another etcd client can be
}

bool Wants(uint16_t asked, uint16_t type) { return asked == type || asked == dns_type::kAny; }

bool WantsAddress(uint16_t asked, const DnsAddress& address) {
  return Wants(asked, address.size == 16 ? dns_type::kAaaa : dns_type::kA);
}

// An endpoint DNS lists: ready, or any with publishNotReadyAddresses.
bool Published(const EndpointsObject& service, const EndpointStatus& endpoint) {
  return endpoint.conditions.ready || service.publish_not_ready_addresses;
}

std::string Join(const std::vector<std::string>& labels) {
  std::string name;
  for (const std::string& label : labels) {
    if (!name.empty()) name += '.';
    name += label;
  }
  return name;
}

class Answerer {
 public:
  Answerer(const DnsQuery& query, const StatusBoard& board, const DnsZone& zone)
      : query_(query), board_(board), zone_(zone) {}

  DnsResponse Answer() {
    if (query_.edns && query_.edns->version > 0) return Rcode(DnsRcode::kBadVers);
    if (query_.qclass != kDnsClassIn && query_.qclass != kDnsClassAny) {
      return Rcode(DnsRcode::kRefused);
    }
    const ZoneName name = ParseZoneName(query_.labels, zone_.domain);
    if (name.kind == ZoneName::Kind::kOutside) return Rcode(DnsRcode::kRefused);
    if (query_.type == dns_type::kAxfr || query_.type == dns_type::kIxfr) {
      return Rcode(DnsRcode::kRefused);
    }
    response_.authoritative = true;
    // Records of the name asked carry it as it was asked (case included).
    owner_ = Join(query_.labels);
    const bool exists = Lookup(name);
    if (!exists) response_.rcode = DnsRcode::kNxDomain;
    if (!exists || response_.answer.empty()) response_.authority.push_back(Soa(zone_.domain));
    return std::move(response_);
  }

 private:
  DnsResponse Rcode(DnsRcode rcode) {
    response_.rcode = rcode;
    return std::move(response_);
  }

  DnsRecord Record(std::string name, decltype(DnsRecord::data) data) const {
    return DnsRecord{std::move(name), zone_.ttl, std::move(data)};
  }

  DnsRecord Soa(const std::string& name) const {
    return Record(name, DnsSoa{NameServerName(zone_.domain), "hostmaster." + zone_.domain,
                               static_cast<uint32_t>(board_.resource_version()), kSoaRefresh,
                               kSoaRetry, kSoaExpire, zone_.ttl});
  }

  // Adds the records of `name` asked for; false when the zone has no such name.
  bool Lookup(const ZoneName& name) {
    using Kind = ZoneName::Kind;
    switch (name.kind) {
      case Kind::kOutside:
      case Kind::kUnknown:
        return false;
      case Kind::kApex:
        Apex();
        return true;
      case Kind::kEmpty:
        return true;
      case Kind::kNameServer:
        NameServerAddresses(owner_, &response_.answer);
        return true;
      case Kind::kNamespace:
        return NamespaceExists(name.namespace_name);
      case Kind::kService:
      case Kind::kPortProtocol:
      case Kind::kSrv:
      case Kind::kEndpoint:
        break;
    }
    const std::shared_ptr<const EndpointsObject> service =
        board_.Get(NamespacedName{name.namespace_name, name.service});
    if (service == nullptr) return false;
    switch (name.kind) {
      case Kind::kService:
        ServiceAddresses(*service);
        return true;
      case Kind::kPortProtocol:
        for (const ServicePort& port : service->ports) {
          if (!port.name.empty()) return true;
        }
        return false;
      case Kind::kSrv:
        return Srv(*service, name);
      default:
        return Endpoint(*service, name.endpoint);
    }
  }

  void Apex() {
    if (Wants(query_.type, dns_type::kSoa)) response_.answer.push_back(Soa(owner_));
    if (Wants(query_.type, dns_type::kNs)) {
      const std::string host = NameServerName(zone_.domain);
      response_.answer.push_back(Record(owner_, DnsNs{host}));
      NameServerAddresses(host, &response_.additional, /*all=*/true);
    }
  }

  void NameServerAddresses(const std::string& owner, std::vector<DnsRecord>* out,
                           bool all = false) const {
    for (const std::string& text : zone_.name_server_addresses) {
      const std::optional<DnsAddress> address = ParseAddress(text);
      if (address && (all || WantsAddress(query_.type, *address))) {
        out->push_back(Record(owner, *address));
      }
    }
  }

  bool NamespaceExists(const std::string& namespace_name) const {
    for (const auto& service : board_.Snapshot().services) {
      if (service->namespace_name == namespace_name) return true;
    }
    return false;
  }

  void ServiceAddresses(const EndpointsObject& service) {
    std::set<std::string> seen;
    for (const EndpointStatus& endpoint : service.endpoints) {
      if (!Published(service, endpoint) || !seen.insert(endpoint.address).second) continue;
      const std::optional<DnsAddress> address = ParseAddress(endpoint.address);
      if (address && WantsAddress(query_.type, *address)) {
        response_.answer.push_back(Record(owner_, *address));
      }
    }
  }

  bool Srv(const EndpointsObject& service, const ZoneName& name) {
    const ServicePort* port = nullptr;
    for (const ServicePort& p : service.ports) {
      if (!p.name.empty() && p.name == name.port) port = &p;
    }
    if (port == nullptr) return false;
    if (!Wants(query_.type, dns_type::kSrv)) return true;
    struct Target {
      std::string name;
      DnsAddress address;
      uint16_t port = 0;
    };
    std::vector<Target> targets;
    std::set<std::string> seen;
    for (const EndpointStatus& endpoint : service.endpoints) {
      if (endpoint.port != port->port || !Published(service, endpoint)) continue;
      if (!seen.insert(endpoint.Key()).second) continue;
      const std::optional<DnsAddress> address = ParseAddress(endpoint.address);
      if (!address) continue;
      targets.push_back(
          Target{EndpointLabel(endpoint.address) + "." +
                     ServiceDomainName(service.name, service.namespace_name, zone_.domain),
                 *address, static_cast<uint16_t>(endpoint.port)});
    }
    if (targets.empty()) return true;
    const auto weight = static_cast<uint16_t>(100 / targets.size());
    std::set<std::string> resolved;
    for (const Target& t : targets) {
      response_.answer.push_back(Record(owner_, DnsSrv{0, weight, t.port, t.name}));
      if (resolved.insert(t.name).second) {
        response_.additional.push_back(Record(t.name, t.address));
      }
    }
    return true;
  }

  bool Endpoint(const EndpointsObject& service, const std::string& label) {
    for (const EndpointStatus& endpoint : service.endpoints) {
      if (!Published(service, endpoint) || EndpointLabel(endpoint.address) != label) continue;
      const std::optional<DnsAddress> address = ParseAddress(endpoint.address);
      if (!address) continue;
      if (WantsAddress(query_.type, *address)) {
        response_.answer.push_back(Record(owner_, *address));
      }
      return true;  // the same address on other ports or nodes: one record
    }
    return false;
  }

  const DnsQuery& query_;
  const StatusBoard& board_;
  const DnsZone& zone_;
  DnsResponse response_;
  std::string owner_;
};

}  // namespace

DnsResponse AnswerQuery(const DnsQuery& query, const StatusBoard& board, const DnsZone& zone) {
  return Answerer(query, board, zone).Answer();
}

}  // namespace vigil
