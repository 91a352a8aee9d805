// BPF CO-RE: relocating an object's field offsets, sizes, type ids, type and
// enum value facts to a target kernel's BTF, with libbpf 1.x semantics
// (tools/lib/bpf/relo_core.c), so what libbpf loads we load with the same
// instructions. Pure functions over parsed BTF; no kernel involved.
//
// A relocation names a local type (in the object's BTF) and an access string
// ("0:1:2": array index into the root, then member or element indices). The
// target candidates are the types of the same kind whose names equal the
// local one with any "___flavor" suffix dropped; every candidate that matches
// must give the same value, or the relocation is ambiguous (an error). When
// none matches, existence checks give 0 and the instruction of anything else
// is "poisoned" into a call of helper 0xbad2310, which the verifier names
// ("invalid func unknown#195896080") only if that code is reachable.
#pragma once

#include "bpfcompat/btf.h"
#include "bpfcompat/ir.h"

#include <llvm/ADT/ArrayRef.h>
#include <llvm/Support/Error.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bpfcompat::core {

// libbpf's poison helper id: "invalid func unknown#195896080".
inline constexpr int32_t kPoisonHelper = 0xbad2310;

// Length of `name` without a "___flavor" suffix (X___Y, X and Y not '_').
size_t essentialNameLength(llvm::StringRef name);

// One BTF to relocate against. Module BTF is split BTF: its own types start
// after those of vmlinux, `firstId`, and only those are candidates.
struct TargetBtf {
  std::string name; // "vmlinux", a module name, or a --btf file
  const btf::Btf *btf = nullptr;
  uint32_t firstId = 1;
};

// Where candidates are searched, in libbpf's order: the main BTF first, and
// modules only when the main BTF has no candidate at all.
struct Targets {
  TargetBtf main;
  std::vector<TargetBtf> modules;
};

struct Accessor {
  uint32_t typeId = 0; // the composite (named) or the element type (index)
  uint32_t index = 0;
  llvm::StringRef name; // member or enumerator name; empty for an index
};

// A parsed access string against one BTF (libbpf's bpf_core_spec).
struct Spec {
  const btf::Btf *btf = nullptr;
  uint32_t rootTypeId = 0;
  btf::CoreReloKind kind = btf::CoreReloKind::FieldByteOffset;
  std::vector<Accessor> accessors; // named members and array indices
  std::vector<uint32_t> raw;       // every index, anonymous members too
  uint64_t bitOffset = 0;
};

// The local side: errors for access strings that do not fit the type.
llvm::Expected<Spec> parseLocalSpec(const btf::Btf &local,
                                    const btf::CoreRelo &relo);

// The target spec for candidate `targetId` of `target`, nullopt when the
// candidate does not match (missing member, incompatible type, ...).
llvm::Expected<std::optional<Spec>>
matchSpec(const Spec &local, const btf::Btf &target, uint32_t targetId);

struct Candidate {
  const btf::Btf *btf = nullptr;
  uint32_t id = 0;
};

// Candidate types for local type `localId` (named, see above).
std::vector<Candidate> findCandidates(const btf::Btf &local, uint32_t localId,
                                      const Targets &targets);

// What a relocation does to its instruction.
struct Result {
  uint64_t origVal = 0; // the value the compiler put there (validated)
  uint64_t newVal = 0;
  bool poison = false;
  bool validate = true;
  bool failMemszAdjust = false; // load/store size change that is unsafe
  uint32_t origSize = 0, newSize = 0;
};

llvm::Expected<Result> computeRelo(const btf::Btf &local,
                                   const btf::CoreRelo &relo,
                                   const Targets &targets);

// Patches instruction `at` of `insns` (two for ld_imm64) with `result`.
llvm::Error patchInsn(llvm::MutableArrayRef<ir::Insn> insns, size_t at,
                      const Result &result);

// "[12] struct task_struct + 0:1 (field_byte_offset)" for messages.
std::string describe(const btf::Btf &local, const btf::CoreRelo &relo);

} // namespace bpfcompat::core
