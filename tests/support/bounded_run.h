// Running code that might never end, or might take all the memory there is,
// in a forked child with a deadline and a ceiling on its resident memory: a
// regression then fails its test quickly instead of hanging the run or
// exhausting the machine. RLIMIT_AS cannot serve under AddressSanitizer
// (it reserves terabytes of address space at start), so the parent watches
// the child's RSS instead. Call it only while the calling process has one
// thread (a test body before it starts any), as fork requires.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace vigil::testing {

struct BoundedRun {
  enum class End { kReturned, kCrashed, kTimedOut, kOverMemory };
  End end = End::kCrashed;
  std::string output;  // what `body` returned, when it returned
  std::chrono::milliseconds elapsed{0};
  std::chrono::milliseconds cpu{0};  // the child's, user and system, when it returned
  long peak_rss_mb = 0;              // the most the parent saw
};

// Runs `body` in a child; kills the child once it has run `timeout` or holds
// more than `max_rss_mb` MiB.
BoundedRun RunBounded(const std::function<std::string()>& body, std::chrono::milliseconds timeout,
                      long max_rss_mb);

// "returned after 12 ms, 40 MiB", "still running after 10000 ms, 300 MiB", ...
std::string Describe(const BoundedRun& run);

}  // namespace vigil::testing
