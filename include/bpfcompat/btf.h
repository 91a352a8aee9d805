// BTF and BTF.ext: a bounds-checked parser into plain data.
//
// We parse BTF ourselves rather than through libbpf because objects are
// untrusted input (libbpf is not hardened for that) and because we must read
// big-endian objects on a little-endian host. Every length, offset and type id
// is validated; nothing here allocates more than a small multiple of the input.
#pragma once

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/Support/Error.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bpfcompat::btf {

// Kind numbers as in the kernel's uapi/linux/btf.h.
enum class Kind : uint8_t {
  Unknown = 0,
  Int = 1,
  Ptr = 2,
  Array = 3,
  Struct = 4,
  Union = 5,
  Enum = 6,
  Fwd = 7,
  Typedef = 8,
  Volatile = 9,
  Const = 10,
  Restrict = 11,
  Func = 12,
  FuncProto = 13,
  Var = 14,
  Datasec = 15,
  Float = 16,
  DeclTag = 17,
  TypeTag = 18,
  Enum64 = 19,
};

const char *kindName(Kind kind);

// Names are views: into the string table of the Btf they were parsed from
// (shared, see Btf::StringTable), into a Builder's storage, or into literals.
struct Member { // STRUCT/UNION member, FUNC_PROTO param
  llvm::StringRef name;
  uint32_t type = 0;
  uint32_t bitOffset = 0; // STRUCT/UNION only (bitfield size folded out)
  uint32_t bitfieldSize = 0;
};

struct Enumerator {
  llvm::StringRef name;
  int64_t value = 0; // ENUM: signed iff kindFlag; ENUM64: the u64 bit pattern
};

struct VarSecinfo { // DATASEC entry
  uint32_t type = 0;
  uint32_t offset = 0;
  uint32_t size = 0;
};

struct Type {
  uint32_t id = 0;
  Kind kind = Kind::Unknown;
  llvm::StringRef name;
  bool kindFlag = false;
  uint32_t size = 0; // INT, STRUCT, UNION, ENUM, ENUM64, DATASEC, FLOAT
  uint32_t type = 0; // PTR, TYPEDEF, modifiers, FUNC, FUNC_PROTO (return),
                     // VAR, DECL_TAG, TYPE_TAG
  // INT
  uint8_t intEncoding = 0; // bit 0 signed, 1 char, 2 bool
  uint8_t intOffset = 0;
  uint8_t intBits = 0;
  // ARRAY
  uint32_t arrayElemType = 0;
  uint32_t arrayIndexType = 0;
  uint32_t arrayNelems = 0;
  // VAR linkage / FUNC linkage (vlen field) ; DECL_TAG component_idx
  uint32_t linkage = 0;
  int32_t componentIdx = -1;
  std::vector<Member> members;         // STRUCT, UNION, FUNC_PROTO
  std::vector<Enumerator> enumerators; // ENUM, ENUM64
  std::vector<VarSecinfo> secinfos;    // DATASEC
};

// A parsed .BTF section. Type 0 is the implicit void. Owns a copy of the
// string table, which every name points into, so it outlives the bytes it
// was parsed from.
class Btf {
public:
  // Shared, so names stay valid while any copy of this Btf, a BtfExt parsed
  // against it or a Builder started from it lives; names are not copied one
  // by one (that was most of parsing a large BTF).
  using StringTable = std::shared_ptr<const std::string>;

  // Parses raw .BTF bytes. `bigEndian` is the object's byte order; the BTF
  // magic is checked against it. Errors name the byte offset in the section.
  static llvm::Expected<Btf> parse(llvm::ArrayRef<uint8_t> bytes,
                                   bool bigEndian);
  // Split BTF (kernel module BTF in /sys/kernel/btf/<module>): its type ids
  // and string offsets continue those of `base`, which must outlive it.
  static llvm::Expected<Btf> parseSplit(llvm::ArrayRef<uint8_t> bytes,
                                        const Btf &base);

  // This BTF's own types (index = id - 1, or id - 1 - base size when split).
  const std::vector<Type> &types() const { return types_; }
  // The last type id, the base's types included.
  size_t size() const { return (base_ ? base_->size() : 0) + types_.size(); }
  // nullptr for id 0 (void) or out of range. Inline: the hottest call of
  // CO-RE, convert and the loader.
  const Type *type(uint32_t id) const {
    size_t baseCount = base_ ? base_->size() : 0;
    if (id <= baseCount)
      return base_ ? base_->type(id) : nullptr;
    if (id - baseCount > types_.size())
      return nullptr;
    return &types_[id - baseCount - 1];
  }
  // First type of `kind` named `name`, if any.
  const Type *findByName(llvm::StringRef name, Kind kind) const;

  // Skips TYPEDEF, VOLATILE, CONST, RESTRICT and TYPE_TAG; bounded, so a loop
  // in hostile BTF ends in nullptr instead of hanging.
  const Type *skipModsAndTypedefs(uint32_t id) const;
  // Byte size of a type (like btf__resolve_size), error for void/func/loops.
  llvm::Expected<uint64_t> resolveSize(uint32_t id) const;

  // String at `offset` in the string section; error when out of range or not
  // NUL-terminated inside the section.
  llvm::Expected<llvm::StringRef> stringAt(uint32_t offset) const;

  uint32_t stringsSize() const {
    return (base_ ? base_->stringsSize() : 0) +
           (strings_ ? uint32_t(strings_->size()) : 0);
  }
  const StringTable &stringTable() const { return strings_; }

private:
  static llvm::Expected<Btf> parseImpl(llvm::ArrayRef<uint8_t> bytes,
                                       bool bigEndian, const Btf *base);

  const Btf *base_ = nullptr;
  std::vector<Type> types_;
  StringTable strings_;
};

struct FuncInfo {
  uint32_t insnOff = 0; // in instructions (bytes / 8), as libbpf normalises
  uint32_t typeId = 0;
};

// Strings of BTF.ext records are views into the .BTF string table.
struct LineInfo {
  uint32_t insnOff = 0; // in instructions
  llvm::StringRef fileName;
  llvm::StringRef line;
  uint32_t lineNum = 0; // 0, with empty `line`, for compiler-made code
  uint32_t column = 0;
};

// bpf_core_relo_kind from the kernel uapi.
enum class CoreReloKind : uint32_t {
  FieldByteOffset = 0,
  FieldByteSize = 1,
  FieldExists = 2,
  FieldSigned = 3,
  FieldLshiftU64 = 4,
  FieldRshiftU64 = 5,
  TypeIdLocal = 6,
  TypeIdTarget = 7,
  TypeExists = 8,
  TypeSize = 9,
  EnumvalExists = 10,
  EnumvalValue = 11,
  TypeMatches = 12,
};

const char *coreReloKindName(CoreReloKind kind);

struct CoreRelo {
  uint32_t insnOff = 0; // in instructions
  uint32_t typeId = 0;
  llvm::StringRef accessString; // e.g. "0:1:2"
  // Kinds newer than this enum pass through; coreReloKindName says "unknown".
  CoreReloKind kind = CoreReloKind::FieldByteOffset;
};

// Records of one program section, keyed by section name.
template <typename Record> struct SectionRecords {
  std::string section;
  std::vector<Record> records;
  // Known to be ordered by instruction (the parser checks once, so users
  // need not per program); false only costs a scan in recordsNear.
  bool sorted = false;
};

// Whether `records` are ordered by instruction, as compilers emit them and
// the kernel requires them.
template <typename Record>
bool sortedByInsn(const std::vector<Record> &records) {
  return std::is_sorted(
      records.begin(), records.end(),
      [](const Record &a, const Record &b) { return a.insnOff < b.insnOff; });
}

// Stable-sorts `records` by `less`, skipping the sort when they are in
// order already: the usual case, and line records carry two strings each.
template <typename Record, typename Less>
void stableSortIfUnsorted(std::vector<Record> &records, Less less) {
  if (!std::is_sorted(records.begin(), records.end(), less))
    std::stable_sort(records.begin(), records.end(), less);
}

// The records that may lie in instructions [first, end): exactly those when
// `sorted` (found by binary search: many programs share a section, and a scan
// per program is quadratic), else all of them. Callers still check the range.
template <typename Record>
llvm::ArrayRef<Record> recordsNear(const std::vector<Record> &records,
                                   bool sorted, uint32_t first, uint32_t end) {
  if (!sorted)
    return records;
  auto below = [](const Record &r, uint32_t insn) { return r.insnOff < insn; };
  auto from = std::lower_bound(records.begin(), records.end(), first, below);
  auto to = std::lower_bound(from, records.end(), end, below);
  return llvm::ArrayRef<Record>(records.data() + (from - records.begin()),
                                size_t(to - from));
}

// A parsed .BTF.ext. Strings resolve through the .BTF string table.
struct BtfExt {
  // `btf` need not outlive the result, which shares its string table.
  static llvm::Expected<BtfExt> parse(llvm::ArrayRef<uint8_t> bytes,
                                      const Btf &btf, bool bigEndian);

  Btf::StringTable strings; // what the records' strings point into

  std::vector<SectionRecords<FuncInfo>> funcInfo;
  std::vector<SectionRecords<LineInfo>> lineInfo;
  std::vector<SectionRecords<CoreRelo>> coreRelos;
};

} // namespace bpfcompat::btf
