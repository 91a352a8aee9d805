// How the meter sees allocations: under AddressSanitizer (which owns malloc)
// through its malloc/free hooks; otherwise by interposing glibc's malloc
// family in the test executable and forwarding to __libc_*. Both count
// usable sizes, so a free subtracts exactly what its allocation added.
#include "alloc_meter.h"

#include <atomic>
#include <cerrno>
#include <malloc.h>

#ifdef BPFCOMPAT_TEST_ASAN
#include <sanitizer/allocator_interface.h>
#endif

namespace {

// Signed: memory allocated before the hooks were in place may be freed.
std::atomic<long long> live{0};
std::atomic<long long> peak{0};

void added(size_t bytes) {
  long long now =
      live.fetch_add((long long)bytes, std::memory_order_relaxed) + bytes;
  long long high = peak.load(std::memory_order_relaxed);
  while (now > high &&
         !peak.compare_exchange_weak(high, now, std::memory_order_relaxed)) {
  }
}

void removed(size_t bytes) {
  live.fetch_sub((long long)bytes, std::memory_order_relaxed);
}

} // namespace

#ifdef BPFCOMPAT_TEST_ASAN

namespace {

void onMalloc(const volatile void *, size_t size) { added(size); }
void onFree(const volatile void *ptr) {
  removed(__sanitizer_get_allocated_size(const_cast<const void *>(ptr)));
}

// Installed before main, so the counts balance from the start.
[[maybe_unused]] const int installed =
    __sanitizer_install_malloc_and_free_hooks(onMalloc, onFree);

} // namespace

#else

extern "C" {
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void __libc_free(void *);
void *__libc_memalign(size_t, size_t);

void *malloc(size_t size) {
  void *p = __libc_malloc(size);
  if (p)
    added(malloc_usable_size(p));
  return p;
}

void *calloc(size_t n, size_t size) {
  void *p = __libc_calloc(n, size);
  if (p)
    added(malloc_usable_size(p));
  return p;
}

void *realloc(void *old, size_t size) {
  size_t before = old ? malloc_usable_size(old) : 0;
  void *p = __libc_realloc(old, size);
  if (p || size == 0)
    removed(before);
  if (p)
    added(malloc_usable_size(p));
  return p;
}

void *memalign(size_t alignment, size_t size) {
  void *p = __libc_memalign(alignment, size);
  if (p)
    added(malloc_usable_size(p));
  return p;
}

void *aligned_alloc(size_t alignment, size_t size) {
  return memalign(alignment, size);
}

int posix_memalign(void **out, size_t alignment, size_t size) {
  if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0)
    return EINVAL;
  void *p = memalign(alignment, size);
  if (!p)
    return ENOMEM;
  *out = p;
  return 0;
}

void free(void *p) {
  if (p)
    removed(malloc_usable_size(p));
  __libc_free(p);
}
}

#endif

namespace bpfcompat::test {

AllocMeter::AllocMeter() : base_(live.load(std::memory_order_relaxed)) {
  peak.store(base_, std::memory_order_relaxed);
}

size_t AllocMeter::peakBytes() const {
  long long high = peak.load(std::memory_order_relaxed);
  return high > base_ ? size_t(high - base_) : 0;
}

} // namespace bpfcompat::test
