// BTF and BTF.ext parsing: blobs built with libbpf's writer API in both byte
// orders, malformed variants of them, and real clang-built objects shipped
// with cilium/ebpf's Debian package.
#include "bpfcompat/btf.h"

#include <bpf/btf.h>
#include <gtest/gtest.h>
#include <llvm/Object/ELF.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "btf_test_support.h"

namespace {

using namespace bpfcompat::btf;
using namespace bpfcompat::btf::testutil;

constexpr const char *kCiliumDir =
    "/usr/share/gocode/src/github.com/cilium/ebpf";

void put32(Bytes &bytes, size_t offset, uint32_t value, bool bigEndian) {
  for (int i = 0; i < 4; ++i)
    bytes.at(offset + i) = uint8_t(value >> (bigEndian ? 24 - 8 * i : 8 * i));
}

// Offsets into a libbpf-written blob: header, then types, then strings.
constexpr size_t kHdrLenOffset = 4;
constexpr size_t kTypeOffOffset = 8;
constexpr size_t kTypeLenOffset = 12;
constexpr size_t kStrOffOffset = 16;
constexpr size_t kStrLenOffset = 20;
constexpr size_t kFirstType = 24;

template <typename T> std::string errorOf(llvm::Expected<T> value) {
  if (value) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  return llvm::toString(value.takeError());
}

template <typename T> T valueOf(llvm::Expected<T> value) {
  if (!value) {
    ADD_FAILURE() << llvm::toString(value.takeError());
    return T();
  }
  return std::move(*value);
}

// Calls every accessor on every type; for the no-crash tests.
void exerciseAll(const Btf &btf) {
  for (uint32_t id = 0; id <= btf.size() + 1; ++id) {
    btf.skipModsAndTypedefs(id);
    llvm::consumeError(btf.resolveSize(id).takeError());
  }
  for (const Type &t : btf.types())
    btf.findByName(t.name, t.kind);
}

// ---------------------------------------------------------------------------
// A blob with every kind.

struct EveryKind {
  LibbpfBtf btf = newLibbpfBtf();
  int i32, uchar, boolean, ptr, array, pair, un, color, sign, big, sbig, fwd,
      intT, vol, cnst, restr, typeTag, proto, func, var, datasec, dbl,
      memberTag, wholeTag;

