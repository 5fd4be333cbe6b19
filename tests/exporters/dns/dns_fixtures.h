// What the DNS tests build and read back: Endpoints objects for a real
// StatusBoard (ready or not, on node-a unless told), and answers on the wire
// parsed with ldns, an implementation of its own. Pure functions, except that
// ParsePacket reports a message ldns cannot read as a test failure. It
// leaves <ldns/ldns.h> to the tests (which include it after the C++ headers:
// its stdbool macros break <optional>).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exporters/registry/endpoints.h"

// ldns's own names for its packet and record.
typedef struct ldns_struct_pkt ldns_pkt;
typedef struct ldns_struct_rr ldns_rr;

namespace vigil::testing {

// `address`:`port`, ready and serving (or neither), on `node`.
EndpointStatus Endpoint(const std::string& address, int port, bool ready,
                        const std::string& node = "node-a");

// The service `name` of `namespace_name` with `endpoints` and `ports`.
EndpointsObject Service(const std::string& name, std::vector<EndpointStatus> endpoints,
                        std::vector<ServicePort> ports = {{"http", 8080}},
                        const std::string& namespace_name = "default");

// The service `name` of `n` ready endpoints 10.1.0.1, 10.1.0.2, … on port
// 8080: some tens of them answer more than 512 bytes.
EndpointsObject Many(const std::string& name, int n);

struct PacketFree {
  void operator()(ldns_pkt* p) const;
};
using Packet = std::unique_ptr<ldns_pkt, PacketFree>;

// `wire` parsed by ldns; a failure of the test (and null) when ldns cannot.
Packet ParsePacket(const std::vector<uint8_t>& wire);

// `rr` in zone-file form, one line without its newline.
std::string RecordText(const ldns_rr* rr);

}  // namespace vigil::testing
