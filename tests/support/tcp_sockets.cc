#include "tests/support/tcp_sockets.h"

#include <fstream>
#include <sstream>
#include <string>

namespace vigil::testing {
namespace {

// "0100007F:1F90" → 8080
int PortOf(const std::string& address) {
  return std::stoi(address.substr(address.rfind(':') + 1), nullptr, 16);
}

int CountIn(const char* path, int port, int state) {
  std::ifstream file(path);
  std::string line;
  std::getline(file, line);  // the column titles
  int count = 0;
  while (std::getline(file, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, st;
    fields >> slot >> local >> remote >> st;
    if (std::stoi(st, nullptr, 16) == state && (PortOf(local) == port || PortOf(remote) == port)) {
      ++count;
    }
  }
  return count;
}

}  // namespace

int CountTcpSockets(int port, int state) {
  return CountIn("/proc/net/tcp", port, state) + CountIn("/proc/net/tcp6", port, state);
}

}  // namespace vigil::testing
