// The CO-RE engine against BTF built here: candidate search with flavours,
// access-string walks, every relocation kind's value, ambiguity, poisoning,
// memory size adjustment, and the instruction patching. The expected values
// are libbpf's (relo_core.c) for the same types; the kernel test
// core_load_test.cpp compares whole objects with libbpf itself.
#include "bpfcompat/btf.h"
#include "bpfcompat/btf_builder.h"
#include "bpfcompat/core.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bpfcompat {
namespace {

using btf::CoreReloKind;
using btf::Kind;

// A BTF built type by type; parse() gives it back as the parser sees it.
class Maker {
public:
  uint32_t intType(llvm::StringRef name, uint32_t size, bool isSigned) {
    return b_.intType(name, size, isSigned);
  }
  uint32_t structType(llvm::StringRef name, uint32_t size,
                      std::vector<btf::Member> members,
                      Kind kind = Kind::Struct) {
    btf::Type t;
    t.kind = kind;
    t.name = name;
    t.size = size;
    for (const btf::Member &m : members)
      t.kindFlag = t.kindFlag || m.bitfieldSize > 0;
    t.members = std::move(members);
    return b_.add(std::move(t));
  }
  uint32_t enumType(llvm::StringRef name, std::vector<btf::Enumerator> values,
                    bool isSigned = false, Kind kind = Kind::Enum) {
    btf::Type t;
    t.kind = kind;
    t.name = name;
    t.size = kind == Kind::Enum ? 4 : 8;
    t.kindFlag = isSigned;
    t.enumerators = std::move(values);
    return b_.add(std::move(t));
  }
  uint32_t ptrTo(uint32_t id) { return b_.ptrTo(id); }
  uint32_t arrayOf(uint32_t elem, uint32_t n) {
    return b_.arrayOf(elem, intType("int", 4, true), n);
  }
  uint32_t typedefOf(llvm::StringRef name, uint32_t id) {
    btf::Type t;
    t.kind = Kind::Typedef;
    t.name = name;
    t.type = id;
    return b_.add(std::move(t));
  }
  btf::Btf parse() {
    auto parsed = btf::Btf::parse(b_.encode(false), false);
    EXPECT_TRUE(bool(parsed)) << llvm::toString(parsed.takeError());
    return std::move(*parsed);
  }

private:
  btf::Builder b_;
};

// Names must outlive the Member: pass literals or strings that live on.
btf::Member member(llvm::StringRef name, uint32_t type, uint32_t bitOffset,
                   uint32_t bitfieldSize = 0) {
  return {name, type, bitOffset, bitfieldSize};
}

btf::CoreRelo relo(uint32_t typeId, llvm::StringRef access, CoreReloKind kind) {
  btf::CoreRelo r;
  r.typeId = typeId;
  r.accessString = access;
  r.kind = kind;
  return r;
}

core::Targets targetsOf(const btf::Btf &target) {
  core::Targets t;
  t.main = {"target", &target, 1};
  return t;
}

core::Result compute(const btf::Btf &local, const btf::CoreRelo &r,
                     const btf::Btf &target) {
  auto res = core::computeRelo(local, r, targetsOf(target));
  EXPECT_TRUE(bool(res)) << llvm::toString(res.takeError());
  return res ? *res : core::Result{};
}

std::string computeError(const btf::Btf &local, const btf::CoreRelo &r,
                         const btf::Btf &target) {
  auto res = core::computeRelo(local, r, targetsOf(target));
  if (res)
    return "";
  return llvm::toString(res.takeError());
}

TEST(CoreNames, EssentialNameDropsTheLastFlavour) {
  EXPECT_EQ(core::essentialNameLength("task_struct"), 11u);
  EXPECT_EQ(core::essentialNameLength("task_struct___old"), 11u);
  EXPECT_EQ(core::essentialNameLength("x___y___z"), 5u); // "x___y"
  EXPECT_EQ(core::essentialNameLength("a____b"), 6u);    // not X___Y
  EXPECT_EQ(core::essentialNameLength("foo___"), 6u);    // no flavour
  EXPECT_EQ(core::essentialNameLength("___x"), 4u);      // no name before
  EXPECT_EQ(core::essentialNameLength(""), 0u);
}

// local:  struct foo { int a; int b; }              (b at byte 4)
// target: struct foo { int x; long pad; int b; int a; } (b at 16, a at 20)
struct CoreFields : ::testing::Test {
  void SetUp() override {
    Maker l;
    int32_t lint = l.intType("int", 4, true);
    localFoo =
        l.structType("foo", 8, {member("a", lint, 0), member("b", lint, 32)});
    local = l.parse();
    Maker t;
    uint32_t tint = t.intType("int", 4, true);
    uint32_t tlong = t.intType("long", 8, true);
    t.structType("unrelated", 4, {member("b", tint, 0)});
    targetFoo = t.structType("foo", 24,
                             {member("x", tint, 0), member("pad", tlong, 64),
                              member("b", tint, 128), member("a", tint, 160)});
    target = t.parse();
  }
  btf::Btf local, target;
  uint32_t localFoo = 0, targetFoo = 0;
};

TEST_F(CoreFields, ByteOffsetSizeExistsSigned) {
  core::Result off = compute(
      local, relo(localFoo, "0:1", CoreReloKind::FieldByteOffset), target);
  EXPECT_EQ(off.origVal, 4u);
  EXPECT_EQ(off.newVal, 16u);
  EXPECT_FALSE(off.poison);
  EXPECT_EQ(compute(local, relo(localFoo, "0:0", CoreReloKind::FieldByteOffset),
                    target)
                .newVal,
            20u);
  EXPECT_EQ(
      compute(local, relo(localFoo, "0:1", CoreReloKind::FieldByteSize), target)
          .newVal,
      4u);
  EXPECT_EQ(
      compute(local, relo(localFoo, "0:1", CoreReloKind::FieldExists), target)
          .newVal,
      1u);
  EXPECT_EQ(
      compute(local, relo(localFoo, "0:1", CoreReloKind::FieldSigned), target)
          .newVal,
      1u);
  // An array index into the root pointer: foo[2].b.
  EXPECT_EQ(compute(local, relo(localFoo, "2:1", CoreReloKind::FieldByteOffset),
                    target)
                .newVal,
            2 * 24 + 16u);
}

TEST_F(CoreFields, PatchesLoadsAndAluImmediates) {
  core::Result off = compute(
      local, relo(localFoo, "0:1", CoreReloKind::FieldByteOffset), target);
  std::vector<ir::Insn> insns = {
      {0x61, 0, 1, 4, 0}, // r0 = *(u32 *)(r1 + 4)
      {0x07, 1, 0, 0, 4}, // r1 += 4
      {0x18, 2, 0, 0, 4}, // r2 = 4 ll
      {0x00, 0, 0, 0, 0},
  };
  ASSERT_FALSE(bool(core::patchInsn(insns, 0, off)));
  ASSERT_FALSE(bool(core::patchInsn(insns, 1, off)));
  ASSERT_FALSE(bool(core::patchInsn(insns, 2, off)));
  EXPECT_EQ(insns[0].off, 16);
  EXPECT_EQ(insns[0].code, 0x61); // same size: int to int
  EXPECT_EQ(insns[1].imm, 16);
  EXPECT_EQ(insns[2].imm, 16);
  EXPECT_EQ(insns[3].imm, 0);
  // The compiler's value is checked, as libbpf does.
  std::vector<ir::Insn> wrong = {{0x61, 0, 1, 8, 0}};
  llvm::Error err = core::patchInsn(wrong, 0, off);
  ASSERT_TRUE(bool(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("expected 4"),
            std::string::npos);
}

TEST_F(CoreFields, MissingFieldPoisonsExceptExistence) {
  Maker t;
  uint32_t tint = t.intType("int", 4, true);
  t.structType("foo", 4, {member("a", tint, 0)}); // no b
  btf::Btf old = t.parse();
  EXPECT_EQ(
      compute(local, relo(localFoo, "0:1", CoreReloKind::FieldExists), old)
          .newVal,
      0u);
  EXPECT_FALSE(
      compute(local, relo(localFoo, "0:1", CoreReloKind::FieldExists), old)
          .poison);
  core::Result off =
      compute(local, relo(localFoo, "0:1", CoreReloKind::FieldByteOffset), old);
  EXPECT_TRUE(off.poison);
  std::vector<ir::Insn> insns = {{0x18, 1, 0, 0, 4}, {0, 0, 0, 0, 0}};
  ASSERT_FALSE(bool(core::patchInsn(insns, 0, off)));
  for (const ir::Insn &insn : insns) {
    EXPECT_EQ(insn.code, 0x85); // call
    EXPECT_EQ(insn.imm, core::kPoisonHelper);
    EXPECT_EQ(insn.imm, 195896080);
  }
}

TEST_F(CoreFields, FlavoursMatchAndAmbiguityIsAnError) {
  Maker l;
  uint32_t lint = l.intType("int", 4, true);
  uint32_t flavoured = l.structType(
      "foo___v2", 8, {member("a", lint, 0), member("b", lint, 32)});
  btf::Btf local2 = l.parse();
  EXPECT_EQ(compute(local2,
                    relo(flavoured, "0:1", CoreReloKind::FieldByteOffset),
                    target)
                .newVal,
            16u);

  // Two candidates (foo and foo___x) placing b differently: an error.
  Maker t;
  uint32_t tint = t.intType("int", 4, true);
  t.structType("foo", 8, {member("a", tint, 0), member("b", tint, 32)});
  t.structType("foo___x", 12, {member("a", tint, 0), member("b", tint, 64)});
  btf::Btf two = t.parse();
  std::string err = computeError(
      local, relo(localFoo, "0:1", CoreReloKind::FieldByteOffset), two);
  EXPECT_NE(err.find("ambiguity"), std::string::npos) << err;
  // Agreeing candidates are fine; one without the field drops out.
  Maker t2;
  tint = t2.intType("int", 4, true);
  t2.structType("foo", 8, {member("a", tint, 0), member("b", tint, 32)});
  t2.structType("foo___y", 8, {member("a", tint, 0), member("b", tint, 32)});
  t2.structType("foo___z", 4, {member("a", tint, 0)});
  btf::Btf agree = t2.parse();
  EXPECT_EQ(compute(local, relo(localFoo, "0:1", CoreReloKind::FieldByteOffset),
                    agree)
                .newVal,
            4u);
}

TEST_F(CoreFields, AnonymousMembersAreSearched) {
  // target: struct foo { union { int b; long c; }; int a; }
  Maker t;
  uint32_t tint = t.intType("int", 4, true);
  uint32_t tlong = t.intType("long", 8, true);
  uint32_t anon = t.structType(
      "", 8, {member("b", tint, 0), member("c", tlong, 0)}, Kind::Union);
  t.structType("foo", 16, {member("", anon, 0), member("a", tint, 64)});
  btf::Btf nested = t.parse();
  EXPECT_EQ(compute(local, relo(localFoo, "0:1", CoreReloKind::FieldByteOffset),
                    nested)
                .newVal,
            0u);
  EXPECT_EQ(compute(local, relo(localFoo, "0:0", CoreReloKind::FieldByteOffset),
                    nested)
                .newVal,
            8u);
}

TEST_F(CoreFields, IncompatibleFieldTypeDoesNotMatch) {
  Maker t;
  uint32_t tint = t.intType("int", 4, true);
  uint32_t inner = t.structType("inner", 4, {member("z", tint, 0)});
  t.structType("foo", 8, {member("a", tint, 0), member("b", inner, 32)});
  btf::Btf other = t.parse();
  EXPECT_TRUE(compute(local,
                      relo(localFoo, "0:1", CoreReloKind::FieldByteOffset),
                      other)
                  .poison);
}

TEST_F(CoreFields, BadAccessStringsAreErrors) {
  EXPECT_NE(computeError(local,
                         relo(localFoo, "0:7", CoreReloKind::FieldByteOffset),
                         target)
                .find("member 7"),
            std::string::npos);
  EXPECT_NE(computeError(local,
                         relo(localFoo, "0:x", CoreReloKind::FieldByteOffset),
                         target)
                .find("non-number"),
            std::string::npos);
  EXPECT_NE(computeError(local, relo(localFoo, "", CoreReloKind::FieldExists),
                         target),
            "");
  EXPECT_NE(
      computeError(local, relo(999, "0", CoreReloKind::TypeExists), target)
          .find("999"),
      std::string::npos);
}

TEST(CoreArrays, ElementOffsetsAndFlexibleArrays) {
  // local:  struct s { int n; int arr[4]; int flex[]; }
  // target: struct s { long pad; int arr[8]; int flex[]; }
  Maker l;
  uint32_t lint = l.intType("int", 4, true);
  uint32_t ls =
      l.structType("s", 20,
                   {member("n", lint, 0), member("arr", l.arrayOf(lint, 4), 32),
                    member("flex", l.arrayOf(lint, 0), 160)});
  btf::Btf local = l.parse();
  Maker t;
  uint32_t tint = t.intType("int", 4, true);
  t.structType("s", 40,
               {member("pad", t.intType("long", 8, true), 0),
                member("arr", t.arrayOf(tint, 8), 64),
                member("flex", t.arrayOf(tint, 0), 320)});
  btf::Btf target = t.parse();
  EXPECT_EQ(
      compute(local, relo(ls, "0:1:2", CoreReloKind::FieldByteOffset), target)
          .newVal,
      8 + 2 * 4u);
  EXPECT_EQ(
      compute(local, relo(ls, "0:2:9", CoreReloKind::FieldByteOffset), target)
          .newVal,
      40 + 9 * 4u);
  EXPECT_EQ(compute(local, relo(ls, "0:1", CoreReloKind::FieldByteSize), target)
                .newVal,
            32u);
  // A fixed array indexed past its end is a bad access string.
  EXPECT_NE(computeError(local,
                         relo(ls, "0:1:4", CoreReloKind::FieldByteOffset),
                         target),
            "");
}

TEST(CoreBitfields, ShiftsSizeAndOffset) {
  // local:  struct b { unsigned int lo:4, flags:3; }
  // target: struct b { int x; unsigned int pad:5, flags:3; }  (bit 37)
  Maker l;
  uint32_t lu = l.intType("unsigned int", 4, false);
  uint32_t lb =
      l.structType("b", 4, {member("lo", lu, 0, 4), member("flags", lu, 4, 3)});
  btf::Btf local = l.parse();
  Maker t;
  uint32_t tu = t.intType("unsigned int", 4, false);
  t.structType("b", 8,
               {member("x", t.intType("int", 4, true), 0),
                member("pad", tu, 32, 5), member("flags", tu, 37, 3)});
  btf::Btf target = t.parse();
  auto value = [&](CoreReloKind kind) {
    return compute(local, relo(lb, "0:1", kind), target).newVal;
  };
  EXPECT_EQ(value(CoreReloKind::FieldByteOffset), 4u);
  EXPECT_EQ(value(CoreReloKind::FieldByteSize), 4u);
  EXPECT_EQ(value(CoreReloKind::FieldLshiftU64), 64 - (37 + 3 - 32u));
  EXPECT_EQ(value(CoreReloKind::FieldRshiftU64), 61u);
  EXPECT_EQ(value(CoreReloKind::FieldSigned), 0u);
  // The compiler's bitfield layout is not checked (libbpf neither).
  EXPECT_FALSE(
      compute(local, relo(lb, "0:1", CoreReloKind::FieldLshiftU64), target)
          .validate);
  EXPECT_TRUE(
      compute(local, relo(lb, "0:1", CoreReloKind::FieldRshiftU64), target)
          .validate);
}

TEST(CoreBitfields, WidenedWhenStraddling) {
  // A 6-bit field at bit 30 of an unsigned int spans bytes 3..4: read as 8.
  Maker l;
  uint32_t lu = l.intType("unsigned int", 4, false);
  uint32_t lb = l.structType("w", 8, {member("f", lu, 30, 6)});
  btf::Btf local = l.parse();
  EXPECT_EQ(compute(local, relo(lb, "0:0", CoreReloKind::FieldByteSize), local)
                .newVal,
            8u);
  EXPECT_EQ(compute(local, relo(lb, "0:0", CoreReloKind::FieldLshiftU64), local)
                .newVal,
            64 - 36u);
}

TEST(CoreMemSize, UnsignedWidensSignedPoisons) {
  Maker l;
  uint32_t lu = l.intType("unsigned int", 4, false);
  uint32_t ls = l.intType("int", 4, true);
  uint32_t lt = l.structType("m", 8, {member("u", lu, 0), member("s", ls, 32)});
  btf::Btf local = l.parse();
  Maker t;
  t.structType("m", 16,
               {member("u", t.intType("unsigned long", 8, false), 0),
                member("s", t.intType("long", 8, true), 64)});
  btf::Btf target = t.parse();
  core::Result u =
      compute(local, relo(lt, "0:0", CoreReloKind::FieldByteOffset), target);
  std::vector<ir::Insn> load = {{0x61, 0, 1, 0, 0}}; // u32 load
  ASSERT_FALSE(bool(core::patchInsn(load, 0, u)));
  EXPECT_EQ(load[0].code, 0x79); // now a u64 load
  core::Result s =
      compute(local, relo(lt, "0:1", CoreReloKind::FieldByteOffset), target);
  EXPECT_TRUE(s.failMemszAdjust);
  std::vector<ir::Insn> sload = {{0x61, 0, 1, 4, 0}};
  ASSERT_FALSE(bool(core::patchInsn(sload, 0, s)));
  EXPECT_EQ(sload[0].imm, core::kPoisonHelper);
}

TEST(CoreEnums, ValueExistsAndPoison) {
  Maker l;
  uint32_t le = l.enumType("e", {{"A___flavour", 1}, {"MISSING", 2}});
  btf::Btf local = l.parse();
  Maker t;
  t.enumType("e___kernel", {{"Z", 0}, {"A", 7}});
  t.enumType("e64", {{"BIG", int64_t(0x100000000ll)}}, false, Kind::Enum64);
  btf::Btf target = t.parse();
  EXPECT_EQ(
      compute(local, relo(le, "0", CoreReloKind::EnumvalValue), target).newVal,
      7u);
  EXPECT_EQ(
      compute(local, relo(le, "0", CoreReloKind::EnumvalExists), target).newVal,
      1u);
  EXPECT_EQ(
      compute(local, relo(le, "1", CoreReloKind::EnumvalExists), target).newVal,
      0u);
  EXPECT_TRUE(
      compute(local, relo(le, "1", CoreReloKind::EnumvalValue), target).poison);
  // ENUM64 values reach ld_imm64 whole; signed 32-bit ones sign-extended.
  Maker l64;
  uint32_t le64 = l64.enumType("e64", {{"BIG", 1}}, false, Kind::Enum64);
  uint32_t lneg = l64.enumType("neg", {{"M", -1}}, true);
  btf::Btf local64 = l64.parse();
  Maker tn;
  tn.enumType("e64", {{"BIG", int64_t(0x100000000ll)}}, false, Kind::Enum64);
  tn.enumType("neg", {{"M", -2}}, true);
  btf::Btf target64 = tn.parse();
  EXPECT_EQ(
      compute(local64, relo(le64, "0", CoreReloKind::EnumvalValue), target64)
          .newVal,
      0x100000000ull);
  EXPECT_EQ(
      compute(local64, relo(lneg, "0", CoreReloKind::EnumvalValue), target64)
          .newVal,
      uint64_t(-2ll));
  EXPECT_NE(
      computeError(local, relo(le, "5", CoreReloKind::EnumvalValue), target),
      "");
}

TEST(CoreTypes, ExistsSizeIdsAndMatches) {
  Maker l;
  uint32_t lint = l.intType("int", 4, true);
  uint32_t lfoo = l.structType("foo", 4, {member("a", lint, 0)});
  uint32_t lbar = l.structType("bar___gone", 4, {member("a", lint, 0)});
  uint32_t lt = l.typedefOf("foo_t", lfoo);
  btf::Btf local = l.parse();
  Maker t;
  uint32_t tint = t.intType("int", 4, true);
  uint32_t tfoo =
      t.structType("foo", 8, {member("a", tint, 0), member("b", tint, 32)});
  uint32_t tt = t.typedefOf("foo_t", tfoo);
  btf::Btf target = t.parse();
  auto value = [&](uint32_t id, CoreReloKind kind) {
    return compute(local, relo(id, "0", kind), target).newVal;
  };
  EXPECT_EQ(value(lfoo, CoreReloKind::TypeExists), 1u);
  EXPECT_EQ(value(lbar, CoreReloKind::TypeExists), 0u);
  EXPECT_EQ(value(lfoo, CoreReloKind::TypeSize), 8u);
  EXPECT_EQ(value(lbar, CoreReloKind::TypeSize), 0u);
  EXPECT_EQ(value(lfoo, CoreReloKind::TypeIdTarget), tfoo);
  EXPECT_EQ(value(lt, CoreReloKind::TypeIdTarget), tt);
  EXPECT_EQ(value(lfoo, CoreReloKind::TypeIdLocal), lfoo);
  EXPECT_EQ(value(lfoo, CoreReloKind::TypeMatches), 1u);
  // MATCHES: every local member needs a namesake of a matching type.
  Maker t2;
  t2.structType("foo", 8, {member("a", t2.intType("long", 8, true), 0)});
  btf::Btf wider = t2.parse();
  EXPECT_EQ(
      compute(local, relo(lfoo, "0", CoreReloKind::TypeMatches), wider).newVal,
      0u);
  EXPECT_EQ(
      compute(local, relo(lfoo, "0", CoreReloKind::TypeExists), wider).newVal,
      1u);
  EXPECT_NE(
      computeError(local, relo(lfoo, "0:1", CoreReloKind::TypeExists), target),
      "");
}

TEST(CoreCandidates, ModulesOnlyWithoutVmlinuxCandidates) {
  Maker l;
  uint32_t lint = l.intType("int", 4, true);
  uint32_t lfoo = l.structType("foo", 4, {member("a", lint, 0)});
  uint32_t lmod = l.structType("modtype", 4, {member("a", lint, 0)});
  btf::Btf local = l.parse();
  Maker v;
  uint32_t vint = v.intType("int", 4, true);
  uint32_t vfoo = v.structType("foo", 4, {member("a", vint, 0)});
  btf::Btf vmlinux = v.parse();
  // A module's BTF: its own types come after vmlinux's ids.
  Maker m;
  uint32_t mint = m.intType("int", 4, true);
  m.structType("foo", 4, {member("a", mint, 0)});
  uint32_t mmod = m.structType("modtype", 4, {member("a", mint, 0)});
  btf::Btf module = m.parse();
  core::Targets targets;
  targets.main = {"vmlinux", &vmlinux, 1};
  targets.modules = {{"mod", &module, 2}};
  auto fooCands = core::findCandidates(local, lfoo, targets);
  ASSERT_EQ(fooCands.size(), 1u);
  EXPECT_EQ(fooCands[0].btf, &vmlinux);
  EXPECT_EQ(fooCands[0].id, vfoo);
  auto modCands = core::findCandidates(local, lmod, targets);
  ASSERT_EQ(modCands.size(), 1u);
  EXPECT_EQ(modCands[0].btf, &module);
  EXPECT_EQ(modCands[0].id, mmod);
  auto res = core::computeRelo(
      local, relo(lmod, "0", CoreReloKind::TypeIdTarget), targets);
  ASSERT_TRUE(bool(res)) << llvm::toString(res.takeError());
  EXPECT_EQ(res->newVal, mmod);
}

} // namespace
} // namespace bpfcompat

