// The BTF builder: lossless round trips of real and libbpf-built BTF in both
// byte orders, dropping map-definition types with id remapping, the type
// lookups used for synthesised map definitions, and .BTF.ext encoding.
// libbpf's own parser (btf__new, btf_ext__new) is the independent judge of
// what we encode.
#include "bpfcompat/btf.h"
#include "bpfcompat/btf_builder.h"
#include "bpfcompat/elf.h"

#include <bpf/btf.h>
#include <gtest/gtest.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "btf_test_support.h"
#include "test_support.h"

namespace {

using namespace bpfcompat;
using namespace bpfcompat::btf;
using namespace bpfcompat::btf::testutil;
// The Builder overload below joins these rather than hiding them.
using bpfcompat::btf::testutil::describe;
using LibbpfBtfExt = std::unique_ptr<struct btf_ext, decltype(&btf_ext__free)>;

const char *orderName(bool bigEndian) {
  return bigEndian ? "big-endian" : "little-endian";
}

std::optional<BtfExt> parseExtOk(llvm::ArrayRef<uint8_t> bytes, const Btf &btf,
                                 bool bigEndian) {
  auto ext = BtfExt::parse(bytes, btf, bigEndian);
  if (!ext) {
    ADD_FAILURE() << llvm::toString(ext.takeError());
    return std::nullopt;
  }
  return std::move(*ext);
}

std::string describe(const Builder &b) {
  std::string out;
  for (uint32_t id = 1; id <= b.size(); ++id)
    out += describe(*b.type(id));
  return out;
}

// The per-section lists encodeExt takes, in order of first appearance.
std::vector<ExtSection> toSections(const BtfExt &ext) {
  std::vector<ExtSection> out;
  auto get = [&](const std::string &name) -> ExtSection & {
    for (ExtSection &s : out)
      if (s.name == name)
        return s;
    out.push_back({name, {}, {}, {}});
    return out.back();
  };
  for (const auto &sec : ext.funcInfo) {
    auto &into = get(sec.section).funcInfo;
    into.insert(into.end(), sec.records.begin(), sec.records.end());
  }
  for (const auto &sec : ext.lineInfo) {
    auto &into = get(sec.section).lineInfo;
    into.insert(into.end(), sec.records.begin(), sec.records.end());
  }
  for (const auto &sec : ext.coreRelos) {
    auto &into = get(sec.section).coreRelos;
    into.insert(into.end(), sec.records.begin(), sec.records.end());
  }
  return out;
}

// Header fields of an encoded .BTF.
struct BtfHeader {
  uint32_t hdrLen, typeOff, typeLen, strOff, strLen;
};

BtfHeader header(const Bytes &bytes, bool bigEndian) {
  return {get32(bytes, 4, bigEndian), get32(bytes, 8, bigEndian),
          get32(bytes, 12, bigEndian), get32(bytes, 16, bigEndian),
          get32(bytes, 20, bigEndian)};
}

// The NUL-terminated strings of a string table, in order.
std::vector<std::string> stringsOf(const Bytes &bytes, bool bigEndian) {
  BtfHeader h = header(bytes, bigEndian);
  std::vector<std::string> out;
  size_t start = h.hdrLen + h.strOff, end = start + h.strLen;
  for (size_t p = start; p < end;) {
    std::string s(reinterpret_cast<const char *>(&bytes[p]));
    p += s.size() + 1;
    out.push_back(std::move(s));
  }
  return out;
}

// ---------------------------------------------------------------------------
// A libbpf-built blob with every kind.

struct EveryKind {
  LibbpfBtf btf = newLibbpfBtf();
  int i32, ptr, pair, func, var, datasec, memberTag, wholeTag;