  EveryKind() {
    struct btf *b = btf.get();
    i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
    uchar = btf__add_int(b, "unsigned char", 1, BTF_INT_CHAR);
    boolean = btf__add_int(b, "_Bool", 1, BTF_INT_BOOL);
    ptr = btf__add_ptr(b, i32);
    array = btf__add_array(b, i32, ptr, 7);
    pair = btf__add_struct(b, "pair", 16);
    btf__add_field(b, "a", i32, 0, 0);
    btf__add_field(b, "flags", i32, 35, 3); // a bitfield sets kind_flag
    btf__add_field(b, "p", ptr, 64, 0);
    un = btf__add_union(b, "u", 8);
    btf__add_field(b, "x", i32, 0, 0);
    btf__add_field(b, "p", ptr, 0, 0);
    color = btf__add_enum(b, "color", 4);
    btf__add_enum_value(b, "RED", 0);
    btf__add_enum_value(b, "HIGH", 0xfffffffe);
    sign = btf__add_enum(b, "sign", 4);
    btf__add_enum_value(b, "NEG", -5); // makes the enum signed
    big = btf__add_enum64(b, "big", 8, false);
    btf__add_enum64_value(b, "HUGE", 0x123456789abcdef0ULL);
    sbig = btf__add_enum64(b, "sbig", 8, true);
    btf__add_enum64_value(b, "MINUS_TWO", uint64_t(-2));
    fwd = btf__add_fwd(b, "opaque", BTF_FWD_UNION);
    intT = btf__add_typedef(b, "int_t", i32);
    vol = btf__add_volatile(b, intT);
    cnst = btf__add_const(b, vol);
    restr = btf__add_restrict(b, ptr);
    typeTag = btf__add_type_tag(b, "user", cnst);
    proto = btf__add_func_proto(b, i32);
    btf__add_func_param(b, "ctx", ptr);
    btf__add_func_param(b, "len", intT);
    func = btf__add_func(b, "handler", BTF_FUNC_GLOBAL, proto);
    var = btf__add_var(b, "counter", BTF_VAR_GLOBAL_ALLOCATED, i32);
    datasec = btf__add_datasec(b, ".data", 12);
    btf__add_datasec_var_info(b, var, 8, 4);
    dbl = btf__add_float(b, "double", 8);
    memberTag = btf__add_decl_tag(b, "tagged", pair, 1);
    wholeTag = btf__add_decl_tag(b, "whole", func, -1);
    EXPECT_EQ(wholeTag, 24) << "a libbpf writer call failed";
    btf__set_pointer_size(b, 8);
  }
};

TEST(Btf, DecodesEveryKindInBothByteOrders) {
  EveryKind k;
  for (bool bigEndian : kByteOrders) {
    SCOPED_TRACE(bigEndian ? "big-endian" : "little-endian");
    auto btf = parseOk(rawData(k.btf.get(), bigEndian), bigEndian);
    ASSERT_TRUE(btf);
    ASSERT_EQ(btf->size(), 24u);
    EXPECT_EQ(btf->type(0), nullptr);
    EXPECT_EQ(btf->type(25), nullptr);
    for (uint32_t id = 1; id <= btf->size(); ++id)
      EXPECT_EQ(btf->type(id)->id, id);

    const Type &i32 = *btf->type(k.i32);
    EXPECT_EQ(i32.kind, Kind::Int);
    EXPECT_EQ(i32.name, "int");
    EXPECT_EQ(i32.size, 4u);
    EXPECT_EQ(i32.intEncoding, BTF_INT_SIGNED);
    EXPECT_EQ(i32.intOffset, 0);
    EXPECT_EQ(i32.intBits, 32);
    EXPECT_EQ(btf->type(k.uchar)->intEncoding, BTF_INT_CHAR);
    EXPECT_EQ(btf->type(k.uchar)->intBits, 8);
    EXPECT_EQ(btf->type(k.boolean)->intEncoding, BTF_INT_BOOL);

    const Type &ptr = *btf->type(k.ptr);
    EXPECT_EQ(ptr.kind, Kind::Ptr);
    EXPECT_EQ(ptr.name, "");
    EXPECT_EQ(ptr.type, uint32_t(k.i32));

    const Type &array = *btf->type(k.array);
    EXPECT_EQ(array.kind, Kind::Array);
    EXPECT_EQ(array.arrayElemType, uint32_t(k.ptr));
    EXPECT_EQ(array.arrayIndexType, uint32_t(k.i32));
    EXPECT_EQ(array.arrayNelems, 7u);

    const Type &pair = *btf->type(k.pair);
    EXPECT_EQ(pair.kind, Kind::Struct);
    EXPECT_EQ(pair.name, "pair");
    EXPECT_EQ(pair.size, 16u);
    EXPECT_TRUE(pair.kindFlag);
    ASSERT_EQ(pair.members.size(), 3u);
    EXPECT_EQ(pair.members[0].name, "a");
    EXPECT_EQ(pair.members[0].type, uint32_t(k.i32));
    EXPECT_EQ(pair.members[0].bitOffset, 0u);
    EXPECT_EQ(pair.members[0].bitfieldSize, 0u);
    EXPECT_EQ(pair.members[1].name, "flags");
    EXPECT_EQ(pair.members[1].bitOffset, 35u);
    EXPECT_EQ(pair.members[1].bitfieldSize, 3u);
    EXPECT_EQ(pair.members[2].name, "p");
    EXPECT_EQ(pair.members[2].type, uint32_t(k.ptr));
    EXPECT_EQ(pair.members[2].bitOffset, 64u);

    const Type &un = *btf->type(k.un);
    EXPECT_EQ(un.kind, Kind::Union);
    EXPECT_EQ(un.size, 8u);
    EXPECT_FALSE(un.kindFlag);
    ASSERT_EQ(un.members.size(), 2u);
    EXPECT_EQ(un.members[1].name, "p");
    EXPECT_EQ(un.members[1].bitOffset, 0u);

    const Type &color = *btf->type(k.color);
    EXPECT_EQ(color.kind, Kind::Enum);
    EXPECT_EQ(color.size, 4u);
    EXPECT_FALSE(color.kindFlag);
    ASSERT_EQ(color.enumerators.size(), 2u);
    EXPECT_EQ(color.enumerators[0].name, "RED");
    EXPECT_EQ(color.enumerators[0].value, 0);
    EXPECT_EQ(color.enumerators[1].name, "HIGH");
    EXPECT_EQ(color.enumerators[1].value, 0xfffffffe);
    const Type &sign = *btf->type(k.sign);
    EXPECT_TRUE(sign.kindFlag);
    ASSERT_EQ(sign.enumerators.size(), 1u);
    EXPECT_EQ(sign.enumerators[0].value, -5);

    const Type &big = *btf->type(k.big);
    EXPECT_EQ(big.kind, Kind::Enum64);
    EXPECT_EQ(big.size, 8u);
    EXPECT_FALSE(big.kindFlag);
    ASSERT_EQ(big.enumerators.size(), 1u);
    EXPECT_EQ(big.enumerators[0].name, "HUGE");
    EXPECT_EQ(uint64_t(big.enumerators[0].value), 0x123456789abcdef0ULL);
    const Type &sbig = *btf->type(k.sbig);
    EXPECT_TRUE(sbig.kindFlag);
    EXPECT_EQ(sbig.enumerators.at(0).value, -2);

    const Type &fwd = *btf->type(k.fwd);
    EXPECT_EQ(fwd.kind, Kind::Fwd);
    EXPECT_EQ(fwd.name, "opaque");
    EXPECT_TRUE(fwd.kindFlag); // union

    const Type &intT = *btf->type(k.intT);
    EXPECT_EQ(intT.kind, Kind::Typedef);
    EXPECT_EQ(intT.name, "int_t");
    EXPECT_EQ(intT.type, uint32_t(k.i32));
    EXPECT_EQ(btf->type(k.vol)->kind, Kind::Volatile);
    EXPECT_EQ(btf->type(k.vol)->type, uint32_t(k.intT));
    EXPECT_EQ(btf->type(k.cnst)->kind, Kind::Const);
    EXPECT_EQ(btf->type(k.cnst)->type, uint32_t(k.vol));
    EXPECT_EQ(btf->type(k.restr)->kind, Kind::Restrict);
    EXPECT_EQ(btf->type(k.restr)->type, uint32_t(k.ptr));
    const Type &typeTag = *btf->type(k.typeTag);
    EXPECT_EQ(typeTag.kind, Kind::TypeTag);
    EXPECT_EQ(typeTag.name, "user");
    EXPECT_EQ(typeTag.type, uint32_t(k.cnst));

    const Type &proto = *btf->type(k.proto);
    EXPECT_EQ(proto.kind, Kind::FuncProto);
    EXPECT_EQ(proto.type, uint32_t(k.i32));
    ASSERT_EQ(proto.members.size(), 2u);
    EXPECT_EQ(proto.members[0].name, "ctx");
    EXPECT_EQ(proto.members[0].type, uint32_t(k.ptr));
    EXPECT_EQ(proto.members[1].name, "len");
    EXPECT_EQ(proto.members[1].type, uint32_t(k.intT));

    const Type &func = *btf->type(k.func);
    EXPECT_EQ(func.kind, Kind::Func);
    EXPECT_EQ(func.name, "handler");
    EXPECT_EQ(func.type, uint32_t(k.proto));
    EXPECT_EQ(func.linkage, uint32_t(BTF_FUNC_GLOBAL));

    const Type &var = *btf->type(k.var);
    EXPECT_EQ(var.kind, Kind::Var);
    EXPECT_EQ(var.name, "counter");
    EXPECT_EQ(var.type, uint32_t(k.i32));
    EXPECT_EQ(var.linkage, uint32_t(BTF_VAR_GLOBAL_ALLOCATED));

    const Type &datasec = *btf->type(k.datasec);
    EXPECT_EQ(datasec.kind, Kind::Datasec);
    EXPECT_EQ(datasec.name, ".data");
    EXPECT_EQ(datasec.size, 12u);
    ASSERT_EQ(datasec.secinfos.size(), 1u);
    EXPECT_EQ(datasec.secinfos[0].type, uint32_t(k.var));
    EXPECT_EQ(datasec.secinfos[0].offset, 8u);
    EXPECT_EQ(datasec.secinfos[0].size, 4u);

    const Type &dbl = *btf->type(k.dbl);
    EXPECT_EQ(dbl.kind, Kind::Float);
    EXPECT_EQ(dbl.name, "double");
    EXPECT_EQ(dbl.size, 8u);

    const Type &memberTag = *btf->type(k.memberTag);
    EXPECT_EQ(memberTag.kind, Kind::DeclTag);
    EXPECT_EQ(memberTag.name, "tagged");
    EXPECT_EQ(memberTag.type, uint32_t(k.pair));
    EXPECT_EQ(memberTag.componentIdx, 1);
    EXPECT_EQ(btf->type(k.wholeTag)->componentIdx, -1);

    EXPECT_EQ(btf->findByName("pair", Kind::Struct), &pair);
    EXPECT_EQ(btf->findByName("pair", Kind::Union), nullptr);
    EXPECT_EQ(btf->findByName(".data", Kind::Datasec), &datasec);
    EXPECT_EQ(btf->skipModsAndTypedefs(k.typeTag), &i32);
    EXPECT_EQ(btf->skipModsAndTypedefs(k.ptr), &ptr);
    EXPECT_EQ(btf->skipModsAndTypedefs(0), nullptr);
    EXPECT_EQ(btf->skipModsAndTypedefs(999), nullptr);
  }
}

TEST(Btf, ByteOrdersDecodeIdentically) {
  EveryKind k;
  auto little = parseOk(rawData(k.btf.get(), false), false);
  auto big = parseOk(rawData(k.btf.get(), true), true);
  ASSERT_TRUE(little && big);
  EXPECT_EQ(describe(*little), describe(*big));
}

TEST(Btf, StringAt) {
  EveryKind k;
  Bytes bytes = rawData(k.btf.get(), false);
  auto btf = parseOk(bytes, false);
  ASSERT_TRUE(btf);
  EXPECT_EQ(btf->stringsSize(), get32(bytes, kStrLenOffset, false));
  EXPECT_EQ(valueOf(btf->stringAt(0)), "");
  int offset = btf__find_str(k.btf.get(), "handler");
  ASSERT_GT(offset, 0);
  EXPECT_EQ(valueOf(btf->stringAt(offset)), "handler");
  EXPECT_EQ(valueOf(btf->stringAt(offset + 3)), "dler"); // suffixes are legal
  std::string err = errorOf(btf->stringAt(0x123456));
  EXPECT_NE(err.find("string offset 0x123456 out of range (string section "
                     "size 0x"),
            std::string::npos)
      << err;
}

// __uint(type, 2) is `int (*type)[2]`: member -> PTR -> ARRAY of 2.
TEST(Btf, MapDefinitionUintEncoding) {
  LibbpfBtf b = newLibbpfBtf();
  int i32 = btf__add_int(b.get(), "int", 4, BTF_INT_SIGNED);
  int typeArray = btf__add_array(b.get(), i32, i32, 2);
  int typePtr = btf__add_ptr(b.get(), typeArray);
  int entriesArray = btf__add_array(b.get(), i32, i32, 4096);
  int entriesPtr = btf__add_ptr(b.get(), entriesArray);
  int def = btf__add_struct(b.get(), "", 16);
  btf__add_field(b.get(), "type", typePtr, 0, 0);
  btf__add_field(b.get(), "max_entries", entriesPtr, 64, 0);
  int var = btf__add_var(b.get(), "my_map", BTF_VAR_GLOBAL_ALLOCATED, def);
  btf__add_datasec(b.get(), ".maps", 16);
  btf__add_datasec_var_info(b.get(), var, 0, 16);

  for (bool bigEndian : kByteOrders) {
    auto btf = parseOk(rawData(b.get(), bigEndian), bigEndian);
    ASSERT_TRUE(btf);
    const Type *maps = btf->findByName(".maps", Kind::Datasec);
    ASSERT_NE(maps, nullptr);
    ASSERT_EQ(maps->secinfos.size(), 1u);
    const Type *mapVar = btf->type(maps->secinfos[0].type);
    ASSERT_NE(mapVar, nullptr);
    EXPECT_EQ(mapVar->name, "my_map");
    const Type *mapDef = btf->skipModsAndTypedefs(mapVar->type);
    ASSERT_NE(mapDef, nullptr);
    ASSERT_EQ(mapDef->members.size(), 2u);
    std::vector<uint32_t> values;
    for (const Member &m : mapDef->members) {
      const Type *ptr = btf->skipModsAndTypedefs(m.type);
      ASSERT_TRUE(ptr && ptr->kind == Kind::Ptr);
      const Type *array = btf->type(ptr->type);
      ASSERT_TRUE(array && array->kind == Kind::Array);
      values.push_back(array->arrayNelems);
    }
    EXPECT_EQ(values, (std::vector<uint32_t>{2, 4096}));
  }
}

// Our sizes against btf__resolve_size on the same blob, for every type id.
void expectSizesMatchLibbpf(const Btf &btf, const struct btf *reference) {
  ASSERT_EQ(btf.size() + 1, btf__type_cnt(reference));
  for (uint32_t id = 0; id <= btf.size() + 1; ++id) {
    long long expected = btf__resolve_size(reference, id);
    auto size = btf.resolveSize(id);
    if (expected < 0) {
      EXPECT_FALSE(size) << "type id " << id << " resolved to " << *size
                         << ", libbpf says " << expected;
      llvm::consumeError(size.takeError());
    } else if (!size) {
      ADD_FAILURE() << "type id " << id << ": "
                    << llvm::toString(size.takeError()) << ", libbpf says "
                    << expected;
    } else {
      EXPECT_EQ(*size, uint64_t(expected)) << "type id " << id;
    }
  }
}

// Kind, name and vlen of every type against libbpf's own parse.
void expectTypesMatchLibbpf(const Btf &btf, const struct btf *reference) {
  ASSERT_EQ(btf.size() + 1, btf__type_cnt(reference));
  for (const Type &t : btf.types()) {
    const struct btf_type *ref = btf__type_by_id(reference, t.id);
    ASSERT_NE(ref, nullptr);
    EXPECT_EQ(unsigned(t.kind), BTF_INFO_KIND(ref->info)) << t.id;
    EXPECT_EQ(t.name, btf__name_by_offset(reference, ref->name_off)) << t.id;
    size_t vlen = BTF_INFO_VLEN(ref->info);
    switch (t.kind) {
    case Kind::Struct:
    case Kind::Union:
    case Kind::FuncProto:
      EXPECT_EQ(t.members.size(), vlen) << t.id;
      break;
    case Kind::Enum:
    case Kind::Enum64:
      EXPECT_EQ(t.enumerators.size(), vlen) << t.id;
      break;
    case Kind::Datasec:
      EXPECT_EQ(t.secinfos.size(), vlen) << t.id;
      break;
    case Kind::Func:
      EXPECT_EQ(t.linkage, vlen) << t.id;
      break;
    default:
      break;
    }
  }
}

TEST(Btf, ResolveSizeMatchesLibbpf) {
  EveryKind k;
  for (bool bigEndian : kByteOrders) {
    auto btf = parseOk(rawData(k.btf.get(), bigEndian), bigEndian);
    ASSERT_TRUE(btf);
    expectSizesMatchLibbpf(*btf, k.btf.get());
    EXPECT_EQ(valueOf(btf->resolveSize(k.array)), 7u * 8);
    EXPECT_EQ(valueOf(btf->resolveSize(k.typeTag)), 4u);
    EXPECT_EQ(valueOf(btf->resolveSize(k.var)), 4u);
    EXPECT_EQ(valueOf(btf->resolveSize(k.memberTag)), 16u);
    EXPECT_NE(errorOf(btf->resolveSize(0)).find("resolves to void"),
              std::string::npos);
    EXPECT_NE(errorOf(btf->resolveSize(k.func)).find("FUNC"),
              std::string::npos);
    EXPECT_NE(errorOf(btf->resolveSize(k.fwd)).find("has no size"),
              std::string::npos);
    EXPECT_NE(errorOf(btf->resolveSize(999)).find("does not exist"),
              std::string::npos);
  }
}

TEST(Btf, ZeroLengthArrayHasSizeZero) {
  LibbpfBtf b = newLibbpfBtf();
  int i32 = btf__add_int(b.get(), "int", 4, BTF_INT_SIGNED);
  int empty = btf__add_array(b.get(), i32, i32, 0);
  btf__add_array(b.get(), i32, empty, 0x7fffffff);
  btf__set_pointer_size(b.get(), 8);
  auto btf = parseOk(rawData(b.get(), false), false);
  ASSERT_TRUE(btf);
  expectSizesMatchLibbpf(*btf, b.get());
  EXPECT_EQ(valueOf(btf->resolveSize(3)), 0u);
}

// ---------------------------------------------------------------------------
// Malformed .BTF.

TEST(Btf, EveryTruncationFailsCleanly) {
  EveryKind k;
  for (bool bigEndian : kByteOrders) {
    Bytes bytes = rawData(k.btf.get(), bigEndian);
    for (size_t len = 0; len < bytes.size(); ++len) {
      Bytes prefix(bytes.begin(), bytes.begin() + len);
      EXPECT_FALSE(errorOf(Btf::parse(prefix, bigEndian)).empty()) << len;
    }
  }
  EXPECT_NE(errorOf(Btf::parse({}, false)).find("BTF header truncated"),
            std::string::npos);
}

// Every single-byte corruption either parses or fails; neither crashes, and
// whatever parses stays safe to query.
TEST(Btf, CorruptedBytesNeverCrash) {
  EveryKind k;
  for (bool bigEndian : kByteOrders) {
    const Bytes bytes = rawData(k.btf.get(), bigEndian);
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (uint8_t flip : {0x01, 0x10, 0x80, 0xff}) {
        Bytes mutated = bytes;
        mutated[i] ^= flip;
        auto btf = Btf::parse(mutated, bigEndian);
        if (btf)
          exerciseAll(*btf);
        else
          llvm::consumeError(btf.takeError());
      }
    }
  }
}

