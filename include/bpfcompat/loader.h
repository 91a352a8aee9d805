// Our loader: loads an ir::Object into the kernel with the semantics of the
// convention it was written for (pin paths, map-in-map, tail calls, typing),
// with no libbpf object loader involved.
//
// Transactional: if anything fails, every fd opened is closed and every pin
// and directory this load created is removed; pre-existing pins are reused
// (when compatible) and never removed.
#pragma once

#include "bpfcompat/ir.h"
#include "bpfcompat/kernel.h"

#include <llvm/Support/Error.h>

#include <map>
#include <string>
#include <vector>

namespace bpfcompat::load {

struct Options {
  std::string pinRoot = "/sys/fs/bpf"; // libbpf LIBBPF_PIN_BY_NAME root
  std::string bpffs = "/sys/fs/bpf";   // base of iproute2 and gobpf paths
  std::string iproute2PinningFile = "/etc/iproute2/bpf_pinning";
  // gobpf PIN_CUSTOM_NS paths (relative to bpffs) by map name: gobpf took
  // them from Go code, so they must be given.
  std::map<std::string, std::string> gobpfCustomPaths;
  std::map<std::string, uint32_t> maxEntries; // --map-size NAME=N
  std::string pinProgs;     // pin every program as <dir>/<name> when set
  bool verifierLog = false; // keep the verifier log of every program
  // Ask the verifier for its statistics (BPF_LOG_STATS) of every program;
  // they end up in LoadedProgram::verifierLog.
  bool verifierStats = false;
  // CO-RE relocations against this BTF (raw, or an ELF file with .BTF)
  // instead of the running kernel's vmlinux and module BTF: `--btf FILE`,
  // to check an object against a kernel that is not running here.
  std::string targetBtf;
};

// Kernel ids are not kept: mapId and programId ask for them.
struct LoadedMap {
  std::string name;
  kern::Fd fd;
  std::string pinPath;   // "" when not pinned
  bool reused = false;   // an existing pin was opened
  bool internal = false; // a data section (.data, .rodata, .bss, .kconfig)
};

struct LoadedProgram {
  std::string name;
  std::string section;
  kern::Fd fd;
  std::string pinPath;
  std::string verifierLog;
};

// Everything one load created. Destroying it closes the fds; pins stay.
struct Collection {
  std::vector<LoadedMap> maps;
  std::vector<LoadedProgram> programs;
  std::vector<std::string> createdPaths; // pins and directories, in order
  std::vector<std::string> notes;        // non-fatal decisions, for people

  const LoadedMap *map(llvm::StringRef name) const;
  const LoadedProgram *program(llvm::StringRef name) const;
};

llvm::Expected<Collection> loadObject(const ir::Object &object,
                                      const Options &options,
                                      kern::Kernel &kernel);

// Kernel ids, asked for on demand (BPF_OBJ_GET_INFO_BY_FD) as libbpf and
// cilium/ebpf do: a load does not pay a syscall per map and program for
// what only reports show.
llvm::Expected<uint32_t> mapId(kern::Kernel &kernel, const LoadedMap &map);
llvm::Expected<uint32_t> programId(kern::Kernel &kernel,
                                   const LoadedProgram &program);

// Removes what a load created (Collection::createdPaths or a load record),
// newest first. Paths already gone or directories no longer empty (something
// else lives there now) are left; other failures are collected, not fatal,
// so as much as possible is removed. Returns the paths removed.
struct Removal {
  std::vector<std::string> removed;
  std::vector<std::string> errors; // "cannot remove P: reason"
};
Removal removeCreated(kern::Kernel &kernel,
                      const std::vector<std::string> &paths);

// Where a map of `object` is pinned under `options`, "" when it is not.
llvm::Expected<std::string>
pinPath(const ir::Map &map, const ir::Object &object, const Options &options);

} // namespace bpfcompat::load