  EveryKind() {
    struct btf *b = btf.get();
    i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
    int uchar = btf__add_int(b, "unsigned char", 1, BTF_INT_CHAR);
    btf__add_int(b, "_Bool", 1, BTF_INT_BOOL);
    ptr = btf__add_ptr(b, i32);
    btf__add_array(b, i32, uchar, 7); // index type first
    pair = btf__add_struct(b, "pair", 16);
    btf__add_field(b, "a", i32, 0, 0);
    btf__add_field(b, "flags", i32, 35, 3); // a bitfield sets kind_flag
    btf__add_field(b, "p", ptr, 64, 0);
    btf__add_union(b, "u", 8);
    btf__add_field(b, "x", i32, 0, 0);
    btf__add_field(b, "p", ptr, 0, 0);
    btf__add_enum(b, "color", 4);
    btf__add_enum_value(b, "RED", 0);
    btf__add_enum_value(b, "HIGH", 0xfffffffe);
    btf__add_enum(b, "sign", 4);
    btf__add_enum_value(b, "NEG", -5); // makes the enum signed
    btf__add_enum64(b, "big", 8, false);
    btf__add_enum64_value(b, "HUGE", 0x123456789abcdef0ULL);
    btf__add_enum64(b, "sbig", 8, true);
    btf__add_enum64_value(b, "MINUS_TWO", uint64_t(-2));
    btf__add_fwd(b, "opaque", BTF_FWD_UNION);
    btf__add_fwd(b, "later", BTF_FWD_STRUCT);
    int intT = btf__add_typedef(b, "int_t", i32);
    int vol = btf__add_volatile(b, intT);
    int cnst = btf__add_const(b, vol);
    btf__add_restrict(b, ptr);
    btf__add_type_tag(b, "user", cnst);
    int proto = btf__add_func_proto(b, i32);
    btf__add_func_param(b, "ctx", ptr);
    btf__add_func_param(b, "len", intT);
    btf__add_func_param(b, "", 0); // varargs
    func = btf__add_func(b, "handler", BTF_FUNC_GLOBAL, proto);
    var = btf__add_var(b, "counter", BTF_VAR_GLOBAL_ALLOCATED, i32);
    datasec = btf__add_datasec(b, ".data", 12);
    btf__add_datasec_var_info(b, var, 8, 4);
    btf__add_float(b, "double", 8);
    memberTag = btf__add_decl_tag(b, "tagged", pair, 1);
    wholeTag = btf__add_decl_tag(b, "whole", func, -1);
    EXPECT_EQ(wholeTag, 25) << "a libbpf writer call failed";
    btf__set_pointer_size(b, 8);
  }
};

// Encodes `base` unchanged and checks what comes back, returning the bytes.
Bytes expectLosslessRoundTrip(const Btf &base, bool bigEndian) {
  Builder b = Builder::fromExisting(base, {}, {});
  EXPECT_EQ(b.size(), base.size());
  EXPECT_EQ(b.mappedId(0), 0u);
  EXPECT_EQ(b.mappedId(uint32_t(base.size() + 1)), 0u);
  for (uint32_t id = 1; id <= base.size(); ++id)
    EXPECT_EQ(b.mappedId(id), id);
  EXPECT_EQ(describe(b), describe(base));

  Bytes out = b.encode(bigEndian);
  auto again = parseOk(out, bigEndian);
  if (!again)
    return out;
  EXPECT_EQ(describe(*again), describe(base));

  LibbpfBtf reference = libbpfParse(out);
  EXPECT_NE(reference, nullptr) << "libbpf rejects the encoded BTF";
  if (reference) {
    EXPECT_EQ(btf__type_cnt(reference.get()), base.size() + 1);
    EXPECT_EQ(btf__endianness(reference.get()),
              bigEndian ? BTF_BIG_ENDIAN : BTF_LITTLE_ENDIAN);
  }
  return out;
}

TEST(BtfBuilder, EveryKindRoundTripsToLibbpfsExactBytes) {
  EveryKind k;
  for (bool bigEndian : kByteOrders) {
    SCOPED_TRACE(orderName(bigEndian));
    Bytes original = rawData(k.btf.get(), bigEndian);
    auto base = parseOk(original, bigEndian);
    ASSERT_TRUE(base);
    ASSERT_EQ(base->size(), 25u);
    // libbpf adds strings as types are added, deduplicated: the order in
    // which encode() meets them, so the encoding is byte for byte the same.
    EXPECT_EQ(expectLosslessRoundTrip(*base, bigEndian), original);
  }
}

TEST(BtfBuilder, BigEndianEncodingMatchesLittleEndianFieldByField) {
  EveryKind k;
  auto base = parseOk(rawData(k.btf.get(), false), false);
  ASSERT_TRUE(base);
  Builder b = Builder::fromExisting(*base, {}, {});
  Bytes little = b.encode(false), big = b.encode(true);
  ASSERT_EQ(little.size(), big.size());
  EXPECT_EQ(little[0], 0x9f);
  EXPECT_EQ(little[1], 0xeb);
  EXPECT_EQ(big[0], 0xeb);
  EXPECT_EQ(big[1], 0x9f);
  auto fromLittle = parseOk(little, false);
  auto fromBig = parseOk(big, true);
  ASSERT_TRUE(fromLittle && fromBig);
  EXPECT_EQ(describe(*fromBig), describe(*fromLittle));
  // Read in the wrong byte order, the magic gives it away.
  EXPECT_FALSE(bool(Btf::parse(big, false)));
  llvm::consumeError(Btf::parse(big, false).takeError());

  // Past the 8-byte magic/version/flags/hdr_len prefix everything is 32-bit
  // words up to the string table, which is byte-identical.
  BtfHeader h = header(little, false);
  EXPECT_EQ(h.hdrLen, 24u);
  EXPECT_EQ(h.typeOff, 0u);
  EXPECT_EQ(h.strOff, h.typeLen);
  EXPECT_EQ(h.hdrLen + h.strOff + h.strLen, little.size());
  for (size_t off = 4; off < h.hdrLen + h.strOff; off += 4)
    ASSERT_EQ(get32(little, off, false), get32(big, off, true))
        << "word at offset " << off;
  EXPECT_TRUE(std::equal(little.begin() + h.hdrLen + h.strOff, little.end(),
                         big.begin() + h.hdrLen + h.strOff));

  LibbpfBtf reference = libbpfParse(big);
  ASSERT_NE(reference, nullptr);
  EXPECT_EQ(btf__endianness(reference.get()), BTF_BIG_ENDIAN);
  EXPECT_EQ(btf__type_cnt(reference.get()), 26u);
  const struct btf_type *pair = btf__type_by_id(reference.get(), k.pair);
  ASSERT_NE(pair, nullptr);
  EXPECT_STREQ(btf__name_by_offset(reference.get(), pair->name_off), "pair");
  EXPECT_EQ(btf_vlen(pair), 3);
  EXPECT_EQ(btf_member_bitfield_size(pair, 1), 3u);
  EXPECT_EQ(btf_member_bit_offset(pair, 1), 35u);
}

// ---------------------------------------------------------------------------
// Real objects: every clang-built test object shipped with cilium/ebpf.

struct ObjectBtf {
  std::string path;
  bool bigEndian = false;
  Bytes btf, ext; // ext empty when the object has none
};

std::vector<ObjectBtf> ciliumObjects() {
  std::vector<ObjectBtf> out;
  for (const std::string &dir :
       {test::kCiliumTestdata, test::kCiliumBtfTestdata}) {
    std::error_code ec;
    std::vector<std::string> paths;
    for (const auto &entry : std::filesystem::directory_iterator(dir, ec))
      if (entry.path().extension() == ".elf")
        paths.push_back(entry.path().string());
    std::sort(paths.begin(), paths.end());
    for (const std::string &path : paths) {
      auto file = elf::File::open(path);
      if (!file) {
        ADD_FAILURE() << llvm::toString(file.takeError());
        continue;
      }
      const elf::Section *btf = (*file)->sectionByName(".BTF");
      if (!btf)
        continue;
      ObjectBtf o{path,
                  (*file)->bigEndian(),
                  Bytes(btf->data.begin(), btf->data.end()),
                  {}};
      if (const elf::Section *ext = (*file)->sectionByName(".BTF.ext"))
        o.ext.assign(ext->data.begin(), ext->data.end());
      out.push_back(std::move(o));
    }
  }
  return out;
}

bool hasDuplicateStrings(const Bytes &bytes, bool bigEndian) {
  std::vector<std::string> strings = stringsOf(bytes, bigEndian);
  std::set<std::string> unique(strings.begin(), strings.end());
  return unique.size() != strings.size();
}

TEST(BtfBuilder, CiliumObjectsRoundTripLosslessly) {
  std::vector<ObjectBtf> objects = ciliumObjects();
  if (objects.empty())
    GTEST_SKIP() << "cilium/ebpf test objects not installed";
  size_t withExt = 0, bothOrders[2] = {0, 0}, identical = 0;
  for (const ObjectBtf &o : objects) {
    SCOPED_TRACE(o.path);
    ++bothOrders[o.bigEndian];
    auto base = parseOk(o.btf, o.bigEndian);
    ASSERT_TRUE(base);
    Builder b = Builder::fromExisting(*base, {}, {});

    std::optional<BtfExt> ext;
    Bytes extOut;
    if (!o.ext.empty()) {
      ++withExt;
      ext = parseExtOk(o.ext, *base, o.bigEndian);
      ASSERT_TRUE(ext);
      extOut = encodeExt(toSections(*ext), b, o.bigEndian);
    }
    Bytes out = b.encode(o.bigEndian);
    auto again = parseOk(out, o.bigEndian);
    ASSERT_TRUE(again);
    EXPECT_EQ(describe(*again), describe(*base));
    LibbpfBtf reference = libbpfParse(out);
    ASSERT_NE(reference, nullptr) << "libbpf rejects the encoded BTF";
    EXPECT_EQ(btf__type_cnt(reference.get()), base->size() + 1);

    // The string table: encode() emits each distinct string once, in the
    // order first asked for. clang's BTF writer also deduplicates, and puts
    // type strings in type order, so without .BTF.ext the bytes are the
    // same. With .BTF.ext, encodeExt() must run first and its strings
    // (section and file names, source lines) come first, while clang's
    // table starts with the types' strings: same strings, same sizes, other
    // offsets.
    std::vector<std::string> before = stringsOf(o.btf, o.bigEndian);
    std::vector<std::string> after = stringsOf(out, o.bigEndian);
    ASSERT_FALSE(hasDuplicateStrings(out, o.bigEndian));
    ASSERT_FALSE(hasDuplicateStrings(o.btf, o.bigEndian));
    std::set<std::string> beforeSet(before.begin(), before.end());
    std::set<std::string> afterSet(after.begin(), after.end());
    EXPECT_EQ(afterSet, beforeSet);
    EXPECT_EQ(out.size(), o.btf.size());
    if (o.ext.empty()) {
      EXPECT_EQ(out, o.btf);
      ++identical;
    } else {
      // The type strings alone keep clang's relative order.
      Builder typesOnly = Builder::fromExisting(*base, {}, {});
      std::vector<std::string> typeStrings =
          stringsOf(typesOnly.encode(o.bigEndian), o.bigEndian);
      auto next = before.begin();
      for (const std::string &s : typeStrings) {
        next = std::find(next, before.end(), s);
        ASSERT_NE(next, before.end()) << "'" << s << "' out of order";
      }
    }

    if (ext) {
      auto extAgain = parseExtOk(extOut, *again, o.bigEndian);
      ASSERT_TRUE(extAgain);
      EXPECT_EQ(describe(*extAgain), describe(*ext));
      if (!o.bigEndian) {
        // libbpf 1.1 refuses non-native .BTF.ext, so only the LE twin.
        LibbpfBtfExt libbpfExt(
            btf_ext__new(extOut.data(), uint32_t(extOut.size())),
            btf_ext__free);
        EXPECT_NE(libbpfExt, nullptr) << "libbpf rejects the encoded .BTF.ext";
      }
      // Same records, same sizes: only string offsets may differ, and the
      // header, which we always write as the 32-byte CO-RE one (clang 9
      // wrote 40 bytes, with a pre-CO-RE field_reloc block).
      uint32_t hdrLen = get32(o.ext, 4, o.bigEndian);
      EXPECT_EQ(extOut.size(), o.ext.size() - hdrLen + 32);
    }
  }
  EXPECT_GT(withExt, 0u);
  EXPECT_GT(bothOrders[0], 0u);
  EXPECT_GT(bothOrders[1], 0u);
  EXPECT_GT(identical, 0u);
}

TEST(BtfBuilder, CiliumObjectsEncodeIdenticallyInBothByteOrders) {
  std::vector<ObjectBtf> objects = ciliumObjects();
  if (objects.empty())
    GTEST_SKIP() << "cilium/ebpf test objects not installed";
  for (const ObjectBtf &o : objects) {
    SCOPED_TRACE(o.path);
    auto base = parseOk(o.btf, o.bigEndian);
    ASSERT_TRUE(base);
    Builder b = Builder::fromExisting(*base, {}, {});
    auto little = parseOk(b.encode(false), false);
    auto big = parseOk(b.encode(true), true);
    ASSERT_TRUE(little && big);
    EXPECT_EQ(describe(*little), describe(*base));
    EXPECT_EQ(describe(*big), describe(*base));
  }
}

// ---------------------------------------------------------------------------
// Dropping the old map encoding.

// A libbpf-style object's BTF: two maps in `.maps` (one with a decl tag), a
// key type only a map definition reaches, a struct also used by a program,
// and a `.data` variable.
struct Maps {
  LibbpfBtf btf = newLibbpfBtf();
  int i32, keyT, keyPtr, arrIdx, typeArr, typeArrPtr, mapDef, shared, sharedPtr,
      mapDef2, proto, func, mapVar, mapVar2, mapsSec, counter, dataSec, varTag,
      funcTag;