struct MalformedCase {
  const char *what;
  std::function<void(Bytes &, bool bigEndian)> corrupt;
  std::vector<std::string> expectedWords;
};

// A small blob: INT, PTR -> INT, STRUCT { int a; int *p; }.
Bytes smallBlob(bool bigEndian) {
  LibbpfBtf b = newLibbpfBtf();
  int i32 = btf__add_int(b.get(), "int", 4, BTF_INT_SIGNED);
  int ptr = btf__add_ptr(b.get(), i32);
  btf__add_struct(b.get(), "s", 16);
  btf__add_field(b.get(), "a", i32, 0, 0);
  btf__add_field(b.get(), "p", ptr, 64, 0);
  return rawData(b.get(), bigEndian);
}

// Type records in smallBlob: INT at 0x18 (16 bytes), PTR at 0x28 (12 bytes),
// STRUCT at 0x34 (12 + 2 * 12 bytes).
constexpr size_t kIntType = kFirstType;
constexpr size_t kPtrType = kIntType + 16;
constexpr size_t kStructType = kPtrType + 12;

TEST(Btf, MalformedInputsGiveSpecificErrors) {
  const std::vector<MalformedCase> cases = {
      {"bad magic",
       [](Bytes &b, bool) { b[0] = 0x12, b[1] = 0x34; },
       {"BTF magic at offset 0x0", "expected 0xeb9f"}},
      {"version 2", [](Bytes &b, bool) { b[2] = 2; }, {"BTF version 2"}},
      {"flags", [](Bytes &b, bool) { b[3] = 1; }, {"BTF flags 0x1"}},
      {"hdr_len too small",
       [](Bytes &b, bool be) { put32(b, kHdrLenOffset, 16, be); },
       {"hdr_len 0x10", "smaller than the 0x18-byte header"}},
      {"hdr_len huge",
       [](Bytes &b, bool be) { put32(b, kHdrLenOffset, 0xfffffff0, be); },
       {"hdr_len 0xfffffff0", "runs past end of section"}},
      {"misaligned type_off",
       [](Bytes &b, bool be) { put32(b, kTypeOffOffset, 2, be); },
       {"type_off 0x2", "not 4-byte aligned"}},
      {"type_len past end",
       [](Bytes &b, bool be) { put32(b, kTypeLenOffset, 0x10000, be); },
       {"type section", "type_len 0x10000", "runs past end of section"}},
      {"str_len past end",
       [](Bytes &b, bool be) { put32(b, kStrLenOffset, 0xffffffff, be); },
       {"string section", "runs past end of section"}},
      {"types overlap strings",
       [](Bytes &b, bool be) { put32(b, kStrOffOffset, 8, be); },
       {"overlaps or follows the string section"}},
      {"empty string section",
       [](Bytes &b, bool be) { put32(b, kStrLenOffset, 0, be); },
       {"string section is empty"}},
      {"strings do not start with NUL",
       [](Bytes &b, bool be) {
         b[kFirstType + get32(b, kStrOffOffset, be)] = 'x';
       },
       {"does not start with NUL"}},
      {"strings do not end with NUL",
       [](Bytes &b, bool) { b.back() = 'x'; },
       {"does not end with NUL", "offset 0x"}},
      {"name offset out of range",
       [](Bytes &b, bool be) {
         put32(b, kPtrType, get32(b, kStrLenOffset, be) + 5, be);
       },
       {"BTF type #2 at offset 0x28: name: string offset", "out of range"}},
      {"member name offset out of range",
       [](Bytes &b, bool be) { put32(b, kStructType + 24, 0x7777, be); },
       {"BTF type #3 at offset 0x34: member #1: string offset 0x7777",
        "out of range"}},
      {"unknown kind 31",
       [](Bytes &b, bool be) { put32(b, kPtrType + 4, 31u << 24, be); },
       {"BTF type #2 at offset 0x28: unknown kind 31"}},
      {"kind 0",
       [](Bytes &b, bool be) { put32(b, kIntType + 4, 0, be); },
       {"BTF type #1 at offset 0x18: unknown kind 0"}},
      {"vlen too large",
       [](Bytes &b, bool be) {
         put32(b, kStructType + 4, 4u << 24 | 0xffff, be);
       },
       {"BTF type #3 at offset 0x34: STRUCT vlen 65535",
        "runs past end of type section (size 0x40)"}},
      {"INT data cut off by type_len",
       [](Bytes &b, bool be) { put32(b, kTypeLenOffset, 14, be); },
       {"BTF type #1 at offset 0x18: INT data (0x4 bytes) runs past end"}},
      {"trailing partial type",
       [](Bytes &b, bool be) {
         put32(b, kTypeLenOffset, get32(b, kTypeLenOffset, be) - 4, be);
       },
       {"BTF type #3 at offset 0x34", "runs past end of type section"}},
      {"truncated type header",
       [](Bytes &b, bool be) { put32(b, kTypeLenOffset, 16 + 8, be); },
       {"BTF type #2 at offset 0x28: truncated: 0x8 bytes left"}},
      {"INT bits over 128",
       [](Bytes &b, bool be) { put32(b, kIntType + 12, 200, be); },
       {"BTF type #1 at offset 0x18: INT bits 200 exceed 128"}},
      {"INT offset + bits over size",
       [](Bytes &b, bool be) { put32(b, kIntType + 12, 8 << 16 | 32, be); },
       {"INT offset 8 + bits 32 exceed its size of 4 bytes"}},
      {"pointer target past the end",
       [](Bytes &b, bool be) { put32(b, kPtrType + 8, 4, be); },
       {"BTF type #2 at offset 0x28: type refers to type id 4 past the last "
        "type id 3"}},
      {"member type past the end",
       [](Bytes &b, bool be) { put32(b, kStructType + 28, 1000, be); },
       {"BTF type #3 at offset 0x34: member #1 type refers to type id 1000"}},
  };
  for (bool bigEndian : kByteOrders) {
    for (const MalformedCase &c : cases) {
      SCOPED_TRACE(std::string(c.what) + (bigEndian ? " (BE)" : " (LE)"));
      Bytes bytes = smallBlob(bigEndian);
      ASSERT_TRUE(parseOk(bytes, bigEndian));
      c.corrupt(bytes, bigEndian);
      std::string err = errorOf(Btf::parse(bytes, bigEndian));
      for (const std::string &word : c.expectedWords)
        EXPECT_NE(err.find(word), std::string::npos)
            << "'" << word << "' not in: " << err;
    }
  }
}

