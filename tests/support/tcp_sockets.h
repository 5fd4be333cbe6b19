// What the kernel says about this machine's TCP sockets, read from
// /proc/net/tcp and /proc/net/tcp6: for tests that check that connections are
// closed without leaving TIME_WAIT behind. Thread-safe (reads files only).
#pragma once

#include <string>

namespace vigil::testing {

// The `st` column of /proc/net/tcp.
inline constexpr int kTcpTimeWait = 0x06;

// Sockets in `state` with the IPv4 `address`:`port` as their local or remote
// end. With an address no other test uses (UniqueLoopbackAddress), other
// processes' sockets that happen to use the same port number do not count.
int CountTcpSockets(const std::string& address, int port, int state);

// A 127.x.y.z address of this process's own (derived from its pid), for
// servers whose sockets a test counts.
std::string UniqueLoopbackAddress();

}  // namespace vigil::testing