  Maps() {
    struct btf *b = btf.get();
    i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
    keyT = btf__add_struct(b, "key_t", 4);
    btf__add_field(b, "k", i32, 0, 0);
    keyPtr = btf__add_ptr(b, keyT);
    arrIdx = btf__add_int(b, "__ARRAY_SIZE_TYPE__", 4, 0);
    typeArr = btf__add_array(b, arrIdx, i32, 2); // index type first
    typeArrPtr = btf__add_ptr(b, typeArr);
    mapDef = btf__add_struct(b, "", 16);
    btf__add_field(b, "type", typeArrPtr, 0, 0);
    btf__add_field(b, "key", keyPtr, 64, 0);
    shared = btf__add_struct(b, "shared", 4);
    btf__add_field(b, "v", i32, 0, 0);
    sharedPtr = btf__add_ptr(b, shared);
    mapDef2 = btf__add_struct(b, "", 8);
    btf__add_field(b, "value", sharedPtr, 0, 0);
    proto = btf__add_func_proto(b, i32);
    btf__add_func_param(b, "s", sharedPtr);
    func = btf__add_func(b, "prog", BTF_FUNC_GLOBAL, proto);
    mapVar = btf__add_var(b, "my_map", BTF_VAR_GLOBAL_ALLOCATED, mapDef);
    mapVar2 = btf__add_var(b, "other", BTF_VAR_GLOBAL_ALLOCATED, mapDef2);
    mapsSec = btf__add_datasec(b, ".maps", 24);
    btf__add_datasec_var_info(b, mapVar, 0, 16);
    btf__add_datasec_var_info(b, mapVar2, 16, 8);
    counter = btf__add_var(b, "counter", BTF_VAR_GLOBAL_ALLOCATED, i32);
    dataSec = btf__add_datasec(b, ".data", 4);
    btf__add_datasec_var_info(b, counter, 0, 4);
    varTag = btf__add_decl_tag(b, "tag_on_map", mapVar, -1);
    funcTag = btf__add_decl_tag(b, "tag_on_func", func, -1);
    EXPECT_EQ(funcTag, 19) << "a libbpf writer call failed";
    btf__set_pointer_size(b, 8);
  }
  Btf parsed(bool bigEndian = false) {
    return parseOk(rawData(btf.get(), bigEndian), bigEndian).value_or(Btf());
  }
};

// What survives must be the original type with its references remapped.
void expectKeptAsRemapped(const Btf &base, const Builder &b) {
  uint32_t expectedNew = 0;
  for (uint32_t old = 1; old <= base.size(); ++old) {
    uint32_t now = b.mappedId(old);
    if (now == 0)
      continue;
    EXPECT_EQ(now, ++expectedNew) << "kept types keep their order";
    Type t = *base.type(old);
    t.id = now;
    auto remap = [&](uint32_t &ref) { ref = b.mappedId(ref); };
    remap(t.type);
    remap(t.arrayElemType);
    remap(t.arrayIndexType);
    for (Member &m : t.members)
      remap(m.type);
    for (VarSecinfo &s : t.secinfos)
      remap(s.type);
    EXPECT_EQ(describe(*b.type(now)), describe(t));
  }
  EXPECT_EQ(b.size(), expectedNew);
}

// The builder's result parses back as itself and libbpf accepts it.
void expectEncodesValidly(Builder &b) {
  for (bool bigEndian : kByteOrders) {
    SCOPED_TRACE(orderName(bigEndian));
    Bytes out = b.encode(bigEndian);
    auto again = parseOk(out, bigEndian);
    ASSERT_TRUE(again);
    EXPECT_EQ(describe(*again), describe(b));
    LibbpfBtf reference = libbpfParse(out);
    ASSERT_NE(reference, nullptr) << "libbpf rejects the encoded BTF";
    EXPECT_EQ(btf__type_cnt(reference.get()), b.size() + 1);
  }
}

TEST(BtfBuilder, DropsMapDatasecWithWhatOnlyItReaches) {
  Maps m;
  Btf base = m.parsed();
  Builder b = Builder::fromExisting(
      base, {uint32_t(m.mapsSec), uint32_t(m.mapVar), uint32_t(m.mapVar2)},
      {uint32_t(m.keyT)});
  // Kept, in original order: int, key_t (a keep root), shared, shared *, the
  // program's proto and func, the .data variable and section, the func's tag.
  std::map<int, uint32_t> expected = {
      {m.i32, 1},        {m.keyT, 2},    {m.shared, 3},  {m.sharedPtr, 4},
      {m.proto, 5},      {m.func, 6},    {m.counter, 7}, {m.dataSec, 8},
      {m.funcTag, 9},    {m.keyPtr, 0},  {m.arrIdx, 0},  {m.typeArr, 0},
      {m.typeArrPtr, 0}, {m.mapDef, 0},  {m.mapDef2, 0}, {m.mapVar, 0},
      {m.mapVar2, 0},    {m.mapsSec, 0}, {m.varTag, 0}};
  ASSERT_EQ(expected.size(), base.size());
  for (auto [old, now] : expected)
    EXPECT_EQ(b.mappedId(uint32_t(old)), now)
        << "old id " << old << " " << describe(*base.type(uint32_t(old)));
  EXPECT_EQ(b.size(), 9u);
  expectKeptAsRemapped(base, b);
  EXPECT_EQ(b.type(b.mappedId(m.dataSec))->secinfos.at(0).type,
            b.mappedId(m.counter));
  EXPECT_EQ(b.type(b.mappedId(m.funcTag))->type, b.mappedId(m.func));
  EXPECT_EQ(b.type(b.mappedId(m.proto))->members.at(0).type,
            b.mappedId(m.sharedPtr));
  expectEncodesValidly(b);

  Bytes out = b.encode(false);
  LibbpfBtf reference = libbpfParse(out);
  ASSERT_NE(reference, nullptr);
  EXPECT_EQ(btf__find_by_name_kind(reference.get(), ".maps", BTF_KIND_DATASEC),
            -ENOENT);
  EXPECT_EQ(btf__find_by_name_kind(reference.get(), "my_map", BTF_KIND_VAR),
            -ENOENT);
  EXPECT_EQ(btf__find_by_name_kind(reference.get(), "key_t", BTF_KIND_STRUCT),
            2);
  EXPECT_EQ(btf__find_by_name_kind(reference.get(), "prog", BTF_KIND_FUNC), 6);
  // Strings of dropped types are gone with them.
  std::vector<std::string> strings = stringsOf(out, false);
  for (const char *gone : {"my_map", "other", ".maps", "tag_on_map", "type",
                           "key", "value", "__ARRAY_SIZE_TYPE__"})
    EXPECT_EQ(std::count(strings.begin(), strings.end(), gone), 0) << gone;
}

TEST(BtfBuilder, WithoutKeepRootsAKeyTypeOnlyAMapReachedGoes) {
  Maps m;
  Btf base = m.parsed();
  Builder b = Builder::fromExisting(
      base, {uint32_t(m.mapsSec), uint32_t(m.mapVar), uint32_t(m.mapVar2)}, {});
  EXPECT_EQ(b.mappedId(m.keyT), 0u);
  EXPECT_EQ(b.mappedId(m.i32), 1u);
  EXPECT_EQ(b.mappedId(m.shared), 2u);
  EXPECT_EQ(b.size(), 8u);
  expectKeptAsRemapped(base, b);
  expectEncodesValidly(b);
}

TEST(BtfBuilder, KeepRootKeepsEverythingItReaches) {
  Maps m;
  Btf base = m.parsed();
  // Keeping the whole definition struct keeps its pointers, arrays and the
  // index type, though the VAR that used it goes.
  Builder b = Builder::fromExisting(
      base, {uint32_t(m.mapsSec), uint32_t(m.mapVar), uint32_t(m.mapVar2)},
      {uint32_t(m.mapDef)});
  for (int kept :
       {m.keyT, m.keyPtr, m.arrIdx, m.typeArr, m.typeArrPtr, m.mapDef})
    EXPECT_NE(b.mappedId(kept), 0u) << describe(*base.type(kept));
  for (int dropped : {m.mapDef2, m.mapVar, m.mapVar2, m.mapsSec, m.varTag})
    EXPECT_EQ(b.mappedId(dropped), 0u) << describe(*base.type(dropped));
  expectKeptAsRemapped(base, b);
  expectEncodesValidly(b);
}

TEST(BtfBuilder, DropRootsWinOverKeepRoots) {
  Maps m;
  Btf base = m.parsed();
  Builder b =
      Builder::fromExisting(base, {uint32_t(m.mapVar)}, {uint32_t(m.mapVar)});
  EXPECT_EQ(b.mappedId(m.mapVar), 0u);
  // The datasec that listed it refers to a dropped type, so it goes too;
  // the other map's VAR was not a drop candidate and stays, orphaned.
  EXPECT_EQ(b.mappedId(m.mapsSec), 0u);
  EXPECT_EQ(b.mappedId(m.varTag), 0u);
  expectKeptAsRemapped(base, b);
  expectEncodesValidly(b);
}

TEST(BtfBuilder, TypesLeftDanglingGoTransitively) {
  Maps m;
  struct btf *raw = m.btf.get();
  // Nothing real refers to a DATASEC; these two do, so that losing it
  // cascades: the DATASEC goes for listing a dropped VAR, then the typedef
  // for naming the DATASEC, then the pointer for pointing at the typedef.
  int alias = btf__add_typedef(raw, "maps_alias", m.mapsSec);
  int aliasPtr = btf__add_ptr(raw, alias);
  ASSERT_GT(aliasPtr, 0);
  Btf base = m.parsed();
  Builder b =
      Builder::fromExisting(base, {uint32_t(m.mapVar)}, {uint32_t(m.mapVar)});
  for (int dropped : {m.mapVar, m.mapsSec, alias, aliasPtr})
    EXPECT_EQ(b.mappedId(uint32_t(dropped)), 0u)
        << describe(*base.type(uint32_t(dropped)));
  EXPECT_NE(b.mappedId(m.mapVar2), 0u);
  expectKeptAsRemapped(base, b);
  expectEncodesValidly(b);
}

TEST(BtfBuilder, DroppingOnlyTheDatasecDropsItsVariables) {
  Maps m;
  Btf base = m.parsed();
  // The VARs are reachable only through the dropped DATASEC. The decl tag on
  // `my_map` only annotates it: it must not keep the VAR (and the whole map
  // definition) alive.
  Builder b = Builder::fromExisting(base, {uint32_t(m.mapsSec)}, {});
  for (int dropped : {m.mapsSec, m.mapVar, m.mapVar2, m.varTag, m.mapDef,
                      m.mapDef2, m.keyT, m.keyPtr, m.typeArr})
    EXPECT_EQ(b.mappedId(dropped), 0u) << describe(*base.type(dropped));
  EXPECT_NE(b.mappedId(m.funcTag), 0u);
  EXPECT_NE(b.mappedId(m.shared), 0u);
  expectKeptAsRemapped(base, b);
  expectEncodesValidly(b);
}

TEST(BtfBuilder, DeclTagOnAMemberOfADroppedStructGoesWithIt) {
  Maps m;
  struct btf *raw = m.btf.get();
  int memberTag = btf__add_decl_tag(raw, "member_tag", m.mapDef, 1);
  int keyTag = btf__add_decl_tag(raw, "key_tag", m.keyT, 0);
  ASSERT_GT(keyTag, 0);
  Btf base = m.parsed();
  Builder b = Builder::fromExisting(
      base, {uint32_t(m.mapsSec), uint32_t(m.mapVar), uint32_t(m.mapVar2)},
      {uint32_t(m.keyT)});
  EXPECT_EQ(b.mappedId(memberTag), 0u);
  EXPECT_EQ(b.mappedId(m.mapDef), 0u);
  EXPECT_EQ(b.mappedId(m.typeArr), 0u);
  EXPECT_EQ(b.mappedId(m.keyT), 2u);
  EXPECT_EQ(b.mappedId(keyTag), 10u) << "a tag on a kept type stays";
  EXPECT_EQ(b.size(), 10u);
  expectKeptAsRemapped(base, b);
  expectEncodesValidly(b);
}

TEST(BtfBuilder, UnknownAndVoidRootsAreIgnored) {
  Maps m;
  Btf base = m.parsed();
  Builder b = Builder::fromExisting(base, {0, 999}, {0, 1000});
  EXPECT_EQ(b.size(), base.size());
  EXPECT_EQ(describe(b), describe(base));
  EXPECT_EQ(b.mappedId(999), 0u);
}

TEST(BtfBuilder, DroppingEverythingLeavesAValidEmptyBtf) {
  Maps m;
  Btf base = m.parsed();
  std::set<uint32_t> all;
  for (uint32_t id = 1; id <= base.size(); ++id)
    all.insert(id);
  Builder b = Builder::fromExisting(base, all, {});
  EXPECT_EQ(b.size(), 0u);
  for (uint32_t id = 0; id <= base.size(); ++id)
    EXPECT_EQ(b.mappedId(id), 0u);
  expectEncodesValidly(b);
}

// The `.maps` DATASEC and its VARs, as the converter drops them; empty
// without one.
std::set<uint32_t> mapsDatasecAndVars(const Btf &btf) {
  const Type *maps = btf.findByName(".maps", Kind::Datasec);
  if (!maps)
    return {};
  std::set<uint32_t> ids = {maps->id};
  for (const VarSecinfo &v : maps->secinfos)
    ids.insert(v.type);
  return ids;
}

TEST(BtfBuilder, DroppingWorksOnCiliumMapObjects) {
  std::vector<ObjectBtf> objects = ciliumObjects();
  if (objects.empty())
    GTEST_SKIP() << "cilium/ebpf test objects not installed";
  size_t withMaps = 0;
  for (const ObjectBtf &o : objects) {
    SCOPED_TRACE(o.path);
    auto base = parseOk(o.btf, o.bigEndian);
    ASSERT_TRUE(base);
    std::set<uint32_t> drop = mapsDatasecAndVars(*base);
    if (drop.empty())
      continue;
    ++withMaps;
    Builder b = Builder::fromExisting(*base, drop, {});
    for (uint32_t id : drop)
      EXPECT_EQ(b.mappedId(id), 0u);
    EXPECT_LT(b.size(), base->size());
    expectKeptAsRemapped(*base, b);
    // No kept type refers to a dropped one.
    for (uint32_t id = 1; id <= b.size(); ++id) {
      const Type &t = *b.type(id);
      std::vector<uint32_t> refs = {t.type, t.arrayElemType, t.arrayIndexType};
      for (const Member &mm : t.members)
        refs.push_back(mm.type);
      for (const VarSecinfo &v : t.secinfos)
        refs.push_back(v.type);
      for (uint32_t ref : refs)
        EXPECT_LE(ref, b.size()) << describe(t);
    }
    for (bool bigEndian : kByteOrders) {
      Bytes out = b.encode(bigEndian);
      auto again = parseOk(out, bigEndian);
      ASSERT_TRUE(again);
      EXPECT_EQ(describe(*again), describe(b));
      EXPECT_EQ(again->findByName(".maps", Kind::Datasec), nullptr);
      EXPECT_NE(libbpfParse(out), nullptr) << "libbpf rejects the result";
    }
  }
  EXPECT_GT(withMaps, 0u);
}

// The loader's Subset keeps the same types as Builder::fromExisting, with
// the same ids and edits, but the input's string table as it is: names keep
// their offsets and only strings not in it are appended.
TEST(BtfSubset, EncodesWhatTheBuilderKeepsWithTheInputStrings) {
  std::vector<ObjectBtf> objects = ciliumObjects();
  if (objects.empty())
    GTEST_SKIP() << "cilium/ebpf test objects not installed";
  size_t compared = 0, editsChecked = 0;
  for (const ObjectBtf &o : objects) {
    SCOPED_TRACE(o.path);
    auto base = parseOk(o.btf, o.bigEndian);
    ASSERT_TRUE(base);
    std::set<uint32_t> drop = mapsDatasecAndVars(*base);
    if (drop.empty())
      continue;
    Builder builder = Builder::fromExisting(*base, drop, {});
    Subset subset(*base, keptTypeIds(*base, drop, {}));
    for (const Type &t : base->types())
      EXPECT_EQ(subset.mappedId(t.id), builder.mappedId(t.id));
    uint32_t appended = subset.stringOffset("bpfcompat-not-in-the-table");
    EXPECT_EQ(appended, base->stringsSize());
    EXPECT_EQ(subset.stringOffset("bpfcompat-not-in-the-table"), appended);
    for (bool bigEndian : kByteOrders) {
      Bytes out = subset.encode(bigEndian);
      auto again = parseOk(out, bigEndian);
      ASSERT_TRUE(again);
      auto fromBuilder = parseOk(builder.encode(bigEndian), bigEndian);
      ASSERT_TRUE(fromBuilder);
      EXPECT_EQ(describe(*again), describe(*fromBuilder));
      ASSERT_EQ(again->stringsSize(),
                base->stringsSize() + sizeof("bpfcompat-not-in-the-table"));
      EXPECT_EQ(*again->stringTable(), *base->stringTable() +
                                           "bpfcompat-not-in-the-table" +
                                           std::string(1, '\0'));
      auto name = again->stringAt(appended);
      ASSERT_TRUE(bool(name));
      EXPECT_EQ(*name, "bpfcompat-not-in-the-table");
      EXPECT_NE(libbpfParse(out), nullptr) << "libbpf rejects the result";
    }
    // An edited type is written in place of the original, renumbered.
    const Type *kept = nullptr;
    for (const Type &t : base->types())
      if (subset.mappedId(t.id) && t.kind == Kind::Struct)
        kept = &t;
    if (kept) {
      Type edited = *kept;
      edited.size += 8;
      subset.replace(kept->id, edited);
      auto withEdit = parseOk(subset.encode(false), false);
      ASSERT_TRUE(withEdit);
      const Type *written = withEdit->type(subset.mappedId(kept->id));
      ASSERT_NE(written, nullptr);
      EXPECT_EQ(written->name, kept->name);
      EXPECT_EQ(written->size, kept->size + 8);
      ++editsChecked;
    }
    ++compared;
  }
  EXPECT_GT(compared, 0u);
  EXPECT_GT(editsChecked, 0u);
}

// ---------------------------------------------------------------------------
// Lookups and appends.

TEST(BtfBuilder, IntTypeReusesAnEqualIntOtherwiseAppends) {
  Maps m;
  Btf base = m.parsed();
  Builder b = Builder::fromExisting(
      base, {uint32_t(m.mapsSec), uint32_t(m.mapVar), uint32_t(m.mapVar2)}, {});
  size_t before = b.size();
  EXPECT_EQ(b.intType("int", 4, true), b.mappedId(m.i32));
  EXPECT_EQ(b.size(), before);
  // `__ARRAY_SIZE_TYPE__` was dropped with the map definitions: appended.
  uint32_t index = b.intType("__ARRAY_SIZE_TYPE__", 4, false);
  EXPECT_EQ(index, before + 1);
  const Type *t = b.type(index);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->id, index);
  EXPECT_EQ(t->kind, Kind::Int);
  EXPECT_EQ(t->name, "__ARRAY_SIZE_TYPE__");
  EXPECT_EQ(t->size, 4u);
  EXPECT_EQ(t->intEncoding, 0);
  EXPECT_EQ(t->intOffset, 0);
  EXPECT_EQ(t->intBits, 32);
  EXPECT_EQ(b.intType("__ARRAY_SIZE_TYPE__", 4, false), index);
  // Same name, different signedness or size: a different type.
  uint32_t unsignedInt = b.intType("int", 4, false);
  EXPECT_EQ(unsignedInt, before + 2);
  uint32_t wide = b.intType("int", 8, true);
  EXPECT_EQ(wide, before + 3);
  EXPECT_EQ(b.type(wide)->intBits, 64);
  EXPECT_EQ(b.type(wide)->intEncoding, 1);
  EXPECT_EQ(b.size(), before + 3);
  expectEncodesValidly(b);
}