TEST(Btf, WrongByteOrderIsNamed) {
  std::string err = errorOf(Btf::parse(smallBlob(false), true));
  EXPECT_NE(err.find("BTF magic at offset 0x0 is little-endian but the object "
                     "is big-endian"),
            std::string::npos)
      << err;
  err = errorOf(Btf::parse(smallBlob(true), false));
  EXPECT_NE(err.find("is big-endian but the object is little-endian"),
            std::string::npos)
      << err;
}

// A header from a newer producer: accepted when the extra bytes are zero.
TEST(Btf, LongerHeader) {
  for (bool bigEndian : kByteOrders) {
    Bytes bytes = smallBlob(bigEndian);
    bytes.insert(bytes.begin() + kFirstType, 8, 0);
    put32(bytes, kHdrLenOffset, kFirstType + 8, bigEndian);
    auto btf = parseOk(bytes, bigEndian);
    ASSERT_TRUE(btf);
    EXPECT_EQ(describe(*btf),
              describe(valueOf(Btf::parse(smallBlob(bigEndian), bigEndian))));

    bytes[kFirstType + 5] = 1;
    std::string err = errorOf(Btf::parse(bytes, bigEndian));
    EXPECT_NE(err.find("header byte at offset 0x1d is nonzero (hdr_len 0x20)"),
              std::string::npos)
        << err;
  }
}

