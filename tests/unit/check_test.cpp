// `check` as a library, without the kernel stages: finding inputs (also
// embedded ones), de-duplication, the worker pool and its per-object limits,
// report renderings and the baseline comparison.
#include "bpfcompat/check.h"
#include "bpfcompat/reader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <unistd.h>

#include "test_support.h"

namespace bpfcompat {
namespace {

namespace fs = std::filesystem;
using check::Stage;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
constexpr bool kAddressSanitizer = __has_feature(address_sanitizer);
#else
constexpr bool kAddressSanitizer = false;
#endif
using check::Status;

std::string corpus(const std::string &relative) {
  return test::kCorpusDir + "/" + relative;
}

void writeBytes(const fs::path &path, const std::vector<uint8_t> &bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
}

class CheckTest : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern =
        (fs::temp_directory_path() / "bpfcompat-check-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

check::Report runOn(const std::vector<std::string> &paths,
                    const check::Options &options) {
  check::Inputs inputs = check::collectInputs(paths, options);
  auto report = check::runCheck(inputs, options);
  EXPECT_TRUE(bool(report)) << llvm::toString(report.takeError());
  return report ? std::move(*report) : check::Report();
}

const check::ObjectResult *find(const check::Report &report,
                                llvm::StringRef path) {
  for (const check::ObjectResult &o : report.objects)
    for (const std::string &p : o.paths)
      if (llvm::StringRef(p).endswith(path))
        return &o;
  return nullptr;
}

// ---- embedded images

TEST_F(CheckTest, FindsEmbeddedImagesWithTheirTrueLength) {
  std::vector<uint8_t> a = test::readBytes(corpus("libbpf/btf_maps_all.g.o"));
  std::vector<uint8_t> b = test::readBytes(corpus("iproute2/tc_full.o"));
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  // A host executable with two BPF objects inside, separated by data that
  // looks like ELF headers but is not a whole BPF image.
  std::vector<uint8_t> carrier = test::readBytes("/bin/true");
  ASSERT_FALSE(carrier.empty());
  size_t offsetA = carrier.size() + 3; // unaligned on purpose
  carrier.insert(carrier.end(), 3, 0x7f);
  carrier.insert(carrier.end(), a.begin(), a.end());
  std::vector<uint8_t> fakeHeader(a.begin(), a.begin() + 64);
  carrier.insert(carrier.end(), fakeHeader.begin(), fakeHeader.end());
  size_t offsetB = carrier.size() + 16;
  carrier.insert(carrier.end(), 16, 0);
  carrier.insert(carrier.end(), b.begin(), b.end());
  // A truncated image at the end: its sections run past the buffer.
  carrier.insert(carrier.end(), a.begin(), a.begin() + a.size() / 2);

  auto images = check::findEmbeddedImages(carrier);
  ASSERT_EQ(images.size(), 2u);
  EXPECT_EQ(images[0].offset, offsetA);
  EXPECT_EQ(images[0].size, a.size());
  EXPECT_EQ(images[1].offset, offsetB);
  EXPECT_EQ(images[1].size, b.size());
}

TEST_F(CheckTest, NoImagesInPlainExecutablesOrGarbage) {
  EXPECT_TRUE(check::findEmbeddedImages(test::readBytes("/bin/true")).empty());
  std::vector<uint8_t> magic(4096, 0);
  for (size_t i = 0; i + 4 <= magic.size(); i += 64) {
    magic[i] = 0x7f, magic[i + 1] = 'E', magic[i + 2] = 'L', magic[i + 3] = 'F';
  }
  EXPECT_TRUE(check::findEmbeddedImages(magic).empty());
  EXPECT_TRUE(check::findEmbeddedImages({}).empty());
}

// ---- inputs

TEST_F(CheckTest, CollectsDirectoriesRecursivelyAndReportsMissingPaths) {
  fs::copy_file(corpus("libbpf/btf_maps_all.g.o"), dir_ / "a.o");
  fs::create_directories(dir_ / "sub" / "deeper");
  fs::copy_file(corpus("iproute2/tc_full.o"), dir_ / "sub" / "deeper" / "b.o");
  writeBytes(dir_ / "sub" / "notes.txt", {'h', 'i'});
  fs::copy_file("/bin/true", dir_ / "sub" / "true");
  fs::create_symlink(dir_ / "a.o", dir_ / "sub" / "link.o");

  check::Options options;
  check::Inputs inputs = check::collectInputs(
      {dir_.string(), (dir_ / "missing.o").string()}, options);
  ASSERT_EQ(inputs.objects.size(), 2u); // symlinks are not followed
  EXPECT_EQ(inputs.objects[0].path, (dir_ / "a.o").string());
  EXPECT_EQ(inputs.objects[1].path, (dir_ / "sub/deeper/b.o").string());
  ASSERT_EQ(inputs.errors.size(), 1u);
  EXPECT_NE(inputs.errors[0].find("missing.o: cannot open"), std::string::npos)
      << inputs.errors[0];
}

TEST_F(CheckTest, AFileGivenByNameIsCheckedEvenWhenItIsNoBpfObject) {
  check::Options options;
  options.jobs = 1;
  check::Report report = runOn({"/bin/true"}, options);
  ASSERT_EQ(report.objects.size(), 1u);
  const check::StageResult *detect = report.objects[0].stage(Stage::Detect);
  ASSERT_NE(detect, nullptr);
  EXPECT_EQ(detect->status, Status::Fail);
  EXPECT_NE(detect->error.find("/bin/true: not a relocatable object (e_type 3"),
            std::string::npos)
      << detect->error;
  EXPECT_EQ(report.objects[0].stage(Stage::Read)->status, Status::Skip);
}

TEST_F(CheckTest, ScanEmbeddedChecksImagesInsideOtherFiles) {
  std::vector<uint8_t> carrier = test::readBytes("/bin/true");
  std::vector<uint8_t> object = test::readBytes(corpus("iproute2/tc_full.o"));
  size_t offset = carrier.size();
  carrier.insert(carrier.end(), object.begin(), object.end());
  writeBytes(dir_ / "tool", carrier);

  check::Options options;
  options.scanEmbedded = true;
  options.jobs = 1;
  check::Report report = runOn({(dir_ / "tool").string()}, options);
  ASSERT_EQ(report.objects.size(), 1u);
  const check::ObjectResult &o = report.objects[0];
  EXPECT_EQ(o.paths[0], (dir_ / "tool").string() + "@" + "0x" +
                            llvm::utohexstr(offset, true));
  EXPECT_EQ(o.convention, "iproute2");
  EXPECT_FALSE(o.failed()) << check::renderText(report);
  EXPECT_EQ(o.size, object.size());
}

// ---- the run

TEST_F(CheckTest, IdenticalObjectsAreCheckedOnceAndReportedWithAllPaths) {
  fs::copy_file(corpus("libbpf/btf_maps_all.g.o"), dir_ / "one.o");
  fs::copy_file(corpus("libbpf/btf_maps_all.g.o"), dir_ / "two.o");
  fs::copy_file(corpus("iproute2/tc_full.o"), dir_ / "three.o");
  check::Options options;
  options.jobs = 2;
  check::Report report = runOn({dir_.string()}, options);
  ASSERT_EQ(report.objects.size(), 2u);
  const check::ObjectResult *twice = find(report, "one.o");
  ASSERT_NE(twice, nullptr);
  ASSERT_EQ(twice->paths.size(), 2u);
  EXPECT_TRUE(llvm::StringRef(twice->paths[1]).endswith("two.o"));
}

// Over the whole corpus, every stage agrees with what the library says when
// called directly: read passes exactly for objects that read without errors.
TEST_F(CheckTest, CorpusResultsAgreeWithTheReader) {
  check::Options options;
  options.jobs = 2;
  check::Report report = runOn({test::kCorpusDir}, options);
  ASSERT_GT(report.objects.size(), 30u);
  size_t converted = 0;
  for (const check::ObjectResult &o : report.objects) {
    SCOPED_TRACE(o.paths[0]);
    ASSERT_EQ(o.stages.size(), std::size(check::kStages));
    auto object = readObject(o.paths[0]);
    bool clean = bool(object);
    if (object)
      for (const ir::Diagnostic &d : object->diagnostics)
        clean &= d.severity != ir::Severity::Error;
    else
      llvm::consumeError(object.takeError());
    EXPECT_EQ(o.stage(Stage::Detect)->status, Status::Pass);
    EXPECT_EQ(o.stage(Stage::Read)->status,
              clean ? Status::Pass : Status::Fail);
    if (clean) {
      EXPECT_EQ(o.convention, ir::conventionName(object->verdict.convention));
      EXPECT_EQ(o.sha1, object->sha1);
      EXPECT_EQ(o.stage(Stage::Convert)->status, Status::Pass);
      converted += o.stage(Stage::Reopen)->status == Status::Pass;
    }
    EXPECT_EQ(o.stage(Stage::LoadOriginal)->status, Status::Skip);
  }
  EXPECT_GT(converted, 20u);
}

// Results travel through a ring in shared memory. With a ring of a few KiB
// over the whole corpus it wraps many times and fills (the worker waits for
// the runner to drain it); every result must still arrive whole, equal to a
// run with the default ring.
TEST_F(CheckTest, ResultRingWrapsAndFillsWithoutLosingResults) {
  check::Options roomy;
  roomy.jobs = 1;
  check::Report expected = runOn({test::kCorpusDir}, roomy);
  check::Options tight = roomy;
  tight.resultChannelBytes = 4096;
  check::Report got = runOn({test::kCorpusDir}, tight);
  ASSERT_EQ(got.objects.size(), expected.objects.size());
  for (size_t i = 0; i < got.objects.size(); ++i) {
    const check::ObjectResult &a = got.objects[i], &b = expected.objects[i];
    SCOPED_TRACE(b.paths[0]);
    EXPECT_EQ(a.paths, b.paths);
    ASSERT_EQ(a.stages.size(), b.stages.size());
    EXPECT_EQ(a.convention, b.convention);
    EXPECT_EQ(a.sha1, b.sha1);
    EXPECT_EQ(a.maps, b.maps);
    EXPECT_EQ(a.programs, b.programs);
    for (size_t s = 0; s < a.stages.size(); ++s) {
      EXPECT_EQ(a.stages[s].status, b.stages[s].status);
      EXPECT_EQ(a.stages[s].error, b.stages[s].error);
    }
  }
}

// ---- limits: one bad object costs one worker, never the run

TEST_F(CheckTest, TimeLimitStopsOneObjectAndTheRunGoesOn) {
  fs::copy_file(corpus("libbpf/btf_maps_all.g.o"), dir_ / "fast.o");
  fs::copy_file(corpus("iproute2/tc_full.o"), dir_ / "slow.o");
  fs::copy_file(corpus("samples/samples_28.o"), dir_ / "after.o");
  check::Options options;
  options.jobs = 1; // the run must go on in a replacement worker
  options.timeLimitSeconds = 1;
  options.beforeObject = [](const check::Input &input) {
    if (llvm::StringRef(input.path).endswith("slow.o"))
      std::this_thread::sleep_for(std::chrono::seconds(30));
  };
  auto start = std::chrono::steady_clock::now();
  check::Report report = runOn({dir_.string()}, options);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_EQ(report.objects.size(), 3u);
  const check::ObjectResult *slow = find(report, "slow.o");
  ASSERT_NE(slow, nullptr);
  const check::StageResult *detect = slow->stage(Stage::Detect);
  ASSERT_NE(detect, nullptr);
  EXPECT_EQ(detect->status, Status::Fail);
  EXPECT_NE(detect->error.find("time limit of 1 s exceeded in stage detect"),
            std::string::npos)
      << detect->error;
  EXPECT_EQ(slow->stage(Stage::Read)->status, Status::Skip);
  EXPECT_FALSE(find(report, "fast.o")->failed());
  EXPECT_FALSE(find(report, "after.o")->failed());
}

TEST_F(CheckTest, AWorkerThatCrashesFailsOnlyItsObject) {
  fs::copy_file(corpus("libbpf/btf_maps_all.g.o"), dir_ / "a.o");
  fs::copy_file(corpus("iproute2/tc_full.o"), dir_ / "crash.o");
  fs::copy_file(corpus("samples/samples_28.o"), dir_ / "z.o");
  check::Options options;
  options.jobs = 1;
  options.beforeObject = [](const check::Input &input) {
    if (llvm::StringRef(input.path).endswith("crash.o"))
      std::abort(); // as LLVM's fatal errors do
  };
  check::Report report = runOn({dir_.string()}, options);
  ASSERT_EQ(report.objects.size(), 3u);
  const check::ObjectResult *crashed = find(report, "crash.o");
  ASSERT_NE(crashed, nullptr);
  EXPECT_NE(
      crashed->stage(Stage::Detect)->error.find("worker killed by signal 6"),
      std::string::npos)
      << crashed->stage(Stage::Detect)->error;
  EXPECT_FALSE(find(report, "a.o")->failed());
  EXPECT_FALSE(find(report, "z.o")->failed());
}

TEST_F(CheckTest, MemoryLimitStopsOneObjectAndTheRunGoesOn) {
  if (kAddressSanitizer)
    GTEST_SKIP() << "ASan reserves terabytes of address space, so RLIMIT_AS "
                    "cannot bound one object (the normal build runs this)";
  fs::copy_file(corpus("libbpf/btf_maps_all.g.o"), dir_ / "a.o");
  fs::copy_file(corpus("iproute2/tc_full.o"), dir_ / "hungry.o");
  check::Options options;
  options.jobs = 1;
  options.memoryLimitBytes = 64ull << 20;
  options.beforeObject = [](const check::Input &input) {
    if (!llvm::StringRef(input.path).endswith("hungry.o"))
      return;
    std::vector<std::unique_ptr<char[]>> hog;
    for (int i = 0; i < 64; ++i) // 1 GiB in 16 MiB steps, touched
      hog.emplace_back(new char[16 << 20]()).get()[0] = 1;
  };
  check::Report report = runOn({dir_.string()}, options);
  const check::ObjectResult *hungry = find(report, "hungry.o");
  ASSERT_NE(hungry, nullptr);
  EXPECT_NE(hungry->stage(Stage::Detect)
                ->error.find("memory limit of 64 MiB exceeded"),
            std::string::npos)
      << hungry->stage(Stage::Detect)->error;
  EXPECT_FALSE(find(report, "a.o")->failed());
}

// ---- reports

check::Report sampleReport() {
  check::Report report;
  report.jobs = 2;
  report.seconds = 1.5;
  check::ObjectResult ok;
  ok.paths = {"objs/ok.o", "copy/ok.o"};
  ok.sha1 = "aa";
  ok.convention = "iproute2";
  ok.maps = 3;
  ok.programs = 2;
  check::ObjectResult bad;
  bad.paths = {"objs/bad, \"quoted\" <&>.o"};
  bad.convention = "libbpf";
  for (Stage stage : check::kStages) {
    check::StageResult s;
    s.stage = stage;
    s.status = stage >= Stage::LoadOriginal ? Status::Skip : Status::Pass;
    s.error = s.status == Status::Skip ? "not requested (--kernel)" : "";
    s.seconds = 0.25;
    ok.stages.push_back(s);
    if (stage == Stage::Read) {
      s.status = Status::Fail;
      s.error = "objs/bad.o: section 'maps' offset 0x24: bad\x01 byte";
      s.signature = check::errorSignature(s.error);
    } else if (stage > Stage::Read) {
      s.status = Status::Skip;
      s.error = "read did not pass";
    }
    bad.stages.push_back(s);
  }
  check::VerifierFigures figures;
  figures.program = "prog_a";
  figures.loaded = true;
  figures.insnsProcessed = 42;
  figures.peakStates = 3;
  ok.verifier.push_back(figures);
  report.objects = {ok, bad};
  return report;
}

TEST(CheckReport, JsonRoundTripsThroughTheBaselineReader) {
  check::Report report = sampleReport();
  std::string json = doc::toJson(check::toDocument(report));
  auto back = check::reportFromJson(json, "report.json");
  ASSERT_TRUE(bool(back)) << llvm::toString(back.takeError());
  ASSERT_EQ(back->objects.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back->objects[i].paths, report.objects[i].paths);
    EXPECT_EQ(back->objects[i].convention, report.objects[i].convention);
    ASSERT_EQ(back->objects[i].stages.size(), report.objects[i].stages.size());
    for (size_t k = 0; k < report.objects[i].stages.size(); ++k) {
      EXPECT_EQ(back->objects[i].stages[k].status,
                report.objects[i].stages[k].status);
      EXPECT_EQ(back->objects[i].stages[k].error,
                report.objects[i].stages[k].error);
    }
  }
}

TEST(CheckReport, BaselineReaderNamesWhatIsWrong) {
  auto notJson = check::reportFromJson("{ nope", "prev.json");
  ASSERT_FALSE(bool(notJson));
  EXPECT_NE(llvm::toString(notJson.takeError())
                .find("prev.json: not a check "
                      "report: line 1"),
            std::string::npos);
  auto other = check::reportFromJson("{\"schema\": 1}", "prev.json");
  ASSERT_FALSE(bool(other));
  EXPECT_NE(llvm::toString(other.takeError()).find("not a bpfcompat check"),
            std::string::npos);
  auto badStatus = check::reportFromJson(
      R"({"schema": 1, "tool": "bpfcompat check", "objects": [
          {"paths": ["a.o"], "stages": [{"stage": "read", "status": "maybe"}]}]})",
      "prev.json");
  ASSERT_FALSE(bool(badStatus));
  EXPECT_NE(llvm::toString(badStatus.takeError())
                .find("prev.json: objects[0].stages[0]: unknown status "
                      "'maybe'"),
            std::string::npos);
}