TEST(BtfBuilder, IntTypeSkipsBitfieldAndCharInts) {
  LibbpfBtf raw = newLibbpfBtf();
  btf__add_int(raw.get(), "char", 1, BTF_INT_CHAR);
  Bytes bytes = rawData(raw.get(), false);
  auto base = parseOk(bytes, false);
  ASSERT_TRUE(base);
  Builder b = Builder::fromExisting(*base, {}, {});
  // A CHAR-encoded int is not the plain unsigned one asked for.
  EXPECT_EQ(b.intType("char", 1, false), 2u);
  // An int with fewer bits than its size is not reused either.
  Type narrow;
  narrow.kind = Kind::Int;
  narrow.name = "u3";
  narrow.size = 1;
  narrow.intBits = 3;
  uint32_t narrowId = b.add(narrow);
  EXPECT_EQ(narrowId, 3u);
  EXPECT_EQ(b.intType("u3", 1, false), 4u);
  expectEncodesValidly(b);
}

TEST(BtfBuilder, PtrToAndArrayOfReuseOrAppend) {
  Maps m;
  Btf base = m.parsed();
  Builder b = Builder::fromExisting(base, {}, {});
  size_t n = b.size();
  EXPECT_EQ(b.ptrTo(m.keyT), uint32_t(m.keyPtr));
  EXPECT_EQ(b.ptrTo(m.shared), uint32_t(m.sharedPtr));
  EXPECT_EQ(b.arrayOf(m.i32, m.arrIdx, 2), uint32_t(m.typeArr));
  EXPECT_EQ(b.size(), n);

  uint32_t voidPtr = b.ptrTo(0);
  EXPECT_EQ(voidPtr, n + 1);
  EXPECT_EQ(b.type(voidPtr)->kind, Kind::Ptr);
  EXPECT_EQ(b.type(voidPtr)->type, 0u);
  EXPECT_EQ(b.ptrTo(0), voidPtr);
  uint32_t ptrPtr = b.ptrTo(voidPtr);
  EXPECT_EQ(ptrPtr, n + 2);
  EXPECT_EQ(b.type(ptrPtr)->type, voidPtr);

  uint32_t other = b.arrayOf(m.i32, m.arrIdx, 3);
  EXPECT_EQ(other, n + 3);
  EXPECT_EQ(b.arrayOf(m.i32, m.arrIdx, 3), other);
  const Type *arr = b.type(other);
  ASSERT_NE(arr, nullptr);
  EXPECT_EQ(arr->kind, Kind::Array);
  EXPECT_EQ(arr->arrayElemType, uint32_t(m.i32));
  EXPECT_EQ(arr->arrayIndexType, uint32_t(m.arrIdx));
  EXPECT_EQ(arr->arrayNelems, 3u);
  EXPECT_EQ(b.arrayOf(m.i32, m.i32, 2), n + 4) << "different index type";
  EXPECT_EQ(b.arrayOf(m.keyT, m.arrIdx, 2), n + 5) << "different element";
  EXPECT_EQ(b.arrayOf(voidPtr, m.arrIdx, 0), n + 6) << "flexible array";
  EXPECT_EQ(b.size(), n + 6);
  expectEncodesValidly(b);
}

