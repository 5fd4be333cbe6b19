// Parsing of the address forms a config accepts: endpoint addresses
// ("ip:port", "[v6]:port", "ip") and listen addresses ("host:port").
//
// Pure functions, no I/O: nothing is resolved through DNS.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "config/config.h"

namespace vigil {

// The canonical text of an IPv4 or IPv6 literal ("::1", "10.0.0.1"); an
// error for anything else, host names included.
Result<std::string> CanonicalIp(std::string_view text);

// A host to connect to: an IP literal (canonicalized; brackets around IPv6
// are dropped) or a DNS name (returned as written).
Result<std::string> ParseHost(std::string_view text);

// A TCP port number 1..65535 written in decimal.
Result<int> ParsePort(std::string_view text);

// "ip:port", "[v6]:port", or a bare "ip" / "v6" which takes `default_port`
// (an error when there is none).
Result<Endpoint> ParseEndpoint(std::string_view text, std::optional<int> default_port);

struct ListenAddress {
  std::string host;  // IP literal or host name, without brackets; empty: every interface
  int port = 0;      // 0: any free port
};

// "host:port", "[v6]:port" or ":port".
Result<ListenAddress> ParseListenAddress(std::string_view text);

}  // namespace vigil
