// Real-world objects nobody here wrote, installed from Debian packages by
// scripts/setup.sh: cilium/ebpf's testdata (golang-github-cilium-ebpf-dev,
// both byte orders) and libxdp's objects (libxdp1). Each one is read through
// the whole pipeline and checked against a table of expected facts.
//
// How the table was verified (not copied from our own output):
//  - map counts: cilium objects from the .c source next to each .elf (which
//    maps exist for the clang version used) and `llvm-readelf-14 -s`
//    (OBJECT symbols in `maps`/`.maps`); libxdp objects from
//    `bpftool btf dump file X` (vlen of DATASEC '.maps') and the symbols in
//    `.maps`.
//  - entry programs: FUNC symbols in executable sections other than `.text`
//    (`llvm-readelf-14 -S -s`), and the __section() functions of the source;
//    clang 7 emitted no FUNC symbols, so there it is one per executable
//    non-.text section (7 in loader-clang-7).
//  - conventions: which map sections exist (`maps` with 20-byte symbols:
//    libbpf 0.x; 36-byte: iproute2 struct bpf_elf_map; `.maps`: libbpf 1.x;
//    both: mixed) and the struct in the source.
//  - failures: cilium/ebpf's own loader tests expect invalid_* to be refused
//    (non-zero .maps bytes, a non-zero field past struct bpf_map_def, a static
//    map).
#include "bpfcompat/elf.h"
#include "bpfcompat/reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <set>

#include "test_support.h"