TEST(BtfBuilder, AddAssignsIdsAndCopiesNames) {
  Builder b;
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.type(0), nullptr);
  EXPECT_EQ(b.type(1), nullptr);
  EXPECT_EQ(b.mappedId(1), 0u) << "no base: nothing maps";
  uint32_t i32 = b.intType("int", 4, true);
  EXPECT_EQ(i32, 1u);
  Type def;
  def.id = 77; // ignored: add assigns the id
  def.kind = Kind::Struct;
  def.size = 8;
  uint32_t id = 0;
  {
    // Names may point anywhere, here into strings that change and go
    // before encode(): add() keeps its own copies.
    std::string name = "def", first = "a", second = "b";
    def.name = name;
    def.members.push_back({first, i32, 0, 0});
    def.members.push_back({second, i32, 32, 0});
    id = b.add(def);
    name.assign("xxx");
    first.assign("y");
    second.assign("z");
  }
  EXPECT_EQ(id, 2u);
  EXPECT_EQ(b.type(id)->id, 2u);
  EXPECT_EQ(b.type(3), nullptr);
  EXPECT_EQ(b.type(id)->name, "def");

  Bytes out = b.encode(false);
  auto again = parseOk(out, false);
  ASSERT_TRUE(again);
  const Type *s = again->findByName("def", Kind::Struct);
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->members.size(), 2u);
  EXPECT_EQ(s->members[0].name, "a");
  EXPECT_EQ(s->members[1].name, "b");
  EXPECT_EQ(s->members[1].bitOffset, 32u);
  expectEncodesValidly(b);
}

