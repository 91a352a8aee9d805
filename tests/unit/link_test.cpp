// link::linkProgram: hand-built IR for each rule and error, then real
// objects of every calling convention, and libbpf itself as the oracle for
// libbpf objects (its gen-loader mode relocates programs without a kernel).
//
// Expected layouts of the real objects come from `llvm-readelf-14 -s -r` and
// `llvm-objdump-14 -d` (function sizes, which calls carry relocations), not
// from our own output.
#include "bpfcompat/link.h"
#include "bpfcompat/reader.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdarg>
#include <map>
#include <random>
#include <set>

#include "test_support.h"

namespace bpfcompat {
namespace {

using ir::Insn;
using ir::RelocKind;

constexpr uint8_t kOpCall = 0x85;
constexpr uint8_t kOpLdImm64 = 0x18;
constexpr uint8_t kPseudoCall = 1;
constexpr uint8_t kPseudoFunc = 4;

Insn mov(int32_t imm) { return {0xb7, 0, 0, 0, imm}; } // r0 = imm
Insn exitInsn() { return {0x95, 0, 0, 0, 0}; }
Insn call(int32_t imm) { return {kOpCall, 0, kPseudoCall, 0, imm}; }
Insn helper(int32_t id) { return {kOpCall, 0, 0, 0, id}; }
Insn ldImm64() { return {kOpLdImm64, 1, 0, 0, 0}; }
Insn ldImm64Hi() { return {0, 0, 0, 0, 0}; }

ir::Program fn(std::string name, std::string section, uint64_t firstInsn,
               std::vector<Insn> insns) {
  ir::Program p;
  p.name = std::move(name);
  p.section = std::move(section);
  p.sectionOffset = firstInsn * 8;
  p.subprogram = p.section == ".text";
  p.insns = std::move(insns);
  return p;
}

ir::Relocation reloc(uint32_t insn, RelocKind kind, std::string target,
                     uint64_t offset = 0, std::string targetSection = "") {
  ir::Relocation r;
  r.insn = insn;
  r.kind = kind;
  r.symbol = target;
  r.target = std::move(target);
  r.offset = offset;
  r.targetSection = std::move(targetSection);
  return r;
}

ir::Relocation callTo(uint32_t insn, std::string section, uint64_t offset,
                      std::string target = "") {
  return reloc(insn, RelocKind::Call, std::move(target), offset,
               std::move(section));
}

link::LinkedProgram linkOk(const ir::Object &object, const ir::Program &entry) {
  auto linked = link::linkProgram(object, entry);
  if (!linked) {
    ADD_FAILURE() << llvm::toString(linked.takeError());
    return {};
  }
  return std::move(*linked);
}

std::string linkError(const ir::Object &object, const ir::Program &entry) {
  auto linked = link::linkProgram(object, entry);
  if (linked) {
    ADD_FAILURE() << "linked, expected an error";
    return "";
  }
  return llvm::toString(linked.takeError());
}

// Where a call or BPF_PSEUDO_FUNC load at linked index `at` lands.
int64_t landing(const link::LinkedProgram &linked, size_t at) {
  return int64_t(at) + linked.insns[at].imm + 1;
}

std::vector<std::string> names(const link::LinkedProgram &linked) {
  std::vector<std::string> out;
  for (const ir::Program *p : linked.subprograms)
    out.push_back(p->name);
  return out;
}

TEST(Link, OneCall) {
  ir::Object obj;
  obj.programs.push_back(fn("prog", "tc", 0, {mov(1), call(-1), exitInsn()}));
  obj.programs[0].relocations.push_back(callTo(1, ".text", 0, "f"));
  obj.programs.push_back(fn("f", ".text", 0, {mov(2), exitInsn()}));

  link::LinkedProgram l = linkOk(obj, obj.programs[0]);
  ASSERT_EQ(l.insns.size(), 5u);
  EXPECT_EQ(l.entry, &obj.programs[0]);
  EXPECT_EQ(l.subprograms, std::vector<const ir::Program *>{&obj.programs[1]});
  EXPECT_EQ(l.insns[1].imm, 1); // 3 - (1 + 1)
  EXPECT_EQ(l.insns[1].src, kPseudoCall);
  EXPECT_EQ(l.insns[3], mov(2));
  EXPECT_TRUE(l.pending.empty());
}

TEST(Link, CalleeInsideItsSection) {
  // The callee is the second function of .text: only its range is copied,
  // and the call's target index is taken relative to it.
  ir::Object obj;
  obj.programs.push_back(fn("prog", "tc", 0, {call(-1), exitInsn()}));
  obj.programs[0].relocations.push_back(callTo(0, ".text", 3, "g"));
  obj.programs.push_back(fn("f", ".text", 0, {mov(1), mov(2), exitInsn()}));
  obj.programs.push_back(fn("g", ".text", 3, {mov(3), exitInsn()}));

  link::LinkedProgram l = linkOk(obj, obj.programs[0]);
  EXPECT_EQ(names(l), std::vector<std::string>{"g"});
  ASSERT_EQ(l.insns.size(), 4u);
  EXPECT_EQ(landing(l, 0), 2);
  EXPECT_EQ(l.insns[2], mov(3));
}

TEST(Link, NestedCallsDepthFirst) {
  // prog calls a then c; a calls b. libbpf appends depth-first: a, b, c.
  ir::Object obj;
  obj.programs.push_back(
      fn("prog", "xdp", 0, {call(-1), call(-1), exitInsn()}));
  obj.programs[0].relocations = {callTo(0, ".text", 0, "a"),
                                 callTo(1, ".text", 6, "c")};
  obj.programs.push_back(fn("a", ".text", 0, {mov(1), call(-1), exitInsn()}));
  obj.programs[1].relocations = {callTo(1, ".text", 3, "b")};
  obj.programs.push_back(fn("b", ".text", 3, {mov(2), mov(2), exitInsn()}));
  obj.programs.push_back(fn("c", ".text", 6, {mov(3), exitInsn()}));

  link::LinkedProgram l = linkOk(obj, obj.programs[0]);
  EXPECT_EQ(names(l), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(l.insns.size(), 3u + 3 + 3 + 2);
  EXPECT_EQ(landing(l, 0), 3); // a
  EXPECT_EQ(landing(l, 1), 9); // c
  EXPECT_EQ(landing(l, 4), 6); // a -> b
  EXPECT_EQ(l.insns[6], mov(2));
  EXPECT_EQ(l.insns[9], mov(3));
}

TEST(Link, SharedCalleeAppendedOnce) {
  ir::Object obj;
  obj.programs.push_back(
      fn("prog", "xdp", 0, {call(-1), call(-1), exitInsn()}));
  obj.programs[0].relocations = {callTo(0, ".text", 0, "a"),
                                 callTo(1, ".text", 2, "b")};
  obj.programs.push_back(fn("a", ".text", 0, {call(-1), exitInsn()}));
  obj.programs[1].relocations = {callTo(0, ".text", 4, "shared")};
  obj.programs.push_back(fn("b", ".text", 2, {call(-1), exitInsn()}));
  obj.programs[2].relocations = {callTo(0, ".text", 4, "shared")};
  obj.programs.push_back(fn("shared", ".text", 4, {mov(7), exitInsn()}));

  link::LinkedProgram l = linkOk(obj, obj.programs[0]);
  EXPECT_EQ(names(l), (std::vector<std::string>{"a", "shared", "b"}));
  ASSERT_EQ(l.insns.size(), 9u);
  EXPECT_EQ(landing(l, 0), 3);
  EXPECT_EQ(landing(l, 3), 5); // a -> shared
  EXPECT_EQ(landing(l, 1), 7); // b
  EXPECT_EQ(landing(l, 7), 5); // b -> the same copy of shared
}

TEST(Link, RecursionTerminates) {
  // a calls itself and b; b calls a and the entry.
  ir::Object obj;
  obj.programs.push_back(fn("prog", "xdp", 0, {call(-1), exitInsn()}));
  obj.programs[0].relocations = {callTo(0, ".text", 0, "a")};
  obj.programs.push_back(fn("a", ".text", 0, {call(-1), call(-1), exitInsn()}));
  obj.programs[1].relocations = {callTo(0, ".text", 0, "a"),
                                 callTo(1, ".text", 3, "b")};
  obj.programs.push_back(fn("b", ".text", 3, {call(-1), call(-1), exitInsn()}));
  obj.programs[2].relocations = {callTo(0, ".text", 0, "a"),
                                 callTo(1, "xdp", 0, "prog")};

  link::LinkedProgram l = linkOk(obj, obj.programs[0]);
  EXPECT_EQ(names(l), (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(l.insns.size(), 8u);
  EXPECT_EQ(landing(l, 2), 2); // a -> a
  EXPECT_EQ(landing(l, 3), 5); // a -> b
  EXPECT_EQ(landing(l, 5), 2); // b -> a
  EXPECT_EQ(landing(l, 6), 0); // b -> the entry itself
}

TEST(Link, FuncAddr) {
  // bpf_loop(n, cb, ...): clang leaves src_reg 0; the linker sets
  // BPF_PSEUDO_FUNC and the same next-instruction-relative imm as a call.
  ir::Object obj;
  obj.programs.push_back(
      fn("prog", "tc", 0,
         {mov(0), ldImm64(), ldImm64Hi(), helper(181), exitInsn()}));
  obj.programs[0].relocations = {
      reloc(1, RelocKind::FuncAddr, "cb", 2, ".text")};
  obj.programs.push_back(fn("helper", ".text", 0, {mov(1), exitInsn()}));
  obj.programs.push_back(fn("cb", ".text", 2, {mov(0), exitInsn()}));

  link::LinkedProgram l = linkOk(obj, obj.programs[0]);
  EXPECT_EQ(names(l), std::vector<std::string>{"cb"});
  ASSERT_EQ(l.insns.size(), 7u);
  EXPECT_EQ(l.insns[1].src, kPseudoFunc);
  EXPECT_EQ(l.insns[1].dst, 1);
  EXPECT_EQ(l.insns[1].imm, 5 - (1 + 1));
  EXPECT_EQ(l.insns[2], ldImm64Hi());
  EXPECT_EQ(l.insns[3], helper(181));
  EXPECT_TRUE(l.pending.empty());
}

TEST(Link, PcRelativeCallInsideFunctionUntouched) {
  // A call without relocation to an instruction of its own function keeps
  // its imm: the function is copied whole.
  ir::Object obj;
  obj.programs.push_back(fn("prog", "tc", 0, {call(-1), exitInsn()}));
  obj.programs[0].relocations = {callTo(0, ".text", 2, "f")};
  obj.programs.push_back(fn("pad", ".text", 0, {mov(0), exitInsn()}));
  obj.programs.push_back(
      fn("f", ".text", 2, {call(1), exitInsn(), mov(9), exitInsn()}));

  link::LinkedProgram l = linkOk(obj, obj.programs[0]);
  EXPECT_EQ(names(l), std::vector<std::string>{"f"});
  EXPECT_EQ(l.insns[2], call(1));
  EXPECT_EQ(landing(l, 2), 4);
}

TEST(Link, PcRelativeCallToAnotherFunctionOfTheSection) {
  // clang < 8 and static helpers: .text function f calls g with a plain
  // relative imm; g is appended and the imm recomputed.
  ir::Object obj;
  obj.programs.push_back(fn("prog", "tc", 0, {mov(0), call(-1), exitInsn()}));
  obj.programs[0].relocations = {callTo(1, ".text", 3, "f")};
  obj.programs.push_back(fn("g", ".text", 0, {mov(5), mov(6), exitInsn()}));
  // f's call at section insn 4 reaches insn 4 + (-5) + 1 = 0, g.
  obj.programs.push_back(fn("f", ".text", 3, {mov(0), call(-5), exitInsn()}));

  link::LinkedProgram l = linkOk(obj, obj.programs[0]);
  EXPECT_EQ(names(l), (std::vector<std::string>{"f", "g"}));
  ASSERT_EQ(l.insns.size(), 9u);
  EXPECT_EQ(landing(l, 1), 3);
  EXPECT_EQ(landing(l, 4), 6);
  EXPECT_EQ(l.insns[6], mov(5));
}

TEST(Link, PcRelativeCallWithinEntrySection) {
  // Whole-section or clang-7 programs: the entry calls a later function
  // of its own section without relocation.
  ir::Object obj;
  obj.programs.push_back(
      fn("prog", "socket", 0, {call(2), exitInsn(), mov(1)}));
  obj.programs.push_back(fn("later", "socket", 3, {mov(4), exitInsn()}));

  link::LinkedProgram l = linkOk(obj, obj.programs[0]);
  EXPECT_EQ(names(l), std::vector<std::string>{"later"});
  EXPECT_EQ(landing(l, 0), 3);
  EXPECT_EQ(l.insns[3], mov(4));
}

TEST(Link, CalleeInOtherProgramSection) {
  // cilium/ebpf: a call into an entry program of another section copies it
  // like a subprogram.
  ir::Object obj;
  obj.programs.push_back(fn("xdp_prog", "xdp", 0, {call(-1), exitInsn()}));
  obj.programs[0].relocations = {callTo(0, "other", 0, "global_fn3")};
  obj.programs.push_back(fn("global_fn3", "other", 0, {mov(3), exitInsn()}));
  ASSERT_FALSE(obj.programs[1].subprogram);

  link::LinkedProgram l = linkOk(obj, obj.programs[0]);
  EXPECT_EQ(names(l), std::vector<std::string>{"global_fn3"});
  EXPECT_EQ(landing(l, 0), 2);
}

TEST(Link, EntryNotInObjectStillFound) {
  // Linking a copy: the calls back into it land on index 0, not on a second
  // copy taken from object.programs.
  ir::Object obj;
  obj.programs.push_back(fn("prog", "xdp", 0, {call(-1), exitInsn()}));
  obj.programs[0].relocations = {callTo(0, ".text", 0, "f")};
  obj.programs.push_back(fn("f", ".text", 0, {call(-1), exitInsn()}));
  obj.programs[1].relocations = {callTo(0, "xdp", 0, "prog")};
  ir::Program copy = obj.programs[0];

  link::LinkedProgram l = linkOk(obj, copy);
  EXPECT_EQ(l.insns.size(), 4u);
  EXPECT_EQ(landing(l, 2), 0);
}

TEST(Link, PendingRelocationsShifted) {
  ir::Object obj;
  obj.programs.push_back(
      fn("prog", "tc", 0, {ldImm64(), ldImm64Hi(), call(-1), exitInsn()}));
  obj.programs[0].relocations = {reloc(0, RelocKind::MapFd, "map"),
                                 callTo(2, ".text", 0, "f")};
  obj.programs.push_back(fn("f", ".text", 0,
                            {mov(0), ldImm64(), ldImm64Hi(), call(-1),
                             ldImm64(), ldImm64Hi(), exitInsn()}));
  // A kfunc call is a src_reg 1 call too; its relocation says "not ours".
  obj.programs[1].relocations = {reloc(1, RelocKind::MapValue, ".data", 8),
                                 reloc(3, RelocKind::Kfunc, "bpf_kfunc"),
                                 reloc(4, RelocKind::ExternVar, "CONFIG_HZ")};

  link::LinkedProgram l = linkOk(obj, obj.programs[0]);
  ASSERT_EQ(l.pending.size(), 4u);
  EXPECT_EQ(l.pending[0].insn, 0u);
  EXPECT_EQ(l.pending[0].relocation, &obj.programs[0].relocations[0]);
  EXPECT_EQ(l.pending[1].insn, 5u);
  EXPECT_EQ(l.pending[1].relocation, &obj.programs[1].relocations[0]);
  EXPECT_EQ(l.pending[2].insn, 7u);
  EXPECT_EQ(l.pending[2].relocation->kind, RelocKind::Kfunc);
  EXPECT_EQ(l.insns[7], call(-1)); // untouched for the loader
  EXPECT_EQ(l.pending[3].insn, 8u);
  EXPECT_EQ(l.pending[3].relocation->kind, RelocKind::ExternVar);
}

btf::FuncInfo funcRec(uint32_t insn, uint32_t type) { return {insn, type}; }
// Record strings are views (into the BTF string table in real objects), so
// the source text is a literal here.
btf::LineInfo lineRec(uint32_t insn, uint32_t line, llvm::StringRef text) {
  return {insn, "f.c", text, line, 1};
}

// prog is the second function of "tc" (section insns 3..5) and calls f, the
// second function of .text (section insns 2..4).
ir::Object btfExtObject() {
  ir::Object obj;
  obj.programs.push_back(fn("other", "tc", 0, {mov(0), mov(0), exitInsn()}));
  obj.programs.push_back(fn("prog", "tc", 3, {mov(0), call(-1), exitInsn()}));
  obj.programs[1].relocations = {callTo(1, ".text", 2, "f")};
  obj.programs.push_back(fn("pad", ".text", 0, {mov(0), exitInsn()}));
  obj.programs.push_back(fn("f", ".text", 2, {mov(1), mov(2), exitInsn()}));
  obj.btfExt.emplace();
  // Out of order on purpose, and with records of functions not linked.
  obj.btfExt->funcInfo = {{".text", {funcRec(2, 21), funcRec(0, 20)}},
                          {"tc", {funcRec(3, 11), funcRec(0, 10)}}};
  obj.btfExt->lineInfo = {
      {".text",
       {lineRec(3, 203, "line 203"), lineRec(2, 202, "line 202"),
        lineRec(0, 200, "line 200")}},
      {"tc",
       {lineRec(4, 104, "line 104"), lineRec(3, 103, "line 103"),
        lineRec(1, 101, "line 101")}}};
  return obj;
}

TEST(Link, BtfInfoShiftedAndSorted) {
  ir::Object obj = btfExtObject();
  link::LinkedProgram l = linkOk(obj, obj.programs[1]);
  ASSERT_EQ(names(l), std::vector<std::string>{"f"});
  ASSERT_EQ(l.funcInfo.size(), 2u);
  EXPECT_EQ(l.funcInfo[0].insn, 0u);
  EXPECT_EQ(l.funcInfo[0].typeId, 11u);
  EXPECT_EQ(l.funcInfo[1].insn, 3u);
  EXPECT_EQ(l.funcInfo[1].typeId, 21u);
  std::vector<std::pair<uint32_t, uint32_t>> lines;
  for (const link::LineInfo &li : l.lineInfo)
    lines.emplace_back(li.insn, li.lineNum);
  EXPECT_EQ(lines, (std::vector<std::pair<uint32_t, uint32_t>>{
                       {0, 103}, {1, 104}, {3, 202}, {4, 203}}));
  EXPECT_EQ(l.lineInfo[0].fileName, "f.c");
  EXPECT_EQ(l.lineInfo[0].line, "line 103");
}

TEST(Link, FuncInfoDroppedWithoutRecordAtEntryStart) {
  // The kernel wants func_info[0] at insn 0: without it, none is sent.
  ir::Object obj = btfExtObject();
  obj.btfExt->funcInfo[1].records = {funcRec(0, 10)};
  link::LinkedProgram l = linkOk(obj, obj.programs[1]);
  EXPECT_TRUE(l.funcInfo.empty());
  EXPECT_EQ(l.lineInfo.size(), 4u);
}

TEST(Link, FuncInfoDroppedWhenACalleeHasNone) {
  // One record per function or the kernel refuses the load.
  ir::Object obj = btfExtObject();
  obj.btfExt->funcInfo[0].records = {funcRec(0, 20)};
  EXPECT_TRUE(linkOk(obj, obj.programs[1]).funcInfo.empty());
}

TEST(Link, LineInfoDroppedWhenAFunctionStartHasNone) {
  ir::Object obj = btfExtObject();
  obj.btfExt->lineInfo[0].records = {lineRec(3, 203, "line 203")};
  link::LinkedProgram l = linkOk(obj, obj.programs[1]);
  EXPECT_TRUE(l.lineInfo.empty());
  EXPECT_EQ(l.funcInfo.size(), 2u);
}

TEST(Link, NoBtfExtNoInfo) {
  ir::Object obj = btfExtObject();
  obj.btfExt.reset();
  link::LinkedProgram l = linkOk(obj, obj.programs[1]);
  EXPECT_TRUE(l.funcInfo.empty());
  EXPECT_TRUE(l.lineInfo.empty());
}

TEST(Link, CoReInCalleeCollectedAtItsLinkedPosition) {
  ir::Object obj = btfExtObject();
  btf::CoreRelo relo;
  relo.insnOff = 3; // f's second instruction
  obj.btfExt->coreRelos = {{".text", {relo}}};
  link::LinkedProgram l = linkOk(obj, obj.programs[1]);
  ASSERT_EQ(l.coreRelos.size(), 1u);
  EXPECT_EQ(l.coreRelos[0].record, &obj.btfExt->coreRelos[0].records[0]);
  ASSERT_EQ(l.subprograms.size(), 1u);
  // f is appended after prog; the record moves with it.
  uint32_t fStart = uint32_t(obj.programs[1].insns.size());
  EXPECT_EQ(l.coreRelos[0].insn, fStart + 1);
}

TEST(Link, CoReOutsideLinkedFunctionsIgnored) {
  ir::Object obj = btfExtObject();
  btf::CoreRelo pad, other;
  pad.insnOff = 1;   // in .text's "pad"
  other.insnOff = 0; // in tc's "other"
  obj.btfExt->coreRelos = {{".text", {pad}}, {"tc", {other}}};
  EXPECT_TRUE(linkOk(obj, obj.programs[1]).coreRelos.empty());
  link::LinkedProgram l = linkOk(obj, obj.programs[0]);
  ASSERT_EQ(l.coreRelos.size(), 1u);
  EXPECT_EQ(l.coreRelos[0].insn, 0u);
}

TEST(Link, CallToNoFunction) {
  ir::Object obj;
  obj.programs.push_back(fn("prog", "tc", 0, {call(-1), exitInsn()}));
  obj.programs[0].relocations = {callTo(0, ".text", 2)};
  obj.programs.push_back(fn("f", ".text", 0, {mov(0), exitInsn()}));
  EXPECT_EQ(linkError(obj, obj.programs[0]),
            "program 'prog' insn #0 calls insn #2 of section '.text', which "
            "is no function");
  obj.programs[0].relocations[0].targetSection = "nowhere";
  obj.programs[0].relocations[0].offset = 0;
  EXPECT_NE(linkError(obj, obj.programs[0]).find("section 'nowhere'"),
            std::string::npos);
}

TEST(Link, FuncAddrOfNoFunction) {
  ir::Object obj;
  obj.programs.push_back(
      fn("prog", "tc", 0, {ldImm64(), ldImm64Hi(), exitInsn()}));
  obj.programs[0].relocations = {
      reloc(0, RelocKind::FuncAddr, "cb", 9, ".text")};
  EXPECT_EQ(linkError(obj, obj.programs[0]),
            "program 'prog' insn #0 takes the address of insn #9 of section "
            "'.text', which is no function");
}

TEST(Link, ErrorInCalleeNamesBoth) {
  ir::Object obj;
  obj.programs.push_back(fn("prog", "tc", 0, {call(-1), exitInsn()}));
  obj.programs[0].relocations = {callTo(0, ".text", 0, "f")};
  obj.programs.push_back(fn("f", ".text", 0, {call(-1), exitInsn()}));
  obj.programs[1].relocations = {callTo(0, ".text", 7)};
  EXPECT_EQ(linkError(obj, obj.programs[0]),
            "program 'f' insn #0 calls insn #7 of section '.text', which is "
            "no function (linking program 'prog')");
}

TEST(Link, PcRelativeCallLeavingSection) {
  ir::Object obj;
  obj.programs.push_back(fn("prog", "tc", 0, {call(-5), exitInsn()}));
  std::string err = linkError(obj, obj.programs[0]);
  EXPECT_NE(err.find("insn #-4 of section 'tc' without a relocation"),
            std::string::npos)
      << err;
  obj.programs[0].insns[0] = call(1);
  err = linkError(obj, obj.programs[0]);
  EXPECT_NE(err.find("insn #2 of section 'tc' without a relocation"),
            std::string::npos)
      << err;
  obj.programs[0].insns[0] = call(INT32_MIN);
  EXPECT_FALSE(bool(link::linkProgram(obj, obj.programs[0])));
}

TEST(Link, PcRelativeCallIntoGap) {
  ir::Object obj;
  obj.programs.push_back(fn("prog", "tc", 0, {call(1), exitInsn()}));
  obj.programs.push_back(fn("later", "tc", 3, {exitInsn()}));
  EXPECT_EQ(linkError(obj, obj.programs[0]),
            "program 'prog' insn #0 calls insn #2 of section 'tc', which is "
            "no function");
}

TEST(Link, PseudoFuncWithoutRelocation) {
  ir::Object obj;
  Insn load = ldImm64();
  load.src = kPseudoFunc;
  obj.programs.push_back(fn("prog", "tc", 0, {load, ldImm64Hi(), exitInsn()}));
  EXPECT_NE(linkError(obj, obj.programs[0]).find("without a relocation"),
            std::string::npos);
}

TEST(Link, MalformedRelocations) {
  ir::Object obj;
  obj.programs.push_back(
      fn("prog", "tc", 0, {mov(0), helper(1), ldImm64(), ldImm64Hi()}));
  obj.programs.push_back(fn("f", ".text", 0, {exitInsn()}));
  auto errorWith = [&](ir::Relocation rel) {
    obj.programs[0].relocations = {std::move(rel)};
    return linkError(obj, obj.programs[0]);
  };
  EXPECT_NE(errorWith(reloc(4, RelocKind::MapFd, "m")).find("only 4"),
            std::string::npos);
  EXPECT_NE(errorWith(reloc(0, RelocKind::MapFd, "m")).find("no complete"),
            std::string::npos);
  // The second half is the last instruction: the loader could not patch.
  EXPECT_NE(errorWith(reloc(3, RelocKind::MapValue, ".data")).find("no "),
            std::string::npos);
  EXPECT_NE(errorWith(reloc(0, RelocKind::Kfunc, "k")).find("is no call"),
            std::string::npos);
  EXPECT_NE(errorWith(callTo(1, ".text", 0)).find("not BPF_PSEUDO_CALL"),
            std::string::npos);
  obj.programs[0].relocations = {reloc(2, RelocKind::MapFd, "m"),
                                 reloc(2, RelocKind::MapValue, ".data")};
  EXPECT_NE(linkError(obj, obj.programs[0]).find("more than one relocation"),
            std::string::npos);
}

TEST(Link, OverLong) {
  ir::Object obj;
  obj.programs.push_back(
      fn("prog", "tc", 0, std::vector<Insn>(600000, mov(0))));
  obj.programs[0].insns[0] = call(-1);
  obj.programs[0].relocations = {callTo(0, ".text", 0, "big")};
  obj.programs.push_back(
      fn("big", ".text", 0, std::vector<Insn>(400001, mov(0))));
  std::string err = linkError(obj, obj.programs[0]);
  EXPECT_NE(err.find("1000000"), std::string::npos) << err;
  EXPECT_NE(err.find("'big'"), std::string::npos) << err;
  obj.programs[1].insns.pop_back();
  EXPECT_EQ(linkOk(obj, obj.programs[0]).insns.size(), 1000000u);
}

TEST(Link, EmptyEntry) {
  ir::Object obj;
  obj.programs.push_back(fn("prog", "tc", 0, {}));
  EXPECT_TRUE(linkOk(obj, obj.programs[0]).insns.empty());
}

// Random IR, some of it nonsense: linking returns a result or an error,
// never crashes (run under the sanitizers), and a result is consistent.
TEST(Link, RandomIrNeverCrashes) {
  std::mt19937 rng(1234);
  auto pick = [&](int n) { return int(rng() % unsigned(n)); };
  const std::vector<std::string> sections = {".text", "tc", "other", ""};
  for (int round = 0; round < 3000; ++round) {
    ir::Object obj;
    int nprogs = 1 + pick(5);
    for (int p = 0; p < nprogs; ++p) {
      std::vector<Insn> insns;
      int n = pick(7);
      for (int i = 0; i < n; ++i) {
        switch (pick(5)) {
        case 0:
          insns.push_back(call(pick(13) - 6));
          break;
        case 1:
          insns.push_back(ldImm64());
          break;
        case 2: {
          Insn load = ldImm64();
          load.src = uint8_t(pick(6));
          insns.push_back(load);
          break;
        }
        default:
          insns.push_back(mov(i));
        }
      }
      obj.programs.push_back(fn("p" + std::to_string(p),
                                sections[size_t(pick(4))], uint64_t(pick(8)),
                                std::move(insns)));
      int nrel = pick(3);
      for (int r = 0; r < nrel; ++r)
        obj.programs.back().relocations.push_back(
            reloc(uint32_t(pick(8)), RelocKind(pick(6)), "s",
                  uint64_t(pick(10)), sections[size_t(pick(4))]));
    }
    if (pick(2)) {
      obj.btfExt.emplace();
      obj.btfExt->funcInfo = {
          {sections[size_t(pick(4))], {funcRec(uint32_t(pick(10)), 1)}}};
      obj.btfExt->lineInfo = {{sections[size_t(pick(4))],
                               {lineRec(uint32_t(pick(10)), 1, "line 1")}}};
      if (pick(4) == 0)
        obj.btfExt->coreRelos = {{sections[size_t(pick(4))], {{}}}};
    }
    const ir::Program &entry = obj.programs[size_t(pick(nprogs))];
    auto linked = link::linkProgram(obj, entry);
    if (!linked) {
      llvm::consumeError(linked.takeError());
      continue;
    }
    for (const link::Pending &p : linked->pending)
      ASSERT_LT(p.insn, linked->insns.size());
    for (const link::FuncInfo &f : linked->funcInfo)
      ASSERT_LT(f.insn, linked->insns.size());
    for (const link::LineInfo &li : linked->lineInfo)
      ASSERT_LT(li.insn, linked->insns.size());
  }
}

// Real objects. For every linked program: its size is the entry plus each
// appended function once; every relocated call and function address lands
// on the first instruction of the function its relocation names; every
// other pseudo call lands on some function start; pending relocations sit
// on the instructions the loader will patch.
void checkLinked(const link::LinkedProgram &l) {
  std::map<const ir::Program *, uint32_t> starts{{l.entry, 0}};
  size_t size = l.entry->insns.size();
  for (const ir::Program *p : l.subprograms) {
    EXPECT_TRUE(starts.emplace(p, uint32_t(size)).second) << p->name;
    size += p->insns.size();
  }
  ASSERT_EQ(l.insns.size(), size) << l.entry->name;
  std::set<int64_t> startSet;
  for (const auto &[p, start] : starts)
    startSet.insert(start);
  std::set<uint32_t> pendingInsns;
  for (const link::Pending &p : l.pending)
    pendingInsns.insert(p.insn);

  for (const auto &[fn, start] : starts) {
    for (const ir::Relocation &rel : fn->relocations) {
      uint32_t at = start + rel.insn;
      if (rel.kind != RelocKind::Call && rel.kind != RelocKind::FuncAddr) {
        EXPECT_TRUE(pendingInsns.count(at)) << fn->name << " #" << rel.insn;
        continue;
      }
      int64_t to = landing(l, at);
      auto callee = std::find_if(starts.begin(), starts.end(),
                                 [&](auto &s) { return s.second == to; });
      ASSERT_NE(callee, starts.end()) << fn->name << " #" << rel.insn;
      if (!rel.target.empty()) {
        EXPECT_EQ(callee->first->name, rel.target);
      }
      EXPECT_EQ(callee->first->section, rel.targetSection);
    }
  }
  for (size_t i = 0; i < l.insns.size(); ++i) {
    const Insn &insn = l.insns[i];
    bool pseudoCall = insn.code == kOpCall && insn.src == kPseudoCall;
    bool pseudoFunc = insn.code == kOpLdImm64 && insn.src == kPseudoFunc;
    if ((pseudoCall || pseudoFunc) && !pendingInsns.count(uint32_t(i))) {
      EXPECT_TRUE(startSet.count(landing(l, i)))
          << l.entry->name << " linked insn #" << i;
    }
  }
  for (const link::Pending &p : l.pending) {
    ASSERT_LT(p.insn, l.insns.size());
    bool call = p.relocation->kind == RelocKind::Kfunc;
    EXPECT_EQ(l.insns[p.insn].code, call ? kOpCall : kOpLdImm64)
        << l.entry->name << " linked insn #" << p.insn;
  }
  if (!l.funcInfo.empty()) {
    ASSERT_EQ(l.funcInfo.size(), starts.size());
    size_t k = 0;
    for (int64_t start : startSet)
      EXPECT_EQ(l.funcInfo[k++].insn, start);
  }
  EXPECT_TRUE(std::is_sorted(
      l.lineInfo.begin(), l.lineInfo.end(),
      [](const auto &a, const auto &b) { return a.insn < b.insn; }));
}

struct ExpectedLink {
  std::string program;
  std::vector<std::string> subprograms; // in append order
  size_t size;
  size_t mapFd = 0; // pending MapFd relocations
};

void checkObject(const std::string &path,
                 const std::vector<ExpectedLink> &expected,
                 bool expectFuncInfo) {
  auto obj = readObject(path);
  ASSERT_TRUE(bool(obj)) << llvm::toString(obj.takeError());
  for (const ExpectedLink &e : expected) {
    SCOPED_TRACE(e.program);
    const ir::Program *entry = obj->findProgram(e.program);
    ASSERT_NE(entry, nullptr);
    link::LinkedProgram l = linkOk(*obj, *entry);
    EXPECT_EQ(names(l), e.subprograms);
    EXPECT_EQ(l.insns.size(), e.size);
    size_t mapFd = 0;
    for (const link::Pending &p : l.pending)
      mapFd += p.relocation->kind == RelocKind::MapFd;
    EXPECT_EQ(mapFd, e.mapFd);
    EXPECT_EQ(!l.funcInfo.empty(), expectFuncInfo);
    EXPECT_EQ(!l.lineInfo.empty(), expectFuncInfo);
    checkLinked(l);
  }
}

TEST(LinkReal, LibbpfGlobalData) {
  // Sizes from the FUNC symbols: tc_ingress_account 46, tc_egress_account
  // 30, sock_sample 29, count_syscalls 16; parse_ipv4 26, account_packet
  // 26, proto_counter 10 (called pc-relative from account_packet), mix_step
  // 14 (bpf_loop callback, a BPF_PSEUDO_FUNC load).
  checkObject(test::kCorpusDir + "/libbpf/global_data.g.o",
              {{"tc_ingress_account",
                {"parse_ipv4", "account_packet", "proto_counter"},
                46 + 26 + 26 + 10},
               {"tc_egress_account",
                {"parse_ipv4", "account_packet", "proto_counter"},
                30 + 26 + 26 + 10},
               {"sock_sample",
                {"mix_step", "account_packet", "proto_counter"},
                29 + 14 + 26 + 10},
               {"count_syscalls", {}, 16}},
              /*expectFuncInfo=*/true);
}

TEST(LinkReal, Iproute2TextHelper) {
  // cls_main 96 insns and act_main 5 call account_scratch (14) through the
  // .text section symbol; the tail-call programs call nothing. Map loads:
  // 7 in "classifier", 1 in .text (priv_scratch), 1 in "42/0".
  checkObject(test::kCorpusDir + "/iproute2/tc_full.g.o",
              {{"cls_main", {"account_scratch"}, 96 + 14, 7 + 1},
               {"act_main", {"account_scratch"}, 5 + 14, 1},
               {"cls_tail_tcp", {}, 12, 1}},
              /*expectFuncInfo=*/true);
}

TEST(LinkReal, CiliumCallsIntoOtherSections) {
  // xdp_prog (28) calls static_fn (section 'static', 3) and global_fn
  // (.text, 12), which calls static_fn, global_fn2 (.text, 3) and
  // global_fn3 (section 'other', 3).
  for (const char *file : {"/loader-el.elf", "/loader-eb.elf"})
    checkObject(test::kCiliumTestdata + file,
                {{"xdp_prog",
                  {"static_fn", "global_fn", "global_fn2", "global_fn3"},
                  28 + 3 + 12 + 3 + 3,
                  3}},
                /*expectFuncInfo=*/true);
}

TEST(LinkReal, CiliumClang7) {
  // clang 7: NOTYPE labels instead of FUNC symbols, no BTF, and global_fn
  // calls global_fn2 pc-relative ("call -8", no relocation). static_fn has
  // no symbol at all, so its program is named after its section.
  for (const char *file : {"/loader-clang-7-el.elf", "/loader-clang-7-eb.elf"})
    checkObject(test::kCiliumTestdata + file,
                {{"xdp_prog",
                  {"static", "global_fn", "global_fn2", "global_fn3"},
                  30 + 3 + 12 + 3 + 3,
                  3}},
                /*expectFuncInfo=*/false);
}

TEST(LinkReal, CiliumSubprogReloc) {
  // fp_relocation (30) passes sub_prog (14) to bpf_for_each_map_elem; both
  // load hash_map (3 + 1 times).
  checkObject(test::kCiliumTestdata + "/subprog_reloc-el.elf",
              {{"fp_relocation", {"sub_prog"}, 30 + 14, 3 + 1}},
              /*expectFuncInfo=*/true);
  auto obj = readObject(test::kCiliumTestdata + "/subprog_reloc-el.elf");
  ASSERT_TRUE(bool(obj)) << llvm::toString(obj.takeError());
  link::LinkedProgram l = linkOk(*obj, *obj->findProgram("fp_relocation"));
  EXPECT_EQ(l.insns[15].code, kOpLdImm64);
  EXPECT_EQ(l.insns[15].src, kPseudoFunc);
  EXPECT_EQ(landing(l, 15), 30);
}

TEST(LinkReal, CoReRecordsOfExterns) {
  // fork_pin_task reads ref->pid of a preserve_access_index struct, which
  // puts a CO-RE field record for its section into .BTF.ext.
  auto obj = readObject(test::kCorpusDir + "/libbpf/externs.g.o");
  ASSERT_TRUE(bool(obj)) << llvm::toString(obj.takeError());
  const ir::Program *entry = obj->findProgram("fork_pin_task");
  ASSERT_NE(entry, nullptr);
  link::LinkedProgram task = linkOk(*obj, *entry);
  ASSERT_EQ(task.coreRelos.size(), 1u);
  EXPECT_EQ(task.coreRelos[0].record->kind, btf::CoreReloKind::FieldByteOffset);
  // Its neighbours have none and link, their extern loads left pending.
  link::LinkedProgram l = linkOk(*obj, *obj->findProgram("tp_nanosleep"));
  checkLinked(l);
  EXPECT_TRUE(l.coreRelos.empty());
}

// libbpf 1.1 has no bpf_object__prepare, but in gen-loader (light skeleton)
// mode bpf_object__load relocates every program without any syscall, after
// which bpf_program__insns() is the final instruction array. Instructions
// we leave pending (maps, data, externs) differ by design and are skipped.
int quietLibbpf(enum libbpf_print_level, const char *, va_list) { return 0; }

TEST(LinkOracle, MatchesLibbpfRelocation) {
  libbpf_print_fn_t previous = libbpf_set_print(quietLibbpf);
  // btf_maps_all is missing: the gen loader refuses prog-array `values`.
  // Only global_data and xdp-dispatcher have subprograms; the others check
  // that we leave everything else as libbpf does.
  for (const std::string &path : {test::kCorpusDir + "/libbpf/global_data.g.o",
                                  test::kCorpusDir + "/libbpf/sections.g.o",
                                  test::kCorpusDir + "/libbpf/externs.g.o",
                                  test::kLibxdpObjects + "/xdp-dispatcher.o"}) {
    SCOPED_TRACE(path);
    auto obj = readObject(path);
    ASSERT_TRUE(bool(obj)) << llvm::toString(obj.takeError());

    bpf_object *bpfObj = bpf_object__open_file(path.c_str(), nullptr);
    ASSERT_NE(bpfObj, nullptr);
    gen_loader_opts gen{};
    gen.sz = sizeof(gen);
    ASSERT_EQ(bpf_object__gen_loader(bpfObj, &gen), 0);
    // Neither pinning nor an untyped program can be expressed in a light
    // skeleton; both would fail the load before anything is compared.
    bpf_map *map;
    bpf_object__for_each_map(map, bpfObj) bpf_map__set_pin_path(map, nullptr);
    bpf_program *bpfProg;
    bpf_object__for_each_program(bpfProg, bpfObj) {
      if (bpf_program__type(bpfProg) == BPF_PROG_TYPE_UNSPEC)
        bpf_program__set_autoload(bpfProg, false);
    }
    ASSERT_EQ(bpf_object__load(bpfObj), 0);

    size_t compared = 0;
    bpf_object__for_each_program(bpfProg, bpfObj) {
      if (!bpf_program__autoload(bpfProg))
        continue;
      const ir::Program *entry = obj->findProgram(bpf_program__name(bpfProg));
      ASSERT_NE(entry, nullptr) << bpf_program__name(bpfProg);
      SCOPED_TRACE(entry->name);
      // CO-RE records stay unapplied on both sides: the gen loader leaves
      // them to the kernel, we to the loader.
      auto linked = link::linkProgram(*obj, *entry);
      ASSERT_TRUE(bool(linked)) << llvm::toString(linked.takeError());
      const link::LinkedProgram &l = *linked;
      ASSERT_EQ(l.insns.size(), bpf_program__insn_cnt(bpfProg));
      std::set<uint32_t> skip;
      for (const link::Pending &p : l.pending) {
        skip.insert(p.insn);
        if (p.relocation->kind != RelocKind::Kfunc)
          skip.insert(p.insn + 1);
      }
      const bpf_insn *theirs = bpf_program__insns(bpfProg);
      for (size_t i = 0; i < l.insns.size(); ++i) {
        if (skip.count(uint32_t(i)))
          continue;
        const Insn &ours = l.insns[i];
        EXPECT_EQ(ours.code, theirs[i].code) << "insn #" << i;
        EXPECT_EQ(ours.src, theirs[i].src_reg) << "insn #" << i;
        EXPECT_EQ(ours.dst, theirs[i].dst_reg) << "insn #" << i;
        EXPECT_EQ(ours.off, theirs[i].off) << "insn #" << i;
        EXPECT_EQ(ours.imm, theirs[i].imm) << "insn #" << i;
      }
      ++compared;
    }
    EXPECT_GT(compared, 0u);
    bpf_object__close(bpfObj);
  }
  libbpf_set_print(previous);
}

} // namespace
} // namespace bpfcompat
