// The intermediate representation every convention is read into.
//
// Pure data: no kernel handles, no pointers into the input file. Everything a
// loader or a re-emitter needs is here, in the loader-neutral vocabulary of
// CONVENTIONS.md (maps, programs, relocations, data, BTF), plus where each item
// came from so diagnostics and reports can point at it.
#pragma once

#include "bpfcompat/btf.h"
#include "bpfcompat/section_names.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bpfcompat::ir {

// Bumped whenever the YAML/JSON rendering of the IR changes incompatibly.
inline constexpr int kSchemaVersion = 1;

enum class Convention {
  Unknown,
  Libbpf,       // libbpf 1.x: BTF-defined .maps (also cilium/ebpf objects)
  LibbpfLegacy, // libbpf 0.x `maps` array of struct bpf_map_def
  Iproute2,     // tc/ip struct bpf_elf_map
  Gobpf,        // gobpf maps/<name> sections
  Perf,         // perf's BPF loader (config-string section names)
  Samples,      // samples/bpf bpf_load.c
  Zig,          // hand-rolled Zig loader (mattnite/bpf)
};

const char *conventionName(Convention convention); // "libbpf", "iproute2", ...
std::optional<Convention> conventionFromName(llvm::StringRef name);

enum class ByteOrder { Little, Big };

struct Location {
  std::string section;
  uint64_t offset = 0;
};

enum class Severity { Note, Warning, Error };
const char *severityName(Severity severity);

// Every lossy or surprising step emits one. `code` is stable and greppable
// (e.g. "unknown-section-name", "map-tail-nonzero"); reports aggregate by it.
struct Diagnostic {
  Severity severity = Severity::Note;
  std::string code;
  std::string message;
  std::string subject; // map or program name, when there is one
  std::optional<Location> location;
};

enum class PinKind {
  None,
  ByName,         // libbpf LIBBPF_PIN_BY_NAME: <pin root>/<name>
  Iproute2Global, // <bpffs>/tc/globals/<name>
  Iproute2Object, // <bpffs>/tc/<sha1 of object>/<name>
  Iproute2Custom, // <bpffs>/<subpath from bpf_pinning for id>/<name>
  GobpfGlobal,    // <bpffs>/<namespace>/globals/<name>
  GobpfObject,    // unimplemented in gobpf: loading failed there
  GobpfCustom,    // <bpffs>/<path from Go code>, name not appended
};
const char *pinKindName(PinKind kind);

struct Pinning {
  PinKind kind = PinKind::None;
  uint32_t customId = 0; // Iproute2Custom: the raw `pinning` value
  std::string gobpfNamespace;
};

// The kernel-relevant shape of a map (what BPF_MAP_CREATE needs).
struct MapShape {
  uint32_t type = 0;
  uint32_t keySize = 0;
  uint32_t valueSize = 0;
  uint32_t maxEntries = 0;
  uint32_t flags = 0;
  std::optional<uint32_t> numaNode;
  uint64_t mapExtra = 0;
  uint32_t btfKeyTypeId = 0; // 0 = none
  uint32_t btfValueTypeId = 0;
};

// An initial slot of a prog array or map-in-map outer map.
struct Slot {
  enum class Kind { Map, Program };
  uint32_t index = 0;
  Kind kind = Kind::Map;
  std::string target; // map name or program name
};

// Fields that only some conventions have; kept so nothing is lost on re-emit
// and so reports can explain a decision.
struct MapExtras {
  std::optional<uint32_t> iproute2Id;
  std::optional<uint32_t> iproute2InnerId;
  std::optional<uint32_t> iproute2InnerIdx;
  std::optional<uint32_t> innerMapIdx; // samples/perf 24/28-byte defs
  uint32_t definitionSize = 0;         // stride / struct size in the ELF
  std::vector<uint8_t> unknownTail;    // non-zero bytes past known fields
};

struct Map {
  std::string name;
  MapShape shape;
  Pinning pinning;
  // Template for map-in-map outer maps: an inline definition (BTF `values`,
  // named "<outer>.inner" by libbpf) and/or the map it was copied from
  // (iproute2 inner_id, samples inner_map_idx).
  std::optional<MapShape> inner;
  std::string innerFromMap;
  std::vector<Slot> slots;
  MapExtras extras;
  Location origin;
  std::string symbol; // ELF symbol that code relocations point at
};