TEST(BtfBuilder, AppendedTypesEncodeLikeLibbpf) {
  // The shape the converter synthesises for a map; libbpf builds the same.
  LibbpfBtf ref = newLibbpfBtf();
  struct btf *r = ref.get();
  int i32 = btf__add_int(r, "int", 4, BTF_INT_SIGNED);
  int idx = btf__add_int(r, "__ARRAY_SIZE_TYPE__", 4, 0);
  int arr = btf__add_array(r, idx, i32, 1); // index type first
  int ptr = btf__add_ptr(r, arr);
  int def = btf__add_struct(r, "", 8);
  btf__add_field(r, "type", ptr, 0, 0);
  int var = btf__add_var(r, "m", BTF_VAR_GLOBAL_ALLOCATED, def);
  btf__add_datasec(r, ".maps", 8);
  btf__add_datasec_var_info(r, var, 0, 8);

  Builder b;
  uint32_t bi32 = b.intType("int", 4, true);
  uint32_t bidx = b.intType("__ARRAY_SIZE_TYPE__", 4, false);
  uint32_t bptr = b.ptrTo(b.arrayOf(bi32, bidx, 1));
  Type s;
  s.kind = Kind::Struct;
  s.size = 8;
  s.members.push_back({"type", bptr, 0, 0});
  uint32_t bdef = b.add(s);
  Type v;
  v.kind = Kind::Var;
  v.name = "m";
  v.type = bdef;
  v.linkage = BTF_VAR_GLOBAL_ALLOCATED;
  uint32_t bvar = b.add(v);
  Type sec;
  sec.kind = Kind::Datasec;
  sec.name = ".maps";
  sec.size = 8;
  sec.secinfos.push_back({bvar, 0, 8});
  b.add(sec);
  for (bool bigEndian : kByteOrders) {
    SCOPED_TRACE(orderName(bigEndian));
    EXPECT_EQ(b.encode(bigEndian), rawData(r, bigEndian));
  }
}

