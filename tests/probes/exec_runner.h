// Helpers for exec probe tests: a spec running a command, and what the test
// process holds (descriptors, children), to show that probes leave nothing
// behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "probes/probe_spec.h"

namespace vigil::testing {

// An exec probe of `command` with a 5 s timeout.
ProbeSpec ExecSpec(std::vector<std::string> command);
// The same through /bin/sh -c `script`.
ProbeSpec ShellSpec(const std::string& script);

// How many file descriptors this process has open.
size_t OpenDescriptors();
// The pids whose parent is this process (running or zombie).
std::vector<pid_t> Children();
// Whether `pid` is gone or a zombie (dead either way).
bool Dead(pid_t pid);
// This process's resident memory, in KiB.
long ResidentKib();

}  // namespace vigil::testing
