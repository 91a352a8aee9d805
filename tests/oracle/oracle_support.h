// Helpers for tests that use the real consumers (libbpf, bpftool, tc) as
// oracles: object enumeration, libbpf handles with captured logs, scratch
// directories in the filesystem and in bpffs, subprocesses.
#pragma once

#include "bpfcompat/convert.h"
#include "bpfcompat/ir.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bpfcompat::oracle {

struct ObjectCase {
  std::string path;
  std::string name; // stable: corpus/<conv>/<f>, cilium/testdata/<f>, ...
  bool bigEndian = false;
};

// gtest prints parameters in test names and logs; the name says it all.
inline void PrintTo(const ObjectCase &c, std::ostream *os) { *os << c.name; }

// Corpus objects, cilium/ebpf testdata and libxdp objects, sorted by name.
std::vector<ObjectCase> allObjects();
std::string caseName(const ::testing::TestParamInfo<ObjectCase> &info);
std::string littleEndianTwin(const std::string &name);

bool hasErrors(const ir::Object &object);
// Whether the converter keeps a map of this pinning kind pinned (libbpf).
bool pinnedAfterConversion(ir::PinKind kind);
// Untyped functions called from elsewhere become .text subprograms.
bool becameSubprogram(const convert::Report &report, const std::string &name);
// What libbpf passes as expected_attach_type for this typing.
uint32_t expectedAttachType(const SectionType &type);
// libbpf rounds ring buffer sizes up to a power-of-2 number of pages.
uint32_t libbpfMaxEntries(uint32_t mapType, uint32_t maxEntries);

// A libbpf object opened from memory; keeps the bytes alive (libbpf reads
// them in place until load) and the libbpf log of its lifetime.
class LibbpfObject {
public:
  LibbpfObject() = default;
  LibbpfObject(LibbpfObject &&other) noexcept;
  LibbpfObject &operator=(LibbpfObject &&) = delete;
  ~LibbpfObject();
  explicit operator bool() const { return obj_ != nullptr; }
  bpf_object *get() const { return obj_; }
  std::string log() const;

private:
  friend LibbpfObject openWithLibbpf(const std::vector<uint8_t> &,
                                     const std::string &, const std::string &);
  std::vector<uint8_t> bytes_;
  bpf_object *obj_ = nullptr;
  size_t logStart_ = 0;
};

// `pinRoot` empty: libbpf's default. Never null-returns; check operator bool.
LibbpfObject openWithLibbpf(const std::vector<uint8_t> &bytes,
                            const std::string &name,
                            const std::string &pinRoot);

bool privileged(); // root, bpf() works, bpffs mounted (mounts it if needed)

// A loaded program's instructions as the kernel holds them after
// verification (BPF_OBJ_GET_INFO_BY_FD, xlated_prog_insns), with the map ids
// of map references zeroed: two loads of one object differ only there.
std::vector<uint64_t> xlatedInsns(int progFd);
std::string dumpInsns(const std::vector<uint64_t> &insns);

class TempDir {
public:
  TempDir();
  ~TempDir();
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

// A fresh directory in bpffs, removed with everything pinned in it.
class BpffsDir {
public:
  BpffsDir();
  ~BpffsDir();
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

void writeFile(const std::string &path, const std::vector<uint8_t> &bytes);

struct Command {
  int status = -1;    // exit status, -1 if it did not exit normally
  std::string output; // stdout and stderr, interleaved
};
Command runCommand(const std::vector<std::string> &argv);

} // namespace bpfcompat::oracle