TEST(BtfBuilder, EncodingIsDeterministic) {
  auto build = [] {
    Maps m;
    Btf base = m.parsed();
    Builder b = Builder::fromExisting(
        base, {uint32_t(m.mapsSec), uint32_t(m.mapVar), uint32_t(m.mapVar2)},
        {uint32_t(m.keyT)});
    uint32_t i32 = b.intType("int", 4, true);
    b.ptrTo(b.arrayOf(i32, b.intType("__ARRAY_SIZE_TYPE__", 4, false), 4));
    std::vector<ExtSection> ext(1);
    ext[0].name = "xdp";
    ext[0].funcInfo.push_back({0, b.mappedId(m.func)});
    Bytes extBytes = encodeExt(ext, b, false);
    Bytes out = b.encode(false);
    out.insert(out.end(), extBytes.begin(), extBytes.end());
    return out;
  };
  Bytes first = build();
  EXPECT_EQ(build(), first);

  // Encoding again (and in the other order and back) changes nothing.
  Maps m;
  Btf base = m.parsed();
  Builder b = Builder::fromExisting(base, {}, {});
  Bytes once = b.encode(false);
  b.encode(true);
  EXPECT_EQ(b.encode(false), once);
}

TEST(BtfBuilder, EmptyBuilderEncodesAValidBtf) {
  for (bool bigEndian : kByteOrders) {
    SCOPED_TRACE(orderName(bigEndian));
    Builder b;
    Bytes out = b.encode(bigEndian);
    ASSERT_EQ(out.size(), 25u) << "24-byte header and the empty string";
    BtfHeader h = header(out, bigEndian);
    EXPECT_EQ(h.hdrLen, 24u);
    EXPECT_EQ(h.typeLen, 0u);
    EXPECT_EQ(h.strLen, 1u);
    EXPECT_EQ(out.back(), 0);
    auto again = parseOk(out, bigEndian);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->size(), 0u);
    LibbpfBtf reference = libbpfParse(out);
    ASSERT_NE(reference, nullptr);
    EXPECT_EQ(btf__type_cnt(reference.get()), 1u);
    // And libbpf's own empty BTF is the same bytes.
    LibbpfBtf empty = newLibbpfBtf();
    EXPECT_EQ(out, rawData(empty.get(), bigEndian));
  }
}

TEST(BtfBuilder, StringOffsetAddsEachStringOnce) {
  Builder b;
  EXPECT_EQ(b.stringOffset(""), 0u);
  uint32_t xdp = b.stringOffset("xdp");
  EXPECT_EQ(xdp, 1u);
  uint32_t file = b.stringOffset("/src/prog.c");
  EXPECT_EQ(file, 5u);
  EXPECT_EQ(b.stringOffset("xdp"), xdp);
  // No suffix sharing: "dp" gets its own bytes.
  EXPECT_EQ(b.stringOffset("dp"), 17u);
  // Type names reuse strings added before encode().
  b.intType("xdp", 4, false);
  Bytes out = b.encode(false);
  auto btf = parseOk(out, false);
  ASSERT_TRUE(btf);
  EXPECT_EQ(btf->stringsSize(), 20u);
  auto at = [&](uint32_t off) {
    auto s = btf->stringAt(off);
    return s ? s->str() : llvm::toString(s.takeError());
  };
  EXPECT_EQ(at(xdp), "xdp");
  EXPECT_EQ(at(file), "/src/prog.c");
  EXPECT_EQ(at(17), "dp");
  EXPECT_EQ(at(0), "");
  EXPECT_EQ(get32(out, 24, false), xdp) << "the INT's name_off";
}

// ---------------------------------------------------------------------------
// .BTF.ext.

struct ExtInputs {
  Builder b;
  uint32_t func, func2;
  std::vector<ExtSection> sections;

