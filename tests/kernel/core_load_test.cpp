// CO-RE through our loader, with libbpf 1.x as the oracle: every CO-RE
// object (our corpus, the one built against this machine's vmlinux.h,
// cilium/ebpf's relocation testdata, libxdp) is loaded by libbpf and by us.
// Whenever libbpf loads it we must too, and every program's instructions as
// the kernel holds them after verification (BPF_OBJ_GET_INFO_BY_FD,
// xlated_prog_insns) must be equal: CO-RE offsets, sizes, shifts, type ids,
// enum values and poisoned instructions alike. Map ids are the only thing
// normalised away. When libbpf fails, we must fail too.
#include "bpfcompat/kernel.h"
#include "bpfcompat/reader.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "kernel_support.h"
#include "oracle_support.h"
#include "test_support.h"

namespace bpfcompat {
namespace {

namespace fs = std::filesystem;

struct CoreCase {
  std::string path;
  std::string name;
};

void PrintTo(const CoreCase &c, std::ostream *os) { *os << c.name; }

std::vector<CoreCase> coreObjects() {
  std::vector<CoreCase> out;
  auto add = [&](const std::string &dir, const std::string &prefix, auto keep) {
    if (!fs::exists(dir))
      return;
    for (const auto &e : fs::directory_iterator(dir))
      if (keep(e.path().filename().string()))
        out.push_back(
            {e.path().string(), prefix + e.path().filename().string()});
  };
  auto all = [](const std::string &) { return true; };
  add(test::kCorpusDir + "/core", "corpus/core/", all);
  add(test::kCorpusVmlinuxDir + "/core", "corpus-vmlinux/core/", all);
  add(test::kCiliumBtfTestdata, "cilium/btf/", [](const std::string &n) {
    // relocs_read_tgt has no programs: it is a target BTF (see below).
    return n.starts_with("relocs") && n.ends_with("-el.elf") &&
           !n.starts_with("relocs_read_tgt");
  });
  add(test::kLibxdpObjects, "libxdp/",
      [](const std::string &n) { return n.ends_with(".o"); });
  // Our libbpf corpus object with a CO-RE read next to its externs.
  out.push_back(
      {test::kCorpusDir + "/libbpf/externs.g.o", "corpus/libbpf/externs.g.o"});
  std::sort(out.begin(), out.end(), [](const CoreCase &a, const CoreCase &b) {
    return a.name < b.name;
  });
  return out;
}

std::string caseName(const ::testing::TestParamInfo<CoreCase> &info) {
  std::string name = info.param.name;
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
  return name;
}

class CoreLoad : public ::testing::TestWithParam<CoreCase> {};

TEST_P(CoreLoad, AsLibbpfWithEqualInstructions) {
  const CoreCase &c = GetParam();
  KTEST_REQUIRE_PRIVILEGE();
  auto object = readObject(c.path);
  ASSERT_TRUE(bool(object)) << llvm::toString(object.takeError());

  oracle::BpffsDir libbpfPins, ourPins;
  oracle::LibbpfObject theirs = oracle::openWithLibbpf(
      test::readBytes(c.path), fs::path(c.path).filename().string(),
      libbpfPins.path());
  ASSERT_TRUE(bool(theirs)) << theirs.log();
  // Section names libbpf 1.x does not know (cilium's "socket_filter/...")
  // get the type our reader found, so libbpf really relocates and loads
  // them instead of skipping them.
  bpf_program *prog;
  bpf_object__for_each_program(prog, theirs.get()) {
    if (bpf_program__type(prog) != BPF_PROG_TYPE_UNSPEC)
      continue;
    const ir::Program *p = object->findProgram(bpf_program__name(prog));
    if (p && p->type.progType != BPF_PROG_TYPE_UNSPEC)
      bpf_program__set_type(prog, bpf_prog_type(p->type.progType));
    else
      bpf_program__set_autoload(prog, false);
  }
  bool libbpfLoaded = bpf_object__load(theirs.get()) == 0;
  ktest::OurLoad ours = ktest::loadOurs(*object, ourPins.path());
  bool weLoad = ours.collection.has_value();
  if (!libbpfLoaded) {
    EXPECT_FALSE(weLoad) << "libbpf fails on " << c.name << " but we load it:\n"
                         << theirs.log();
    // A poisoned instruction fails both loads at the verifier, which
    // libbpf's log rewrites into a CO-RE message.
    if (theirs.log().find("failed to resolve CO-RE relocation") !=
        std::string::npos) {
      EXPECT_NE(ours.error.find("invalid func unknown#195896080"),
                std::string::npos)
          << ours.error;
    }
    return;
  }
  ASSERT_TRUE(weLoad) << "libbpf loads " << c.name
                      << " but we do not: " << ours.error;
  size_t compared = 0;
  bpf_object__for_each_program(prog, theirs.get()) {
    if (bpf_program__fd(prog) < 0)
      continue;
    SCOPED_TRACE(bpf_program__name(prog));
    const load::LoadedProgram *mine =
        ours.collection->program(bpf_program__name(prog));
    ASSERT_NE(mine, nullptr) << "we did not load it";
    std::vector<uint64_t> want = oracle::xlatedInsns(bpf_program__fd(prog));
    std::vector<uint64_t> got = oracle::xlatedInsns(mine->fd.get());
    ASSERT_FALSE(want.empty());
    EXPECT_EQ(got, want) << "ours:\n"
                         << oracle::dumpInsns(got) << "libbpf's:\n"
                         << oracle::dumpInsns(want);
    ++compared;
  }
  EXPECT_GT(compared, 0u);
  EXPECT_EQ(compared, ours.collection->programs.size())
      << "we loaded programs libbpf did not";
}

INSTANTIATE_TEST_SUITE_P(CoreObjects, CoreLoad,
                         ::testing::ValuesIn(coreObjects()), caseName);

// The objects must be there and carry CO-RE records, or the table above
// proves nothing.
TEST(CoreLoadObjects, PresentWithCoReRecords) {
  std::vector<CoreCase> cases = coreObjects();
  for (const char *name :
       {"corpus/core/core_trace.g.o", "corpus/core/core_net.g.o",
        "corpus-vmlinux/core/core_vmlinux.g.o",
        "cilium/btf/relocs_read-el.elf"}) {
    auto it = std::find_if(cases.begin(), cases.end(),
                           [&](const CoreCase &c) { return c.name == name; });
    ASSERT_NE(it, cases.end()) << name << " missing";
    auto object = readObject(it->path);
    ASSERT_TRUE(bool(object)) << llvm::toString(object.takeError());
    size_t records = 0;
    ASSERT_TRUE(object->btfExt.has_value()) << name;
    for (const auto &sec : object->btfExt->coreRelos)
      records += sec.records.size();
    EXPECT_GT(records, 0u) << name;
  }
}

// --btf: relocating against the running kernel's BTF named explicitly gives
// the same instructions; against another BTF (here the object's own, whose
// local __sk_buff puts `protocol` at 4, not 16) different, loadable ones.
TEST(CoreLoadTargetBtf, ExplicitFileIsUsed) {
  KTEST_REQUIRE_PRIVILEGE();
  std::string path = test::kCorpusDir + "/core/core_net.g.o";
  auto object = readObject(path);
  ASSERT_TRUE(bool(object)) << llvm::toString(object.takeError());
  auto load = [&](const std::string &btf) {
    oracle::BpffsDir pins;
    load::Options options = ktest::optionsIn(pins.path());
    options.targetBtf = btf;
    auto loaded = load::loadObject(*object, options, kern::systemKernel());
    EXPECT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
    return loaded
               ? oracle::xlatedInsns(loaded->program("socket_core")->fd.get())
               : std::vector<uint64_t>{};
  };
  std::vector<uint64_t> running = load("");
  ASSERT_FALSE(running.empty());
  EXPECT_EQ(load("/sys/kernel/btf/vmlinux"), running);
  EXPECT_NE(load(path), running);

  oracle::BpffsDir pins;
  load::Options options = ktest::optionsIn(pins.path());
  options.targetBtf = pins.path() + "/no-such-btf";
  auto missing = load::loadObject(*object, options, kern::systemKernel());
  ASSERT_FALSE(bool(missing));
  std::string err = llvm::toString(missing.takeError());
  EXPECT_NE(err.find("no-such-btf"), std::string::npos) << err;
}

} // namespace
} // namespace bpfcompat

