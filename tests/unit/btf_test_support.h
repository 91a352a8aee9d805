// Helpers shared by the BTF parser and builder tests: libbpf-written blobs
// to start from, and every decoded field as text, so that whole type lists
// compare in one assertion and a mismatch shows the field that differs.
#pragma once

#include "bpfcompat/btf.h"

#include <bpf/btf.h>
#include <gtest/gtest.h>
#include <llvm/Support/raw_ostream.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bpfcompat::btf::testutil {

using Bytes = std::vector<uint8_t>;
using LibbpfBtf = std::unique_ptr<::btf, decltype(&btf__free)>;

inline constexpr bool kByteOrders[] = {false, true};

inline LibbpfBtf newLibbpfBtf() {
  return LibbpfBtf(btf__new_empty(), btf__free);
}

inline LibbpfBtf libbpfParse(const Bytes &bytes) {
  return LibbpfBtf(btf__new(bytes.data(), uint32_t(bytes.size())), btf__free);
}

// libbpf's encoding of `b` in the given byte order.
inline Bytes rawData(::btf *b, bool bigEndian) {
  EXPECT_EQ(
      btf__set_endianness(b, bigEndian ? BTF_BIG_ENDIAN : BTF_LITTLE_ENDIAN),
      0);
  uint32_t size = 0;
  auto *data = static_cast<const uint8_t *>(btf__raw_data(b, &size));
  EXPECT_NE(data, nullptr);
  return Bytes(data, data + size);
}

inline uint32_t get32(const Bytes &bytes, size_t offset, bool bigEndian) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= uint32_t(bytes.at(offset + i)) << (bigEndian ? 24 - 8 * i : 8 * i);
  return v;
}

inline std::optional<Btf> parseOk(const Bytes &bytes, bool bigEndian) {
  auto btf = Btf::parse(bytes, bigEndian);
  if (!btf) {
    ADD_FAILURE() << llvm::toString(btf.takeError());
    return std::nullopt;
  }
  return std::move(*btf);
}

inline std::string describe(const Type &t) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << "[" << t.id << "] " << kindName(t.kind) << " '" << t.name
     << "' kflag=" << t.kindFlag << " size=" << t.size << " type=" << t.type
     << " int=" << unsigned(t.intEncoding) << "/" << unsigned(t.intOffset)
     << "/" << unsigned(t.intBits) << " array=" << t.arrayElemType << "/"
     << t.arrayIndexType << "/" << t.arrayNelems << " linkage=" << t.linkage
     << " component=" << t.componentIdx << "\n";
  for (const Member &m : t.members)
    os << "  '" << m.name << "' type=" << m.type << " off=" << m.bitOffset
       << " bits=" << m.bitfieldSize << "\n";
  for (const Enumerator &e : t.enumerators)
    os << "  '" << e.name << "' = " << e.value << "\n";
  for (const VarSecinfo &v : t.secinfos)
    os << "  var " << v.type << " at " << v.offset << " size " << v.size
       << "\n";
  return os.str();
}

inline std::string describe(const Btf &btf) {
  std::string out;
  for (const Type &t : btf.types())
    out += describe(t);
  return out;
}

inline std::string describe(const BtfExt &ext) {
  std::string out;
  llvm::raw_string_ostream os(out);
  for (const auto &sec : ext.funcInfo)
    for (const FuncInfo &r : sec.records)
      os << "func " << sec.section << " " << r.insnOff << " " << r.typeId
         << "\n";
  for (const auto &sec : ext.lineInfo)
    for (const LineInfo &r : sec.records)
      os << "line " << sec.section << " " << r.insnOff << " " << r.fileName
         << ":" << r.lineNum << ":" << r.column << " " << r.line << "\n";
  for (const auto &sec : ext.coreRelos)
    for (const CoreRelo &r : sec.records)
      os << "core " << sec.section << " " << r.insnOff << " " << r.typeId << " "
         << r.accessString << " " << coreReloKindName(r.kind) << "\n";
  return os.str();
}

} // namespace bpfcompat::btf::testutil
