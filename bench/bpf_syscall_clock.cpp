#include "bpf_syscall_clock.h"

#include <cerrno>
#include <cstdarg>
#include <dlfcn.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace bpfcompat::bench {

namespace {
BpfSyscallTotals totals;
} // namespace

BpfSyscallTotals bpfSyscallTotals() { return totals; }

uint64_t nowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000u + uint64_t(ts.tv_nsec);
}

} // namespace bpfcompat::bench

// Interposes libc's syscall(). Six register arguments are forwarded, as
// glibc's own wrapper does; the bpf() ones are timed.
extern "C" long syscall(long number, ...) noexcept {
  using Real = long (*)(long, ...);
  static Real real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "syscall"));
  va_list ap;
  va_start(ap, number);
  long a[6];
  for (long &arg : a)
    arg = va_arg(ap, long);
  va_end(ap);
  if (number != SYS_bpf)
    return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
  using bpfcompat::bench::nowNs;
  uint64_t start = nowNs();
  long rc = real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
  int savedErrno = errno;
  auto &t = bpfcompat::bench::totals;
  t.nanoseconds += nowNs() - start;
  ++t.calls;
  errno = savedErrno;
  return rc;
}
