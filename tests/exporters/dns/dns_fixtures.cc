#include "tests/exporters/dns/dns_fixtures.h"

#include <gtest/gtest.h>
#include <ldns/ldns.h>

#include <cstdlib>

namespace vigil::testing {

EndpointStatus Endpoint(const std::string& address, int port, bool ready, const std::string& node) {
  EndpointStatus e;
  e.address = address;
  e.port = port;
  e.node = node;
  e.conditions = {ready, ready, false};
  return e;
}

EndpointsObject Service(const std::string& name, std::vector<EndpointStatus> endpoints,
                        std::vector<ServicePort> ports, const std::string& namespace_name) {
  EndpointsObject object;
  object.name = name;
  object.namespace_name = namespace_name;
  object.ports = std::move(ports);
  object.endpoints = std::move(endpoints);
  return object;
}

EndpointsObject Many(const std::string& name, int n) {
  std::vector<EndpointStatus> endpoints;
  for (int i = 0; i < n; ++i) {
    endpoints.push_back(Endpoint(
        "10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1), 8080, true));
  }
  return Service(name, endpoints);
}

void PacketFree::operator()(ldns_pkt* p) const { ldns_pkt_free(p); }

Packet ParsePacket(const std::vector<uint8_t>& wire) {
  ldns_pkt* p = nullptr;
  EXPECT_EQ(ldns_wire2pkt(&p, wire.data(), wire.size()), LDNS_STATUS_OK);
  return Packet(p);
}

std::string RecordText(const ldns_rr* rr) {
  char* text = ldns_rr2str(rr);
  std::string s = text != nullptr ? text : "";
  std::free(text);
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

}  // namespace vigil::testing
