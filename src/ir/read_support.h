// Reading logic shared by the format plugins in formats/.
//
// Every convention is "common parts + its own map encoding + its own program
// granularity and typing". The common parts live here once, so a plugin is a
// short description of what differs.
#pragma once

#include "bpfcompat/elf.h"
#include "bpfcompat/ir.h"
#include "bpfcompat/reader.h"
#include "bpfcompat/section_names.h"

#include <llvm/Support/Error.h>

#include <optional>
#include <vector>

namespace bpfcompat::read {

inline constexpr uint8_t kOpLdImm64 = 0x18; // BPF_LD | BPF_IMM | BPF_DW
inline constexpr uint8_t kOpCall = 0x85;    // BPF_JMP | BPF_CALL
inline constexpr uint8_t kPseudoCall = 1;

// A section that holds programs: executable, non-empty, and not named for
// maps, the license, the version or BTF. libbpf checks those names before the
// flags, so such a section is never a program, whatever its flags say (it
// would otherwise be read, and re-emitted, as both).
inline bool isProgramSection(const elf::Section &sec) {
  llvm::StringRef n = sec.name;
  bool reserved = n == "license" || n == "version" || n == "maps" ||
                  n == ".maps" || n.startswith("maps/") || n == ".BTF" ||
                  n == ".BTF.ext";
  return sec.isExec() && !reserved;
}

// license, version, data sections, BTF and BTF.ext.
llvm::Error readCommon(const elf::File &file, ir::Object &object);

// Decodes `bytes` (object byte order) into instructions.
std::vector<ir::Insn> decodeInsns(const elf::File &file,
                                  llvm::ArrayRef<uint8_t> bytes);

// Programs of every executable section; `.text` functions are subprograms.
llvm::Error discoverPrograms(const elf::File &file, ir::Object &object,
                             ProgramGranularity granularity);

// Classifies every code relocation by the section of its symbol (never by
// r_type, as every loader does) once maps and data are known; records externs.
llvm::Error collectRelocations(const elf::File &file, ir::Object &object);

// Types every non-subprogram by section name under the first of `rules` that
// recognises it; later rule sets are reported as loader-specific spellings.
// Unknown names get a diagnostic and program type 0.
void typePrograms(ir::Object &object, llvm::ArrayRef<SectionRules> rules);

// Legacy `struct bpf_map_def`-family array (see CONVENTIONS §2, §4, §8, §11).
struct LegacyMapArray {
  const elf::Section *section = nullptr;
  uint32_t stride = 0;
  // Map symbols (non-SECTION, in this section) sorted by offset.
  std::vector<const elf::Symbol *> symbols;
  uint32_t globalCount = 0; // GLOBAL NOTYPE/OBJECT (iproute2's rule)
  bool strideFromSymbolSize = false;
};

// Sections holding legacy map arrays: `maps` itself, plus data sections with
// non-standard names that code loads through ld_imm64 (e.g. `tc/maps`).
std::vector<const elf::Section *> findLegacyMapSections(const elf::File &file);
bool hasLegacyMaps(const elf::File &file);

llvm::Expected<LegacyMapArray> analyzeLegacyMapArray(const elf::File &file,
                                                     const elf::Section &sec);

// The definition of map `index` as u32 words, zero-extended to `words`
// entries (shorter historical structs). Tail bytes past `words * 4` that are
// non-zero are returned in `tail`.
std::vector<uint32_t> legacyMapWords(const elf::File &file,
                                     const LegacyMapArray &array,
                                     const elf::Symbol &symbol, size_t words,
                                     std::vector<uint8_t> &tail);

// How strictly a convention's loader treated legacy map definitions: libbpf
// refused static maps and non-zero unknown bytes, bpf_load.c ignored them.
struct LegacyMapRules {
  size_t words = 5; // u32 fields the convention defines
  ir::Severity staticMap = ir::Severity::Warning;
  ir::Severity nonzeroTail = ir::Severity::Warning;
};
inline constexpr LegacyMapRules kLibbpfLegacyRules{5, ir::Severity::Error,
                                                   ir::Severity::Error};

// Reads a legacy array into maps with the first five bpf_map_def fields and
// extras.definitionSize; returns the words for convention-specific fields.
llvm::Expected<std::vector<std::vector<uint32_t>>>
readLegacyMaps(const elf::File &file, ir::Object &object,
               const LegacyMapArray &array, const LegacyMapRules &rules);

// BTF-defined maps from `.maps` and their `values` slots from `.rel.maps`.
llvm::Error readBtfMaps(const elf::File &file, ir::Object &object);

// BPF_ANNOTATE_KV_PAIR: key/value BTF types from `____btf_map_<name>`.
// iproute2 insisted on exactly two members named key and value.
enum class KvPairRule { Libbpf, Iproute2 };
void applyKvPairAnnotations(ir::Object &object, KvPairRule rule);

// Names of sections that matter for detection.
bool isTailCallSectionName(llvm::StringRef name, uint32_t *id = nullptr,
                           uint32_t *key = nullptr); // iproute2 "ID/KEY"
bool isPerfSectionName(llvm::StringRef name);

// The legacy map arrays whose layout was understood (detection helpers).
std::vector<const ObjectFacts::LegacyArray *>
validLegacyArrays(const ObjectFacts &facts);
// Program sections for which `predicate` holds.
size_t countProgramSections(const ObjectFacts &facts,
                            bool (*predicate)(llvm::StringRef));

// Reads every legacy map array of the object; returns the words per map, in
// object.maps order.
llvm::Expected<std::vector<std::vector<uint32_t>>>
readAllLegacyMaps(const elf::File &file, ir::Object &object,
                  const LegacyMapRules &rules);

// Entry programs (not subprograms) in object order.
std::vector<ir::Program *> entryPrograms(ir::Object &object);

} // namespace bpfcompat::read
