// TCP sockets on 127.0.0.1 for the test servers that run their own poll()
// loop (TcpProxy, HostileEtcd): a non-blocking listener on a port the kernel
// picks, and a connection to a port there. Plain functions; the caller owns
// (and closes) the file descriptors they return.
#pragma once

namespace vigil::testing {

// A non-blocking listening socket on 127.0.0.1 and its port in `*port`; -1
// when one cannot be had.
int ListenOnLoopback(int* port);

// A socket connected to 127.0.0.1:`port` (the connect blocks), non-blocking
// from then on; -1 when nothing listens there.
int ConnectToLoopback(int port);

}  // namespace vigil::testing