namespace bpfcompat {
namespace {

// Module BTF as the kernel exposes it: split BTF whose ids and string
// offsets continue those of vmlinux.
std::vector<uint8_t> splitBtf(uint32_t baseStrings, uint32_t memberType) {
  std::vector<uint8_t> out;
  auto u16 = [&](uint16_t v) {
    out.push_back(uint8_t(v));
    out.push_back(uint8_t(v >> 8));
  };
  auto u32 = [&](uint32_t v) {
    u16(uint16_t(v));
    u16(uint16_t(v >> 16));
  };
  const std::string strings("modtype\0a\0", 10);
  const uint32_t typeLen = 12 + 12; // STRUCT with one member
  u16(0xeb9f);
  out.push_back(1); // version
  out.push_back(0); // flags
  u32(24);          // hdr_len
  u32(0);           // type_off
  u32(typeLen);
  u32(typeLen); // str_off
  u32(uint32_t(strings.size()));
  u32(baseStrings + 0);       // "modtype"
  u32(uint32_t(4) << 24 | 1); // STRUCT, vlen 1
  u32(4);                     // size
  u32(baseStrings + 8);       // "a"
  u32(memberType);
  u32(0); // bit offset
  out.insert(out.end(), strings.begin(), strings.end());
  return out;
}

TEST(CoreCandidates, SplitModuleBtf) {
  Maker v;
  uint32_t vint = v.intType("int", 4, true);
  btf::Btf vmlinux = v.parse();
  auto module =
      btf::Btf::parseSplit(splitBtf(vmlinux.stringsSize(), vint), vmlinux);
  ASSERT_TRUE(bool(module)) << llvm::toString(module.takeError());
  uint32_t modId = uint32_t(vmlinux.size() + 1);
  ASSERT_EQ(module->size(), vmlinux.size() + 1);
  const btf::Type *t = module->type(modId);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->name, "modtype");
  ASSERT_EQ(t->members.size(), 1u);
  EXPECT_EQ(t->members[0].name, "a");
  EXPECT_EQ(module->type(vint)->name, "int"); // through the base
  auto size = module->resolveSize(modId);
  ASSERT_TRUE(bool(size));
  EXPECT_EQ(*size, 4u);

  Maker l;
  uint32_t lmod = l.structType("modtype", 8,
                               {member("x", l.intType("int", 4, true), 0),
                                member("a", l.intType("int", 4, true), 32)});
  btf::Btf local = l.parse();
  core::Targets targets;
  targets.main = {"vmlinux", &vmlinux, 1};
  targets.modules = {{"mod", &*module, modId}};
  auto res = core::computeRelo(
      local, relo(lmod, "0:1", CoreReloKind::FieldByteOffset), targets);
  ASSERT_TRUE(bool(res)) << llvm::toString(res.takeError());
  EXPECT_EQ(res->origVal, 4u);
  EXPECT_EQ(res->newVal, 0u);

  // A member type past the last id is refused, as in unsplit BTF.
  auto bad =
      btf::Btf::parseSplit(splitBtf(vmlinux.stringsSize(), modId + 1), vmlinux);
  ASSERT_FALSE(bool(bad));
  EXPECT_NE(llvm::toString(bad.takeError()).find("past the last type id"),
            std::string::npos);
}

} // namespace
} // namespace bpfcompat
