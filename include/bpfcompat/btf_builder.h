// Building .BTF and .BTF.ext for re-emitted objects.
//
// The converter keeps most of an object's BTF, drops what described the old
// map encoding (DATASEC `maps`, `.maps`, `.maps.<name>`, their VARs and the
// types only they reached), and appends the new `.maps` definitions. Ids are
// remapped; the output is deterministic, so converting twice is a fixed point.
#pragma once

#include "bpfcompat/btf.h"

#include <llvm/ADT/CachedHashString.h>
#include <llvm/ADT/DenseMap.h>
#include <llvm/ADT/StringMap.h>
#include <llvm/Support/Allocator.h>
#include <llvm/Support/Error.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace bpfcompat::btf {

// Which types stay when `dropRoots` go, and every type reachable only through
// them (the rule of Builder::fromExisting): old id -> new id, 0 for dropped.
std::vector<uint32_t> keptTypeIds(const Btf &base,
                                  const std::set<uint32_t> &dropRoots,
                                  const std::set<uint32_t> &keepRoots);

// Some of a Btf's types, encoded in one pass: renumbered, a few replaced by
// edited copies, and base's string table kept as it is (strings of dropped
// types stay; the kernel ignores them), so no name is re-interned. This is
// what the loader sends the kernel: building it with a Builder copied every
// type and hashed every name on each load, hundreds of times libbpf's cost
// for a large BTF. Not a fixed point like Builder, so not for re-emitting.
class Subset {
public:
  // `base` must outlive the Subset; `oldToNew` comes from keptTypeIds.
  Subset(const Btf &base, std::vector<uint32_t> oldToNew);

  uint32_t mappedId(uint32_t oldId) const;
  // Encodes `edited` (names and type ids as in base) for the kept type with
  // this old id.
  void replace(uint32_t oldId, Type edited);
  // Offset of `s` in the output's string table: its own for an entry of
  // base's table, else an appended copy. Strings must be added before
  // encode() to be in its output.
  uint32_t stringOffset(llvm::StringRef s);

  std::vector<uint8_t> encode(bool bigEndian) const;

private:
  llvm::StringRef baseTable() const;

  const Btf &base_;
  std::vector<uint32_t> oldToNew_;
  std::map<uint32_t, Type> edited_; // by old id; a few DATASECs and FUNCs
  std::string appended_;            // after base's table
  llvm::StringMap<uint32_t> appendedOffsets_;
};

class Builder {
public:
  Builder() = default;

  // Starts from `base`, dropping the types in `dropRoots` and every type that
  // is reachable only through them. Types in `keepRoots` (e.g. map key/value
  // types that were reachable only from a dropped map definition) are kept
  // with everything they reach. Kept types stay in their original order.
  static Builder fromExisting(const Btf &base,
                              const std::set<uint32_t> &dropRoots,
                              const std::set<uint32_t> &keepRoots);

  // New id of an old type id, 0 when dropped (or for void).
  uint32_t mappedId(uint32_t oldId) const;

  // Appends a type whose references already use new ids; returns its id.
  // Its names are copied, so they may point anywhere.
  uint32_t add(Type type);
  // An existing type equal in kind, name, size and encoding, or a new one:
  // INT and FUNC_PROTO lookups used for map definitions.
  uint32_t intType(llvm::StringRef name, uint32_t size, bool isSigned);
  uint32_t ptrTo(uint32_t target);
  uint32_t arrayOf(uint32_t elem, uint32_t index, uint32_t nelems);

  const Type *type(uint32_t id) const;
  size_t size() const { return types_.size(); }

  // Offset of `s` in the string table being built, adding it if new. Call for
  // every .BTF.ext string before encode().
  uint32_t stringOffset(llvm::StringRef s);

  // Raw .BTF bytes in the requested byte order.
  std::vector<uint8_t> encode(bool bigEndian);

private:
  uint32_t append(Type type);              // add() without copying the names
  llvm::StringRef save(llvm::StringRef s); // a copy that lives as long as we do
  // `stable`: `s` lives as long as the builder, so the index need not copy it.
  uint32_t internString(llvm::StringRef s, bool stable);

  std::vector<Type> types_; // id = index + 1
  // Names of types copied from a Btf point into its string table; the rest
  // (and stringOffsets_' keys) into saved_.
  Btf::StringTable baseStrings_;
  llvm::BumpPtrAllocator saved_;
  std::vector<char> strings_{'\0'};
  // Hashed: with an ordered map, string compares were half of re-encoding
  // a large BTF for every load.
  llvm::DenseMap<llvm::CachedHashStringRef, uint32_t> stringOffsets_;
  // Strings that are whole entries of baseStrings_ (most names) are found by
  // their old offset, so each is hashed once: old offset -> new, 0 unknown.
  std::vector<uint32_t> baseOffsets_;
  std::vector<uint32_t> oldToNew_; // index = old id
  // The first anonymous PTR by target and ARRAY by (elem, index, nelems), so
  // ptrTo, arrayOf and intType need no scan of every type (quadratic with
  // many maps).
  llvm::DenseMap<uint32_t, uint32_t> anonPtrs_;
  llvm::DenseMap<std::tuple<uint32_t, uint32_t, uint32_t>, uint32_t> arrays_;
  // The first whole-width INT by (name, size, encoding), for intType; names
  // live as long as the builder.
  std::map<std::tuple<llvm::StringRef, uint32_t, uint8_t>, uint32_t> ints_;
};

// Records of one output section for .BTF.ext: type ids already remapped,
// instruction offsets in instructions (encoded as bytes).
struct ExtSection {
  std::string name;
  std::vector<FuncInfo> funcInfo;
  std::vector<LineInfo> lineInfo;
  std::vector<CoreRelo> coreRelos;
};

// Encodes .BTF.ext (version 1, with the CO-RE block when any section has
// CO-RE records); strings go through `builder`, so encode this before the
// builder's encode().
std::vector<uint8_t> encodeExt(const std::vector<ExtSection> &sections,
                               Builder &builder, bool bigEndian);

} // namespace bpfcompat::btf
