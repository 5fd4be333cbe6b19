// What a process costs, read from /proc: its resident memory (now and at
// its peak) and the CPU time it used, for tests that bound what an attack
// may cost. Thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>

namespace vigil::testing {

// Bytes of resident memory of `pid` (0: this process), now (VmRSS) and at
// its peak (VmHWM); 0 when the process is gone.
uint64_t ResidentBytes(pid_t pid = 0);
uint64_t PeakResidentBytes(pid_t pid = 0);

// The CPU time `pid` (0: this process) used so far, user and system.
std::chrono::milliseconds CpuTime(pid_t pid = 0);

}  // namespace vigil::testing