TEST(Btf, TypedefLoopIsBounded) {
  LibbpfBtf b = newLibbpfBtf();
  btf__add_typedef(b.get(), "A", 2);
  btf__add_typedef(b.get(), "B", 1);
  btf__add_const(b.get(), 3); // a modifier pointing at itself
  btf__set_pointer_size(b.get(), 8);
  for (bool bigEndian : kByteOrders) {
    auto btf = parseOk(rawData(b.get(), bigEndian), bigEndian);
    ASSERT_TRUE(btf);
    for (uint32_t id : {1, 2, 3}) {
      EXPECT_EQ(btf->skipModsAndTypedefs(id), nullptr);
      std::string err = errorOf(btf->resolveSize(id));
      EXPECT_NE(err.find("more than 32"), std::string::npos) << err;
      EXPECT_NE(err.find("loop"), std::string::npos) << err;
    }
    expectSizesMatchLibbpf(*btf, b.get());
  }
}

TEST(Btf, ArraySizeOverflow) {
  LibbpfBtf b = newLibbpfBtf();
  int i32 = btf__add_int(b.get(), "int", 4, BTF_INT_SIGNED);
  int inner = btf__add_array(b.get(), i32, i32, 0x10000);  // 0x40000 bytes
  int outer = btf__add_array(b.get(), i32, inner, 0x4000); // 2^32 bytes
  int nested = btf__add_array(b.get(), i32, outer, 4);     // 2^32 elements
  btf__set_pointer_size(b.get(), 8);
  auto btf = parseOk(rawData(b.get(), false), false);
  ASSERT_TRUE(btf);
  EXPECT_EQ(valueOf(btf->resolveSize(inner)), 0x40000u);
  std::string err = errorOf(btf->resolveSize(outer));
  EXPECT_NE(err.find("size of type id 3: array size overflows 32 bits"),
            std::string::npos)
      << err;
  err = errorOf(btf->resolveSize(nested));
  EXPECT_NE(err.find("size of type id 4: array element count overflows 32 "
                     "bits at type id 2"),
            std::string::npos)
      << err;
  expectSizesMatchLibbpf(*btf, b.get());
}

// Many types naming one long string must not make copies quadratic.
TEST(Btf, RepeatedLongNamesAreBounded) {
  LibbpfBtf b = newLibbpfBtf();
  int i32 = btf__add_int(b.get(), "int", 4, BTF_INT_SIGNED);
  std::string longName(4000, 'x');
  for (int i = 0; i < 200; ++i)
    btf__add_typedef(b.get(), longName.c_str(), i32);
  std::string err = errorOf(Btf::parse(rawData(b.get(), false), false));
  EXPECT_NE(err.find("exceed 64 times the input size"), std::string::npos)
      << err;

  // A few repeats are fine.
  LibbpfBtf few = newLibbpfBtf();
  i32 = btf__add_int(few.get(), "int", 4, BTF_INT_SIGNED);
  for (int i = 0; i < 10; ++i)
    btf__add_typedef(few.get(), longName.c_str(), i32);
  EXPECT_TRUE(parseOk(rawData(few.get(), false), false));
}

TEST(Btf, KindNames) {
  EXPECT_STREQ(kindName(Kind::Unknown), "UNKN");
  EXPECT_STREQ(kindName(Kind::Int), "INT");
  EXPECT_STREQ(kindName(Kind::FuncProto), "FUNC_PROTO");
  EXPECT_STREQ(kindName(Kind::Datasec), "DATASEC");
  EXPECT_STREQ(kindName(Kind::DeclTag), "DECL_TAG");
  EXPECT_STREQ(kindName(Kind::TypeTag), "TYPE_TAG");
  EXPECT_STREQ(kindName(Kind::Enum64), "ENUM64");
}

// ---------------------------------------------------------------------------
// Real objects.

struct ElfObject {
  bool bigEndian = false;
  std::map<std::string, Bytes> sections;
};

template <typename ELFT>
std::optional<ElfObject> readSections(llvm::StringRef data, bool bigEndian) {
  auto file = llvm::object::ELFFile<ELFT>::create(data);
  if (!file) {
    ADD_FAILURE() << llvm::toString(file.takeError());
    return std::nullopt;
  }
  auto sections = file->sections();
  if (!sections) {
    ADD_FAILURE() << llvm::toString(sections.takeError());
    return std::nullopt;
  }
  ElfObject object;
  object.bigEndian = bigEndian;
  for (const auto &sec : *sections) {
    if (sec.sh_type == llvm::ELF::SHT_NOBITS)
      continue;
    auto name = file->getSectionName(sec);
    auto contents = file->getSectionContents(sec);
    if (!name || !contents) {
      ADD_FAILURE() << "unreadable section";
      llvm::consumeError(name.takeError());
      llvm::consumeError(contents.takeError());
      return std::nullopt;
    }
    object.sections[name->str()] = Bytes(contents->begin(), contents->end());
  }
  return object;
}

// The object at `relativePath` under the cilium/ebpf source tree, or nullopt
// (with the test skipped by the caller) when the package is not installed.
std::optional<ElfObject> loadObject(const std::string &relativePath) {
  auto buffer =
      llvm::MemoryBuffer::getFile(std::string(kCiliumDir) + "/" + relativePath);
  if (!buffer)
    return std::nullopt;
  llvm::StringRef data = (*buffer)->getBuffer();
  if (data.size() < 6) {
    ADD_FAILURE() << relativePath << " is not an ELF file";
    return std::nullopt;
  }
  bool bigEndian = data[llvm::ELF::EI_DATA] == llvm::ELF::ELFDATA2MSB;
  return bigEndian ? readSections<llvm::object::ELF64BE>(data, true)
                   : readSections<llvm::object::ELF64LE>(data, false);
}

struct Decoded {
  ElfObject object;
  Btf btf;
  BtfExt ext;
};

std::optional<Decoded> decodeObject(const std::string &relativePath) {
  auto object = loadObject(relativePath);
  if (!object)
    return std::nullopt;
  if (!object->sections.count(".BTF") || !object->sections.count(".BTF.ext")) {
    ADD_FAILURE() << relativePath << " lacks .BTF or .BTF.ext";
    return std::nullopt;
  }
  auto btf = Btf::parse(object->sections[".BTF"], object->bigEndian);
  if (!btf) {
    ADD_FAILURE() << relativePath << ": " << llvm::toString(btf.takeError());
    return std::nullopt;
  }
  auto ext =
      BtfExt::parse(object->sections[".BTF.ext"], *btf, object->bigEndian);
  if (!ext) {
    ADD_FAILURE() << relativePath << ": " << llvm::toString(ext.takeError());
    return std::nullopt;
  }
  return Decoded{std::move(*object), std::move(*btf), std::move(*ext)};
}

#define DECODE_OR_SKIP(var, path)                                              \
  auto var = decodeObject(path);                                               \
  if (!var)                                                                    \
    GTEST_SKIP() << path << " not available";

