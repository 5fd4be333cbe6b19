// Heap accounting for tests that bound what a piece of code keeps or needs:
// the bytes allocated and not yet freed, and their peak over a span.
//
// Exact under AddressSanitizer, which `scripts/dev test` builds with: its
// allocator's own count, and its allocation hooks for the peak. Elsewhere
// glibc's mallinfo2(), and the peak only as seen at each Sample().
//
// Not thread-safe: one HeapPeak at a time; the peak counts every thread's
// allocations.
#pragma once

#include <cstddef>

namespace vigil::testing {

// The bytes the program has allocated and not freed.
size_t HeapInUse();

// The highest HeapInUse() from the construction on.
class HeapPeak {
 public:
  HeapPeak();
  ~HeapPeak();
  HeapPeak(const HeapPeak&) = delete;
  HeapPeak& operator=(const HeapPeak&) = delete;

  // Notes HeapInUse() now: needed only where the allocator has no hooks.
  void Sample();
  // The peak, less what was in use at the construction.
  size_t above_start() const;

 private:
  size_t start_ = 0;
  size_t sampled_ = 0;
};

}  // namespace vigil::testing
