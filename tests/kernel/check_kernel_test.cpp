// `check --kernel`: both load stages against the running kernel. What check
// says of a load must be what our loader says when called directly; every
// loaded program carries the verifier's figures; nothing is left in bpffs,
// even when a time limit stops a worker in the middle of a load.
#include "bpfcompat/check.h"
#include "bpfcompat/reader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "kernel_support.h"

namespace bpfcompat {
namespace {

namespace fs = std::filesystem;
using check::Stage;
using check::Status;

std::vector<std::string> scratchLeftovers(const std::string &root) {
  std::vector<std::string> out;
  for (const auto &e : fs::directory_iterator(root))
    if (e.path().filename().string().rfind("bpfcompat-check-", 0) == 0)
      out.push_back(e.path().string());
  return out;
}

TEST(CheckKernel, LoadStagesAgreeWithOurLoaderAndCarryVerifierFigures) {
  KTEST_REQUIRE_PRIVILEGE();
  oracle::BpffsDir root;
  std::vector<std::string> paths;
  for (const std::string &name : ktest::littleEndianCorpus())
    paths.push_back(test::kCorpusDir + "/" + name);
  ASSERT_GT(paths.size(), 20u);

  check::Options options;
  options.kernel = true;
  options.jobs = 2;
  options.bpffsRoot = root.path();
  check::Inputs inputs = check::collectInputs(paths, options);
  auto report = check::runCheck(inputs, options);
  ASSERT_TRUE(bool(report)) << llvm::toString(report.takeError());
  EXPECT_TRUE(scratchLeftovers(root.path()).empty());

  size_t loadedBoth = 0;
  for (const check::ObjectResult &o : report->objects) {
    SCOPED_TRACE(o.paths.front());
    const check::StageResult *original = o.stage(Stage::LoadOriginal);
    ASSERT_NE(original, nullptr);
    if (o.stage(Stage::Read)->status != Status::Pass) {
      EXPECT_EQ(original->status, Status::Skip);
      continue;
    }
    // The same object through our loader directly.
    auto object = readObject(o.paths.front());
    ASSERT_TRUE(bool(object)) << llvm::toString(object.takeError());
    oracle::BpffsDir dir;
    ktest::OurLoad direct = ktest::loadOurs(*object, dir.path());
    EXPECT_EQ(original->status == Status::Pass, direct.collection.has_value())
        << "check: " << original->error << "\nloader: " << direct.error;
    if (original->status != Status::Pass || !direct.collection)
      continue;
    // Every program it loaded has the verifier's figures.
    for (const load::LoadedProgram &p : direct.collection->programs) {
      auto figures = std::find_if(o.verifier.begin(), o.verifier.end(),
                                  [&](const check::VerifierFigures &f) {
                                    return f.stage == Stage::LoadOriginal &&
                                           f.program == p.name;
                                  });
      ASSERT_NE(figures, o.verifier.end()) << p.name;
      EXPECT_TRUE(figures->loaded);
      EXPECT_GT(figures->insnsProcessed, 0u) << p.name;
    }
    if (o.stage(Stage::LoadConverted)->status == Status::Pass) {
      ++loadedBoth;
      for (const check::VerifierFigures &f : o.verifier) {
        if (f.stage == Stage::LoadConverted) {
          EXPECT_GT(f.insnsProcessed, 0u) << f.program;
        }
      }
    }
  }
  EXPECT_GT(loadedBoth, 20u) << check::renderText(*report);
}

TEST(CheckKernel, ATimeLimitInTheMiddleOfALoadLeavesNoPins) {
  KTEST_REQUIRE_PRIVILEGE();
  oracle::BpffsDir root;
  // The largest libxdp object takes the verifier a good part of a second.
  std::string slow = test::kLibxdpObjects + "/xdpfilt_alw_all.o";
  ASSERT_TRUE(fs::exists(slow)) << "libxdp1 is installed by scripts/setup.sh";
  check::Options options;
  options.kernel = true;
  options.jobs = 1;
  options.bpffsRoot = root.path();
  // The limit falls in the middle of loading the original, wherever that is
  // on this machine and build: measured by a run without a limit (a fixed
  // limit passed once our stages got faster than it).
  options.timeLimitSeconds = 0;
  auto calibration =
      check::runCheck(check::collectInputs({slow}, options), options);
  ASSERT_TRUE(bool(calibration)) << llvm::toString(calibration.takeError());
  ASSERT_EQ(calibration->objects.size(), 1u);
  double beforeLoad = 0, load = 0;
  for (const check::StageResult &s : calibration->objects[0].stages) {
    if (s.stage == Stage::LoadOriginal)
      load = s.seconds;
    else if (s.stage != Stage::LoadConverted)
      beforeLoad += s.seconds;
  }
  ASSERT_GT(load, 0) << check::renderText(*calibration);
  options.timeLimitSeconds = beforeLoad + load / 2;
  check::Inputs inputs = check::collectInputs(
      {slow, test::kCorpusDir + "/iproute2/tc_full.g.o"}, options);
  auto report = check::runCheck(inputs, options);
  ASSERT_TRUE(bool(report)) << llvm::toString(report.takeError());
  ASSERT_EQ(report->objects.size(), 2u);
  const check::ObjectResult &stopped = report->objects[0];
  const check::StageResult *failure = nullptr;
  for (const check::StageResult &s : stopped.stages)
    if (s.status == Status::Fail)
      failure = &s;
  ASSERT_NE(failure, nullptr) << check::renderText(*report);
  EXPECT_NE(failure->error.find("time limit"), std::string::npos)
      << failure->error;
  // The next object ran in a fresh worker, with its pins in the scratch
  // directory and gone afterwards, as are the stopped worker's.
  EXPECT_EQ(report->objects[1].stage(Stage::LoadOriginal)->status,
            Status::Pass);
  EXPECT_TRUE(scratchLeftovers(root.path()).empty());
}

} // namespace
} // namespace bpfcompat