// Every record's instruction lies inside its section and its type is a FUNC.
void expectRecordsPlausible(const Decoded &d) {
  size_t withLine = 0;
  for (const auto &sec : d.ext.funcInfo) {
    ASSERT_TRUE(d.object.sections.count(sec.section)) << sec.section;
    size_t insns = d.object.sections.at(sec.section).size() / 8;
    for (const FuncInfo &r : sec.records) {
      EXPECT_LT(r.insnOff, insns) << sec.section;
      const Type *func = d.btf.type(r.typeId);
      ASSERT_NE(func, nullptr);
      EXPECT_EQ(func->kind, Kind::Func);
    }
  }
  for (const auto &sec : d.ext.lineInfo) {
    ASSERT_TRUE(d.object.sections.count(sec.section)) << sec.section;
    size_t insns = d.object.sections.at(sec.section).size() / 8;
    for (const LineInfo &r : sec.records) {
      EXPECT_LT(r.insnOff, insns) << sec.section;
      EXPECT_NE(r.fileName.find(".c"), std::string::npos) << r.fileName.str();
      // clang gives compiler-made code (a merged return) line 0, no text.
      if (r.lineNum == 0)
        EXPECT_EQ(r.line, "");
      else
        ++withLine;
    }
  }
  EXPECT_GT(withLine, 0u);
  for (const auto &sec : d.ext.coreRelos) {
    ASSERT_TRUE(d.object.sections.count(sec.section)) << sec.section;
    size_t insns = d.object.sections.at(sec.section).size() / 8;
    for (const CoreRelo &r : sec.records) {
      EXPECT_LT(r.insnOff, insns) << sec.section;
      EXPECT_NE(d.btf.type(r.typeId), nullptr);
      EXPECT_FALSE(r.accessString.empty());
      EXPECT_STRNE(coreReloKindName(r.kind), "unknown");
    }
  }
}

std::vector<std::string>
sectionNames(const std::vector<SectionRecords<FuncInfo>> &records) {
  std::vector<std::string> names;
  for (const auto &sec : records)
    names.push_back(sec.section);
  return names;
}

TEST(BtfExt, LoaderObjectsDecode) {
  DECODE_OR_SKIP(little, "testdata/loader-el.elf");
  DECODE_OR_SKIP(big, "testdata/loader-eb.elf");
  for (const Decoded *d : {&*little, &*big}) {
    EXPECT_GT(d->btf.size(), 20u);
    EXPECT_NE(d->btf.findByName(".maps", Kind::Datasec), nullptr);
    ASSERT_FALSE(d->ext.funcInfo.empty());
    ASSERT_FALSE(d->ext.lineInfo.empty());
    auto names = sectionNames(d->ext.funcInfo);
    EXPECT_NE(std::find(names.begin(), names.end(), "xdp"), names.end());
    EXPECT_NE(std::find(names.begin(), names.end(), "socket"), names.end());
    EXPECT_NE(std::find(names.begin(), names.end(), ".text"), names.end());
    bool sawLoaderC = false;
    for (const auto &sec : d->ext.lineInfo)
      for (const LineInfo &r : sec.records)
        sawLoaderC |=
            r.fileName.find("loader.c") != std::string::npos && !r.line.empty();
    EXPECT_TRUE(sawLoaderC);
    expectRecordsPlausible(*d);
  }
  EXPECT_EQ(describe(little->btf), describe(big->btf));
  EXPECT_EQ(describe(little->ext), describe(big->ext));
}

TEST(BtfExt, CoreRelocationsDecode) {
  DECODE_OR_SKIP(little, "btf/testdata/relocs-el.elf");
  DECODE_OR_SKIP(big, "btf/testdata/relocs-eb.elf");
  for (const Decoded *d : {&*little, &*big}) {
    ASSERT_FALSE(d->ext.coreRelos.empty());
    std::set<std::string> access;
    std::set<CoreReloKind> kinds;
    for (const auto &sec : d->ext.coreRelos)
      for (const CoreRelo &r : sec.records) {
        access.insert(r.accessString.str());
        kinds.insert(r.kind);
      }
    EXPECT_TRUE(access.count("0")) << "whole-type relocations use \"0\"";
    EXPECT_TRUE(access.count("0:1")) << "field relocations like s._2";
    EXPECT_TRUE(kinds.count(CoreReloKind::TypeIdLocal));
    EXPECT_TRUE(kinds.count(CoreReloKind::FieldByteOffset));
    EXPECT_TRUE(kinds.count(CoreReloKind::EnumvalExists));
    expectRecordsPlausible(*d);
  }
  EXPECT_EQ(describe(little->btf), describe(big->btf));
  EXPECT_EQ(describe(little->ext), describe(big->ext));
}

// Every .BTF/.BTF.ext in the package decodes, EL and EB alike, and agrees
// with libbpf's parse of the same bytes.
TEST(BtfExt, AllPackagedObjectsMatchLibbpf) {
  const char *objects[] = {"testdata/btf_map_init",
                           "testdata/freplace",
                           "testdata/fwd_decl",
                           "testdata/invalid_btf_map_init",
                           "testdata/invalid_map",
                           "testdata/invalid_map_static",
                           "testdata/iproute2_map_compat",
                           "testdata/loader-clang-7",
                           "testdata/loader-clang-9",
                           "testdata/loader-clang-14",
                           "testdata/map_spin_lock",
                           "testdata/raw_tracepoint",
                           "testdata/strings",
                           "testdata/subprog_reloc",
                           "btf/testdata/relocs",
                           "btf/testdata/relocs_read",
                           "btf/testdata/relocs_read_tgt"};
  int decoded = 0;
  for (const char *base : objects) {
    std::string descriptions[2];
    for (bool bigEndian : kByteOrders) {
      std::string path =
          std::string(base) + (bigEndian ? "-eb.elf" : "-el.elf");
      SCOPED_TRACE(path);
      auto object = loadObject(path);
      if (!object || !object->sections.count(".BTF"))
        continue;
      const Bytes &raw = object->sections[".BTF"];
      auto btf = parseOk(raw, bigEndian);
      ASSERT_TRUE(btf);
      LibbpfBtf reference(btf__new(raw.data(), raw.size()), btf__free);
      ASSERT_NE(reference, nullptr);
      expectTypesMatchLibbpf(*btf, reference.get());
      expectSizesMatchLibbpf(*btf, reference.get());
      descriptions[bigEndian] = describe(*btf);
      if (object->sections.count(".BTF.ext")) {
        auto ext = BtfExt::parse(object->sections[".BTF.ext"], *btf, bigEndian);
        ASSERT_TRUE(bool(ext)) << llvm::toString(ext.takeError());
        descriptions[bigEndian] += describe(*ext);
      }
      ++decoded;
    }
    EXPECT_EQ(descriptions[0], descriptions[1]) << base;
  }
  if (decoded == 0)
    GTEST_SKIP() << "cilium/ebpf test objects not installed";
}

TEST(BtfExt, LittleEndianObjectReadAsBigEndianFails) {
  for (const char *path :
       {"testdata/loader-el.elf", "btf/testdata/relocs-el.elf"}) {
    SCOPED_TRACE(path);
    auto object = loadObject(path);
    if (!object)
      GTEST_SKIP() << path << " not available";
    std::string err = errorOf(Btf::parse(object->sections[".BTF"], true));
    EXPECT_NE(err.find("BTF magic at offset 0x0 is little-endian but the "
                       "object is big-endian"),
              std::string::npos)
        << err;
    auto btf = parseOk(object->sections[".BTF"], false);
    ASSERT_TRUE(btf);
    err = errorOf(BtfExt::parse(object->sections[".BTF.ext"], *btf, true));
    EXPECT_NE(err.find("BTF.ext magic at offset 0x0 is little-endian"),
              std::string::npos)
        << err;
  }
}