TEST(CheckReport, TextSummarySaysWhatFailedAndWhere) {
  std::string text = check::renderText(sampleReport());
  EXPECT_NE(text.find("3 inputs, 2 unique objects, 1 failed"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("top failures:\n     1  read: <path>: section '…' "
                      "offset N: bad\\x01 byte"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("[read] objs/bad, \"quoted\" <&>.o: objs/bad.o: "
                      "section 'maps'"),
            std::string::npos)
      << text;
  // Control bytes never reach the terminal.
  EXPECT_EQ(text.find('\x01'), std::string::npos);
}

TEST(CheckReport, CsvQuotesFieldsAndHasVeristatColumns) {
  std::string csv = check::renderCsv(sampleReport());
  llvm::SmallVector<llvm::StringRef, 4> lines;
  llvm::StringRef(csv).split(lines, '\n', -1, false);
  ASSERT_EQ(lines.size(), 3u) << csv;
  EXPECT_EQ(lines[0], "file_name,sha1,convention,detect,read,convert,reopen,"
                      "load-original,load-converted,prog_name,load,verdict,"
                      "duration,total_insns,total_states,peak_states,"
                      "max_states_per_insn");
  EXPECT_TRUE(lines[1].startswith("objs/ok.o,aa,iproute2,pass,pass,pass,pass,"
                                  "skip,skip,prog_a,load-original,success,0,"
                                  "42,0,3,0"))
      << lines[1].str();
  EXPECT_TRUE(lines[2].startswith("\"objs/bad, \"\"quoted\"\" <&>.o\","))
      << lines[2].str();
}

TEST(CheckReport, JunitEscapesEverything) {
  std::string xml = check::renderJunit(sampleReport());
  EXPECT_NE(xml.find("tests=\"12\" failures=\"1\" skipped=\"6\""),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("objs/bad, &quot;quoted&quot; &lt;&amp;&gt;.o"),
            std::string::npos);
  EXPECT_EQ(xml.find('\x01'), std::string::npos); // not representable in XML
}

TEST(CheckReport, ComparisonListsRegressionsFixesAndChangedObjectSets) {
  check::Report before = sampleReport();
  check::Report now = sampleReport();
  // ok.o now fails to convert; bad.o now reads; a new object appears and
  // copy/ok.o is gone.
  now.objects[0].stages[2].status = Status::Fail;
  now.objects[0].stages[2].error = "boom";
  now.objects[0].paths = {"objs/ok.o"};
  now.objects[1].stages[1].status = Status::Pass;
  check::ObjectResult fresh = now.objects[0];
  fresh.paths = {"objs/new.o"};
  now.objects.push_back(fresh);

  check::Comparison c = check::compare(before, now);
  ASSERT_EQ(c.regressions.size(), 1u);
  EXPECT_EQ(c.regressions[0].path, "objs/ok.o");
  EXPECT_EQ(c.regressions[0].stage, Stage::Convert);
  EXPECT_EQ(c.regressions[0].error, "boom");
  ASSERT_EQ(c.fixes.size(), 1u);
  EXPECT_EQ(c.fixes[0].path, "objs/bad, \"quoted\" <&>.o");
  EXPECT_EQ(c.fixes[0].stage, Stage::Read);
  EXPECT_EQ(c.added, std::vector<std::string>{"objs/new.o"});
  EXPECT_EQ(c.removed, std::vector<std::string>{"copy/ok.o"});
}

// ---- signatures and verifier statistics

TEST(CheckSignature, MasksNamesPathsAndNumbers) {
  EXPECT_EQ(check::errorSignature(
                "/tmp/x/a.o: section 'maps' offset 0x24: map 'm1' needs 36 "
                "bytes, has 20"),
            "<path>: section '…' offset N: map '…' needs N bytes, has N");
  // Digits inside names stay: they are part of the kind of error.
  EXPECT_EQ(check::errorSignature("BPF_PROG_LOAD: ipv4_lookup failed (EINVAL)"),
            "BPF_PROG_LOAD: ipv4_lookup failed (EINVAL)");
}

TEST(CheckVerifierStats, ParsesTheKernelsStatsLines) {
  check::VerifierFigures f;
  EXPECT_TRUE(check::parseVerifierStats(
      "func#0 @0\nverification time 1234 usec\nstack depth 8\n"
      "processed 571 insns (limit 1000000) max_states_per_insn 2 "
      "total_states 33 peak_states 31 mark_read 5\n",
      f));
  EXPECT_EQ(f.insnsProcessed, 571u);
  EXPECT_EQ(f.maxStatesPerInsn, 2u);
  EXPECT_EQ(f.totalStates, 33u);
  EXPECT_EQ(f.peakStates, 31u);
  EXPECT_EQ(f.verificationMicros, 1234u);
  check::VerifierFigures none;
  EXPECT_FALSE(check::parseVerifierStats("0: (b7) r0 = 0\n", none));
}

} // namespace
} // namespace bpfcompat
