// What tests need from the machine they run on: programs on the PATH and free
// loopback ports. Thread-safe.
#pragma once

#include <string>

namespace vigil::testing {

// The path of `program` on $PATH, or "" when it is not installed.
std::string FindProgram(const std::string& program);

// A loopback TCP port nobody listens on right now. Another process may take
// it before the caller binds it: good enough for tests on one machine.
int FreeLoopbackPort();

}  // namespace vigil::testing
