#include "tests/support/tcp_sockets.h"

#include <arpa/inet.h>
#include <unistd.h>

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

// "0100007F:1F90" → "0100007F", as /proc/net/tcp writes 127.0.0.1.
std::string HexAddressOf(const std::string& address) {
  return address.substr(0, address.rfind(':'));
}

std::string ProcHex(const std::string& ipv4) {
  in_addr a{};
  if (inet_pton(AF_INET, ipv4.c_str(), &a) != 1) return "";
  char text[9];
  std::snprintf(text, sizeof text, "%08X", a.s_addr);  // the kernel prints it in host order
  return text;
}

int CountIn(const char* path, const std::string& hex_address, int port, int state) {
  std::ifstream file(path);
  std::string line;
  std::getline(file, line);  // the column titles
  int count = 0;
  while (std::getline(file, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, st;
    fields >> slot >> local >> remote >> st;
    const auto is = [&](const std::string& end) {
      return PortOf(end) == port && HexAddressOf(end) == hex_address;
    };
    if (std::stoi(st, nullptr, 16) == state && (is(local) || is(remote))) {
      ++count;
    }
  }
  return count;
}

}  // namespace

int CountTcpSockets(const std::string& address, int port, int state) {
  return CountIn("/proc/net/tcp", ProcHex(address), port, state);
}

std::string UniqueLoopbackAddress() {
  const unsigned pid = static_cast<unsigned>(getpid());
  return "127.200." + std::to_string((pid >> 8) % 250) + "." + std::to_string(pid % 250 + 1);
}

}  // namespace vigil::testing
