#include "tests/support/heap.h"

#include <malloc.h>

#include <algorithm>
#include <atomic>

#if defined(__SANITIZE_ADDRESS__)
#define VIGIL_HEAP_HOOKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VIGIL_HEAP_HOOKS 1
#endif
#endif

#ifdef VIGIL_HEAP_HOOKS
// The sanitizer allocator's interface (sanitizer/allocator_interface.h,
// which GCC does not install).
extern "C" {
size_t __sanitizer_get_current_allocated_bytes();
size_t __sanitizer_get_allocated_size(const volatile void* p);
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, size_t),
                                              void (*free_hook)(const volatile void*));
}
#endif

namespace vigil::testing {
namespace {

#ifdef VIGIL_HEAP_HOOKS
// While a HeapPeak lives: the bytes allocated less freed since it began
// (negative when more was freed), and their maximum.
std::atomic<bool> tracking{false};
std::atomic<long long> net{0};
std::atomic<long long> peak{0};

void OnMalloc(const volatile void*, size_t size) {
  if (!tracking.load(std::memory_order_relaxed)) return;
  const long long now = net.fetch_add(static_cast<long long>(size)) + static_cast<long long>(size);
  long long seen = peak.load();
  while (now > seen && !peak.compare_exchange_weak(seen, now)) {
  }
}

void OnFree(const volatile void* p) {
  if (!tracking.load(std::memory_order_relaxed) || p == nullptr) return;
  net.fetch_sub(static_cast<long long>(__sanitizer_get_allocated_size(p)));
}
#endif

}  // namespace

size_t HeapInUse() {
#ifdef VIGIL_HEAP_HOOKS
  return __sanitizer_get_current_allocated_bytes();
#else
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
#endif
}

HeapPeak::HeapPeak() : start_(HeapInUse()), sampled_(start_) {
#ifdef VIGIL_HEAP_HOOKS
  static const bool installed = __sanitizer_install_malloc_and_free_hooks(OnMalloc, OnFree) != 0;
  (void)installed;
  net = 0;
  peak = 0;
  tracking = true;
#endif
}

HeapPeak::~HeapPeak() {
#ifdef VIGIL_HEAP_HOOKS
  tracking = false;
#endif
}

void HeapPeak::Sample() { sampled_ = std::max(sampled_, HeapInUse()); }

size_t HeapPeak::above_start() const {
  size_t above = sampled_ - start_;
#ifdef VIGIL_HEAP_HOOKS
  above = std::max(above, static_cast<size_t>(std::max(peak.load(), 0LL)));
#endif
  return above;
}

}  // namespace vigil::testing
