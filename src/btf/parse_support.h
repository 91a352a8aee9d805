// Helpers shared by the .BTF and .BTF.ext parsers.
#pragma once

#include "bpfcompat/btf.h"

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/ADT/Twine.h>
#include <llvm/Support/Error.h>

#include <cassert>
#include <cstdint>
#include <cstring>
#include <string>

namespace bpfcompat::btf::detail {

inline constexpr uint16_t kMagic = 0xEB9F;
inline constexpr uint8_t kVersion = 1;

// Reads integers in the object's byte order. Parsers check bounds with
// contains() before reading, so the reads themselves cannot fail.
class EndianReader {
public:
  EndianReader(llvm::ArrayRef<uint8_t> bytes, bool bigEndian)
      : bytes_(bytes), bigEndian_(bigEndian) {}

  uint64_t size() const { return bytes_.size(); }
  bool bigEndian() const { return bigEndian_; }
  bool contains(uint64_t offset, uint64_t length) const {
    return offset <= size() && length <= size() - offset;
  }
  uint8_t u8(uint64_t offset) const {
    assert(contains(offset, 1));
    return bytes_[offset];
  }
  uint16_t u16(uint64_t offset) const {
    assert(contains(offset, 2));
    const uint8_t *p = bytes_.data() + offset;
    return bigEndian_ ? uint16_t(p[0] << 8 | p[1]) : uint16_t(p[1] << 8 | p[0]);
  }
  uint32_t u32(uint64_t offset) const {
    assert(contains(offset, 4));
    const uint8_t *p = bytes_.data() + offset;
    if (bigEndian_)
      return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 |
             p[3];
    return uint32_t(p[3]) << 24 | uint32_t(p[2]) << 16 | uint32_t(p[1]) << 8 |
           p[0];
  }

private:
  llvm::ArrayRef<uint8_t> bytes_;
  bool bigEndian_;
};

// Bytes of kind-specific data after struct btf_type: what the parser
// expects and the encoder writes.
inline uint64_t extraSize(Kind kind, uint64_t vlen) {
  switch (kind) {
  case Kind::Int:
  case Kind::Var:
  case Kind::DeclTag:
    return 4;
  case Kind::Array:
    return 12;
  case Kind::Struct:
  case Kind::Union:
  case Kind::Enum64:
  case Kind::Datasec:
    return vlen * 12;
  case Kind::Enum:
  case Kind::FuncProto:
    return vlen * 8;
  default:
    return 0;
  }
}

// Checks the 0xEB9F magic at offset 0 (caller ensured 2 bytes), telling a
// byte-order mismatch apart from garbage. `what` is "BTF" or "BTF.ext".
llvm::Error checkMagic(const EndianReader &in, llvm::StringRef what);

// String at `offset` of a table that ends in NUL (checked at parse time).
llvm::Expected<llvm::StringRef> stringInTable(llvm::StringRef table,
                                              uint32_t offset);

// Resolves the string offsets of a parser's records: those of `base` (split
// BTF, or the .BTF a .BTF.ext refers to) below `ownStart`, then `own`, a
// table that ends in NUL. Every reference is counted against a budget:
// records may share one string legitimately, but a hostile object could
// point thousands of records at one huge string, and whatever copies them
// (render, encode) would be quadratic in the input.
class StringResolver {
public:
  // References may total kFactor times the input size; real BTF refers to
  // about half its size in names.
  static constexpr uint64_t kFactor = 64;

  StringResolver(llvm::StringRef own, uint32_t ownStart, const Btf *base,
                 uint64_t inputSize)
      : own_(own), ownStart_(ownStart), base_(base),
        left_(inputSize * kFactor) {}

  // The string at `offset`. Every type, member and line record has one, so
  // the usual case is inline and `what()` (naming the referrer, e.g.
  // "member #3") is only called to make an error.
  template <typename What>
  llvm::Expected<llvm::StringRef> at(uint32_t offset, What what) {
    if (offset >= ownStart_ && offset - ownStart_ < own_.size()) {
      const char *p = own_.data() + (offset - ownStart_);
      llvm::StringRef s(p, std::strlen(p)); // stops inside: `own` ends in NUL
      if (s.size() <= left_) {
        left_ -= s.size();
        return s;
      }
    }
    return slowAt(offset, what());
  }

  // Counts another reference to `s`, a string found before.
  llvm::Error spendAgain(llvm::StringRef s, const llvm::Twine &what);

private:
  llvm::Expected<llvm::StringRef> slowAt(uint32_t offset,
                                         const llvm::Twine &what);

  llvm::StringRef own_;
  uint32_t ownStart_;
  const Btf *base_;
  uint64_t left_;
};

} // namespace bpfcompat::btf::detail