namespace bpfcompat {
namespace {

// cilium/ebpf's own CO-RE test: relocs.elf relocated against its own BTF,
// relocs_read.elf against relocs_read_tgt.elf's; every program returns 0
// when each relocation got the value the C source asserts, else the failing
// line. --btf makes the same possible here.
TEST(CoreLoadTargetBtf, CiliumRelocationTestsPass) {
  KTEST_REQUIRE_PRIVILEGE();
  for (auto [objectName, targetName] :
       {std::pair<const char *, const char *>{"relocs-el.elf", "relocs-el.elf"},
        {"relocs_read-el.elf", "relocs_read_tgt-el.elf"}}) {
    SCOPED_TRACE(objectName);
    auto object = readObject(test::kCiliumBtfTestdata + "/" + objectName);
    ASSERT_TRUE(bool(object)) << llvm::toString(object.takeError());
    size_t ran = 0;
    // One program at a time: the err_* programs must fail (ambiguous
    // candidates), as in cilium/ebpf's test.
    for (const ir::Program &entry : object->programs) {
      if (entry.subprogram)
        continue;
      SCOPED_TRACE(entry.name);
      ir::Object one = *object;
      for (ir::Program &p : one.programs)
        p.type.autoload = p.subprogram || p.name == entry.name;
      oracle::BpffsDir pins;
      load::Options options = ktest::optionsIn(pins.path());
      options.targetBtf = test::kCiliumBtfTestdata + "/" + targetName;
      auto loaded = load::loadObject(one, options, kern::systemKernel());
      if (entry.name.starts_with("err_")) {
        ASSERT_FALSE(bool(loaded));
        std::string err = llvm::toString(loaded.takeError());
        EXPECT_NE(err.find("ambiguity"), std::string::npos) << err;
        continue;
      }
      ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
      ASSERT_EQ(loaded->programs.size(), 1u);
      kern::TestRun run;
      run.data.assign(14, 0);
      auto result = kern::progTestRun(kern::systemKernel(),
                                      loaded->programs[0].fd.get(), run);
      ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
      EXPECT_EQ(result->retval, 0u)
          << "the check on line " << result->retval << " failed";
      ++ran;
    }
    EXPECT_GT(ran, 0u);
  }
}

} // namespace
} // namespace bpfcompat

namespace bpfcompat {
namespace {

// `bpfcompat load --btf FILE`: the option reaches the loader, and a BTF that
// cannot be read fails the load naming the file, with nothing left pinned.
TEST(CoreLoadCli, BtfOption) {
  KTEST_REQUIRE_PRIVILEGE();
  oracle::BpffsDir pins;
  oracle::TempDir tmp;
  std::string object = test::kCorpusDir + "/core/core_net.g.o";
  auto load = [&](const std::string &btf) {
    return oracle::runCommand({test::kCli, "load", object, "--pin-root",
                               pins.path(), "--bpffs", pins.path(), "--record",
                               tmp.path() + "/record.json", "--btf", btf});
  };
  oracle::Command ok = load("/sys/kernel/btf/vmlinux");
  EXPECT_EQ(ok.status, 0) << ok.output;
  oracle::Command bad = load(tmp.path() + "/missing.btf");
  EXPECT_EQ(bad.status, 1) << bad.output;
  EXPECT_NE(bad.output.find("missing.btf"), std::string::npos) << bad.output;
  EXPECT_NE(bad.output.find("CO-RE"), std::string::npos) << bad.output;
}

} // namespace
} // namespace bpfcompat
