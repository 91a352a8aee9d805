// Section name -> program type, expected attach type and attach target.
//
// Each loader typed programs by section name with its own rules (libbpf 1.x
// exact/`+` matching, libbpf <= 0.8 sloppy prefixes, bpf_load.c and gobpf
// prefix tables, perf config strings). One table per rule set lives in
// src/ir/section_names.cpp; format plugins pick the one of their convention.
#pragma once

#include <llvm/ADT/StringRef.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bpfcompat {

// Which loader's rules to apply.
enum class SectionRules {
  Libbpf1,      // libbpf 1.x section_defs with exact and `+` matching
  LibbpfLegacy, // libbpf <= 0.8: 1.x table plus sloppy prefix matching and
                // xdp_devmap/, xdp_cpumap/ entries
  Samples,      // samples/bpf bpf_load.c prefix table
  Gobpf,        // gobpf prefix table
  Cilium,       // cilium/ebpf: 1.x patterns, plain ones matched by prefix
  Perf,         // perf config strings: [key=value;]*EVENT=PROBE[ ARGS],
                // group:event, !group:event
};

// What the kernel needs to know, plus how to auto-attach.
enum class AttachKind {
  None,   // no auto-attach (bare `kprobe`, socket, tc, ...)
  Kprobe, // target = function, offset
  Kretprobe,
  Uprobe, // target = binary path, function, offset
  Uretprobe,
  Tracepoint,    // target = "category/name"
  RawTracepoint, // target = tracepoint name
  Ksyscall,      // target = syscall name
  Kretsyscall,
  Usdt,
  Tracing, // fentry/fexit/fmod_ret/tp_btf/iter/lsm/freplace: BTF target
  Cgroup,  // attach type says which hook
  StructOps,
};

const char *attachKindName(AttachKind kind);

struct SectionType {
  uint32_t progType = 0;           // enum bpf_prog_type; 0 = unknown
  uint32_t expectedAttachType = 0; // enum bpf_attach_type; 0 when none
  bool hasExpectedAttachType = false;
  bool sleepable = false;
  bool autoload = true; // false for a leading '?'
  AttachKind attach = AttachKind::None;
  std::string target;    // function / path:func / category/name
  uint64_t offset = 0;   // kprobe/uprobe +offset
  std::string canonical; // libbpf 1.x spelling of the same meaning,
                         // e.g. "socket" for "socket1"
  bool sloppy = false;   // matched only through a prefix rule that
                         // libbpf 1.x no longer accepts
  // Parts of the name with no libbpf 1.x equivalent, one entry each, e.g.
  // "perf probe arguments 'filename'", "perf module=ext4".
  std::vector<std::string> lost;
};

// Returns the typing of `section` under `rules`, or nullopt when that loader
// would not have recognised the name.
std::optional<SectionType> classifySection(llvm::StringRef section,
                                           SectionRules rules);

// Names for enum values, "unspec"/"unknown(N)" when unknown.
std::string progTypeName(uint32_t progType);
std::string attachTypeName(uint32_t attachType);
std::string mapTypeName(uint32_t mapType);

// Inverse lookups used by --convention parsing and YAML readers; nullopt if
// the name is not known.
std::optional<uint32_t> progTypeFromName(llvm::StringRef name);
std::optional<uint32_t> mapTypeFromName(llvm::StringRef name);

} // namespace bpfcompat