// One eBPF instruction, decoded to host order and plain fields.
struct Insn {
  uint8_t code = 0;
  uint8_t dst = 0;
  uint8_t src = 0;
  int16_t off = 0;
  int32_t imm = 0;
  bool operator==(const Insn &) const = default;
};

enum class RelocKind {
  MapFd,     // ld_imm64 of a map: src_reg BPF_PSEUDO_MAP_FD
  MapValue,  // ld_imm64 into a data section: BPF_PSEUDO_MAP_VALUE + offset
  Call,      // bpf-to-bpf call
  FuncAddr,  // ld_imm64 of a function: BPF_PSEUDO_FUNC
  ExternVar, // .kconfig / .ksyms variable
  Kfunc,     // call of an extern function
};
const char *relocKindName(RelocKind kind);

struct Relocation {
  uint32_t insn = 0; // index within the program's instructions
  RelocKind kind = RelocKind::MapFd;
  std::string symbol; // ELF symbol named by the relocation
  std::string target; // map name, data section, function or extern name
  // MapValue: byte offset into the data section.
  // Call/FuncAddr: instruction index of the callee within `targetSection`.
  uint64_t offset = 0;
  std::string targetSection; // Call/FuncAddr: section holding the callee
};

struct TailCall {
  std::string progArray; // map name
  uint32_t key = 0;
};

struct Program {
  std::string name;
  std::string section;        // as in the ELF, including any leading '?'
  uint64_t sectionOffset = 0; // byte offset of the first instruction
  bool subprogram = false;    // .text function: only linked into callers
  bool localSymbol = false;   // its ELF symbol was STB_LOCAL (static)
  SectionType type;           // program type, attach type, attach target
  std::vector<Insn> insns;
  std::vector<Relocation> relocations;
  std::optional<TailCall> tailCall; // placement from ID/KEY, socket/N, ...
};

enum class DataKind { Data, Rodata, Bss, Kconfig, Other };
const char *dataKindName(DataKind kind);

struct Variable {
  std::string name;
  uint64_t offset = 0;
  uint64_t size = 0;
  bool global = false;
};

struct DataSection {
  std::string name;
  DataKind kind = DataKind::Data;
  uint64_t size = 0;
  std::vector<uint8_t> bytes; // empty for .bss
  std::vector<Variable> variables;
};

struct Extern {
  enum class Kind { Kconfig, KsymVar, Kfunc };
  std::string name;
  Kind kind = Kind::KsymVar;
  bool weak = false;
};

struct ConventionVerdict {
  Convention convention = Convention::Unknown;
  int score = 0;
  std::vector<std::string> evidence;
  // Other conventions present in the same object (e.g. `maps` and `.maps`).
  std::vector<Convention> mixedWith;
  // Runner-up conventions with their scores, for "ambiguous" reporting.
  std::vector<std::pair<Convention, int>> candidates;
  bool forced = false; // chosen by --convention rather than detected
};

struct Object {
  std::string path;
  std::string sha1; // of the whole file: iproute2 PIN_OBJECT_NS namespace
  uint64_t fileSize = 0;
  ByteOrder byteOrder = ByteOrder::Little;
  uint16_t machine = 0; // EM_BPF (247) or EM_NONE (0) from old LLVM
  ConventionVerdict verdict;
  std::optional<std::string> license;
  std::optional<uint32_t> kernelVersion; // 0xFFFFFFFE = running kernel
  std::vector<Map> maps;
  std::vector<Program> programs; // entry programs and subprograms
  std::vector<DataSection> data;
  std::vector<Extern> externs;
  std::optional<btf::Btf> btf;
  std::optional<btf::BtfExt> btfExt;
  std::vector<Diagnostic> diagnostics;

  const Map *findMap(llvm::StringRef name) const;
  Map *findMap(llvm::StringRef name);
  const Program *findProgram(llvm::StringRef name) const;
  void diag(Severity severity, std::string code, std::string message,
            std::string subject = {},
            std::optional<Location> location = std::nullopt);
};

inline constexpr uint32_t kCurrentKernelVersion = 0xFFFFFFFE;

} // namespace bpfcompat::ir
