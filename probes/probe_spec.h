// What to probe: one fully resolved probe of one endpoint, as the agent hands
// it to the ProbeEngine. Named ports and default hosts are resolved before
// this point. A plain value.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace vigil {

struct ProbeSpec {
  enum class Kind { kHttp, kTcp };

  struct Header {
    std::string name;
    std::string value;
  };

  Kind kind = Kind::kHttp;
  bool https = false;  // kHttp only
  std::string host;    // IP literal (IPv6 without brackets) or DNS name
  int port = 0;
  std::string path = "/";       // kHttp only; starts with '/'
  std::vector<Header> headers;  // kHttp only; a "Host" header sets the virtual host
  std::chrono::nanoseconds timeout = std::chrono::seconds(1);  // covers the whole probe
};

}  // namespace vigil
