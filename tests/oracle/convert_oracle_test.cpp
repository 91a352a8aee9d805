// `convert` proven against the real consumers: for every corpus object and
// every cilium/ebpf and libxdp object that is not intentionally invalid,
//   1. libbpf (bpf_object__open_mem) sees the maps and programs our IR of the
//      input describes,
//   2. bpf_object__load succeeds on this kernel (root), except for programs
//      listed below with the reason they cannot load here,
//   3. bpftool gen skeleton accepts the output,
//   4. bpfcompat diff finds the input and output equivalent apart from the
//      losses the report lists,
//   5. the output is deterministic and a fixed point of convert,
//   6. big-endian outputs (libbpf 1.1 refuses to open any) have the same
//      structure as their little-endian twins' outputs.
#include "bpfcompat/convert.h"
#include "bpfcompat/diff.h"
#include "bpfcompat/names.h"
#include "bpfcompat/reader.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <linux/bpf.h>
#include <map>
#include <set>

#include "oracle_support.h"
#include "test_support.h"

namespace bpfcompat {
namespace {

namespace fs = std::filesystem;
using oracle::ObjectCase;

// Objects whose own loader refuses them; the reader tests pin their errors.
const std::set<std::string> kInvalid = {
    "corpus/libbpf/btf_maps_all.o", // BTF-defined maps built without -g
    "corpus/libbpf/sections.o",     // likewise
    "corpus/mixed/mixed_maps.o",    // likewise
    "corpus/mixed/stride32_tail.o", // non-zero unknown definition bytes
    "corpus/mixed/stride32_tail.g.o",
    "cilium/testdata/invalid_btf_map_init-el.elf",
    "cilium/testdata/invalid_btf_map_init-eb.elf",
    "cilium/testdata/invalid_map-el.elf",
    "cilium/testdata/invalid_map-eb.elf",
    "cilium/testdata/invalid_map_static-el.elf",
    "cilium/testdata/invalid_map_static-eb.elf",
};

// Converted objects libbpf cannot open, and why (the originals fail too).
const std::map<std::string, std::string> kOpenFails = {
    {"corpus/libbpf/externs.o",
     "externs without BTF (built without -g): libbpf needs BTF for externs"},
    {"cilium/testdata/fwd_decl-el.elf",
     "calls an extern function 'fwd' that has no BTF"},
    {"cilium/testdata/loader-el.elf",
     "inline-asm extern MY_CONST has no BTF; cilium/ebpf resolves it from "
     "user-supplied constants, libbpf cannot"},
    {"cilium/testdata/loader-clang-7-el.elf", "as loader-el.elf"},
    {"cilium/testdata/loader-clang-9-el.elf", "as loader-el.elf"},
    {"cilium/testdata/loader-clang-14-el.elf", "as loader-el.elf"},
};

// Programs that cannot load on this kernel, and why. Each entry is checked to
// really fail, so the table cannot go stale.
const std::map<std::string, std::map<std::string, std::string>>
    kLoadExceptions = {
        {"corpus/libbpf/externs.g.o",
         {{"raw_tp_prog_active",
           "ksym 'bpf_prog_active' is a data symbol this kernel does not "
           "list in kallsyms"}}},
        {"corpus/libbpf/global_data.o",
         {{"sock_sample", "bpf_loop callbacks need BTF func_info; built "
                          "without -g"}}},
        {"corpus/perf/perf_probes.o",
         {{"args_probe", "perf generated a prologue loading the probe "
                         "arguments (report: perf-not-expressible)"}}},
        {"corpus/perf/perf_probes.g.o", {{"args_probe", "as perf_probes.o"}}},
        {"cilium/testdata/freplace-el.elf",
         {{"replacement", "freplace needs a target program chosen at run "
                          "time"}}},
        {"cilium/testdata/strings-el.elf",
         {{"filter", "MIT-licensed program calls GPL-only "
                     "bpf_trace_printk; the original fails the same way"}}},
        {"cilium/btf/relocs-el.elf",
         {{"fields", "CO-RE against cilium's test types, absent from "
                     "vmlinux"}}},
        {"cilium/btf/relocs_read-el.elf",
         {{"reads", "CO-RE against cilium's test types, absent from "
                    "vmlinux"}}},
        {"libxdp/xdpdump_bpf.o",
         {{"trace_on_entry", "fentry needs a target program chosen at run "
                             "time"},
          {"trace_on_exit", "as trace_on_entry"}}},
};

class ConvertOracle : public ::testing::TestWithParam<ObjectCase> {
protected:
  void SetUp() override {
    const ObjectCase &c = GetParam();
    auto object = readObject(c.path);
    bool invalid = !object || oracle::hasErrors(*object);
    if (!object)
      llvm::consumeError(object.takeError());
    ASSERT_EQ(invalid, kInvalid.count(c.name) == 1)
        << c.name
        << (invalid ? " no longer reads cleanly"
                    : " reads cleanly but is listed as invalid");
    if (invalid)
      return;
    input_ = std::move(*object);
    auto result = convert::convertObject(*input_);
    ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
    result_ = std::move(*result);
  }

