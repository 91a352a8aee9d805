// Semantic comparison of two objects: `bpfcompat diff`.
//
// Proves that a conversion preserved meaning: two objects are equivalent when
// their loaders would give the kernel the same things. The rules:
//  - Maps and programs match by kernelSafeName(name), as conversion renames
//    them with it; references to them (slots, relocations) compare the same
//    way.
//  - Maps: type, key/value size, max_entries, flags, numa_node, map_extra;
//    when both objects have BTF and both maps name key/value types, those
//    types' kind, name and size after typedefs and modifiers (ids differ
//    between objects); the resolved pin path (resolvedPinPath); the
//    inner-map template's shape; initial slots as (index, target).
//  - Programs, entry and subprograms alike: entry vs subprogram; for entry
//    programs type, expected attach type, sleepable (program-type) and
//    autoload, attach kind, target, offset (program-attach); instructions
//    modulo relocations: one carrying a relocation (and the second slot of
//    its ld_imm64) compares by opcode, dst register and what the relocation
//    resolves to (map, data section + offset, callee or section + index,
//    extern), every other one exactly.
//  - license: absent equals "". Kernel version: absent equals 0xFFFFFFFE.
//  - Data sections match by name: kind, size, bytes (missing bytes are 0).
//  - Externs match by name: kind, weak.
//  - Not compared: section and symbol names, tail-call placement by section
//    name (prog-array slots carry it), iproute2 ids, definition sizes,
//    unknown tails, innerFromMap, origins, convention and diagnostics.
#pragma once

#include "bpfcompat/ir.h"

#include <llvm/ADT/StringRef.h>

#include <string>
#include <vector>

namespace bpfcompat {

struct DiffOptions {
  // Where bpffs is mounted: the base of iproute2 and gobpf pin paths.
  std::string bpffs = "/sys/fs/bpf";
  // pin_root_path the consumer of each object uses for LIBBPF_PIN_BY_NAME
  // maps; tc on libbpf uses "<bpffs>/tc/globals".
  std::string pinRootA = "/sys/fs/bpf";
  std::string pinRootB = "/sys/fs/bpf";
};

struct Difference {
  // Stable, greppable: map-missing, map-shape, map-pin-path, map-inner,
  // map-slots, program-missing, program-type, program-attach,
  // program-insns, program-relocation, license, kernel-version,
  // data-section, extern, name-collision.
  std::string code;
  // What differs: "map:<name>", "program:<kernel-safe name>",
  // "data:<section>", "extern:<name>" or "object".
  std::string subject;
  std::string message; // e.g. "map 'counts': max_entries 256 vs 1024"
  bool operator==(const Difference &) const = default;
};

// Every difference between `a` and `b`, sorted by subject then code; empty
// when they are equivalent.
std::vector<Difference> diffObjects(const ir::Object &a, const ir::Object &b,
                                    const DiffOptions &options = {});

// The path a loader of `object` pins `map` at, or "" when it is not pinned.
// Paths that depend on configuration outside the object (iproute2's
// bpf_pinning file, gobpf's Go code) are placeholders in angle brackets that
// only equal themselves.
std::string resolvedPinPath(const ir::Map &map, const ir::Object &object,
                            llvm::StringRef pinRootForByName,
                            llvm::StringRef bpffs);

} // namespace bpfcompat
