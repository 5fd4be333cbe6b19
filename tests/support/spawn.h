// Starting the programs tests run (the vigil binary, etcd) so that a test
// that crashes leaves none of them behind: the child gets SIGKILL when the
// thread that started it dies (PR_SET_PDEATHSIG, set between fork and exec:
// a thread that ends at once after SpawnTied may end before the tie is
// made; a test's own thread lives as long as what it started). Thread-safe.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace vigil::testing {

// Starts `argv` (argv[0] a path) with stdin from /dev/null, stdout written
// to `out_path` and stderr to `err_path` (the same path: both to one file,
// appended). Returns the child's pid, or -1 when it cannot start.
pid_t SpawnTied(const std::vector<std::string>& argv, const std::string& out_path,
                const std::string& err_path);

// The same, talking to the child: its stdin is the pipe `*to_child` writes
// to, its stdout the pipe `*from_child` reads from (both CLOEXEC, the
// caller's to close); stderr goes to `err_path`.
pid_t SpawnTiedPiped(const std::vector<std::string>& argv, int* to_child, int* from_child,
                     const std::string& err_path);

}  // namespace vigil::testing