// The kernel's BTF: every kind a real producer emits, at scale.
TEST(Btf, VmlinuxMatchesLibbpf) {
  std::string command =
      std::string("gzip -dc < ") + kCiliumDir + "/btf/testdata/vmlinux.btf.gz";
  FILE *pipe = popen(command.c_str(), "r");
  if (!pipe)
    GTEST_SKIP() << "cannot run gzip";
  Bytes raw;
  uint8_t chunk[65536];
  for (size_t n; (n = fread(chunk, 1, sizeof chunk, pipe)) > 0;)
    raw.insert(raw.end(), chunk, chunk + n);
  if (pclose(pipe) != 0 || raw.empty())
    GTEST_SKIP() << "vmlinux.btf.gz not available";
  auto btf = parseOk(raw, false);
  ASSERT_TRUE(btf);
  LibbpfBtf reference(btf__new(raw.data(), raw.size()), btf__free);
  ASSERT_NE(reference, nullptr);
  EXPECT_GT(btf->size(), 10000u);
  expectTypesMatchLibbpf(*btf, reference.get());
  expectSizesMatchLibbpf(*btf, reference.get());
  const Type *task = btf->findByName("task_struct", Kind::Struct);
  ASSERT_NE(task, nullptr);
  EXPECT_EQ(valueOf(btf->resolveSize(task->id)), task->size);
}

// ---------------------------------------------------------------------------
// Synthetic .BTF.ext, for what the real objects do not exercise.

// Writes a .BTF.ext: header of `hdrLen` bytes, then the three blocks, each a
// list of u32 words (record size, then sections).
Bytes extBlob(bool bigEndian, uint32_t hdrLen,
              const std::vector<uint32_t> &funcInfo,
              const std::vector<uint32_t> &lineInfo,
              const std::vector<uint32_t> &coreRelo = {}) {
  Bytes out(hdrLen, 0);
  out[0] = bigEndian ? 0xeb : 0x9f;
  out[1] = bigEndian ? 0x9f : 0xeb;
  out[2] = 1;
  put32(out, 4, hdrLen, bigEndian);
  uint32_t offset = 0;
  auto block = [&](size_t field, const std::vector<uint32_t> &words) {
    if (field + 8 > hdrLen)
      return;
    put32(out, field, offset, bigEndian);
    put32(out, field + 4, uint32_t(words.size() * 4), bigEndian);
    for (uint32_t word : words) {
      out.resize(out.size() + 4);
      put32(out, out.size() - 4, word, bigEndian);
    }
    offset += uint32_t(words.size() * 4);
  };
  block(8, funcInfo);
  block(16, lineInfo);
  block(24, coreRelo);
  return out;
}

struct ExtFixture {
  LibbpfBtf btf = newLibbpfBtf();
  uint32_t prog, file, line, access;
  int func;

  ExtFixture() {
    struct btf *b = btf.get();
    int i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
    int proto = btf__add_func_proto(b, i32);
    func = btf__add_func(b, "entry", BTF_FUNC_GLOBAL, proto);
    prog = btf__add_str(b, "xdp");
    file = btf__add_str(b, "/src/prog.c");
    line = btf__add_str(b, "  return XDP_PASS;");
    access = btf__add_str(b, "0:1:2");
  }
  Btf parsed(bool bigEndian) {
    return valueOf(Btf::parse(rawData(btf.get(), bigEndian), bigEndian));
  }
};

// Line records repeating one long file name must not make copies quadratic,
// also when the parser looks the name up once and counts the repeats.
TEST(BtfExt, RepeatedLongStringsAreBounded) {
  ExtFixture f;
  uint32_t longFile =
      uint32_t(btf__add_str(f.btf.get(), std::string(4000, 'x').c_str()));
  Btf btf = f.parsed(false);
  auto lineRecords = [&](uint32_t count) {
    std::vector<uint32_t> words{16, f.prog, count};
    for (uint32_t i = 0; i < count; ++i)
      words.insert(words.end(), {i * 8, longFile, f.line, 1 << 10});
    return extBlob(false, 32, {}, words);
  };
  std::string err = errorOf(BtfExt::parse(lineRecords(200), btf, false));
  EXPECT_NE(err.find("file name: strings referred to in the string table "
                     "exceed 64 times the input size"),
            std::string::npos)
      << err;
  EXPECT_TRUE(bool(BtfExt::parse(lineRecords(10), btf, false)));
}

TEST(BtfExt, SyntheticRecordsInBothByteOrders) {
  ExtFixture f;
  for (bool bigEndian : kByteOrders) {
    SCOPED_TRACE(bigEndian ? "big-endian" : "little-endian");
    Btf btf = f.parsed(bigEndian);
    // func_info records of 12 bytes: a newer producer's extra word is skipped.
    Bytes bytes = extBlob(bigEndian, 32,
                          {12, f.prog, 2, 0, uint32_t(f.func), 0xdead, 16,
                           uint32_t(f.func), 0xbeef},
                          {16, f.prog, 1, 8, f.file, f.line, 42 << 10 | 7},
                          {16, f.prog, 1, 24, uint32_t(f.func), f.access, 11});
    BtfExt ext = valueOf(BtfExt::parse(bytes, btf, bigEndian));
    ASSERT_EQ(ext.funcInfo.size(), 1u);
    EXPECT_EQ(ext.funcInfo[0].section, "xdp");
    ASSERT_EQ(ext.funcInfo[0].records.size(), 2u);
    EXPECT_EQ(ext.funcInfo[0].records[0].insnOff, 0u);
    EXPECT_EQ(ext.funcInfo[0].records[1].insnOff, 2u);
    EXPECT_EQ(ext.funcInfo[0].records[1].typeId, uint32_t(f.func));
    ASSERT_EQ(ext.lineInfo.size(), 1u);
    const LineInfo &li = ext.lineInfo[0].records.at(0);
    EXPECT_EQ(li.insnOff, 1u);
    EXPECT_EQ(li.fileName, "/src/prog.c");
    EXPECT_EQ(li.line, "  return XDP_PASS;");
    EXPECT_EQ(li.lineNum, 42u);
    EXPECT_EQ(li.column, 7u);
    ASSERT_EQ(ext.coreRelos.size(), 1u);
    const CoreRelo &cr = ext.coreRelos[0].records.at(0);
    EXPECT_EQ(cr.insnOff, 3u);
    EXPECT_EQ(cr.typeId, uint32_t(f.func));
    EXPECT_EQ(cr.accessString, "0:1:2");
    EXPECT_EQ(cr.kind, CoreReloKind::EnumvalValue);

    // A 24-byte header predates CO-RE: no core_relo fields, no relocations.
    Bytes old = extBlob(bigEndian, 24, {8, f.prog, 1, 0, uint32_t(f.func)},
                        {16, f.prog, 1, 0, f.file, f.line, 1 << 10});
    BtfExt oldExt = valueOf(BtfExt::parse(old, btf, bigEndian));
    EXPECT_EQ(oldExt.funcInfo.size(), 1u);
    EXPECT_TRUE(oldExt.coreRelos.empty());
  }
}

