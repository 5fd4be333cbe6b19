#include "tests/support/tcp_sockets.h"

#include <arpa/inet.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace vigil::testing {
namespace {

// "0100007F:1F90" → 8080
int PortOf(const std::string& address) {
  return std::stoi(address.substr(address.rfind(':') + 1), nullptr, 16);
}

// "0100007F:1F90" for 127.0.0.1:8080, as /proc/net/tcp writes it.
std::string Endpoint(const std::string& address, int port) {
  in_addr ip{};
  inet_pton(AF_INET, address.c_str(), &ip);
  char text[16];
  std::snprintf(text, sizeof(text), "%08X:%04X", ip.s_addr, port);
  return text;
}

int CountIn(const char* path, int port, int state, const std::string& endpoint = "") {
  std::ifstream file(path);
  std::string line;
  std::getline(file, line);  // the column titles
  int count = 0;
  while (std::getline(file, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, st;
    fields >> slot >> local >> remote >> st;
    const bool ours = endpoint.empty() ? PortOf(local) == port || PortOf(remote) == port
                                       : local == endpoint || remote == endpoint;
    if (std::stoi(st, nullptr, 16) == state && ours) {
      ++count;
    }
  }
  return count;
}

}  // namespace

int CountTcpSockets(int port, int state) {
  return CountIn("/proc/net/tcp", port, state) + CountIn("/proc/net/tcp6", port, state);
}

int CountTcpSockets(const std::string& address, int port, int state) {
  return CountIn("/proc/net/tcp", port, state, Endpoint(address, port));
}

}  // namespace vigil::testing
