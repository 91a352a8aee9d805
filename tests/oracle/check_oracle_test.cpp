// `bpfcompat check` judged by real consumers and run on real systems: its
// JUnit report read by junitparser (python3-junitparser, what CI tooling
// uses), and --scan-embedded over this machine's /usr/sbin, /usr/bin and
// /usr/lib, where xdp-tools' programs carry BPF skeletons.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "oracle_support.h"
#include "test_support.h"

namespace bpfcompat {
namespace {

namespace fs = std::filesystem;

std::string readText(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Counts what a JUnit consumer sees: suites, cases, failures, skips.
constexpr const char *kJunitReader = R"(
import sys
from junitparser import JUnitXml, Failure, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
suites = cases = failures = skipped = 0
for suite in xml:
    suites += 1
    for case in suite:
        cases += 1
        failures += any(isinstance(r, Failure) for r in case.result)
        skipped += any(isinstance(r, Skipped) for r in case.result)
print(f"suites={suites} cases={cases} failures={failures} skipped={skipped}")
)";

TEST(CheckOracle, JunitReportIsReadByARealConsumer) {
  oracle::TempDir dir;
  std::vector<std::string> inputs = {test::kCorpusDir, test::kCiliumTestdata,
                                     test::kLibxdpObjects};
  std::vector<std::string> junit = {test::kCli,
                                    "check",
                                    "--quiet",
                                    "--format",
                                    "junit",
                                    "-o",
                                    dir.path() + "/report.xml"};
  std::vector<std::string> json = {test::kCli,
                                   "check",
                                   "--quiet",
                                   "--format",
                                   "json",
                                   "-o",
                                   dir.path() + "/report.json"};
  junit.insert(junit.end(), inputs.begin(), inputs.end());
  json.insert(json.end(), inputs.begin(), inputs.end());
  // Some of these objects are invalid on purpose: exit 1 says so.
  EXPECT_EQ(oracle::runCommand(junit).status, 1);
  EXPECT_EQ(oracle::runCommand(json).status, 1);

  fs::path script = fs::path(dir.path()) / "read_junit.py";
  std::ofstream(script) << kJunitReader;
  oracle::Command read = oracle::runCommand(
      {"/usr/bin/python3", script.string(), dir.path() + "/report.xml"});
  ASSERT_EQ(read.status, 0) << read.output;

  YAML::Node report = YAML::Load(readText(dir.path() + "/report.json"));
  size_t objects = report["objects"].size(), failures = 0, skipped = 0;
  for (const YAML::Node &o : report["objects"])
    for (const YAML::Node &s : o["stages"]) {
      failures += s["status"].as<std::string>() == "fail";
      skipped += s["status"].as<std::string>() == "skip";
    }
  ASSERT_GT(objects, 60u);
  EXPECT_EQ(read.output, "suites=" + std::to_string(objects) +
                             " cases=" + std::to_string(objects * 6) +
                             " failures=" + std::to_string(failures) +
                             " skipped=" + std::to_string(skipped) + "\n");
}

TEST(CheckOracle, ScanEmbeddedFindsSkeletonsInThisMachinesBinaries) {
  oracle::TempDir dir;
  oracle::Command run = oracle::runCommand(
      {test::kCli, "check", "--scan-embedded", "--quiet", "--format", "json",
       "-o", dir.path() + "/report.json", "/usr/sbin", "/usr/bin", "/usr/lib"});
  ASSERT_EQ(run.status, 0) << run.output;
  YAML::Node report = YAML::Load(readText(dir.path() + "/report.json"));
  size_t embedded = 0;
  bool dispatcherMatched = false;
  for (const YAML::Node &o : report["objects"]) {
    std::vector<std::string> paths = o["paths"].as<std::vector<std::string>>();
    bool inBinary = false, asFile = false;
    for (const std::string &p : paths) {
      inBinary |= p.find("/usr/sbin/xdp-loader@0x") == 0;
      asFile |= p == test::kLibxdpObjects + "/xdp-dispatcher.o";
      embedded += p.find('@') != std::string::npos;
    }
    // xdp-loader embeds the same dispatcher libxdp1 ships as a file: equal
    // content proves the image's true length was found.
    dispatcherMatched |= inBinary && asFile;
    EXPECT_FALSE(o["failed"].as<bool>()) << paths.front();
  }
  // xdp-tools (installed by scripts/setup.sh) embeds skeletons in each of
  // its six programs.
  EXPECT_GE(embedded, 20u);
  EXPECT_TRUE(dispatcherMatched);
}

} // namespace
} // namespace bpfcompat
