// The operations compared, ours and libbpf's, each on one object. Shared by
// the timed benchmarks and the peak-memory measurements so both measure
// exactly the same work.
#pragma once

#include "bpfcompat/ir.h"

#include <llvm/Support/Error.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bpfcompat::bench {

struct ObjectFile {
  std::string group; // corpus, cilium, libxdp, btf-heavy, scale
  std::string name;  // shown in tables
  std::string path;
  std::vector<uint8_t> bytes;
};

// Reading: our ELF view + reader from bytes in memory, and libbpf's
// bpf_object__open_mem + bpf_object__close on the same bytes.
llvm::Error readOurs(const ObjectFile &object);
llvm::Error openLibbpf(const ObjectFile &object);

// Our reader alone, to prepare convert and load.
llvm::Expected<ir::Object> readIr(const ObjectFile &object);

// Re-emitting: our converter from the IR to ELF bytes.
llvm::Error convertOurs(const ir::Object &object);
// End to end from file to file: our read + convert + write, and libbpf's
// static linker (what `bpftool gen object OUT IN` does). Output is written
// to `outPath` (tmpfs, so no disk latency).
llvm::Error readConvertWriteOurs(const ObjectFile &object,
                                 const std::string &outPath);
llvm::Error linkLibbpf(const ObjectFile &object, const std::string &outPath);

// Loading into the kernel, load phase only: the object is already read (or
// opened) and the fds are closed outside the timed region. `pinDir` is a
// private bpffs directory used as pin root.
struct LoadTiming {
  uint64_t wallNs = 0; // the load call
  uint64_t bpfNs = 0;  // of which inside bpf()
};
llvm::Error loadOurs(const ir::Object &object, const std::string &pinDir,
                     LoadTiming &timing);
// Opens `object` from memory (untimed), then times bpf_object__load.
llvm::Error loadLibbpf(const ObjectFile &object, const std::string &pinDir,
                       LoadTiming &timing);

// Silences libbpf's stderr logging (failures are reported by us).
void quietLibbpf();

} // namespace bpfcompat::bench