  ExtInputs() {
    uint32_t i32 = b.intType("int", 4, true);
    Type proto;
    proto.kind = Kind::FuncProto;
    proto.type = i32;
    uint32_t protoId = b.add(proto);
    Type f;
    f.kind = Kind::Func;
    f.name = "entry";
    f.type = protoId;
    f.linkage = 1;
    func = b.add(f);
    f.name = "helper";
    f.linkage = 0;
    func2 = b.add(f);
    sections.resize(3);
    sections[0].name = "xdp";
    sections[0].funcInfo = {{0, func}, {12, func2}};
    sections[0].lineInfo = {{0, "/src/prog.c", "int entry(void) {", 10, 5},
                            {3, "/src/prog.c", "", 0, 0},
                            {12, "/src/lib.h", "  return 0;", 4194303, 1023}};
    sections[0].coreRelos = {{2, i32, "0", CoreReloKind::TypeSize},
                             {5, func, "0:1", CoreReloKind(99)}};
    sections[1].name = "empty"; // no records: left out of every block
    sections[2].name = "tc";
    sections[2].funcInfo = {{0, func2}};
    sections[2].lineInfo = {{1, "/src/tc.c", "x", 1, 2}};
  }
};

TEST(BtfBuilder, EncodeExtRoundTripsInBothByteOrders) {
  for (bool bigEndian : kByteOrders) {
    SCOPED_TRACE(orderName(bigEndian));
    ExtInputs in;
    Bytes ext = encodeExt(in.sections, in.b, bigEndian);
    Bytes btf = in.b.encode(bigEndian);
    auto parsedBtf = parseOk(btf, bigEndian);
    ASSERT_TRUE(parsedBtf);
    auto parsed = parseExtOk(ext, *parsedBtf, bigEndian);
    ASSERT_TRUE(parsed);

    ASSERT_EQ(parsed->funcInfo.size(), 2u);
    EXPECT_EQ(parsed->funcInfo[0].section, "xdp");
    ASSERT_EQ(parsed->funcInfo[0].records.size(), 2u);
    EXPECT_EQ(parsed->funcInfo[0].records[1].insnOff, 12u);
    EXPECT_EQ(parsed->funcInfo[0].records[1].typeId, in.func2);
    EXPECT_EQ(parsed->funcInfo[1].section, "tc");
    ASSERT_EQ(parsed->lineInfo.size(), 2u);
    ASSERT_EQ(parsed->lineInfo[0].records.size(), 3u);
    const LineInfo &first = parsed->lineInfo[0].records[0];
    EXPECT_EQ(first.fileName, "/src/prog.c");
    EXPECT_EQ(first.line, "int entry(void) {");
    EXPECT_EQ(first.lineNum, 10u);
    EXPECT_EQ(first.column, 5u);
    const LineInfo &last = parsed->lineInfo[0].records[2];
    EXPECT_EQ(last.insnOff, 12u);
    EXPECT_EQ(last.lineNum, 4194303u) << "the largest 22-bit line";
    EXPECT_EQ(last.column, 1023u);
    EXPECT_EQ(parsed->lineInfo[0].records[1].line, "");
    ASSERT_EQ(parsed->coreRelos.size(), 1u) << "only xdp has CO-RE records";
    ASSERT_EQ(parsed->coreRelos[0].records.size(), 2u);
    EXPECT_EQ(parsed->coreRelos[0].records[0].kind, CoreReloKind::TypeSize);
    EXPECT_EQ(parsed->coreRelos[0].records[1].accessString, "0:1");
    EXPECT_EQ(uint32_t(parsed->coreRelos[0].records[1].kind), 99u);

    // Byte layout: a 32-byte header; func_info: record size, two section
    // headers, three records (4 + 2 * 8 + 3 * 8 bytes); line_info
    // (4 + 2 * 8 + 4 * 16); core_relo (4 + 8 + 2 * 16).
    EXPECT_EQ(get32(ext, 4, bigEndian), 32u);
    EXPECT_EQ(get32(ext, 8, bigEndian), 0u);
    EXPECT_EQ(get32(ext, 12, bigEndian), 44u);
    EXPECT_EQ(get32(ext, 16, bigEndian), 44u);
    EXPECT_EQ(get32(ext, 20, bigEndian), 84u);
    EXPECT_EQ(get32(ext, 24, bigEndian), 128u);
    EXPECT_EQ(get32(ext, 28, bigEndian), 44u);
    EXPECT_EQ(ext.size(), 32u + 44 + 84 + 44);
    // Offsets are in bytes in the file.
    EXPECT_EQ(get32(ext, 32 + 4 + 8 + 8, bigEndian), 96u);

    if (!bigEndian) {
      LibbpfBtfExt reference(btf_ext__new(ext.data(), uint32_t(ext.size())),
                             btf_ext__free);
      EXPECT_NE(reference, nullptr) << "libbpf rejects the encoded .BTF.ext";
      LibbpfBtf referenceBtf = libbpfParse(btf);
      EXPECT_NE(referenceBtf, nullptr);
    }
  }
}

TEST(BtfBuilder, EncodeExtWithoutCoreHasAnEmptyCoreBlock) {
  ExtInputs in;
  for (ExtSection &s : in.sections)
    s.coreRelos.clear();
  Bytes ext = encodeExt(in.sections, in.b, false);
  EXPECT_EQ(get32(ext, 4, false), 32u);
  EXPECT_EQ(get32(ext, 28, false), 0u) << "core_relo_len";
  auto btf = parseOk(in.b.encode(false), false);
  ASSERT_TRUE(btf);
  auto parsed = parseExtOk(ext, *btf, false);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->coreRelos.empty());
  EXPECT_EQ(parsed->funcInfo.size(), 2u);
  LibbpfBtfExt reference(btf_ext__new(ext.data(), uint32_t(ext.size())),
                         btf_ext__free);
  EXPECT_NE(reference, nullptr);
}

TEST(BtfBuilder, EncodeExtOfNoRecordsIsEmpty) {
  Builder b;
  EXPECT_TRUE(encodeExt({}, b, false).empty());
  std::vector<ExtSection> sections(2);
  sections[0].name = "xdp";
  sections[1].name = "tc";
  EXPECT_TRUE(encodeExt(sections, b, true).empty());
  EXPECT_EQ(b.encode(false).size(), 25u) << "no section names were added";
}

TEST(BtfBuilder, EncodeExtIsDeterministicAndMirrorsByteOrder) {
  ExtInputs a, b;
  Bytes le = encodeExt(a.sections, a.b, false);
  Bytes be = encodeExt(b.sections, b.b, true);
  EXPECT_EQ(encodeExt(a.sections, a.b, false), le);
  ASSERT_EQ(le.size(), be.size());
  EXPECT_NE(le, be);
  for (size_t off = 4; off < le.size(); off += 4)
    ASSERT_EQ(get32(le, off, false), get32(be, off, true)) << off;
  EXPECT_EQ(a.b.encode(false).size(), b.b.encode(true).size());
}

} // namespace
