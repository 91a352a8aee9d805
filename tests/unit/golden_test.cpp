// Golden IR: every corpus object's full IR (YAML) must equal the reviewed
// copy in corpus/<convention>/<object>.yaml. Regenerate with
// scripts/update-goldens.sh after an intended change, and review the diff.
#include "bpfcompat/reader.h"
#include "bpfcompat/render.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "test_support.h"

namespace bpfcompat {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> corpusObjects() {
  std::vector<fs::path> out;
  if (!fs::exists(test::kCorpusDir))
    return out;
  for (const auto &entry : fs::recursive_directory_iterator(test::kCorpusDir))
    if (entry.is_regular_file() && entry.path().extension() == ".o")
      out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

class GoldenIr : public ::testing::TestWithParam<fs::path> {};

TEST_P(GoldenIr, MatchesReviewedYaml) {
  const fs::path &object = GetParam();
  fs::path relative = fs::relative(object, test::kCorpusDir);
  // The checkout location must not leak into the golden copy.
  std::string shownPath = (fs::path("corpus") / relative).string();
  auto ir = readObject(object.string());
  std::string actual;
  if (ir) {
    ir->path = shownPath;
    actual = doc::toYaml(toDocument(*ir)) + "\n";
  } else {
    // Objects their convention cannot read (e.g. BTF maps built without -g)
    // pin the exact error instead.
    std::string message = llvm::toString(ir.takeError());
    for (size_t at; (at = message.find(object.string())) != std::string::npos;)
      message.replace(at, object.string().size(), shownPath);
    actual = "error: " + message + "\n";
  }

  fs::path golden = fs::path(test::kSourceDir) / "corpus" /
                    relative.parent_path() /
                    (relative.stem().string() + ".yaml");
  if (std::getenv("BPFCOMPAT_UPDATE_GOLDENS")) {
    std::ofstream(golden, std::ios::binary) << actual;
    GTEST_SKIP() << "rewrote " << golden;
  }
  ASSERT_TRUE(fs::exists(golden))
      << "no golden IR for " << relative
      << "; run scripts/update-goldens.sh and review the new file";
  std::ifstream in(golden, std::ios::binary);
  std::string expected((std::istreambuf_iterator<char>(in)),
                       std::istreambuf_iterator<char>());
  EXPECT_EQ(expected, actual) << "IR of " << relative << " changed";
}

std::string testName(const ::testing::TestParamInfo<fs::path> &info) {
  std::string name = fs::relative(info.param, test::kCorpusDir).string();
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, GoldenIr, ::testing::ValuesIn(corpusObjects()),
                         testName);

TEST(GoldenIrCorpus, CorpusIsBuilt) {
  // Guards against a silently empty parameter list.
  EXPECT_GE(corpusObjects().size(), 30u)
      << "corpus not built in " << test::kCorpusDir;
}

// Without hashFile the IR differs only in its sha1, which stays empty unless
// a map is pinned in iproute2's object namespace: that directory is the hash.
TEST(ReadWithoutFileHash, HashesOnlyObjectsPinningByHash) {
  ReadOptions noHash;
  noHash.hashFile = false;
  for (const char *name : {"libbpf/global_data.g.o", "iproute2/tc_full.g.o"}) {
    SCOPED_TRACE(name);
    std::string path = test::kCorpusDir + "/" + name;
    auto full = readObject(path);
    auto lean = readObject(path, noHash);
    ASSERT_TRUE(bool(full)) << llvm::toString(full.takeError());
    ASSERT_TRUE(bool(lean)) << llvm::toString(lean.takeError());
    bool pinsByHash =
        std::any_of(full->maps.begin(), full->maps.end(), [](const auto &m) {
          return m.pinning.kind == ir::PinKind::Iproute2Object;
        });
    EXPECT_EQ(pinsByHash, llvm::StringRef(name).startswith("iproute2"));
    EXPECT_EQ(full->sha1.size(), 40u);
    EXPECT_EQ(lean->sha1, pinsByHash ? full->sha1 : "");
    lean->sha1 = full->sha1;
    EXPECT_EQ(doc::toYaml(toDocument(*lean)), doc::toYaml(toDocument(*full)));
  }
}

} // namespace
} // namespace bpfcompat