namespace bpfcompat {
namespace {

namespace fs = std::filesystem;

enum class Dir { Cilium, CiliumBtf, Libxdp };

const std::string &dirPath(Dir dir) {
  switch (dir) {
  case Dir::Cilium:
    return test::kCiliumTestdata;
  case Dir::CiliumBtf:
    return test::kCiliumBtfTestdata;
  case Dir::Libxdp:
    break;
  }
  return test::kLibxdpObjects;
}

// Which files of a directory belong in the table.
bool isTableFile(Dir dir, const fs::path &path) {
  return path.extension() == (dir == Dir::Libxdp ? ".o" : ".elf");
}

struct RealObject {
  Dir dir;
  const char *file;
  // Detected convention, with "+name" for each convention mixed into the
  // same object (as `inspect --summary` prints it).
  const char *convention;
  size_t maps;
  size_t entryPrograms; // subprograms (.text functions) excluded
  // nullptr: must read with no error diagnostic. Otherwise the object must
  // fail with a message containing this phrase, either as the read error or
  // as an error-severity diagnostic (its loader refuses it).
  const char *failure = nullptr;
};

std::ostream &operator<<(std::ostream &os, const RealObject &o) {
  return os << o.file;
}

// Both byte orders of every cilium object are listed; the twins are compared
// field by field in RealObjectsTwins.
const RealObject kRealObjects[] = {
    // btf_map_init.c: prog_array_init, inner_map, outer_map_init; tail_1 and
    // tail_main.
    {Dir::Cilium, "btf_map_init-eb.elf", "libbpf", 3, 2},
    {Dir::Cilium, "btf_map_init-el.elf", "libbpf", 3, 2},
    // freplace.c: subprog() is in .text; sched_process_exec and replacement.
    {Dir::Cilium, "freplace-eb.elf", "libbpf", 0, 2},
    {Dir::Cilium, "freplace-el.elf", "libbpf", 0, 2},
    // fwd_decl.c: call_fwd calls an undefined fwd() (an extern call).
    {Dir::Cilium, "fwd_decl-eb.elf", "libbpf", 0, 1},
    {Dir::Cilium, "fwd_decl-el.elf", "libbpf", 0, 1},
    // `.key = (void *)1` puts a non-zero byte into .maps.
    {Dir::Cilium, "invalid_btf_map_init-eb.elf", "libbpf", 1, 0,
     "definition bytes are not zero"},
    {Dir::Cilium, "invalid_btf_map_init-el.elf", "libbpf", 1, 0,
     "definition bytes are not zero"},
    // struct { struct bpf_map_def def; uint32_t dummy = 1; }: 24-byte stride
    // with a non-zero word past the 20 bytes libbpf 0.x knows.
    {Dir::Cilium, "invalid_map-eb.elf", "libbpf-legacy", 1, 0,
     "non-zero bytes past the 20 known definition bytes"},
    {Dir::Cilium, "invalid_map-el.elf", "libbpf-legacy", 1, 0,
     "non-zero bytes past the 20 known definition bytes"},
    // `dummy` is global, `hash_map` static (a LOCAL OBJECT symbol, despite
    // the source comment saying clang emits none); xdp_prog uses hash_map.
    {Dir::Cilium, "invalid_map_static-eb.elf", "libbpf-legacy", 2, 1,
     "'hash_map' is static"},
    {Dir::Cilium, "invalid_map_static-el.elf", "libbpf-legacy", 2, 1,
     "'hash_map' is static"},
    // One 36-byte struct bpf_elf_map with PIN_GLOBAL_NS, no programs.
    {Dir::Cilium, "iproute2_map_compat-eb.elf", "iproute2", 1, 0},
    {Dir::Cilium, "iproute2_map_compat-el.elf", "iproute2", 1, 0},
    // loader.c, clang >= 9: six .maps maps plus array_of_hash_map in `maps`;
    // static_fn (section "static"), global_fn3 ("other"), xdp_prog, socket,
    // socket/2, socket/3, socket/4; global_fn and global_fn2 are .text
    // subprograms.
    {Dir::Cilium, "loader-clang-14-eb.elf", "libbpf-legacy+libbpf", 7, 7},
    {Dir::Cilium, "loader-clang-14-el.elf", "libbpf-legacy+libbpf", 7, 7},
    // loader.c, clang < 9: hash_map, hash_map2, perf_event_array and
    // array_of_hash_map, all in `maps`. Only NOTYPE labels (clang 7). Note:
    // static_fn is a LOCAL NOTYPE label, which the reader ignores, so that
    // program is named after its section ("static") rather than "static_fn"
    // as cilium/ebpf names it; the count is right.
    {Dir::Cilium, "loader-clang-7-eb.elf", "libbpf-legacy", 4, 7},
    {Dir::Cilium, "loader-clang-7-el.elf", "libbpf-legacy", 4, 7},
    {Dir::Cilium, "loader-clang-9-eb.elf", "libbpf-legacy+libbpf", 7, 7},
    {Dir::Cilium, "loader-clang-9-el.elf", "libbpf-legacy+libbpf", 7, 7},
    {Dir::Cilium, "loader-eb.elf", "libbpf-legacy+libbpf", 7, 7},
    {Dir::Cilium, "loader-el.elf", "libbpf-legacy+libbpf", 7, 7},
    // spin_lock_map only.
    {Dir::Cilium, "map_spin_lock-eb.elf", "libbpf", 1, 0},
    {Dir::Cilium, "map_spin_lock-el.elf", "libbpf", 1, 0},
    {Dir::Cilium, "raw_tracepoint-eb.elf", "libbpf", 0, 1},
    {Dir::Cilium, "raw_tracepoint-el.elf", "libbpf", 0, 1},
    {Dir::Cilium, "strings-eb.elf", "libbpf", 0, 1},
    {Dir::Cilium, "strings-el.elf", "libbpf", 0, 1},
    // hash_map in `maps` (20 bytes); fp_relocation, sub_prog is static in
    // .text.
    {Dir::Cilium, "subprog_reloc-eb.elf", "libbpf-legacy", 1, 1},
    {Dir::Cilium, "subprog_reloc-el.elf", "libbpf-legacy", 1, 1},

    // btf/testdata: CO-RE relocation tests. relocs.c has six
    // socket_filter/* programs, relocs_read.c one, relocs_read_tgt.c only
    // types (no code, no maps).
    {Dir::CiliumBtf, "relocs-eb.elf", "libbpf", 0, 6},
    {Dir::CiliumBtf, "relocs-el.elf", "libbpf", 0, 6},
    {Dir::CiliumBtf, "relocs_read-eb.elf", "libbpf", 0, 1},
    {Dir::CiliumBtf, "relocs_read-el.elf", "libbpf", 0, 1},
    {Dir::CiliumBtf, "relocs_read_tgt-eb.elf", "libbpf", 0, 0},
    {Dir::CiliumBtf, "relocs_read_tgt-el.elf", "libbpf", 0, 0},

    // libxdp: all libbpf 1.x objects with BTF .maps.
    // xdp-dispatcher: xdp_dispatcher and xdp_pass; prog0..prog9 and
    // compat_test are global .text functions (freplace targets), so
    // subprograms. No .maps section.
    {Dir::Libxdp, "xdp-dispatcher.o", "libbpf", 0, 2},
    // xdpdump_perf_map; trace_on_entry/trace_on_exit (fentry/fexit).
    {Dir::Libxdp, "xdpdump_bpf.o", "libbpf", 1, 2},
    {Dir::Libxdp, "xdpdump_xdp.o", "libbpf", 1, 1},
    // xdp-filter: xdp_stats_map plus the filter maps the variant compiles in
    // (ethernet: filter_ethernet; ip: filter_ipv4, filter_ipv6; tcp/udp:
    // filter_ports; all: every one).
    {Dir::Libxdp, "xdpfilt_alw_all.o", "libbpf", 5, 1},
    {Dir::Libxdp, "xdpfilt_alw_eth.o", "libbpf", 2, 1},
    {Dir::Libxdp, "xdpfilt_alw_ip.o", "libbpf", 3, 1},
    {Dir::Libxdp, "xdpfilt_alw_tcp.o", "libbpf", 2, 1},
    {Dir::Libxdp, "xdpfilt_alw_udp.o", "libbpf", 2, 1},
    {Dir::Libxdp, "xdpfilt_dny_all.o", "libbpf", 5, 1},
    {Dir::Libxdp, "xdpfilt_dny_eth.o", "libbpf", 2, 1},
    {Dir::Libxdp, "xdpfilt_dny_ip.o", "libbpf", 3, 1},
    {Dir::Libxdp, "xdpfilt_dny_tcp.o", "libbpf", 2, 1},
    {Dir::Libxdp, "xdpfilt_dny_udp.o", "libbpf", 2, 1},
    // xsks_map (XSKMAP); xsk_def_prog.
    {Dir::Libxdp, "xsk_def_xdp_prog.o", "libbpf", 1, 1},
    {Dir::Libxdp, "xsk_def_xdp_prog_5.3.o", "libbpf", 1, 1},
};

std::string pathOf(const RealObject &o) {
  return dirPath(o.dir) + "/" + o.file;
}

std::string conventionText(const ir::Object &object) {
  std::string text = ir::conventionName(object.verdict.convention);
  for (ir::Convention mixed : object.verdict.mixedWith)
    text += std::string("+") + ir::conventionName(mixed);
  return text;
}

size_t entryPrograms(const ir::Object &object) {
  return std::count_if(object.programs.begin(), object.programs.end(),
                       [](const ir::Program &p) { return !p.subprogram; });
}

std::vector<const ir::Diagnostic *> errorDiagnostics(const ir::Object &o) {
  std::vector<const ir::Diagnostic *> out;
  for (const ir::Diagnostic &d : o.diagnostics)
    if (d.severity == ir::Severity::Error)
      out.push_back(&d);
  return out;
}

// A missing directory means the packages are not installed: fail loudly, a
// skip would hide a broken setup (CI installs them).
::testing::AssertionResult directoryInstalled(Dir dir) {
  if (fs::is_directory(dirPath(dir)))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << dirPath(dir)
         << " is missing: the Debian packages golang-github-cilium-ebpf-dev "
            "and libxdp1 provide the real-world test objects; run "
            "scripts/setup.sh";
}

class RealObjectsRead : public ::testing::TestWithParam<RealObject> {};

TEST_P(RealObjectsRead, MatchesTable) {
  const RealObject &expected = GetParam();
  ASSERT_TRUE(directoryInstalled(expected.dir));
  std::string path = pathOf(expected);
  ASSERT_TRUE(fs::exists(path))
      << path << " is listed in the table but not installed";

  auto object = readObject(path);
  if (!object) {
    std::string message = llvm::toString(object.takeError());
    ASSERT_NE(expected.failure, nullptr)
        << path << " failed to read: " << message;
    EXPECT_EQ(message.rfind(path + ": ", 0), 0u)
        << "the error must name the file: " << message;
    EXPECT_NE(message.find(expected.failure), std::string::npos) << message;
    return;
  }

  EXPECT_EQ(object->path, path);
  EXPECT_EQ(object->byteOrder, llvm::StringRef(expected.file).contains("-eb.")
                                   ? ir::ByteOrder::Big
                                   : ir::ByteOrder::Little);
  EXPECT_EQ(conventionText(*object), expected.convention)
      << "evidence: "
      << (object->verdict.evidence.empty() ? ""
                                           : object->verdict.evidence.front());
  EXPECT_FALSE(object->verdict.forced);
  EXPECT_EQ(object->maps.size(), expected.maps);
  EXPECT_EQ(entryPrograms(*object), expected.entryPrograms);

  std::vector<const ir::Diagnostic *> errors = errorDiagnostics(*object);
  if (!expected.failure) {
    for (const ir::Diagnostic *d : errors)
      ADD_FAILURE() << "unexpected error diagnostic " << d->code << ": "
                    << d->message;
    return;
  }
  ASSERT_FALSE(errors.empty())
      << path << " must fail: expected an error mentioning '"
      << expected.failure << "'";
  bool explained =
      std::any_of(errors.begin(), errors.end(), [&](const ir::Diagnostic *d) {
        return d->message.find(expected.failure) != std::string::npos;
      });
  EXPECT_TRUE(explained) << "no error diagnostic says '" << expected.failure
                         << "'; first: " << errors.front()->message;
  // The diagnostic points at the offending bytes.
  for (const ir::Diagnostic *d : errors)
    EXPECT_TRUE(d->location.has_value()) << d->code << ": " << d->message;
}

std::string objectTestName(const ::testing::TestParamInfo<RealObject> &info) {
  std::string name = info.param.dir == Dir::CiliumBtf ? "btf_" : "";
  name += info.param.file;
  for (char &c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(RealObjects, RealObjectsRead,
                         ::testing::ValuesIn(kRealObjects), objectTestName);

// Every installed object is in the table, and every table entry is
// installed: a package update that adds or drops objects fails here until the
// table is updated (with independently verified numbers).
TEST(RealObjectsTable, ListsEveryInstalledObject) {
  for (Dir dir : {Dir::Cilium, Dir::CiliumBtf, Dir::Libxdp}) {
    ASSERT_TRUE(directoryInstalled(dir));
    std::set<std::string> listed;
    for (const RealObject &o : kRealObjects) {
      if (o.dir == dir) {
        EXPECT_TRUE(listed.insert(o.file).second)
            << o.file << " is listed twice";
      }
    }
    std::set<std::string> installed;
    for (const auto &entry : fs::directory_iterator(dirPath(dir)))
      if (entry.is_regular_file() && isTableFile(dir, entry.path()))
        installed.insert(entry.path().filename().string());
    for (const std::string &file : installed)
      EXPECT_TRUE(listed.count(file))
          << dirPath(dir) << "/" << file
          << " is installed but missing from kRealObjects; add it with "
             "verified convention, map and program counts";
    for (const std::string &file : listed)
      EXPECT_TRUE(installed.count(file))
          << dirPath(dir) << "/" << file
          << " is in kRealObjects but no longer installed";
    EXPECT_FALSE(installed.empty()) << dirPath(dir) << " holds no objects";
  }
}

// --- EL/EB twins ----------------------------------------------------------

// Differences between two objects that must be equal apart from byte order,
// one line each (empty when equal).
class TwinComparer {
public:
  std::vector<std::string> differences;
  // The source itself compiles to byte-order-dependent constants (bitfield
  // shifts, structs stored as one integer): opcodes, registers and offsets
  // must still match.
  bool immediatesMayDiffer = false;

  template <typename T>
  void same(const std::string &what, const T &a, const T &b) {
    if (!(a == b))
      differences.push_back(what + " differs");
  }

  void compare(const ir::Object &el, const ir::Object &eb) {
    same("convention", conventionText(el), conventionText(eb));
    same("license", el.license, eb.license);
    same("kernel version", el.kernelVersion, eb.kernelVersion);
    same("machine", el.machine, eb.machine);
    same("file size", el.fileSize, eb.fileSize);
    compareMaps(el, eb);
    comparePrograms(el, eb);
    compareData(el, eb);
    same("extern count", el.externs.size(), eb.externs.size());
    for (size_t i = 0; i < std::min(el.externs.size(), eb.externs.size());
         ++i) {
      same("extern name", el.externs[i].name, eb.externs[i].name);
      same("extern kind", el.externs[i].kind, eb.externs[i].kind);
    }
    same("has BTF", el.btf.has_value(), eb.btf.has_value());
    if (el.btf && eb.btf)
      same("BTF type count", el.btf->types().size(), eb.btf->types().size());
    same("diagnostic count", el.diagnostics.size(), eb.diagnostics.size());
    for (size_t i = 0;
         i < std::min(el.diagnostics.size(), eb.diagnostics.size()); ++i)
      same("diagnostic " + el.diagnostics[i].code, el.diagnostics[i].message,
           eb.diagnostics[i].message);
  }

private:
  void compareMaps(const ir::Object &el, const ir::Object &eb) {
    same("map count", el.maps.size(), eb.maps.size());
    for (size_t i = 0; i < std::min(el.maps.size(), eb.maps.size()); ++i) {
      const ir::Map &a = el.maps[i], &b = eb.maps[i];
      std::string m = "map '" + a.name + "' ";
      same(m + "name", a.name, b.name);
      same(m + "symbol", a.symbol, b.symbol);
      same(m + "type", a.shape.type, b.shape.type);
      same(m + "key size", a.shape.keySize, b.shape.keySize);
      same(m + "value size", a.shape.valueSize, b.shape.valueSize);
      same(m + "max entries", a.shape.maxEntries, b.shape.maxEntries);
      same(m + "flags", a.shape.flags, b.shape.flags);
      same(m + "BTF key type", a.shape.btfKeyTypeId, b.shape.btfKeyTypeId);
      same(m + "BTF value type", a.shape.btfValueTypeId,
           b.shape.btfValueTypeId);
      same(m + "pinning", a.pinning.kind, b.pinning.kind);
      same(m + "inner present", a.inner.has_value(), b.inner.has_value());
      if (a.inner && b.inner) {
        same(m + "inner type", a.inner->type, b.inner->type);
        same(m + "inner max entries", a.inner->maxEntries, b.inner->maxEntries);
      }
      same(m + "slot count", a.slots.size(), b.slots.size());
      for (size_t s = 0; s < std::min(a.slots.size(), b.slots.size()); ++s) {
        same(m + "slot index", a.slots[s].index, b.slots[s].index);
        same(m + "slot target", a.slots[s].target, b.slots[s].target);
      }
      same(m + "definition size", a.extras.definitionSize,
           b.extras.definitionSize);
      // Unknown tail bytes are raw words in the object's byte order.
      std::vector<uint8_t> tail = b.extras.unknownTail;
      for (size_t w = 0; w + 4 <= tail.size(); w += 4)
        std::reverse(tail.begin() + w, tail.begin() + w + 4);
      same(m + "unknown tail", a.extras.unknownTail, tail);
      same(m + "origin section", a.origin.section, b.origin.section);
      same(m + "origin offset", a.origin.offset, b.origin.offset);
    }
  }

  void comparePrograms(const ir::Object &el, const ir::Object &eb) {
    same("program count", el.programs.size(), eb.programs.size());
    for (size_t i = 0; i < std::min(el.programs.size(), eb.programs.size());
         ++i) {
      const ir::Program &a = el.programs[i], &b = eb.programs[i];
      std::string p = "program '" + a.name + "' ";
      same(p + "name", a.name, b.name);
      same(p + "section", a.section, b.section);
      same(p + "section offset", a.sectionOffset, b.sectionOffset);
      same(p + "subprogram", a.subprogram, b.subprogram);
      same(p + "program type", a.type.progType, b.type.progType);
      same(p + "attach type", a.type.expectedAttachType,
           b.type.expectedAttachType);
      same(p + "attach target", a.type.target, b.type.target);
      same(p + "instruction count", a.insns.size(), b.insns.size());
      // Instructions are decoded to host order: identical, register
      // nibbles included.
      for (size_t k = 0; k < std::min(a.insns.size(), b.insns.size()); ++k) {
        ir::Insn x = a.insns[k], y = b.insns[k];
        if (immediatesMayDiffer)
          x.imm = y.imm = 0;
        if (!(x == y)) {
          differences.push_back(p + "insn #" + std::to_string(k) + " differs");
          break;
        }
      }
      same(p + "relocation count", a.relocations.size(), b.relocations.size());
      for (size_t r = 0;
           r < std::min(a.relocations.size(), b.relocations.size()); ++r) {
        const ir::Relocation &x = a.relocations[r], &y = b.relocations[r];
        std::string rel = p + "relocation #" + std::to_string(r) + " ";
        same(rel + "insn", x.insn, y.insn);
        same(rel + "kind", x.kind, y.kind);
        same(rel + "symbol", x.symbol, y.symbol);
        same(rel + "target", x.target, y.target);
        same(rel + "offset", x.offset, y.offset);
        same(rel + "target section", x.targetSection, y.targetSection);
      }
      same(p + "tail call", a.tailCall.has_value(), b.tailCall.has_value());
    }
  }

  void compareData(const ir::Object &el, const ir::Object &eb) {
    same("data section count", el.data.size(), eb.data.size());
    for (size_t i = 0; i < std::min(el.data.size(), eb.data.size()); ++i) {
      const ir::DataSection &a = el.data[i], &b = eb.data[i];
      same("data section name", a.name, b.name);
      same("data '" + a.name + "' size", a.size, b.size);
      same("data '" + a.name + "' variable count", a.variables.size(),
           b.variables.size());
      for (size_t v = 0; v < std::min(a.variables.size(), b.variables.size());
           ++v) {
        same("data '" + a.name + "' variable name", a.variables[v].name,
             b.variables[v].name);
        same("data '" + a.name + "' variable offset", a.variables[v].offset,
             b.variables[v].offset);
      }
    }
  }
};

TEST(RealObjectsTwins, BigEndianTwinsGiveTheSameIr) {
  size_t pairs = 0;
  for (const RealObject &el : kRealObjects) {
    llvm::StringRef file = el.file;
    if (!file.endswith("-el.elf"))
      continue;
    std::string ebFile = file.drop_back(strlen("-el.elf")).str() + "-eb.elf";
    auto twin = std::find_if(std::begin(kRealObjects), std::end(kRealObjects),
                             [&](const RealObject &o) {
                               return o.dir == el.dir && o.file == ebFile;
                             });
    ASSERT_NE(twin, std::end(kRealObjects)) << ebFile << " is not listed";
    ASSERT_TRUE(directoryInstalled(el.dir));
    SCOPED_TRACE(file.str());
    auto a = readObject(pathOf(el));
    auto b = readObject(pathOf(*twin));
    ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
    ASSERT_TRUE(bool(b)) << llvm::toString(b.takeError());
    EXPECT_EQ(a->byteOrder, ir::ByteOrder::Little);
    EXPECT_EQ(b->byteOrder, ir::ByteOrder::Big);
    EXPECT_NE(a->sha1, b->sha1);
    TwinComparer comparer;
    // relocs_read.c builds `struct bits` through byte stores and bitfield
    // shifts, so clang emits different immediates per byte order (checked
    // with llvm-objdump-14 -d: only imm values differ, e.g. `r1 <<= 60` vs
    // `r1 <<= 32`).
    comparer.immediatesMayDiffer = file == "relocs_read-el.elf";
    comparer.compare(*a, *b);
    for (const std::string &d : comparer.differences)
      ADD_FAILURE() << file.str() << " vs " << ebFile << ": " << d;
    ++pairs;
  }
  EXPECT_EQ(pairs, 18u) << "15 cilium testdata pairs and 3 btf/testdata pairs";
}

// The twin comparison can fail: a real difference in one field is reported.
TEST(RealObjectsTwins, ComparerReportsADifference) {
  ASSERT_TRUE(directoryInstalled(Dir::Cilium));
  auto a = readObject(test::kCiliumTestdata + "/loader-el.elf");
  ASSERT_TRUE(bool(a)) << llvm::toString(a.takeError());
  ir::Object b = *a;
  ASSERT_FALSE(b.programs.empty());
  ASSERT_GT(b.programs.back().insns.size(), 1u);
  b.programs.back().insns[1].imm ^= 1;
  b.maps.front().shape.maxEntries += 1;
  TwinComparer comparer;
  comparer.compare(*a, b);
  ASSERT_EQ(comparer.differences.size(), 2u);
  EXPECT_NE(comparer.differences[0].find("max entries"), std::string::npos);
  EXPECT_NE(comparer.differences[1].find("insn #1"), std::string::npos);
}

} // namespace
} // namespace bpfcompat
