// Two loaders racing on the same pins. Real `bpfcompat load` processes are
// started together on the same private pin root, many times: each must
// succeed or fail cleanly (exit 1 with a message, never a signal), at least
// one must succeed, and the pins left must be exactly those of one load and
// reusable by a further load. The window between "no pin yet" and
// BPF_OBJ_PIN is narrow, so a second test forces it deterministically: a
// kernel wrapper lets a complete competing load pin first, right before our
// own first BPF_OBJ_PIN.
#include "bpfcompat/loader.h"
#include "bpfcompat/reader.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <spawn.h>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel_support.h"

extern char **environ;

namespace bpfcompat {
namespace {

namespace fs = std::filesystem;

// Objects with pinned maps, one per pinning convention.
const char *const kPinningObjects[] = {
    "iproute2/tc_full.g.o",    // PIN_GLOBAL_NS / PIN_OBJECT_NS, prog arrays
    "libbpf/btf_maps_all.g.o", // LIBBPF_PIN_BY_NAME
    "gobpf/gobpf_full.g.o",    // gobpf PIN_GLOBAL_NS / PIN_CUSTOM_NS
};

std::set<std::string> relativeListing(const std::string &dir) {
  std::set<std::string> out;
  for (const auto &e : fs::recursive_directory_iterator(dir))
    out.insert(fs::relative(e.path(), dir).string());
  return out;
}

std::string slurp(const std::string &path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `bpfcompat load` with every pin under `pins`, output to `log`; started, not
// waited for.
pid_t startLoad(const std::string &object, const std::string &pins,
                const std::string &record, const std::string &log) {
  std::vector<std::string> argv = {test::kCli,
                                   "load",
                                   object,
                                   "--pin-root",
                                   pins,
                                   "--bpffs",
                                   pins,
                                   "--iproute2-pinning",
                                   pins + "/no-such-pinning-file",
                                   "--gobpf-pin",
                                   "custom=custom_pin",
                                   "--record",
                                   record};
  std::vector<char *> args;
  for (std::string &a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

TEST(Concurrency, TwoLoadsRacingOnTheSamePins) {
  KTEST_REQUIRE_PRIVILEGE();
  constexpr int kRounds = 8;
  oracle::TempDir logs;
  for (const char *name : kPinningObjects) {
    SCOPED_TRACE(name);
    std::string object = test::kCorpusDir + "/" + name;
    auto ir = readObject(object);
    ASSERT_TRUE(bool(ir)) << llvm::toString(ir.takeError());
    // The pins one load alone leaves.
    std::set<std::string> expected;
    {
      oracle::BpffsDir alone;
      auto loaded = load::loadObject(*ir, ktest::optionsIn(alone.path()),
                                     kern::systemKernel());
      ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
      expected = relativeListing(alone.path());
      ASSERT_FALSE(expected.empty());
    }
    int bothSucceeded = 0;
    for (int round = 0; round < kRounds; ++round) {
      oracle::BpffsDir pins;
      std::string base = logs.path() + "/" + std::to_string(round);
      pid_t a = startLoad(object, pins.path(), base + ".a.json", base + ".a");
      pid_t b = startLoad(object, pins.path(), base + ".b.json", base + ".b");
      ASSERT_GT(a, 0);
      ASSERT_GT(b, 0);
      int succeeded = 0;
      for (auto [pid, log] : std::vector<std::pair<pid_t, std::string>>{
               {a, base + ".a"}, {b, base + ".b"}}) {
        int status = 0;
        ASSERT_EQ(waitpid(pid, &status, 0), pid);
        ASSERT_TRUE(WIFEXITED(status)) << "killed by a signal: " << slurp(log);
        int code = WEXITSTATUS(status);
        EXPECT_TRUE(code == 0 || code == 1) << slurp(log);
        if (code == 1) {
          EXPECT_NE(slurp(log).find("bpfcompat: error: "), std::string::npos)
              << slurp(log);
        }
        succeeded += code == 0;
      }
      EXPECT_GE(succeeded, 1) << "neither racing load succeeded";
      bothSucceeded += succeeded == 2;
      EXPECT_EQ(relativeListing(pins.path()), expected) << "round " << round;
      // The pins are whole: a further load reuses every one of them.
      auto again = load::loadObject(*ir, ktest::optionsIn(pins.path()),
                                    kern::systemKernel());
      ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError());
      for (const load::LoadedMap &m : again->maps)
        EXPECT_EQ(m.reused, !m.pinPath.empty()) << m.name;
      EXPECT_TRUE(again->createdPaths.empty());
    }
    // With the loader reusing a pin that appears under it, both always do.
    EXPECT_EQ(bothSucceeded, kRounds);
  }
}

// Forwards to the running kernel, but right before the first BPF_OBJ_PIN
// runs a whole competing load of the same object into the same pins.
class CompetingKernel : public kern::Kernel {
public:
  CompetingKernel(const ir::Object &object, const load::Options &options)
      : object_(object), options_(options) {}
  long bpf(int cmd, bpf_attr &attr) override {
    if (cmd == BPF_OBJ_PIN && !competed_) {
      competed_ = true;
      auto other = load::loadObject(object_, options_, kern::systemKernel());
      competitorOk_ = bool(other);
      if (!other)
        llvm::consumeError(other.takeError());
    }
    return kern::systemKernel().bpf(cmd, attr);
  }
  int mkdir(const std::string &p, unsigned mode) override {
    return kern::systemKernel().mkdir(p, mode);
  }
  int unlink(const std::string &p) override {
    return kern::systemKernel().unlink(p);
  }
  int rmdir(const std::string &p) override {
    return kern::systemKernel().rmdir(p);
  }
  bool competed() const { return competed_ && competitorOk_; }

private:
  const ir::Object &object_;
  const load::Options &options_;
  bool competed_ = false, competitorOk_ = false;
};

TEST(Concurrency, PinAppearingBeforeOursIsReused) {
  KTEST_REQUIRE_PRIVILEGE();
  for (const char *name : kPinningObjects) {
    SCOPED_TRACE(name);
    auto object = readObject(test::kCorpusDir + "/" + name);
    ASSERT_TRUE(bool(object)) << llvm::toString(object.takeError());
    oracle::BpffsDir pins;
    load::Options options = ktest::optionsIn(pins.path());
    CompetingKernel racing(*object, options);
    auto loaded = load::loadObject(*object, options, racing);
    ASSERT_TRUE(racing.competed());
    ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
    // The first map we meant to pin was pinned by the competitor: ours was
    // dropped and theirs reused.
    size_t reused = 0;
    for (const load::LoadedMap &m : loaded->maps)
      reused += m.reused;
    EXPECT_GE(reused, 1u);
    auto again = load::loadObject(*object, options, kern::systemKernel());
    ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError());
    EXPECT_TRUE(again->createdPaths.empty());
  }
}

} // namespace
} // namespace bpfcompat
