// Runs `dig`, the DNS client tests query vigil's DNS server with (Debian's
// bind9-dnsutils, installed by scripts/install-deps.sh --test), and reads
// what it prints. Thread-safe (each call runs its own process).
#pragma once

#include <string>
#include <vector>

namespace vigil::testing {

// dig's path, or "" when it is not installed.
std::string DigPath();

// Runs `dig @SERVER -p PORT ARGS...` with one try of at most 5 s, and
// returns what it printed on stdout ("" when it could not run).
std::string Dig(const std::string& server, int port, const std::vector<std::string>& args);

// The lines of `output` that are records (not comments, not blank), each
// with its whitespace runs made single spaces:
// "web.default.svc.vigil. 5 IN A 10.0.0.1".
std::vector<std::string> Records(const std::string& output);

// The "status: X" of dig's header comment ("NOERROR", "NXDOMAIN", …), or "".
std::string DigStatus(const std::string& output);

// The header's flags ("qr aa rd tc"), or "".
std::string DigFlags(const std::string& output);

}  // namespace vigil::testing
