// Real third-party objects (cilium/ebpf testdata, libxdp) through our loader,
// with libbpf 1.x as the oracle: every object that libbpf loads on this
// kernel, we load too. The table below lists each object's outcome here and
// the reason for any that cannot load; it fails when an object appears that
// it does not list, so new testdata gets a decision.
#include "bpfcompat/convert.h"
#include "bpfcompat/reader.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>

#include "kernel_support.h"
#include "oracle_support.h"
#include "test_support.h"

namespace bpfcompat {
namespace {

namespace fs = std::filesystem;

// How libbpf fares with one input: the original object as it is, or our
// conversion of it (NoInput: the object is refused, so there is none).
enum class Libbpf { Loads, Fails, NoInput };

struct Expected {
  bool weLoad = false;
  std::string ourError; // a substring of our loader's error, when !weLoad
  Libbpf original = Libbpf::Fails;
  Libbpf converted = Libbpf::Fails;
  std::string libbpfLog; // a substring of libbpf's logs proving the reason
  std::string reason;    // why it cannot load here (empty: it loads)
  // Set only where libbpf loads and we deliberately do not: why.
  std::string divergence;
};

constexpr bool kLoads = true;
constexpr bool kFails = false;
using enum Libbpf;

// Each object's outcome on this kernel. "original fails" for cilium objects
// mostly means libbpf 1.x cannot even open them (legacy `maps` sections,
// static programs, pre-1.0 section names); their conversion is what libbpf
// is then judged on.
const std::map<std::string, Expected> kExpected = {
    // cilium/ebpf testdata
    {"cilium/testdata/btf_map_init-el.elf",
     {kLoads, "", Fails, Loads, "", "", ""}},
    {"cilium/testdata/freplace-el.elf",
     {kFails, "BPF_PROG_LOAD 'replacement'", Fails, Fails,
      "prog 'replacement': attach program FD is not set",
      "freplace needs a target program, chosen at run time", ""}},
    {"cilium/testdata/fwd_decl-el.elf",
     {kFails, "kfunc 'fwd' is not in the running kernel's BTF", Fails, Fails,
      "failed to find BTF for extern 'fwd'",
      "calls an extern function with no BTF, which no kernel provides", ""}},
    {"cilium/testdata/invalid_btf_map_init-el.elf",
     {kFails, "refused by its own loader (btf-map-nonzero)", Loads, NoInput, "",
      "intentionally invalid cilium/ebpf testdata",
      "cilium/ebpf, the object's own loader, refuses the non-zero BTF map "
      "definition bytes (this file is its test of that); libbpf ignores them. "
      "Our loader follows the object's own loader (loader.h)"}},
    {"cilium/testdata/invalid_map-el.elf",
     {kFails, "refused by its own loader (map-tail-nonzero)", Fails, NoInput,
      "legacy map definitions in 'maps' section are not supported",
      "intentionally invalid cilium/ebpf testdata", ""}},
    {"cilium/testdata/invalid_map_static-el.elf",
     {kFails, "refused by its own loader (static-map)", Fails, NoInput,
      "legacy map definitions in 'maps' section are not supported",
      "intentionally invalid cilium/ebpf testdata", ""}},
    {"cilium/testdata/iproute2_map_compat-el.elf",
     {kLoads, "", Fails, Loads, "", "", ""}},
    {"cilium/testdata/loader-clang-14-el.elf",
     {kFails, "map 'array_of_hash_map' is map-in-map but has no inner map",
      Fails, Fails, "failed to find BTF for extern 'MY_CONST'",
      "the inner map template and the MY_CONST value come from Go code at "
      "run time",
      ""}},
    {"cilium/testdata/loader-clang-7-el.elf",
     {kFails, "BPF_MAP_CREATE 'perf_event_array': Invalid argument", Fails,
      Fails, "failed to find BTF for extern 'MY_CONST'",
      "its perf event array has key and value size 0, which cilium/ebpf "
      "fills in at run time (libbpf does not either); and as loader-el.elf",
      ""}},
    {"cilium/testdata/loader-clang-9-el.elf",
     {kFails, "map 'array_of_hash_map' is map-in-map but has no inner map",
      Fails, Fails, "failed to find BTF for extern 'MY_CONST'",
      "as loader-clang-14-el.elf", ""}},
    {"cilium/testdata/loader-el.elf",
     {kFails, "map 'array_of_hash_map' is map-in-map but has no inner map",
      Fails, Fails, "failed to find BTF for extern 'MY_CONST'",
      "as loader-clang-14-el.elf", ""}},
    {"cilium/testdata/map_spin_lock-el.elf",
     {kLoads, "", Loads, Loads, "", "", ""}},
    {"cilium/testdata/raw_tracepoint-el.elf",
     {kLoads, "", Loads, Loads, "", "", ""}},
    {"cilium/testdata/strings-el.elf",
     {kFails, "BPF_PROG_LOAD 'filter'", Fails, Fails,
      "cannot call GPL-restricted function",
      "MIT-licensed program calls GPL-only bpf_trace_printk", ""}},
    {"cilium/testdata/subprog_reloc-el.elf",
     {kLoads, "", Fails, Loads, "", "", ""}},
    {"cilium/btf/relocs-el.elf",
     {kFails, "invalid func unknown#195896080", Fails, Fails,
      "failed to resolve CO-RE relocation",
      "its CO-RE relocations are against cilium's test types, absent from "
      "vmlinux: reachable instructions are poisoned, for libbpf as for us "
      "(core_load_test.cpp relocates it against its own BTF with --btf)",
      ""}},
    {"cilium/btf/relocs_read-el.elf",
     {kFails, "invalid func unknown#195896080", Fails, Fails,
      "failed to resolve CO-RE relocation", "as relocs-el.elf", ""}},
    {"cilium/btf/relocs_read_tgt-el.elf",
     {kLoads, "", Loads, Loads, "", "", ""}},
    // libxdp
    {"libxdp/xdp-dispatcher.o", {kLoads, "", Loads, Loads, "", "", ""}},
    {"libxdp/xdpdump_bpf.o",
     {kFails, "attach target 'func' (FUNC func) is not in the running kernel",
      Fails, Fails, "failed to find kernel BTF type ID of 'func'",
      "fentry/fexit need a target function chosen at run time", ""}},
    {"libxdp/xdpdump_xdp.o", {kLoads, "", Loads, Loads, "", "", ""}},
    {"libxdp/xdpfilt_alw_all.o", {kLoads, "", Loads, Loads, "", "", ""}},
    {"libxdp/xdpfilt_alw_eth.o", {kLoads, "", Loads, Loads, "", "", ""}},
    {"libxdp/xdpfilt_alw_ip.o", {kLoads, "", Loads, Loads, "", "", ""}},
    {"libxdp/xdpfilt_alw_tcp.o", {kLoads, "", Loads, Loads, "", "", ""}},
    {"libxdp/xdpfilt_alw_udp.o", {kLoads, "", Loads, Loads, "", "", ""}},
    {"libxdp/xdpfilt_dny_all.o", {kLoads, "", Loads, Loads, "", "", ""}},
    {"libxdp/xdpfilt_dny_eth.o", {kLoads, "", Loads, Loads, "", "", ""}},
    {"libxdp/xdpfilt_dny_ip.o", {kLoads, "", Loads, Loads, "", "", ""}},
    {"libxdp/xdpfilt_dny_tcp.o", {kLoads, "", Loads, Loads, "", "", ""}},
    {"libxdp/xdpfilt_dny_udp.o", {kLoads, "", Loads, Loads, "", "", ""}},
    {"libxdp/xsk_def_xdp_prog.o", {kLoads, "", Loads, Loads, "", "", ""}},
    {"libxdp/xsk_def_xdp_prog_5.3.o", {kLoads, "", Loads, Loads, "", "", ""}},
};

// The objects the requirement names: little-endian cilium/ebpf testdata
// (big-endian twins cannot load on this host) and every libxdp object.
std::vector<oracle::ObjectCase> realObjects() {
  std::vector<oracle::ObjectCase> out;
  for (oracle::ObjectCase &c : oracle::allObjects()) {
    bool cilium = c.name.starts_with("cilium/") && c.name.ends_with("-el.elf");
    if (cilium || c.name.starts_with("libxdp/"))
      out.push_back(std::move(c));
  }
  return out;
}

const char *outcomeName(Libbpf l) {
  switch (l) {
  case Loads:
    return "loads";
  case Fails:
    return "fails";
  case NoInput:
    return "no input (object refused)";
  }
  return "?";
}

// libbpf on `bytes` in a fresh bpffs pin root, everything closed and unpinned
// on return; `log` collects libbpf's output. An object with programs none of
// which libbpf can type (pre-1.0 section names) "loads" only vacuously: that
// counts as failing.
Libbpf libbpfOutcome(const std::vector<uint8_t> &bytes,
                     const std::string &objectName, std::string &log) {
  oracle::BpffsDir pins;
  bool loaded = false;
  oracle::LibbpfObject obj =
      ktest::loadWithLibbpf(bytes, objectName, pins.path(), loaded);
  log += obj.log();
  if (!loaded)
    return Fails;
  size_t programs = 0, live = 0;
  bpf_program *prog;
  bpf_object__for_each_program(prog, obj.get()) {
    ++programs;
    live += bpf_program__fd(prog) >= 0;
  }
  if (programs > 0 && live == 0) {
    log += "(libbpf loaded none of the " + std::to_string(programs) +
           " programs)\n";
    return Fails;
  }
  return Loads;
}

class RealObjectsLoad : public ::testing::TestWithParam<oracle::ObjectCase> {};

TEST_P(RealObjectsLoad, AsTheTableSaysAndWheneverLibbpfDoes) {
  const oracle::ObjectCase &c = GetParam();
  auto it = kExpected.find(c.name);
  ASSERT_NE(it, kExpected.end())
      << c.name << " is not in the table: run `bpfcompat load` and libbpf on "
      << "it and add its outcome";
  const Expected &want = it->second;
  KTEST_REQUIRE_PRIVILEGE();
  std::string fileName = fs::path(c.path).filename().string();

  // Our loader. An object the reader refuses outright fails to load too.
  auto object = readObject(c.path);
  ktest::OurLoad ours;
  std::optional<ir::Object> input;
  if (object) {
    input = std::move(*object);
    oracle::BpffsDir pins;
    ours = ktest::loadOurs(*input, pins.path());
    if (ours.collection) {
      EXPECT_FALSE(ours.collection->programs.empty() &&
                   ours.collection->maps.empty())
          << "loaded nothing";
    }
  } else {
    ours.error = llvm::toString(object.takeError());
  }
  bool weLoad = ours.collection.has_value();
  ours.collection.reset(); // close every fd before the oracle runs
  EXPECT_EQ(weLoad, want.weLoad)
      << c.name
      << (weLoad ? " loads now; update the table"
                 : " no longer loads: " + ours.error);
  if (!weLoad && !want.weLoad) {
    EXPECT_NE(ours.error.find(want.ourError), std::string::npos)
        << "fails differently than the table says (" << want.reason
        << "): " << ours.error;
  }

  // libbpf on the original, and on our conversion when the object reads.
  std::string log;
  Libbpf original = libbpfOutcome(test::readBytes(c.path), fileName, log);
  Libbpf converted = NoInput;
  if (input && !oracle::hasErrors(*input)) {
    auto result = convert::convertObject(*input);
    ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
    converted = libbpfOutcome(result->bytes, fileName, log);
  }
  EXPECT_EQ(original, want.original)
      << "libbpf on the original " << outcomeName(original)
      << ", the table says " << outcomeName(want.original) << "\n"
      << log;
  EXPECT_EQ(converted, want.converted)
      << "libbpf on the conversion " << outcomeName(converted)
      << ", the table says " << outcomeName(want.converted) << "\n"
      << log;
  if (!want.libbpfLog.empty()) {
    EXPECT_NE(log.find(want.libbpfLog), std::string::npos)
        << "libbpf fails for another reason than the table says ("
        << want.reason << "):\n"
        << log;
  }

  // The requirement itself, whatever the table says: what libbpf loads we
  // load (bar a listed, deliberate divergence), and what we load libbpf can
  // load too, from the original or from our conversion.
  bool libbpfLoads = original == Loads || converted == Loads;
  if (want.divergence.empty()) {
    EXPECT_TRUE(!libbpfLoads || weLoad)
        << "libbpf loads " << c.name << " but we do not: " << ours.error;
  } else {
    EXPECT_FALSE(weLoad) << "the divergence is gone; drop it: "
                         << want.divergence;
  }
  EXPECT_TRUE(!weLoad || libbpfLoads)
      << "we load " << c.name << " but libbpf loads neither it nor our "
      << "conversion:\n"
      << log;
}

INSTANTIATE_TEST_SUITE_P(RealObjectsLoadAll, RealObjectsLoad,
                         ::testing::ValuesIn(realObjects()), oracle::caseName);

TEST(RealObjectsLoadTable, ListsExactlyTheObjectsPresent) {
  std::set<std::string> present;
  for (const oracle::ObjectCase &c : realObjects())
    present.insert(c.name);
  ASSERT_FALSE(present.empty())
      << "no cilium/ebpf or libxdp objects; run scripts/setup.sh";
  for (const std::string &n : present)
    EXPECT_TRUE(kExpected.count(n)) << n << " is not in the table";
  for (const auto &[n, want] : kExpected) {
    EXPECT_TRUE(present.count(n)) << n << " is listed but missing";
    // Every failure has a reason and a message to check.
    if (!want.weLoad) {
      EXPECT_FALSE(want.reason.empty()) << n;
      EXPECT_FALSE(want.ourError.empty()) << n;
    }
  }
}

} // namespace
} // namespace bpfcompat
