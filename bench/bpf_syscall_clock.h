// Time spent inside the bpf(2) system call, for our loader and libbpf alike.
//
// Both call libc's syscall(__NR_bpf, ...): ours from src/load/kernel.cpp,
// libbpf from its sys_bpf(). The benchmark executable defines syscall()
// itself (bpf_syscall_clock.cpp), which the dynamic linker binds for
// libbpf.so and the static linker for our library, so one clock measures
// both loaders the same way. User-space time of a load is its wall time
// minus the time inside bpf().
#pragma once

#include <cstdint>

namespace bpfcompat::bench {

struct BpfSyscallTotals {
  uint64_t calls = 0;
  uint64_t nanoseconds = 0; // wall time inside bpf(), CLOCK_MONOTONIC
};

// Totals since the process started (single-threaded use).
BpfSyscallTotals bpfSyscallTotals();

// Monotonic nanoseconds.
uint64_t nowNs();

} // namespace bpfcompat::bench