  bool applicable() const { return input_.has_value(); }

  std::optional<ir::Object> input_;
  convert::Result result_;
};

TEST_P(ConvertOracle, LibbpfSeesTheSameMapsAndPrograms) {
  if (!applicable())
    return;
  const ObjectCase &c = GetParam();
  oracle::LibbpfObject obj = oracle::openWithLibbpf(result_.bytes, c.name, "");
  if (c.bigEndian) {
    // libbpf 1.1 refuses foreign byte orders, the originals included; the
    // twin test below checks these outputs instead.
    EXPECT_FALSE(obj);
    EXPECT_NE(obj.log().find("endianness mismatch"), std::string::npos)
        << obj.log();
    return;
  }
  auto fails = kOpenFails.find(c.name);
  if (fails != kOpenFails.end()) {
    EXPECT_FALSE(obj) << c.name << " was expected to fail: " << fails->second;
    return;
  }
  ASSERT_TRUE(obj) << "libbpf cannot open the output: " << obj.log();

  // Maps: every IR map, with its shape, pinning and inner template.
  std::vector<std::string> libbpfMaps;
  bpf_map *map;
  bpf_object__for_each_map(map, obj.get()) {
    if (bpf_map__is_internal(map))
      continue;
    libbpfMaps.push_back(bpf_map__name(map));
  }
  ASSERT_EQ(libbpfMaps.size(), input_->maps.size());
  for (const ir::Map &in : input_->maps) {
    std::string name = kernelSafeName(in.name);
    SCOPED_TRACE("map " + name);
    bpf_map *m = bpf_object__find_map_by_name(obj.get(), name.c_str());
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(bpf_map__type(m), in.shape.type);
    EXPECT_EQ(bpf_map__key_size(m), in.shape.keySize);
    EXPECT_EQ(bpf_map__value_size(m), in.shape.valueSize);
    EXPECT_EQ(bpf_map__max_entries(m),
              oracle::libbpfMaxEntries(in.shape.type, in.shape.maxEntries));
    EXPECT_EQ(bpf_map__map_flags(m), in.shape.flags);
    EXPECT_EQ(bpf_map__numa_node(m), in.shape.numaNode.value_or(0));
    EXPECT_EQ(bpf_map__map_extra(m), in.shape.mapExtra);
    EXPECT_EQ(bpf_map__pin_path(m) != nullptr,
              oracle::pinnedAfterConversion(in.pinning.kind));
    bpf_map *inner = bpf_map__inner_map(m);
    ASSERT_EQ(inner != nullptr, in.inner.has_value());
    if (inner) {
      EXPECT_EQ(bpf_map__type(inner), in.inner->type);
      EXPECT_EQ(bpf_map__key_size(inner), in.inner->keySize);
      EXPECT_EQ(bpf_map__value_size(inner), in.inner->valueSize);
      EXPECT_EQ(bpf_map__max_entries(inner), in.inner->maxEntries);
    }
  }

  // Programs: every entry program that stays one, typed as our IR says.
  size_t libbpfPrograms = 0;
  bpf_program *prog;
  bpf_object__for_each_program(prog, obj.get())++ libbpfPrograms;
  size_t entries = 0;
  for (const ir::Program &in : input_->programs) {
    if (in.subprogram || oracle::becameSubprogram(result_.report, in.name))
      continue;
    ++entries;
    std::string name = kernelSafeName(in.name);
    SCOPED_TRACE("program " + name);
    bpf_program *p = bpf_object__find_program_by_name(obj.get(), name.c_str());
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(bpf_program__type(p), in.type.progType);
    EXPECT_EQ(bpf_program__expected_attach_type(p),
              oracle::expectedAttachType(in.type));
    EXPECT_EQ(bpf_program__autoload(p), in.type.autoload);
  }
  EXPECT_EQ(libbpfPrograms, entries);
}

TEST_P(ConvertOracle, BpftoolGeneratesASkeleton) {
  if (!applicable() || kOpenFails.count(GetParam().name))
    return;
  if (GetParam().bigEndian)
    return; // libbpf refuses to generate code for a foreign byte order
  oracle::TempDir dir;
  std::string path = dir.path() + "/out.o";
  oracle::writeFile(path, result_.bytes);
  oracle::Command run = oracle::runCommand(
      {"bpftool", "gen", "skeleton", path, "name", "oracle"});
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("oracle__open"), std::string::npos);
}

TEST_P(ConvertOracle, DiffIsEquivalentApartFromReportedLosses) {
  if (!applicable())
    return;
  auto file = elf::File::fromBuffer(result_.bytes, "converted.o");
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  auto output = readObject(**file);
  ASSERT_TRUE(bool(output)) << llvm::toString(output.takeError());
  DiffOptions options;
  options.pinRootB = result_.report.pinRoot;
  std::set<std::string> lossSubjects;
  for (const convert::ReportEntry &e : result_.report.entries)
    if (e.kind == convert::ReportEntry::Kind::Loss)
      lossSubjects.insert(kernelSafeName(e.subject));
  for (const Difference &d : diffObjects(*input_, *output, options)) {
    std::string subject = d.subject.substr(d.subject.find(':') + 1);
    EXPECT_TRUE(lossSubjects.count(subject))
        << "unreported difference " << d.code << ": " << d.message;
  }
}

TEST_P(ConvertOracle, OutputIsDeterministicAndAFixedPoint) {
  if (!applicable())
    return;
  auto again = convert::convertObject(*input_);
  ASSERT_TRUE(bool(again));
  EXPECT_TRUE(again->bytes == result_.bytes) << "two runs differ";
  auto file = elf::File::fromBuffer(result_.bytes, "converted.o");
  ASSERT_TRUE(bool(file));
  auto reread = readObject(**file);
  ASSERT_TRUE(bool(reread)) << llvm::toString(reread.takeError());
  auto twice = convert::convertObject(*reread);
  ASSERT_TRUE(bool(twice)) << llvm::toString(twice.takeError());
  EXPECT_TRUE(twice->bytes == result_.bytes)
      << "convert(convert(x)) != convert(x)";
}

TEST_P(ConvertOracle, BigEndianOutputMatchesLittleEndianTwin) {
  const ObjectCase &c = GetParam();
  if (!applicable() || !c.bigEndian)
    return;
  std::string twinName = oracle::littleEndianTwin(c.name);
  std::string twinPath = c.path;
  twinPath.replace(twinPath.rfind(c.name.substr(c.name.rfind('/') + 1)),
                   std::string::npos, twinName.substr(twinName.rfind('/') + 1));
  auto twin = readObject(twinPath);
  ASSERT_TRUE(bool(twin)) << llvm::toString(twin.takeError());
  auto twinResult = convert::convertObject(*twin);
  ASSERT_TRUE(bool(twinResult));
  auto reread = [](const std::vector<uint8_t> &bytes) {
    auto file = elf::File::fromBuffer(bytes, "converted.o");
    EXPECT_TRUE(bool(file));
    auto object = readObject(**file);
    EXPECT_TRUE(bool(object));
    return std::move(*object);
  };
  ir::Object be = reread(result_.bytes), le = reread(twinResult->bytes);
  EXPECT_EQ(be.byteOrder, ir::ByteOrder::Big);
  // Code and data legitimately differ between the two compilations (byte
  // order dependent constants and loads); the structure the converter
  // writes must not.
  const std::set<std::string> structural = {
      "map-missing", "map-shape",       "map-pin-path", "map-inner",
      "map-slots",   "program-missing", "program-type", "program-attach",
      "license",     "kernel-version",  "extern"};
  for (const Difference &d : diffObjects(le, be))
    EXPECT_FALSE(structural.count(d.code)) << d.code << ": " << d.message;
}

TEST_P(ConvertOracle, LoadsIntoTheKernel) {
  if (!applicable() || kOpenFails.count(GetParam().name))
    return;
  const ObjectCase &c = GetParam();
  if (c.bigEndian)
    return; // a foreign byte order cannot load on this host
  if (!oracle::privileged())
    GTEST_SKIP() << "needs root with BPF capability and bpffs";
  std::map<std::string, std::string> exceptions;
  if (auto it = kLoadExceptions.find(c.name); it != kLoadExceptions.end())
    exceptions = it->second;

  oracle::BpffsDir pins;
  {
    oracle::LibbpfObject obj =
        oracle::openWithLibbpf(result_.bytes, c.name, pins.path());
    ASSERT_TRUE(obj) << obj.log();
    bpf_program *prog;
    bpf_object__for_each_program(prog, obj.get()) {
      // A program of unknown type needs bpf_program__set_type() by its user.
      if (exceptions.count(bpf_program__name(prog)) ||
          bpf_program__type(prog) == BPF_PROG_TYPE_UNSPEC)
        bpf_program__set_autoload(prog, false);
    }
    EXPECT_EQ(bpf_object__load(obj.get()), 0) << obj.log();
  }
  // Every listed exception really fails on its own.
  for (const auto &[program, reason] : exceptions) {
    oracle::LibbpfObject obj =
        oracle::openWithLibbpf(result_.bytes, c.name, pins.path());
    ASSERT_TRUE(obj);
    bpf_program *prog;
    bool found = false;
    bpf_object__for_each_program(prog, obj.get()) {
      bool it = program == bpf_program__name(prog);
      found |= it;
      bpf_program__set_autoload(prog, it);
    }
    ASSERT_TRUE(found) << "exception names unknown program " << program;
    EXPECT_NE(bpf_object__load(obj.get()), 0)
        << program << " loads now; drop its exception (" << reason << ")";
  }
}

INSTANTIATE_TEST_SUITE_P(Objects, ConvertOracle,
                         ::testing::ValuesIn(oracle::allObjects()),
                         oracle::caseName);

TEST(ConvertOracleTables, EveryListedObjectExists) {
  std::set<std::string> names;
  for (const ObjectCase &c : oracle::allObjects())
    names.insert(c.name);
  EXPECT_GE(names.size(), 90u) << "corpus or Debian objects missing; run "
                                  "scripts/setup.sh and build the corpus";
  for (const std::string &name : kInvalid)
    EXPECT_TRUE(names.count(name)) << name;
  for (const auto &[name, reason] : kOpenFails)
    EXPECT_TRUE(names.count(name)) << name;
  for (const auto &[name, programs] : kLoadExceptions)
    EXPECT_TRUE(names.count(name)) << name;
}

} // namespace
} // namespace bpfcompat
