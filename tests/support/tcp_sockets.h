// What the kernel says about this machine's TCP sockets, read from
// /proc/net/tcp and /proc/net/tcp6: for tests that check that connections are
// closed without leaving TIME_WAIT behind. Thread-safe (reads files only).
#pragma once

#include <string>

namespace vigil::testing {

// The `st` column of /proc/net/tcp.
inline constexpr int kTcpTimeWait = 0x06;

// Sockets in `state` with `port` as their local or remote port, IPv4 and IPv6.
int CountTcpSockets(int port, int state);
// IPv4 sockets in `state` with `address`:`port` as their local or remote end:
// on a loopback address of its own, a test's server is not confused with the
// sockets of other programs on the machine that happen to use the same port.
int CountTcpSockets(const std::string& address, int port, int state);

}  // namespace vigil::testing
