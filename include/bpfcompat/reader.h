// Reading objects into the IR: format plugins, detection and the entry point.
//
// Detection computes ObjectFacts once and lets every plugin score them; the
// winner then reads the object in fixed stages (see readObject). Plugins never
// touch the kernel.
#pragma once

#include "bpfcompat/elf.h"
#include "bpfcompat/ir.h"

#include <llvm/Support/Error.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bpfcompat {

// What detection looks at, computed once per object (CONVENTIONS §11).
struct ObjectFacts {
  struct LegacyArray {
    std::string section;
    uint32_t stride = 0;      // 0 when the layout could not be determined
    uint32_t count = 0;       // map symbols of any binding
    uint32_t globalCount = 0; // GLOBAL NOTYPE/OBJECT symbols
    std::string error;        // why the layout is invalid, if it is
    // u32 words of each definition (up to 9), for value plausibility checks.
    std::vector<std::vector<uint32_t>> words;
  };
  std::vector<LegacyArray> legacyArrays;  // `maps` and odd-named map sections
  std::vector<std::string> gobpfSections; // maps/<name>
  std::vector<uint64_t> gobpfSectionSizes;
  bool hasBtfMaps = false; // a `.maps` section
  bool hasBtf = false;
  bool hasKvPairAnnotations = false; // `.maps.<name>` sections
  bool hasLicense = false;
  std::optional<uint32_t> version;
  std::vector<std::string> programSections; // executable, except .text
  std::vector<std::string> mapSymbolNames;  // in legacy arrays
};

ObjectFacts computeFacts(const elf::File &file);

struct Detection {
  ir::Convention convention = ir::Convention::Unknown;
  int score = 0; // 0 = not this convention; higher is more certain
  std::vector<std::string> evidence;
};

enum class ProgramGranularity {
  PerSymbol,    // libbpf, cilium, perf: one program per FUNC symbol
  WholeSection, // iproute2, gobpf, bpf_load.c, Zig: one program per section
};

// One loader convention. Implementations live in formats/, one per file.
class Format {
public:
  virtual ~Format() = default;
  virtual ir::Convention convention() const = 0;
  virtual Detection detect(const elf::File &file,
                           const ObjectFacts &facts) const = 0;
  virtual ProgramGranularity granularity() const = 0;
  // The convention's own map encoding. BTF `.maps` of mixed objects are read
  // by the pipeline after this.
  virtual llvm::Error readMaps(const elf::File &file,
                               ir::Object &object) const = 0;
  // Runs after programs and relocations are known: program typing, tail
  // calls, map-in-map wiring, pinning, license/version semantics.
  virtual llvm::Error finish(const elf::File &file,
                             ir::Object &object) const = 0;
};

// All registered formats, in a fixed order (formats/registry.cpp).
const std::vector<std::unique_ptr<Format>> &formats();
const Format &formatFor(ir::Convention convention);

// Ranks every format. The verdict names the winner, its evidence, the
// runner-up candidates and any conventions mixed into the same object.
ir::ConventionVerdict detectConvention(const elf::File &file,
                                       const ObjectFacts &facts);

struct ReadOptions {
  std::optional<ir::Convention> convention; // overrides detection
  // The verdict of an earlier detectConvention() on this file, so callers
  // that report detection separately (check) do not detect twice.
  std::optional<ir::ConventionVerdict> detected;
  // Whether to fill ir::Object::sha1 for every object. The whole-file SHA-1
  // costs as much as the rest of reading a small object, and only maps pinned
  // in iproute2's object namespace (named by it) need it: false hashes just
  // those objects. Convert passes false; inspect, check and load reports
  // show the hash.
  bool hashFile = true;
};

// The whole reading pipeline for one file: ELF view, detection, common parts,
// the convention's maps, BTF maps, programs, relocations, the convention's
// finish(). Errors are prefixed with the path.
llvm::Expected<ir::Object> readObject(llvm::StringRef path,
                                      const ReadOptions &options = {});
llvm::Expected<ir::Object> readObject(const elf::File &file,
                                      const ReadOptions &options = {});

} // namespace bpfcompat
