// Fault injection across every kernel call of every corpus object: each
// bpf(2), mkdir, unlink and rmdir of a load is made to fail in turn (ENOMEM),
// once into an empty pin root and once over the pins of an earlier load.
// After each failed load: no fd of ours is left open (/proc/self/fd), the
// pin root lists exactly what it listed before, every pinned map holds what
// it held before (prog arrays are not left half-wired with programs of the
// failed load), and no map or program outlives it.
#include "bpfcompat/loader.h"
#include "bpfcompat/reader.h"

#include <gtest/gtest.h>
#include <llvm/ADT/StringExtras.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

#include "kernel_support.h"

namespace bpfcompat {
namespace {

namespace fs = std::filesystem;

size_t openFds() {
  size_t n = 0;
  for ([[maybe_unused]] const auto &e : fs::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

std::set<std::string> listing(const std::string &dir) {
  std::set<std::string> out;
  for (const auto &e : fs::recursive_directory_iterator(dir))
    out.insert(e.path().string());
  return out;
}

// What every pinned map under `dir` holds (or why it cannot be dumped).
std::map<std::string, std::string> pinnedContents(const std::string &dir) {
  std::map<std::string, std::string> out;
  kern::Kernel &k = kern::systemKernel();
  for (const std::string &path : listing(dir)) {
    if (fs::is_directory(path))
      continue;
    auto fd = kern::objGet(k, path);
    if (!fd) {
      out[path] = "objGet: " + llvm::toString(fd.takeError());
      continue;
    }
    auto info = kern::mapInfo(k, fd->get());
    if (!info) { // a pinned program
      llvm::consumeError(info.takeError());
      out[path] = "not a map";
      continue;
    }
    auto contents = ktest::dumpMap(k, fd->get());
    if (!contents) {
      out[path] = "dump: " + llvm::toString(contents.takeError());
      continue;
    }
    std::string text;
    for (const auto &[key, value] : *contents)
      text += llvm::toHex(llvm::ArrayRef<uint8_t>(key)) + "=" +
              llvm::toHex(llvm::ArrayRef<uint8_t>(value)) + ";";
    out[path] = text;
  }
  return out;
}

struct Snapshot {
  size_t fds;
  std::set<std::string> pins;
  std::map<std::string, std::string> contents;
};

Snapshot snapshot(const std::string &dir) {
  return {openFds(), listing(dir), pinnedContents(dir)};
}

// Fails every kernel call of loading `object` into `dir` in turn and checks
// that each failure leaves `dir` and our fds as they were. Returns the number
// of injected failures.
unsigned failEveryCall(const ir::Object &object, const std::string &dir) {
  load::Options options = ktest::optionsIn(dir);
  unsigned total;
  {
    kern::FaultInjectingKernel counting(kern::systemKernel(), 0, 0);
    auto ok = load::loadObject(object, options, counting);
    total = counting.calls();
    if (ok) {
      // Undo what the counting run pinned so each run starts equal.
      ok->maps.clear();
      for (auto it = ok->createdPaths.rbegin(); it != ok->createdPaths.rend();
           ++it)
        fs::remove(*it);
    } else {
      llvm::consumeError(ok.takeError());
    }
  }
  Snapshot before = snapshot(dir);
  for (unsigned n = 1; n <= total; ++n) {
    kern::FaultInjectingKernel failing(kern::systemKernel(), n, ENOMEM);
    auto result = load::loadObject(object, options, failing);
    if (result) {
      // The failed call was optional (BTF, which the load may go without).
      EXPECT_TRUE(failing.injected()) << "call " << n;
      std::vector<std::string> created = result->createdPaths;
      *result = load::Collection{};
      for (auto it = created.rbegin(); it != created.rend(); ++it)
        fs::remove(*it);
    } else {
      std::string message = llvm::toString(result.takeError());
      EXPECT_TRUE(failing.injected()) << message;
      EXPECT_NE(message.find(object.path), std::string::npos) << message;
    }
    Snapshot after = snapshot(dir);
    EXPECT_EQ(after.fds, before.fds) << "call " << n << " leaked fds";
    EXPECT_EQ(after.pins, before.pins) << "call " << n << " left stray pins";
    EXPECT_EQ(after.contents, before.contents)
        << "call " << n << " changed pinned maps (half-wired prog array?)";
    if (::testing::Test::HasFailure())
      break; // one failing call point says enough
  }
  return total;
}

bool loadsHere(const ir::Object &object, const std::string &dir) {
  auto ok =
      load::loadObject(object, ktest::optionsIn(dir), kern::systemKernel());
  if (!ok) {
    llvm::consumeError(ok.takeError());
    return false;
  }
  return true;
}

class FaultInjection : public ::testing::TestWithParam<std::string> {};

TEST_P(FaultInjection, EveryKernelCallFailsCleanly) {
  KTEST_REQUIRE_PRIVILEGE();
  auto object = readObject(test::kCorpusDir + "/" + GetParam());
  ASSERT_TRUE(bool(object)) << llvm::toString(object.takeError());
  std::set<uint32_t> maps = ktest::liveIds(BPF_MAP_GET_NEXT_ID);
  std::set<uint32_t> progs = ktest::liveIds(BPF_PROG_GET_NEXT_ID);
  oracle::BpffsDir dir;
  unsigned fresh = failEveryCall(*object, dir.path());
  // Again over the pins (and wired prog arrays) of a successful load.
  unsigned reused = 0;
  if (!::testing::Test::HasFailure() && loadsHere(*object, dir.path()))
    reused = failEveryCall(*object, dir.path());
  RecordProperty("calls_fresh", int(fresh));
  RecordProperty("calls_over_pins", int(reused));
  // Clear the pins, then nothing of ours may stay alive.
  for (const auto &e : fs::directory_iterator(dir.path()))
    fs::remove_all(e.path());
  EXPECT_TRUE(ktest::settlesTo(BPF_MAP_GET_NEXT_ID, maps))
      << "maps outlive the loads";
  EXPECT_TRUE(ktest::settlesTo(BPF_PROG_GET_NEXT_ID, progs))
      << "programs outlive the loads";
}

// Every corpus object our reader reads (BTF-defined maps without BTF do not,
// so they never reach the kernel).
std::vector<std::string> readableCorpus() {
  std::vector<std::string> out;
  for (const std::string &name : ktest::littleEndianCorpus()) {
    auto object = readObject(test::kCorpusDir + "/" + name);
    if (object)
      out.push_back(name);
    else
      llvm::consumeError(object.takeError());
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Corpus, FaultInjection,
                         ::testing::ValuesIn(readableCorpus()),
                         [](const ::testing::TestParamInfo<std::string> &i) {
                           std::string n = i.param;
                           for (char &c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c)))
                               c = '_';
                           return n;
                         });

} // namespace
} // namespace bpfcompat