TEST(BtfExt, MalformedInputsGiveSpecificErrors) {
  ExtFixture f;
  uint32_t func = f.func;
  struct Case {
    const char *what;
    uint32_t hdrLen;
    std::vector<uint32_t> funcInfo, lineInfo;
    std::vector<std::string> expectedWords;
  };
  const std::vector<Case> cases = {
      {"hdr_len too small", 16, {}, {}, {"BTF.ext hdr_len 0x10", "smaller"}},
      {"insn_off not a multiple of 8",
       32,
       {8, f.prog, 1, 12, func},
       {},
       {"func_info record at offset 0x2c: insn_off 0xc is not a multiple of "
        "the 8-byte instruction size"}},
      {"record size too small",
       32,
       {4, f.prog, 1, 0},
       {},
       {"func_info at offset 0x20: record size 0x4 is invalid"}},
      {"record size not a multiple of 4",
       32,
       {18, f.prog, 1, 0, func, 0, 0},
       {},
       {"record size 0x12 is invalid"}},
      {"count past the block",
       32,
       {8, f.prog, 0x10000000, 0, func},
       {},
       {"func_info at offset 0x24: 268435456 records of 0x8 bytes for "
        "section 'xdp' run past end of block (0x8 bytes left)"}},
      {"truncated section header",
       32,
       {8, f.prog, 1, 0, func, f.prog},
       {},
       {"func_info at offset 0x34: section header truncated (0x4 bytes"}},
      {"section name out of range",
       32,
       {8, 0x100000, 1, 0, func},
       {},
       {"func_info at offset 0x24: section name: string offset 0x100000 out "
        "of range"}},
      {"func type id past the end",
       32,
       {8, f.prog, 1, 0, 77},
       {},
       {"func_info record at offset 0x2c: type id 77 past the last type id "
        "3"}},
      {"line file name out of range",
       32,
       {},
       {16, f.prog, 1, 0, 0x55555, f.line, 0},
       {"line_info record at offset 0x2c: file name: string offset 0x55555"}},
  };
  for (bool bigEndian : kByteOrders) {
    Btf btf = f.parsed(bigEndian);
    for (const Case &c : cases) {
      SCOPED_TRACE(std::string(c.what) + (bigEndian ? " (BE)" : " (LE)"));
      Bytes bytes =
          extBlob(bigEndian, std::max(c.hdrLen, 24u), c.funcInfo, c.lineInfo);
      put32(bytes, 4, c.hdrLen, bigEndian);
      std::string err = errorOf(BtfExt::parse(bytes, btf, bigEndian));
      for (const std::string &word : c.expectedWords)
        EXPECT_NE(err.find(word), std::string::npos)
            << "'" << word << "' not in: " << err;
    }
  }
}

TEST(BtfExt, HeaderAndBlockBounds) {
  ExtFixture f;
  for (bool bigEndian : kByteOrders) {
    SCOPED_TRACE(bigEndian ? "big-endian" : "little-endian");
    Btf btf = f.parsed(bigEndian);
    const Bytes valid =
        extBlob(bigEndian, 32, {8, f.prog, 1, 0, uint32_t(f.func)}, {});
    ASSERT_TRUE(bool(BtfExt::parse(valid, btf, bigEndian)));
    auto errorAfter = [&](const std::function<void(Bytes &)> &corrupt) {
      Bytes bytes = valid;
      corrupt(bytes);
      return errorOf(BtfExt::parse(bytes, btf, bigEndian));
    };
    auto expectIn = [](const std::string &err, const std::string &word) {
      EXPECT_NE(err.find(word), std::string::npos)
          << "'" << word << "' not in: " << err;
    };
    expectIn(errorAfter([&](Bytes &b) { put32(b, 4, 0x1000, bigEndian); }),
             "BTF.ext hdr_len 0x1000 at offset 0x4 runs past end of section");
    expectIn(errorAfter([&](Bytes &b) { b[2] = 3; }), "BTF.ext version 3");
    expectIn(errorAfter([&](Bytes &b) { b[3] = 1; }), "BTF.ext flags 0x1");
    expectIn(errorAfter([&](Bytes &b) { b[0] = 0; }),
             "BTF.ext magic at offset 0x0 is");
    expectIn(errorAfter([&](Bytes &b) { put32(b, 12, 0x100, bigEndian); }),
             "func_info at offset 0x20: block of 0x100 bytes runs past end "
             "of section (size 0x34)");
    expectIn(errorAfter([&](Bytes &b) { put32(b, 8, 2, bigEndian); }),
             "func_info at offset 0x22: block is not 4-byte aligned");
    expectIn(errorAfter([&](Bytes &b) { put32(b, 12, 2, bigEndian); }),
             "block of 0x2 bytes has no room for its record size");
    // A block holding only its record size has no sections.
    Bytes onlyRecordSize = valid;
    put32(onlyRecordSize, 12, 4, bigEndian);
    auto ext = BtfExt::parse(onlyRecordSize, btf, bigEndian);
    ASSERT_TRUE(bool(ext)) << llvm::toString(ext.takeError());
    EXPECT_TRUE(ext->funcInfo.empty());
  }
}

TEST(BtfExt, EveryTruncationAndCorruptionIsClean) {
  for (const char *path :
       {"testdata/loader-eb.elf", "btf/testdata/relocs-el.elf"}) {
    SCOPED_TRACE(path);
    auto object = loadObject(path);
    if (!object)
      GTEST_SKIP() << path << " not available";
    bool bigEndian = object->bigEndian;
    auto btf = parseOk(object->sections[".BTF"], bigEndian);
    ASSERT_TRUE(btf);
    const Bytes &ext = object->sections[".BTF.ext"];
    ASSERT_TRUE(bool(BtfExt::parse(ext, *btf, bigEndian)));
    for (size_t len = 0; len < ext.size(); ++len) {
      auto parsed = BtfExt::parse(llvm::makeArrayRef(ext).take_front(len), *btf,
                                  bigEndian);
      EXPECT_FALSE(errorOf(std::move(parsed)).empty()) << len;
    }
    for (size_t i = 0; i < ext.size(); ++i) {
      for (uint8_t flip : {0x01, 0xff}) {
        Bytes mutated = ext;
        mutated[i] ^= flip;
        auto parsed = BtfExt::parse(mutated, *btf, bigEndian);
        if (!parsed)
          llvm::consumeError(parsed.takeError());
      }
    }
  }
}

TEST(BtfExt, CoreReloKindNames) {
  const std::pair<CoreReloKind, const char *> names[] = {
      {CoreReloKind::FieldByteOffset, "byte_off"},
      {CoreReloKind::FieldByteSize, "byte_sz"},
      {CoreReloKind::FieldExists, "field_exists"},
      {CoreReloKind::FieldSigned, "signed"},
      {CoreReloKind::FieldLshiftU64, "lshift_u64"},
      {CoreReloKind::FieldRshiftU64, "rshift_u64"},
      {CoreReloKind::TypeIdLocal, "local_type_id"},
      {CoreReloKind::TypeIdTarget, "target_type_id"},
      {CoreReloKind::TypeExists, "type_exists"},
      {CoreReloKind::TypeSize, "type_size"},
      {CoreReloKind::EnumvalExists, "enumval_exists"},
      {CoreReloKind::EnumvalValue, "enumval_value"},
      {CoreReloKind::TypeMatches, "type_matches"},
      {CoreReloKind(13), "unknown"},
  };
  for (const auto &[kind, name] : names)
    EXPECT_STREQ(coreReloKindName(kind), name);
}

} // namespace
