// Peak heap use of a stretch of code, for the mutation suite's per-variant
// memory limit. Every allocation of the process is counted (malloc, calloc,
// realloc, and operator new, which calls malloc), so the reader's LLVM and
// libstdc++ containers are included. Single-threaded use only: the meter is
// process-wide.
#pragma once

#include <cstddef>

// Set when AddressSanitizer owns malloc (gcc and clang spell it differently).
#if defined(__SANITIZE_ADDRESS__)
#define BPFCOMPAT_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BPFCOMPAT_TEST_ASAN 1
#endif
#endif

namespace bpfcompat::test {

class AllocMeter {
public:
  // Starts a measurement: the peak restarts from the bytes live now.
  AllocMeter();
  // Highest number of bytes live at once since construction, above the
  // bytes live at construction.
  size_t peakBytes() const;

private:
  long long base_;
};

} // namespace bpfcompat::test
