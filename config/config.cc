#include "config/config.h"

namespace vigil {

bool Endpoint::IsIpv6() const { return address.find(':') != std::string::npos; }

std::string Endpoint::HostPort() const {
  const std::string port_text = ":" + std::to_string(port);
  return IsIpv6() ? "[" + address + "]" + port_text : address + port_text;
}

bool HttpGetAction::HasExtensions() const {
  return protocol != HttpProtocol::kHttp1 || method != "GET" || body.has_value() ||
         !follow_redirects || tls.has_value() || expect != HttpExpect{};
}

Result<int> ResolvePort(const PortRef& ref, const Service& service, const Endpoint& endpoint) {
  if (ref.number > 0) return ref.number;
  if (ref.name.empty()) return endpoint.port;
  for (const ServicePort& p : service.ports) {
    if (p.name == ref.name) return p.port;
  }
  return Status::Error("port \"" + ref.name + "\" is not a port of service \"" + service.name +
                       "\"");
}

std::set<std::string> SharedServiceNames(const std::vector<Service>& services) {
  std::map<std::string, std::string> namespace_of;
  std::set<std::string> shared;
  for (const Service& service : services) {
    const auto [it, first] = namespace_of.emplace(service.name, service.namespace_name);
    if (!first && it->second != service.namespace_name) shared.insert(service.name);
  }
  return shared;
}

}  // namespace vigil
