// Our loader against the real kernel: every corpus object loads and reloads
// reusing its pins, iproute2 pin paths and wiring match the legacy loader,
// and incompatible pins are refused. A failure at every kernel call is in
// fault_injection_test.cpp.
#include "bpfcompat/loader.h"
#include "bpfcompat/names.h"
#include "bpfcompat/reader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

#include "kernel_support.h"
#include "test_support.h"

namespace bpfcompat {
namespace {

namespace fs = std::filesystem;
using ktest::idOf;

bool privileged() {
  if (geteuid() != 0)
    return false;
  struct statfs st;
  if (statfs("/sys/fs/bpf", &st) != 0 || st.f_type != 0xcafe4a11)
    mount("bpf", "/sys/fs/bpf", "bpf", 0, nullptr);
  return statfs("/sys/fs/bpf", &st) == 0 && st.f_type == 0xcafe4a11;
}

#define REQUIRE_PRIVILEGE()                                                    \
  if (!privileged()) {                                                         \
    GTEST_SKIP() << "needs root with BPF capability and bpffs";                \
  }                                                                            \
  static_assert(true)

// A scratch bpffs directory used as pin root and as iproute2/gobpf base.
class PinDir {
public:
  PinDir() {
    std::string tmpl = "/sys/fs/bpf/bpfcompat-load-XXXXXX";
    path_ = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~PinDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string &path() const { return path_; }
  std::set<std::string> listing() const {
    std::set<std::string> out;
    for (const auto &e : fs::recursive_directory_iterator(path_))
      out.insert(e.path().string());
    return out;
  }

private:
  std::string path_;
};

load::Options optionsIn(const PinDir &dir) {
  load::Options options;
  options.pinRoot = dir.path();
  options.bpffs = dir.path();
  options.iproute2PinningFile = dir.path() + "/no-such-pinning-file";
  // gobpf's PIN_CUSTOM_NS path came from Go code; the corpus uses 'custom'.
  options.gobpfCustomPaths["custom"] = "custom_pin";
  return options;
}

// Corpus objects that cannot load here, with the reason (the load fails as a
// whole, like libbpf's bpf_object__load).
const std::map<std::string, std::string> kCannotLoad = {
    {"libbpf/btf_maps_all.o", "BTF-defined maps need BTF (built without -g)"},
    {"libbpf/sections.o", "as btf_maps_all.o"},
    {"mixed/mixed_maps.o", "as btf_maps_all.o"},
    {"mixed/stride32_tail.o", "refused by its own loader (non-zero tail)"},
    {"mixed/stride32_tail.g.o", "as stride32_tail.o"},
    {"libbpf/externs.g.o", "ksym bpf_prog_active is missing from kallsyms"},
    {"libbpf/externs.o", "as externs.g.o"},
    {"libbpf/global_data.o", "bpf_loop callbacks need BTF func_info"},
    {"perf/perf_probes.o", "args_probe needs perf's argument prologue"},
    {"perf/perf_probes.g.o", "as perf_probes.o"},
};

class LoadCorpus : public ::testing::TestWithParam<std::string> {};

TEST_P(LoadCorpus, LoadsAndReloadsReusingPins) {
  REQUIRE_PRIVILEGE();
  const std::string &name = GetParam();
  auto object = readObject(test::kCorpusDir + "/" + name);
  bool refused = !object;
  if (object)
    for (const ir::Diagnostic &d : object->diagnostics)
      refused |= d.severity == ir::Severity::Error;
  if (refused) {
    if (!object)
      llvm::consumeError(object.takeError());
    EXPECT_TRUE(kCannotLoad.count(name)) << name << " no longer reads";
    return;
  }
  PinDir pins;
  std::set<uint32_t> kept = ktest::liveIds(BPF_MAP_GET_NEXT_ID);
  auto first = load::loadObject(*object, optionsIn(pins), kern::systemKernel());
  if (kCannotLoad.count(name)) {
    EXPECT_FALSE(first) << name << " loads now; drop its exception";
    if (!first)
      llvm::consumeError(first.takeError());
    EXPECT_TRUE(pins.listing().empty()) << "a failed load left pins";
    return;
  }
  ASSERT_TRUE(bool(first)) << llvm::toString(first.takeError());
  size_t pinned = 0;
  for (const load::LoadedMap &m : first->maps) {
    EXPECT_FALSE(m.reused);
    pinned += !m.pinPath.empty();
    if (!m.pinPath.empty()) {
      EXPECT_TRUE(fs::exists(m.pinPath)) << m.pinPath;
      kept.insert(idOf(m)); // pins keep these alive after the fds close
    }
  }
  EXPECT_FALSE(first->programs.empty());

  // A second load reuses every pinned map and creates nothing new.
  auto second =
      load::loadObject(*object, optionsIn(pins), kern::systemKernel());
  ASSERT_TRUE(bool(second)) << llvm::toString(second.takeError());
  size_t reused = 0;
  for (const load::LoadedMap &m : second->maps)
    reused += m.reused;
  EXPECT_EQ(reused, pinned);
  EXPECT_TRUE(second->createdPaths.empty());
  for (const load::LoadedMap &m : second->maps) {
    if (m.reused) {
      EXPECT_EQ(idOf(m), idOf(*first->map(m.name))) << m.name;
    }
  }

  // Closing both collections frees every map no pin holds.
  *first = load::Collection{};
  *second = load::Collection{};
  EXPECT_TRUE(ktest::settlesTo(BPF_MAP_GET_NEXT_ID, kept))
      << "maps outlive their fds without pins";
}

INSTANTIATE_TEST_SUITE_P(Corpus, LoadCorpus,
                         ::testing::ValuesIn(ktest::littleEndianCorpus()),
                         [](const ::testing::TestParamInfo<std::string> &i) {
                           std::string n = i.param;
                           for (char &c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c)))
                               c = '_';
                           return n;
                         });

// Reads a corpus object; a missing corpus fails the test (never skips it).
ir::Object readCorpus(const std::string &name) {
  auto object = readObject(test::kCorpusDir + "/" + name);
  if (!object) {
    ADD_FAILURE() << llvm::toString(object.takeError());
    return {};
  }
  return std::move(*object);
}

#define READ_CORPUS(var, name)                                                 \
  ir::Object var = readCorpus(name);                                           \
  if (var.programs.empty())                                                    \
    return;                                                                    \
  static_assert(true)

TEST(LoadIproute2, PinsWhereTheLegacyLoaderPins) {
  REQUIRE_PRIVILEGE();
  READ_CORPUS(object, "iproute2/tc_full.g.o");
  PinDir pins;
  load::Options options = optionsIn(pins);
  options.iproute2PinningFile =
      "/tmp/bpfcompat-pinning-" + std::to_string(getpid());
  {
    std::ofstream db(options.iproute2PinningFile);
    db << "# id subpath\n5 custom/cfg\n";
  }
  auto loaded = load::loadObject(object, options, kern::systemKernel());
  ::unlink(options.iproute2PinningFile.c_str());
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  const std::string &root = pins.path();
  EXPECT_EQ(loaded->map("acc_map")->pinPath, root + "/tc/globals/acc_map");
  EXPECT_EQ(loaded->map("obj_flows")->pinPath,
            root + "/tc/" + object.sha1 + "/obj_flows");
  EXPECT_EQ(loaded->map("custom_cfg")->pinPath,
            root + "/custom/cfg/custom_cfg");
  EXPECT_EQ(loaded->map("priv_scratch")->pinPath, "");
  for (const char *path : {"/tc/globals/acc_map", "/custom/cfg/custom_cfg"})
    EXPECT_TRUE(fs::exists(root + path)) << path;
}

TEST(LoadIproute2, TailCallsAndMapInMapAreWired) {
  REQUIRE_PRIVILEGE();
  READ_CORPUS(object, "iproute2/tc_full.g.o");
  PinDir pins;
  auto loaded = load::loadObject(object, optionsIn(pins), kern::systemKernel());
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  kern::Kernel &k = kern::systemKernel();
  // Looking up a prog array from user space yields the program's id.
  const load::LoadedMap *jmp = loaded->map("jmp_tc");
  ASSERT_NE(jmp, nullptr);
  for (auto [key, program] :
       {std::pair<uint32_t, const char *>{0, "cls_tail_tcp"},
        {1, "cls_tail_udp"},
        {2, "cls_tail_icmp"}}) {
    uint32_t id = 0;
    ASSERT_FALSE(bool(kern::mapLookup(k, jmp->fd.get(), &key, &id)));
    EXPECT_EQ(id, idOf(*loaded->program(program))) << "key " << key;
  }
  // inner_ports (id 7, inner_idx 1) sits at key 1 of the outer map; the other
  // id-7 map (inner_idx 0xFFFFFFFF) is not inserted.
  const load::LoadedMap *outer = loaded->map("outer_ports");
  uint32_t key = 1, id = 0;
  ASSERT_FALSE(bool(kern::mapLookup(k, outer->fd.get(), &key, &id)));
  EXPECT_EQ(id, idOf(*loaded->map("inner_ports")));
  key = 0;
  llvm::Error absent = kern::mapLookup(k, outer->fd.get(), &key, &id);
  EXPECT_TRUE(bool(absent)) << "slot 0 must stay empty";
  llvm::consumeError(std::move(absent));
}

TEST(LoadPins, IncompatiblePinIsRefusedWithNothingChanged) {
  REQUIRE_PRIVILEGE();
  READ_CORPUS(object, "iproute2/tc_full.g.o");
  PinDir pins;
  {
    auto loaded =
        load::loadObject(object, optionsIn(pins), kern::systemKernel());
    ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  }
  std::set<std::string> before = pins.listing();
  std::set<uint32_t> progsBefore = ktest::liveIds(BPF_PROG_GET_NEXT_ID);
  ir::Object changed = object;
  changed.findMap("acc_map")->shape.maxEntries += 1;
  auto refused =
      load::loadObject(changed, optionsIn(pins), kern::systemKernel());
  ASSERT_FALSE(bool(refused));
  std::string message = llvm::toString(refused.takeError());
  EXPECT_NE(message.find("incompatible: max_entries 2 pinned vs 3"),
            std::string::npos)
      << message;
  EXPECT_EQ(pins.listing(), before);
  EXPECT_TRUE(ktest::settlesTo(BPF_PROG_GET_NEXT_ID, progsBefore));
}

TEST(LoadPins, MissingBpffsSaysHowToMountIt) {
  REQUIRE_PRIVILEGE();
  READ_CORPUS(object, "iproute2/tc_full.g.o");
  char dir[] = "/tmp/bpfcompat-no-bpffs-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  load::Options options;
  options.bpffs = options.pinRoot = dir;
  auto loaded = load::loadObject(object, options, kern::systemKernel());
  ASSERT_FALSE(bool(loaded));
  std::string message = llvm::toString(loaded.takeError());
  EXPECT_NE(message.find("is not on a bpf filesystem (bpffs); mount one with: "
                         "mount -t bpf bpf /sys/fs/bpf"),
            std::string::npos)
      << message;
  EXPECT_TRUE(fs::is_empty(dir)) << "nothing may be created on a non-bpffs";
  fs::remove_all(dir);
}

} // namespace
} // namespace bpfcompat
