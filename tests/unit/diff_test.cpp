// `bpfcompat diff`: every difference code fires for the change it names and
// for nothing else; encodings that mean the same (renamed programs, pin paths
// spelled two ways, relocated operands) compare equal; real objects equal
// themselves.
#include "bpfcompat/diff.h"
#include "bpfcompat/names.h"
#include "bpfcompat/reader.h"

#include <gtest/gtest.h>

#include <functional>

#include "test_support.h"

namespace bpfcompat {
namespace {

constexpr uint32_t kMapHash = 1, kMapProgArray = 3, kMapArrayOfMaps = 12;
constexpr uint32_t kProgSchedCls = 3;

ir::Insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off,
              int32_t imm) {
  return ir::Insn{code, dst, src, off, imm};
}

ir::MapShape shape(uint32_t type, uint32_t keySize, uint32_t valueSize,
                   uint32_t maxEntries) {
  ir::MapShape s;
  s.type = type;
  s.keySize = keySize;
  s.valueSize = valueSize;
  s.maxEntries = maxEntries;
  return s;
}

ir::Relocation relocation(uint32_t insn, ir::RelocKind kind,
                          const std::string &target) {
  ir::Relocation r;
  r.insn = insn;
  r.kind = kind;
  r.symbol = r.target = target;
  return r;
}

// An object that exercises every compared field: a hash map, a prog array
// whose slot names a program with an iproute2-style name, a map-in-map, an
// entry program with a map load and a bpf-to-bpf call, its subprogram, data
// sections and an extern.
ir::Object sample() {
  ir::Object o;
  o.path = "a.o";
  o.license = "GPL";

  ir::Map counts;
  counts.name = "counts";
  counts.shape = shape(kMapHash, 4, 8, 256);
  o.maps.push_back(counts);

  ir::Map jmp;
  jmp.name = "jmp";
  jmp.shape = shape(kMapProgArray, 4, 4, 4);
  jmp.slots.push_back({0, ir::Slot::Kind::Program, "42/0"});
  o.maps.push_back(jmp);

  ir::Map outer;
  outer.name = "outer";
  outer.shape = shape(kMapArrayOfMaps, 4, 4, 2);
  outer.inner = counts.shape;
  outer.innerFromMap = "counts";
  outer.slots.push_back({1, ir::Slot::Kind::Map, "counts"});
  o.maps.push_back(outer);

  ir::Program entry;
  entry.name = "42/0";
  entry.section = "42/0";
  entry.type.progType = kProgSchedCls;
  entry.insns = {
      insn(0x18, 1, 0, 0, 0),  // r1 = map counts
      insn(0x00, 0, 0, 0, 0),  //   (second slot)
      insn(0x85, 0, 1, 0, -1), // call helper
      insn(0xb7, 0, 0, 0, 0),  // r0 = 0
      insn(0x95, 0, 0, 0, 0),  // exit
  };
  entry.relocations.push_back(relocation(0, ir::RelocKind::MapFd, "counts"));
  entry.relocations.push_back(relocation(2, ir::RelocKind::Call, "helper"));
  entry.relocations.back().targetSection = ".text";
  o.programs.push_back(entry);

  ir::Program helper;
  helper.name = "helper";
  helper.section = ".text";
  helper.subprogram = true;
  helper.insns = {insn(0xb7, 0, 0, 0, 1), insn(0x95, 0, 0, 0, 0)};
  o.programs.push_back(helper);

  o.data.push_back({".rodata", ir::DataKind::Rodata, 4, {1, 2, 3, 4}, {}});
  o.data.push_back({".bss", ir::DataKind::Bss, 8, {}, {}});
  o.externs.push_back({"bpf_kfunc", ir::Extern::Kind::Kfunc, false});
  return o;
}

ir::Map &mapNamed(ir::Object &o, const std::string &name) {
  ir::Map *map = o.findMap(name);
  EXPECT_NE(map, nullptr) << name;
  return *map;
}

ir::Program &entryProgram(ir::Object &o) { return o.programs[0]; }

std::string listing(const std::vector<Difference> &diffs) {
  std::string out;
  for (const Difference &d : diffs)
    out += d.code + " [" + d.subject + "] " + d.message + "\n";
  return out.empty() ? "(equivalent)\n" : out;
}

// Diffs sample() against a copy changed by `change`.
std::vector<Difference>
diffAfter(const std::function<void(ir::Object &)> &change,
          const DiffOptions &options = {}) {
  ir::Object b = sample();
  change(b);
  return diffObjects(sample(), b, options);
}

// Exactly one difference, with this code, whose message contains `text`.
void expectOne(const std::vector<Difference> &diffs, const std::string &code,
               const std::string &text) {
  ASSERT_EQ(diffs.size(), 1u) << listing(diffs);
  EXPECT_EQ(diffs[0].code, code) << listing(diffs);
  EXPECT_NE(diffs[0].message.find(text), std::string::npos) << listing(diffs);
}

void expectEquivalent(const std::vector<Difference> &diffs) {
  EXPECT_TRUE(diffs.empty()) << listing(diffs);
}

TEST(Names, KernelSafeName) {
  EXPECT_EQ(kernelSafeName("42/0"), "prog_42_0");
  EXPECT_EQ(kernelSafeName("sched_cls/foo"), "sched_cls_foo");
  EXPECT_EQ(kernelSafeName("xdp_prog"), "xdp_prog");
  EXPECT_EQ(kernelSafeName("kprobe/sys_open+0x10"), "kprobe_sys_open_0x10");
  EXPECT_EQ(kernelSafeName("map.with-dots v2"), "map.with_dots_v2");
  EXPECT_EQ(kernelSafeName(""), "prog_");
  EXPECT_EQ(kernelSafeName("7"), "prog_7");
  EXPECT_EQ(kernelSafeName("\xc3\xa9t\xc3\xa9"), "__t__") << "bytewise";
  EXPECT_EQ(kernelSafeName("a_very_long_program_name"),
            "a_very_long_program_name")
      << "the kernel truncates, not us";
  EXPECT_EQ(kernelSafeName(kernelSafeName("42/0")), "prog_42_0")
      << "idempotent";
}

TEST(Diff, SampleEqualsItself) {
  expectEquivalent(diffAfter([](auto &) {}));
}

TEST(Diff, IgnoresWhatIsNotSemantic) {
  expectEquivalent(diffAfter([](ir::Object &o) {
    o.path = "b.o";
    o.sha1 = "0123";
    o.fileSize = 99;
    o.verdict.convention = ir::Convention::Iproute2;
    o.diag(ir::Severity::Warning, "x", "y");
    ir::Map &counts = mapNamed(o, "counts");
    counts.extras.iproute2Id = 7;
    counts.extras.definitionSize = 36;
    counts.extras.unknownTail = {1};
    counts.origin = {"maps", 36};
    counts.symbol = "other";
    mapNamed(o, "outer").innerFromMap = "outer.inner";
    ir::Program &entry = entryProgram(o);
    entry.section = "classifier";
    entry.sectionOffset = 64;
    entry.tailCall = ir::TailCall{"jmp", 0};
    entry.type.canonical = "tc";
    entry.type.sloppy = true;
    entry.type.lost = {"x"};
    entry.relocations[0].symbol = "maps";
    o.programs[1].section = ".text.helper";
  }));
}

TEST(Diff, MapMissing) {
  expectOne(diffAfter([](ir::Object &o) { o.maps.erase(o.maps.begin()); }),
            "map-missing", "map 'counts' is only in A");
  expectOne(diffAfter([](ir::Object &o) {
              o.maps.push_back({});
              o.maps.back().name = "extra";
            }),
            "map-missing", "map 'extra' is only in B");
}

TEST(Diff, MapShapeEachField) {
  struct Case {
    std::function<void(ir::MapShape &)> change;
    std::string message;
  };
  std::vector<Case> cases = {
      {[](auto &s) { s.type = 2; }, "map 'counts': type hash vs array"},
      {[](auto &s) { s.keySize = 8; }, "map 'counts': key_size 4 vs 8"},
      {[](auto &s) { s.valueSize = 16; }, "map 'counts': value_size 8 vs 16"},
      {[](auto &s) { s.maxEntries = 1024; },
       "map 'counts': max_entries 256 vs 1024"},
      {[](auto &s) { s.flags = 1; }, "map 'counts': map_flags 0x0 vs 0x1"},
      {[](auto &s) { s.numaNode = 0; }, "map 'counts': numa_node none vs 0"},
      {[](auto &s) { s.mapExtra = 2; }, "map 'counts': map_extra 0x0 vs 0x2"},
  };
  for (const Case &c : cases) {
    auto diffs = diffAfter(
        [&](ir::Object &o) { c.change(mapNamed(o, "counts").shape); });
    ASSERT_EQ(diffs.size(), 1u) << listing(diffs);
    EXPECT_EQ(diffs[0].code, "map-shape");
    EXPECT_EQ(diffs[0].subject, "map:counts");
    EXPECT_EQ(diffs[0].message, c.message);
  }
}

// .BTF with 1 INT 'unsigned int', 2 TYPEDEF 'u32' -> 1,
// 3 STRUCT 'key' (8 bytes) {a: 1}, 4 CONST -> 3.
btf::Btf smallBtf() {
  std::vector<uint8_t> bytes = {0x9f, 0xeb, 1, 0}; // magic, version, flags
  auto u32 = [&](uint32_t v) {
    for (int i = 0; i < 4; ++i)
      bytes.push_back(uint8_t(v >> (8 * i)));
  };
  const std::string strings("\0unsigned int\0u32\0key\0a\0", 24);
  const uint32_t typeLen = 64;
  // hdr_len, type_off, type_len, str_off, str_len
  for (uint32_t v : {24u, 0u, typeLen, typeLen, uint32_t(strings.size())})
    u32(v);
  for (uint32_t v : {1u, 1u << 24, 4u, 32u,                // INT, 32 bits
                     14u, 8u << 24, 1u,                    // TYPEDEF u32
                     18u, (4u << 24) | 1, 8u, 22u, 1u, 0u, // STRUCT key
                     0u, 10u << 24, 3u})                   // CONST
    u32(v);
  bytes.insert(bytes.end(), strings.begin(), strings.end());
  auto btf = btf::Btf::parse(bytes, false);
  EXPECT_TRUE(bool(btf)) << llvm::toString(btf.takeError());
  return btf ? std::move(*btf) : btf::Btf();
}

TEST(Diff, MapBtfTypesCompareByResolvedType) {
  ir::Object a = sample(), b = sample();
  a.btf = b.btf = smallBtf();
  ir::MapShape &shapeA = mapNamed(a, "counts").shape;
  ir::MapShape &shapeB = mapNamed(b, "counts").shape;
  shapeA.btfKeyTypeId = 2; // u32
  shapeB.btfKeyTypeId = 1; // unsigned int: the same after typedefs
  shapeA.btfValueTypeId = 3;
  shapeB.btfValueTypeId = 4; // const struct key
  expectEquivalent(diffObjects(a, b));

  shapeB.btfKeyTypeId = 3;
  expectOne(diffObjects(a, b), "map-shape",
            "key type INT 'unsigned int' (4 bytes) vs STRUCT 'key' (8 bytes)");

  // Ids alone mean nothing: without BTF on one side they are not compared,
  // nor when one map has no type.
  b.btf.reset();
  expectEquivalent(diffObjects(a, b));
  b.btf = smallBtf();
  shapeB.btfKeyTypeId = 0;
  expectEquivalent(diffObjects(a, b));
}

TEST(Diff, PinPathsCompareResolved) {
  auto globalVsByName = [](const DiffOptions &options) {
    ir::Object a = sample(), b = sample();
    mapNamed(a, "jmp").pinning.kind = ir::PinKind::Iproute2Global;
    mapNamed(b, "jmp").pinning.kind = ir::PinKind::ByName;
    return diffObjects(a, b, options);
  };
  DiffOptions tc;
  tc.pinRootB = "/sys/fs/bpf/tc/globals";
  expectEquivalent(globalVsByName(tc));
  tc.pinRootB = "/sys/fs/bpf/tc/globals/"; // a trailing slash is the same dir
  expectEquivalent(globalVsByName(tc));
  expectOne(globalVsByName({}), "map-pin-path",
            "map 'jmp': pin path /sys/fs/bpf/tc/globals/jmp vs "
            "/sys/fs/bpf/jmp");
  expectOne(diffAfter([](ir::Object &o) {
              mapNamed(o, "jmp").pinning.kind = ir::PinKind::ByName;
            }),
            "map-pin-path", "pin path not pinned vs /sys/fs/bpf/jmp");
}

TEST(Diff, ResolvedPinPathPerKind) {
  ir::Object o = sample();
  o.sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
  ir::Map map = o.maps[0];
  auto path = [&](ir::PinKind kind) {
    map.pinning.kind = kind;
    return resolvedPinPath(map, o, "/pins", "/mnt/bpf/");
  };
  EXPECT_EQ(path(ir::PinKind::None), "");
  EXPECT_EQ(path(ir::PinKind::ByName), "/pins/counts");
  EXPECT_EQ(path(ir::PinKind::Iproute2Global), "/mnt/bpf/tc/globals/counts");
  EXPECT_EQ(path(ir::PinKind::Iproute2Object),
            "/mnt/bpf/tc/da39a3ee5e6b4b0d3255bfef95601890afd80709/counts");
  map.pinning.customId = 5;
  EXPECT_EQ(path(ir::PinKind::Iproute2Custom), "<iproute2 custom id 5>/counts");
  map.pinning.gobpfNamespace = "tc";
  EXPECT_EQ(path(ir::PinKind::GobpfGlobal), "/mnt/bpf/tc/globals/counts");
  EXPECT_EQ(path(ir::PinKind::GobpfObject), "<gobpf object ns>");
  EXPECT_EQ(path(ir::PinKind::GobpfCustom),
            "<gobpf custom path for maps/counts>");

  // iproute2 PIN_OBJECT_NS is scoped to one build of the file.
  ir::Object a = sample(), b = sample();
  a.sha1 = "aaaa";
  b.sha1 = "bbbb";
  mapNamed(a, "counts").pinning.kind = ir::PinKind::Iproute2Object;
  mapNamed(b, "counts").pinning.kind = ir::PinKind::Iproute2Object;
  expectOne(diffObjects(a, b), "map-pin-path",
            "/sys/fs/bpf/tc/aaaa/counts vs /sys/fs/bpf/tc/bbbb/counts");
}

TEST(Diff, PinRootAAppliesToA) {
  ir::Object a = sample(), b = sample();
  mapNamed(a, "jmp").pinning.kind = ir::PinKind::ByName;
  mapNamed(b, "jmp").pinning.kind = ir::PinKind::GobpfGlobal;
  mapNamed(b, "jmp").pinning.gobpfNamespace = "ns";
  DiffOptions options;
  options.pinRootA = "/sys/fs/bpf/ns/globals";
  expectEquivalent(diffObjects(a, b, options));
}

TEST(Diff, InnerMapTemplate) {
  expectOne(
      diffAfter([](ir::Object &o) { mapNamed(o, "outer").inner.reset(); }),
      "map-inner", "map 'outer': inner template present vs absent");
  expectOne(diffAfter([](ir::Object &o) {
              mapNamed(o, "outer").inner->maxEntries = 1;
            }),
            "map-inner", "map 'outer' inner template: max_entries 256 vs 1");
}

TEST(Diff, Slots) {
  expectOne(diffAfter([](ir::Object &o) { mapNamed(o, "jmp").slots.clear(); }),
            "map-slots", "map 'jmp': slot 0 program 'prog_42_0' vs empty");
  auto moved =
      diffAfter([](ir::Object &o) { mapNamed(o, "jmp").slots[0].index = 2; });
  ASSERT_EQ(moved.size(), 2u) << listing(moved);
  EXPECT_EQ(moved[1].message, "map 'jmp': slot 2 empty vs program 'prog_42_0'");
  expectOne(diffAfter([](ir::Object &o) {
              mapNamed(o, "outer").slots[0].target = "jmp";
            }),
            "map-slots", "map 'outer': slot 1 map 'counts' vs map 'jmp'");
  expectOne(
      diffAfter([](ir::Object &o) {
        mapNamed(o, "outer").slots.push_back({1, ir::Slot::Kind::Map, "jmp"});
      }),
      "map-slots", "slot 1 map 'counts' vs map 'counts', map 'jmp'");
  // Slots are a set: their order in the IR is not semantic.
  ir::Object a = sample(), b = sample();
  mapNamed(a, "outer").slots = {{1, ir::Slot::Kind::Map, "counts"},
                                {0, ir::Slot::Kind::Map, "jmp"}};
  mapNamed(b, "outer").slots = {{0, ir::Slot::Kind::Map, "jmp"},
                                {1, ir::Slot::Kind::Map, "counts"}};
  expectEquivalent(diffObjects(a, b));
}

TEST(Diff, RenamedProgramMatchesByKernelSafeName) {
  // Conversion renames the whole-section program "42/0" and its slot.
  auto diffs = diffAfter([](ir::Object &o) {
    entryProgram(o).name = "prog_42_0";
    mapNamed(o, "jmp").slots[0].target = "prog_42_0";
  });
  expectEquivalent(diffs);
  auto changed = diffAfter([](ir::Object &o) {
    entryProgram(o).name = "prog_42_0";
    entryProgram(o).type.progType = 6;
  });
  ASSERT_EQ(changed.size(), 1u) << listing(changed);
  EXPECT_EQ(changed[0].subject, "program:prog_42_0");
  EXPECT_EQ(changed[0].message,
            "program '42/0' ('prog_42_0' in B): type sched_cls vs xdp");
}

TEST(Diff, ProgramMissing) {
  auto diffs = diffAfter([](ir::Object &o) {
    o.programs.erase(o.programs.begin());
    mapNamed(o, "jmp").slots.clear();
  });
  ASSERT_EQ(diffs.size(), 2u) << listing(diffs);
  EXPECT_EQ(diffs[0].code, "map-slots");
  EXPECT_EQ(diffs[1].code, "program-missing");
  EXPECT_EQ(diffs[1].message, "program '42/0' is only in A");
  EXPECT_EQ(diffs[1].subject, "program:prog_42_0");
  // A missing subprogram (the callee of a call) is missing like any other.
  expectOne(diffAfter([](ir::Object &o) { o.programs.pop_back(); }),
            "program-missing", "program 'helper' is only in A");
}

TEST(Diff, ProgramType) {
  expectOne(diffAfter([](ir::Object &o) { entryProgram(o).type.progType = 6; }),
            "program-type", "type sched_cls vs xdp");
  expectOne(diffAfter([](ir::Object &o) {
              entryProgram(o).type.hasExpectedAttachType = true;
            }),
            "program-type", "expected_attach_type none vs cgroup_inet_ingress");
  expectOne(
      diffAfter([](ir::Object &o) { entryProgram(o).type.sleepable = true; }),
      "program-type", "sleepable no vs yes");
  expectOne(diffAfter([](ir::Object &o) { o.programs[1].subprogram = false; }),
            "program-type", "is subprogram vs entry program");
}

TEST(Diff, ProgramAttach) {
  expectOne(
      diffAfter([](ir::Object &o) { entryProgram(o).type.autoload = false; }),
      "program-attach", "autoload yes vs no");
  expectOne(diffAfter([](ir::Object &o) {
              entryProgram(o).type.attach = AttachKind::Kprobe;
            }),
            "program-attach", "attach none vs kprobe");
  expectOne(diffAfter([](ir::Object &o) { entryProgram(o).type.target = "f"; }),
            "program-attach", "attach target '' vs 'f'");
  expectOne(diffAfter([](ir::Object &o) { entryProgram(o).type.offset = 16; }),
            "program-attach", "attach offset 0x0 vs 0x10");
}

TEST(Diff, RelocatedOperandsAreNotCompared) {
  // Section symbol + addend vs function symbol, map fd placeholders: the
  // encodings differ, the meaning does not.
  expectEquivalent(diffAfter([](ir::Object &o) {
    ir::Program &p = entryProgram(o);
    p.insns[0].imm = 36;
    p.insns[0].src = 1;
    p.insns[1].imm = 5;
    p.insns[2].imm = 7;
    p.relocations[0].offset = 99; // not meaningful for map_fd
  }));
}

TEST(Diff, PlainInstructionsCompareExactly) {
  expectOne(diffAfter([](ir::Object &o) { entryProgram(o).insns[3].imm = 1; }),
            "program-insns",
            "program '42/0': insn #3 code 0xb7 dst r0 src r0 off 0 imm 0 vs "
            "code 0xb7 dst r0 src r0 off 0 imm 1");
  expectOne(diffAfter([](ir::Object &o) { o.programs[1].insns[0].off = 1; }),
            "program-insns", "program 'helper': insn #0");
  // A pc-relative call without a relocation is an ordinary instruction.
  ir::Object a = sample(), b = sample();
  for (ir::Object *o : {&a, &b})
    entryProgram(*o).relocations.pop_back();
  expectEquivalent(diffObjects(a, b));
  entryProgram(b).insns[2].imm = 3;
  expectOne(diffObjects(a, b), "program-insns",
            "insn #2 code 0x85 dst r0 src r1 off 0 imm -1 vs code 0x85 dst r0 "
            "src r1 off 0 imm 3");
}

TEST(Diff, RelocationPresence) {
  expectOne(
      diffAfter([](ir::Object &o) { entryProgram(o).relocations.pop_back(); }),
      "program-relocation", "insn #2 call 'helper' vs no relocation");
  // A relocation lost from an ld_imm64 is reported once, at its first slot.
  expectOne(diffAfter([](ir::Object &o) {
              auto &relocs = entryProgram(o).relocations;
              relocs.erase(relocs.begin());
            }),
            "program-relocation", "insn #0 map_fd 'counts' vs no relocation");
}

TEST(Diff, RelocatedInstructionStillComparesOpcodeAndDst) {
  expectOne(diffAfter([](ir::Object &o) { entryProgram(o).insns[0].dst = 2; }),
            "program-insns", "insn #0 code 0x18 dst r1 vs code 0x18 dst r2");
}

TEST(Diff, InstructionCount) {
  expectOne(diffAfter([](ir::Object &o) {
              entryProgram(o).insns.push_back(insn(0x95, 0, 0, 0, 0));
            }),
            "program-insns", "instruction count 5 vs 6");
}

TEST(Diff, CountsEveryMismatchInOneLine) {
  auto diffs = diffAfter([](ir::Object &o) {
    for (ir::Insn &i : o.programs[1].insns)
      i.off = 3;
  });
  expectOne(diffs, "program-insns", "(2 instructions differ)");
}

TEST(Diff, RelocationTargets) {
  expectOne(diffAfter([](ir::Object &o) {
              entryProgram(o).relocations[0].target = "jmp";
            }),
            "program-relocation", "insn #0 map_fd 'counts' vs map_fd 'jmp'");
  expectOne(diffAfter([](ir::Object &o) {
              ir::Relocation &r = entryProgram(o).relocations[0];
              r.kind = ir::RelocKind::MapValue;
              r.target = ".rodata";
            }),
            "program-relocation", "map_fd 'counts' vs map_value '.rodata'+0x0");
  // Without a function symbol at the callee, the function holding the
  // target (and the index within it) identifies it.
  ir::Object a = sample(), b = sample();
  for (ir::Object *o : {&a, &b})
    entryProgram(*o).relocations[1].target.clear();
  expectEquivalent(diffObjects(a, b));
  entryProgram(b).relocations[1].offset = 1;
  expectOne(diffObjects(a, b), "program-relocation",
            "call 'helper' vs call 'helper'+#1");
  // ...and a target outside every function by section and index.
  entryProgram(b).relocations[1].offset = 7;
  expectOne(diffObjects(a, b), "program-relocation",
            "call 'helper' vs call .text+#7");
}

TEST(Diff, RelocationToRenamedTargetsMatches) {
  ir::Object a = sample(), b = sample();
  for (ir::Object *o : {&a, &b}) {
    ir::Program &helper = o->programs[1];
    helper.name = o == &a ? "sub/helper" : "sub_helper";
    entryProgram(*o).relocations[1].target = helper.name;
  }
  expectEquivalent(diffObjects(a, b));
}

TEST(Diff, TailCallPlacementIsNotCompared) {
  expectEquivalent(diffAfter([](ir::Object &o) {
    entryProgram(o).tailCall = ir::TailCall{"jmp", 3};
  }));
}

TEST(Diff, License) {
  ir::Object a = sample(), b = sample();
  a.license.reset();
  b.license = "";
  expectEquivalent(diffObjects(a, b));
  expectOne(diffObjects(sample(), b), "license", "license 'GPL' vs ''");
}

TEST(Diff, KernelVersion) {
  ir::Object a = sample(), b = sample();
  a.kernelVersion = ir::kCurrentKernelVersion;
  expectEquivalent(diffObjects(a, b));
  a.kernelVersion = 0x41300;
  auto diffs = diffObjects(a, b);
  expectOne(diffs, "kernel-version",
            "kernel version 0x41300 (4.19.0) vs running kernel");
  EXPECT_EQ(diffs[0].subject, "object");
  b.kernelVersion = 0x41300;
  expectEquivalent(diffObjects(a, b));
}

TEST(Diff, DataSections) {
  expectOne(diffAfter([](ir::Object &o) { o.data.pop_back(); }), "data-section",
            "data section '.bss' is only in A");
  expectOne(diffAfter([](ir::Object &o) { o.data[0].bytes[2] = 9; }),
            "data-section",
            "data section '.rodata': 1 bytes differ, the first at offset 0x2");
  expectOne(
      diffAfter([](ir::Object &o) { o.data[0].kind = ir::DataKind::Data; }),
      "data-section", "kind rodata vs data");
  expectOne(diffAfter([](ir::Object &o) { o.data[1].size = 16; }),
            "data-section", "size 8 vs 16");
  // The kernel zero-fills: explicit zero bytes equal no bytes.
  expectEquivalent(
      diffAfter([](ir::Object &o) { o.data[1].bytes.assign(8, 0); }));
  expectOne(diffAfter([](ir::Object &o) { o.data[1].bytes.assign(8, 1); }),
            "data-section", "8 bytes differ, the first at offset 0x0");
}

TEST(Diff, Externs) {
  expectOne(diffAfter([](ir::Object &o) { o.externs.clear(); }), "extern",
            "extern 'bpf_kfunc' is only in A");
  expectOne(diffAfter([](ir::Object &o) { o.externs[0].weak = true; }),
            "extern", "weak no vs yes");
  expectOne(diffAfter([](ir::Object &o) {
              o.externs[0].kind = ir::Extern::Kind::KsymVar;
            }),
            "extern", "kind kfunc vs ksym variable");
}

TEST(Diff, AmbiguousNamesAreReportedNotGuessed) {
  auto diffs = diffAfter([](ir::Object &o) {
    o.programs.push_back(o.programs[0]);
    o.programs.back().name = "prog_42_0";
  });
  expectOne(diffs, "name-collision",
            "B has 2 programs named 'prog_42_0': '42/0', 'prog_42_0'");
  EXPECT_EQ(diffs[0].subject, "program:prog_42_0");
}

TEST(Diff, SortedBySubjectThenCode) {
  auto diffs = diffAfter([](ir::Object &o) {
    o.license = "MIT";
    entryProgram(o).type.sleepable = true;
    entryProgram(o).type.autoload = false;
    mapNamed(o, "jmp").shape.maxEntries = 8;
    mapNamed(o, "counts").pinning.kind = ir::PinKind::ByName;
    mapNamed(o, "counts").shape.flags = 1;
  });
  std::vector<std::pair<std::string, std::string>> order;
  for (const Difference &d : diffs)
    order.emplace_back(d.subject, d.code);
  std::vector<std::pair<std::string, std::string>> expected = {
      {"map:counts", "map-pin-path"},
      {"map:counts", "map-shape"},
      {"map:jmp", "map-shape"},
      {"object", "license"},
      {"program:prog_42_0", "program-attach"},
      {"program:prog_42_0", "program-type"}};
  EXPECT_EQ(order, expected) << listing(diffs);
}

class DiffRealObjects : public testing::TestWithParam<const char *> {};

TEST_P(DiffRealObjects, ObjectEqualsItself) {
  std::string path = test::kCiliumTestdata + "/" + GetParam();
  auto a = readObject(path);
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  auto b = readObject(path);
  ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
  ASSERT_FALSE(a->maps.empty() && a->programs.empty());
  expectEquivalent(diffObjects(*a, *b));
}

INSTANTIATE_TEST_SUITE_P(DiffCilium, DiffRealObjects,
                         testing::Values("loader-el.elf", "btf_map_init-el.elf",
                                         "subprog_reloc-el.elf"));

TEST(DiffRealObjectsApart, DifferentObjectsDiffer) {
  auto a = readObject(test::kCiliumTestdata + "/loader-el.elf");
  auto b = readObject(test::kCiliumTestdata + "/btf_map_init-el.elf");
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
  EXPECT_FALSE(diffObjects(*a, *b).empty());
}

} // namespace
} // namespace bpfcompat
