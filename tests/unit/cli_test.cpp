// The real `bpfcompat` binary run as a subprocess: output formats, exit
// statuses (0 ok, 1 an object failed, 2 bad usage), what reaches stdout and
// stderr, and which files convert writes or leaves alone.
#include "bpfcompat/reader.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hostile_support.h"
#include "test_support.h"

extern char **environ;

namespace bpfcompat {
namespace {

namespace fs = std::filesystem;

struct CliRun {
  int status = -1; // exit status; -1 when the process did not exit normally
  std::string out;
  std::string err;
};

std::ostream &operator<<(std::ostream &os, const CliRun &run) {
  return os << "exit " << run.status << "\n--- stdout:\n"
            << run.out.substr(0, 2000) << "\n--- stderr:\n"
            << run.err.substr(0, 2000);
}

std::string readText(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string corpus(const std::string &relative) {
  return test::kCorpusDir + "/" + relative;
}

const std::string kLegacy = corpus("libbpf-legacy/legacy_basic.o");
const std::string kTcFull = corpus("iproute2/tc_full.g.o");
const std::string kBtfMaps = corpus("libbpf/btf_maps_all.g.o");

// One temporary directory per test, removed afterwards.
class Cli : public ::testing::Test {
protected:
  void SetUp() override {
    std::string pattern =
        (fs::temp_directory_path() / "bpfcompat-cli-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "mkdtemp failed";
    dir_ = pattern;
    ASSERT_TRUE(fs::exists(test::kCli)) << test::kCli << " is not built";
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty())
      fs::remove_all(dir_, ec);
  }

  fs::path tmp(const std::string &name) const { return dir_ / name; }

  // Runs the CLI with `args`; stdout and stderr go to files in the test's
  // directory, so large outputs cannot deadlock a pipe.
  CliRun run(const std::vector<std::string> &args) {
    fs::path outPath = dir_ / ".stdout", errPath = dir_ / ".stderr";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                     O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, outPath.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, errPath.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<std::string> argv = {test::kCli};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char *> cargv;
    for (std::string &arg : argv)
      cargv.push_back(arg.data());
    cargv.push_back(nullptr);
    CliRun result;
    pid_t pid;
    int rc = posix_spawn(&pid, test::kCli.c_str(), &actions, nullptr,
                         cargv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      ADD_FAILURE() << "posix_spawn " << test::kCli << ": " << strerror(rc);
      return result;
    }
    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(wstatus))
      result.status = WEXITSTATUS(wstatus);
    else
      ADD_FAILURE() << "bpfcompat died with signal "
                    << (WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : -1);
    result.out = readText(outPath);
    result.err = readText(errPath);
    fs::remove(outPath);
    fs::remove(errPath);
    return result;
  }

private:
  fs::path dir_;
};

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> mapNames(const YAML::Node &object) {
  std::vector<std::string> names;
  for (const YAML::Node &map : object["maps"])
    names.push_back(map["name"].as<std::string>());
  return names;
}

const std::vector<std::string> kLegacyMaps = {"xdp_stats_map", "dport_counts",
                                              "sleep_start", "histograms"};

// --- inspect ----------------------------------------------------------------

TEST_F(Cli, InspectTextShowsConventionMapsAndPrograms) {
  CliRun r = run({"inspect", kLegacy});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_TRUE(r.err.empty()) << r;
  EXPECT_TRUE(contains(r.out, kLegacy + ": libbpf-legacy (score")) << r;
  EXPECT_TRUE(contains(r.out, "MAPS")) << r;
  EXPECT_TRUE(contains(r.out, "PROGRAMS")) << r;
  for (const std::string &name : kLegacyMaps)
    EXPECT_TRUE(contains(r.out, name)) << name;
  EXPECT_TRUE(contains(r.out, "kretprobe_nanosleep_exit")) << r;
}

TEST_F(Cli, InspectYamlParses) {
  CliRun r = run({"inspect", "--format", "yaml", kLegacy});
  ASSERT_EQ(r.status, 0) << r;
  YAML::Node doc = YAML::Load(r.out);
  ASSERT_TRUE(doc.IsMap()) << r;
  EXPECT_EQ(doc["path"].as<std::string>(), kLegacy);
  EXPECT_EQ(doc["convention"]["name"].as<std::string>(), "libbpf-legacy");
  EXPECT_FALSE(doc["convention"]["forced"].as<bool>());
  EXPECT_EQ(mapNames(doc), kLegacyMaps);
  EXPECT_EQ(doc["license"].as<std::string>(), "GPL");
  ASSERT_TRUE(doc["programs"].IsSequence());
  EXPECT_EQ(doc["programs"].size(), 5u);
  EXPECT_EQ(doc["programs"][0]["name"].as<std::string>(), "xdp_stats_func");
}

TEST_F(Cli, InspectJsonParses) {
  CliRun r = run({"inspect", "--format=json", "--no-insns", kTcFull});
  ASSERT_EQ(r.status, 0) << r;
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.front(), '{') << "one file gives one JSON object";
  YAML::Node doc = YAML::Load(r.out); // JSON is YAML
  ASSERT_TRUE(doc.IsMap()) << r;
  EXPECT_EQ(doc["convention"]["name"].as<std::string>(), "iproute2");
  std::vector<std::string> names = mapNames(doc);
  EXPECT_EQ(names.size(), 9u);
  for (const char *name : {"acc_map", "obj_flows", "jmp_tc", "outer_ports"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
}

TEST_F(Cli, InspectSummaryIsOneLinePerObject) {
  CliRun r = run({"inspect", "--summary", kLegacy, kTcFull});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r;
  EXPECT_TRUE(contains(r.out, kLegacy + "  libbpf-legacy  maps=4 programs=5"))
      << r;
  EXPECT_TRUE(contains(r.out, kTcFull + "  iproute2  maps=9 programs=5")) << r;
}

TEST_F(Cli, InspectForcedConventionIsReportedWithTheDetectedOne) {
  CliRun r = run({"inspect", "--format", "yaml", "--no-insns", "--convention",
                  "iproute2", kLegacy});
  ASSERT_EQ(r.status, 0) << r;
  YAML::Node doc = YAML::Load(r.out);
  EXPECT_EQ(doc["convention"]["name"].as<std::string>(), "iproute2");
  EXPECT_TRUE(doc["convention"]["forced"].as<bool>());
  bool listed = false;
  for (const YAML::Node &c : doc["convention"]["candidates"])
    listed |= c["name"].as<std::string>() == "libbpf-legacy";
  EXPECT_TRUE(listed) << "candidates must list the detected convention\n" << r;
  // Read as struct bpf_elf_map: the same four maps, zero-extended.
  EXPECT_EQ(mapNames(doc), kLegacyMaps);
}

TEST_F(Cli, InspectUnknownConventionIsUsageError) {
  CliRun r = run({"inspect", "--convention", "bogus", kLegacy});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "unknown --convention 'bogus'")) << r;
  EXPECT_TRUE(r.out.empty()) << r;
}

TEST_F(Cli, InspectUsageErrors) {
  CliRun r = run({"inspect", "--frobnicate", kLegacy});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "unknown option --frobnicate")) << r;
  EXPECT_TRUE(r.out.empty()) << r;

  r = run({"inspect", "--format", "xml", kLegacy});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "unknown --format 'xml'")) << r;

  r = run({"inspect"});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "no input files")) << r;

  r = run({"inspect", kLegacy, "--format"});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "--format needs a value")) << r;

  r = run({"inspect", "--summary=yes", kLegacy});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "--summary takes no value")) << r;
}

TEST_F(Cli, InspectMissingFileFailsNamingThePath) {
  std::string missing = tmp("no-such.o").string();
  CliRun r = run({"inspect", missing});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_TRUE(contains(r.err, missing)) << r;
  EXPECT_TRUE(contains(r.err, "cannot open")) << r;
  EXPECT_TRUE(r.out.empty()) << r;

  // The other files are still printed; the status still says one failed.
  r = run({"inspect", "--summary", missing, kLegacy});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_TRUE(contains(r.err, missing)) << r;
  EXPECT_TRUE(contains(r.out, kLegacy + "  libbpf-legacy")) << r;
}

TEST_F(Cli, InspectNotAnElfFails) {
  fs::path text = tmp("notes.o");
  std::ofstream(text) << "not an object\n";
  CliRun r = run({"inspect", text.string()});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_TRUE(contains(r.err, text.string() + ": not an ELF file")) << r;
}

// Names in an object reach error messages; an escape sequence in one must
// not reach the terminal raw from any verb.
TEST_F(Cli, ErrorLinesEscapeControlBytesOfHostileNames) {
  std::vector<uint8_t> bytes = test::readBytes(kLegacy);
  const std::string name = "kprobe/do_nanosleep";
  auto at = std::search(bytes.begin(), bytes.end(), name.begin(), name.end());
  ASSERT_NE(at, bytes.end());
  for (; at != bytes.end();
       at = std::search(at + 1, bytes.end(), name.begin(), name.end()))
    at[6] = 0x1b; // "kprobe\x1bdo_nanosleep"
  fs::path renamed = tmp("renamed.o");
  std::ofstream(renamed, std::ios::binary)
      .write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  hostile::Target t(renamed.string());
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *sec = t.section("kprobe\x1b"
                                      "do_nanosleep");
  ASSERT_NE(sec, nullptr);
  std::vector<uint8_t> broken =
      t.withShdr(sec->index, hostile::kShOffset, bytes.size() + 0x100);
  fs::path hostile = tmp("hostile.o");
  std::ofstream(hostile, std::ios::binary)
      .write(reinterpret_cast<const char *>(broken.data()), broken.size());
  for (std::vector<std::string> args :
       {std::vector<std::string>{"inspect", hostile.string()},
        {"convert", hostile.string(), "-o", tmp("out.o").string()},
        {"diff", hostile.string(), kLegacy}}) {
    CliRun r = run(args);
    EXPECT_EQ(r.status, 1) << r;
    EXPECT_TRUE(contains(r.err, "bpfcompat: error: ")) << r;
    EXPECT_TRUE(contains(r.err, "section 'kprobe\\x1bdo_nanosleep'")) << r;
    EXPECT_FALSE(contains(r.err, "\x1b")) << args[0] << " printed a raw ESC";
  }
}

TEST_F(Cli, InspectObjectWithErrorDiagnosticsExitsOneButPrints) {
  // Refused by libbpf 0.x: a non-zero word past struct bpf_map_def.
  std::string invalid = test::kCiliumTestdata + "/invalid_map-el.elf";
  ASSERT_TRUE(fs::exists(invalid)) << invalid << ": run scripts/setup.sh";
  CliRun r = run({"inspect", "--no-insns", "--format", "yaml", invalid});
  EXPECT_EQ(r.status, 1) << r;
  YAML::Node doc = YAML::Load(r.out);
  ASSERT_TRUE(doc.IsMap()) << r;
  EXPECT_EQ(mapNames(doc), std::vector<std::string>{"invalid_map"});
  bool sawError = false;
  for (const YAML::Node &d : doc["diagnostics"])
    sawError |= d["severity"].as<std::string>() == "error" &&
                d["code"].as<std::string>() == "map-tail-nonzero";
  EXPECT_TRUE(sawError) << r;

  r = run({"inspect", "--summary", invalid});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_TRUE(contains(r.out, "refused by its loader")) << r;
}

TEST_F(Cli, InspectSeveralFilesAsYamlStream) {
  CliRun r = run({"inspect", "--format", "yaml", "--no-insns", kLegacy, kTcFull,
                  kBtfMaps});
  ASSERT_EQ(r.status, 0) << r;
  EXPECT_TRUE(r.out.rfind("---", 0) != 0) << "no separator before the first";
  size_t separators = 0;
  for (size_t at = 0; (at = r.out.find("\n---\n", at)) != std::string::npos;
       ++at)
    ++separators;
  EXPECT_EQ(separators, 2u) << r;
  std::vector<YAML::Node> docs = YAML::LoadAll(r.out);
  ASSERT_EQ(docs.size(), 3u) << r;
  EXPECT_EQ(docs[0]["path"].as<std::string>(), kLegacy);
  EXPECT_EQ(docs[1]["path"].as<std::string>(), kTcFull);
  EXPECT_EQ(docs[2]["path"].as<std::string>(), kBtfMaps);
  EXPECT_EQ(docs[1]["convention"]["name"].as<std::string>(), "iproute2");
  EXPECT_EQ(docs[2]["convention"]["name"].as<std::string>(), "libbpf");
}

TEST_F(Cli, InspectSeveralFilesAsJsonArray) {
  CliRun r =
      run({"inspect", "--format", "json", "--no-insns", kLegacy, kTcFull});
  ASSERT_EQ(r.status, 0) << r;
  ASSERT_FALSE(r.out.empty());
  EXPECT_EQ(r.out.front(), '[') << r;
  YAML::Node docs = YAML::Load(r.out);
  ASSERT_TRUE(docs.IsSequence()) << r;
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0]["convention"]["name"].as<std::string>(), "libbpf-legacy");
  EXPECT_EQ(docs[1]["convention"]["name"].as<std::string>(), "iproute2");
}

// --- convert ----------------------------------------------------------------

TEST_F(Cli, ConvertWritesALibbpfObject) {
  fs::path out = tmp("out.o");
  CliRun r = run({"convert", kLegacy, "-o", out.string()});
  ASSERT_EQ(r.status, 0) << r;
  ASSERT_TRUE(fs::exists(out)) << r;
  EXPECT_TRUE(contains(r.err, "-> " + out.string())) << "summary on stderr\n"
                                                     << r;
  auto object = readObject(out.string());
  ASSERT_TRUE(bool(object)) << llvm::toString(object.takeError());
  EXPECT_EQ(object->verdict.convention, ir::Convention::Libbpf);
  std::vector<std::string> names;
  for (const ir::Map &map : object->maps)
    names.push_back(map.name);
  std::vector<std::string> expected = kLegacyMaps;
  std::sort(names.begin(), names.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(names, expected);

  // --quiet drops the summary.
  r = run({"convert", "--quiet", kLegacy, "--output", tmp("q.o").string()});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_TRUE(r.err.empty()) << r;
}

TEST_F(Cli, ConvertRefusesToOverwriteItsInput) {
  fs::path in = tmp("in.o");
  fs::copy_file(kLegacy, in);
  // An old mtime: a rewrite, even within the same second, would show.
  struct timeval times[2] = {{1000000000, 0}, {1000000000, 0}};
  ASSERT_EQ(utimes(in.c_str(), times), 0);
  std::string before = readText(in);
  for (const std::string &out :
       {in.string(), (in.parent_path() / "." / "in.o").string()}) {
    CliRun r = run({"convert", in.string(), "-o", out});
    EXPECT_EQ(r.status, 2) << r;
    EXPECT_TRUE(contains(r.err, "refusing to overwrite the input")) << r;
    EXPECT_EQ(readText(in), before);
    struct stat st;
    ASSERT_EQ(stat(in.c_str(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_sec, 1000000000);
  }
  // A hard link is the same file too.
  fs::path link = tmp("link.o");
  fs::create_hard_link(in, link);
  CliRun r = run({"convert", in.string(), "-o", link.string()});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_EQ(readText(in), before);
}

TEST_F(Cli, ConvertStrictWithALossWritesNothing) {
  fs::path out = tmp("strict.o");
  // tc_full pins obj_flows with PIN_OBJECT_NS, which libbpf cannot express.
  CliRun r = run({"convert", "--strict", kTcFull, "-o", out.string()});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_TRUE(contains(r.err, "pin-object-ns-not-expressible")) << r;
  EXPECT_TRUE(contains(r.err, "nothing written")) << r;
  EXPECT_FALSE(fs::exists(out));
  // No temporary file is left behind either.
  size_t entries =
      std::distance(fs::directory_iterator(tmp("")), fs::directory_iterator());
  EXPECT_EQ(entries, 0u);

  // Without a loss --strict writes.
  r = run({"convert", "--strict", kBtfMaps, "-o", out.string()});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_TRUE(fs::exists(out));
}

TEST_F(Cli, ConvertReportsParseAsJsonAndYaml) {
  for (const char *name : {"report.json", "report.yaml"}) {
    fs::path report = tmp(name);
    CliRun r = run({"convert", kTcFull, "-o", tmp("out.o").string(), "--report",
                    report.string()});
    ASSERT_EQ(r.status, 0) << r;
    ASSERT_TRUE(fs::exists(report)) << r;
    std::string text = readText(report);
    if (llvm::StringRef(name).endswith(".json")) {
      EXPECT_EQ(text.front(), '{') << text;
    }
    YAML::Node doc = YAML::Load(text);
    ASSERT_TRUE(doc.IsMap()) << text;
    EXPECT_EQ(doc["source_convention"].as<std::string>(), "iproute2");
    ASSERT_TRUE(doc["changes"].IsSequence()) << text;
    ASSERT_TRUE(doc["losses"].IsSequence()) << text;
    EXPECT_GT(doc["changes"].size(), 0u);
    bool objectNs = false;
    for (const YAML::Node &loss : doc["losses"])
      objectNs |=
          loss["code"].as<std::string>() == "pin-object-ns-not-expressible" &&
          loss["subject"].as<std::string>() == "obj_flows";
    EXPECT_TRUE(objectNs) << text;
    EXPECT_FALSE(doc["lossless"].as<bool>());
  }
}

TEST_F(Cli, ConvertUsageErrors) {
  CliRun r = run({"convert", kLegacy});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "usage: bpfcompat convert")) << r;

  r = run({"convert", kLegacy, "-o", tmp("x.o").string(), "--for", "bcc"});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "unknown --for 'bcc'")) << r;

  r = run(
      {"convert", kLegacy, "-o", tmp("x.o").string(), "--convention", "bogus"});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "unknown --convention 'bogus'")) << r;

  r = run({"convert", kLegacy, kTcFull, "-o", tmp("x.o").string()});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_FALSE(fs::exists(tmp("x.o")));
}

TEST_F(Cli, ConvertMissingInputFails) {
  std::string missing = tmp("missing.o").string();
  CliRun r = run({"convert", missing, "-o", tmp("x.o").string()});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_TRUE(contains(r.err, missing)) << r;
  EXPECT_FALSE(fs::exists(tmp("x.o")));
}

// --- diff -------------------------------------------------------------------

TEST_F(Cli, DiffOfAnObjectWithItselfIsEquivalent) {
  CliRun r = run({"diff", kTcFull, kTcFull});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_EQ(r.out, "equivalent\n") << r;

  r = run({"diff", "--format", "json", kTcFull, kTcFull});
  EXPECT_EQ(r.status, 0) << r;
  YAML::Node doc = YAML::Load(r.out);
  EXPECT_TRUE(doc["equivalent"].as<bool>()) << r;
  EXPECT_EQ(doc["differences"].size(), 0u);
}

TEST_F(Cli, DiffOfDifferentObjectsExitsOne) {
  CliRun r = run({"diff", kBtfMaps, kLegacy});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_FALSE(contains(r.out, "equivalent")) << r;
  EXPECT_TRUE(contains(r.out, "map 'dport_counts' is only in B")) << r;

  r = run({"diff", "--format", "yaml", kBtfMaps, kLegacy});
  EXPECT_EQ(r.status, 1) << r;
  YAML::Node doc = YAML::Load(r.out);
  EXPECT_FALSE(doc["equivalent"].as<bool>()) << r;
  EXPECT_GT(doc["differences"].size(), 0u);
}

TEST_F(Cli, DiffUsageErrors) {
  CliRun r = run({"diff", kTcFull});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "expected two objects, got 1")) << r;

  r = run({"diff", kTcFull, kTcFull, kTcFull});
  EXPECT_EQ(r.status, 2) << r;

  r = run({"diff", "--format", "html", kTcFull, kTcFull});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "unknown --format 'html'")) << r;

  r = run({"diff", "--convention-a", "bogus", kTcFull, kTcFull});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "unknown --convention-a 'bogus'")) << r;

  r = run({"diff", "--strict", kTcFull, kTcFull});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "unknown option --strict")) << r;
}

TEST_F(Cli, DiffMissingFileFailsNamingThePath) {
  std::string missing = tmp("gone.o").string();
  CliRun r = run({"diff", kTcFull, missing});
  EXPECT_EQ(r.status, 1) << r;
  EXPECT_TRUE(contains(r.err, missing)) << r;
  EXPECT_TRUE(r.out.empty()) << r;
}

// --- the verb dispatcher -----------------------------------------------------

TEST_F(Cli, TopLevelUsage) {
  CliRun r = run({});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "usage: bpfcompat <verb>")) << r;

  r = run({"frobnicate"});
  EXPECT_EQ(r.status, 2) << r;
  EXPECT_TRUE(contains(r.err, "unknown verb 'frobnicate'")) << r;

  r = run({"--help"});
  EXPECT_EQ(r.status, 0) << r;
  EXPECT_TRUE(contains(r.out, "inspect FILE...")) << r;
  EXPECT_TRUE(r.err.empty()) << r;
}

// ---- check

TEST_F(Cli, CheckBaselineListsRegressionsFixesAndNewObjects) {
  fs::create_directories(tmp("objs"));
  fs::copy_file(kLegacy, tmp("objs/a.o"));
  fs::copy_file(kTcFull, tmp("objs/b.o"));
  std::string base = tmp("base.json").string();
  CliRun first = run({"check", "--quiet", "--format", "json", "-o", base,
                      tmp("objs").string()});
  ASSERT_EQ(first.status, 0) << first;

  // b.o is now truncated (a regression), c.o is new.
  std::vector<uint8_t> bytes = test::readBytes(kTcFull);
  bytes.resize(200);
  fs::remove(tmp("objs/b.o"));
  std::ofstream(tmp("objs/b.o"), std::ios::binary)
      .write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  fs::copy_file(kBtfMaps, tmp("objs/c.o"));
  std::string second = tmp("second.json").string();
  CliRun worse = run({"check", "--quiet", "--baseline", base, "--fail-on",
                      "regressions", "--format", "json", "-o", second,
                      tmp("objs").string()});
  EXPECT_EQ(worse.status, 1) << worse;
  std::string b = tmp("objs/b.o").string(), c = tmp("objs/c.o").string();
  EXPECT_TRUE(contains(worse.err, "regression " + b + " [detect]")) << worse;
  EXPECT_TRUE(contains(worse.err, "new        " + c)) << worse;
  YAML::Node doc = YAML::LoadFile(second);
  ASSERT_EQ(doc["comparison"]["regressions"].size(), 1u);
  EXPECT_EQ(doc["comparison"]["regressions"][0]["path"].as<std::string>(), b);

  // Restored: the same comparison the other way round is a fix.
  fs::remove(tmp("objs/b.o"));
  fs::copy_file(kTcFull, tmp("objs/b.o"));
  CliRun better = run({"check", "--quiet", "--baseline", second, "--fail-on",
                       "regressions", tmp("objs").string()});
  EXPECT_EQ(better.status, 0) << better;
  EXPECT_TRUE(contains(better.out, "0 regressions, 1 fixes")) << better;
  EXPECT_TRUE(contains(better.out, "fixed      " + b + " [detect]")) << better;
}

TEST_F(Cli, CheckExitStatusFollowsFailOn) {
  std::vector<uint8_t> bytes = test::readBytes(kTcFull);
  bytes.resize(100);
  std::ofstream(tmp("cut.o"), std::ios::binary)
      .write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  std::string cut = tmp("cut.o").string();
  CliRun byDefault = run({"check", cut});
  EXPECT_EQ(byDefault.status, 1) << byDefault;
  EXPECT_TRUE(contains(byDefault.out, "[detect] " + cut + ":")) << byDefault;
  EXPECT_EQ(run({"check", "--fail-on", "none", cut}).status, 0);
  EXPECT_EQ(run({"check", "--fail-on", "reopen,load-original", cut}).status,
            0);
  EXPECT_EQ(run({"check", "-j1", "--fail-on", "any", kLegacy}).status, 0);
  EXPECT_EQ(run({"check", "--fail-on", "sometimes", cut}).status, 2);
  EXPECT_EQ(run({"check"}).status, 2);
  EXPECT_EQ(run({"check", "--format", "xml", cut}).status, 2);
  EXPECT_EQ(run({"check", "--jobs", "many", cut}).status, 2);
  EXPECT_EQ(run({"check", "--fail-on", "regressions", cut}).status, 2);
  CliRun missing = run({"check", tmp("nope.o").string()});
  EXPECT_EQ(missing.status, 1);
  EXPECT_TRUE(contains(missing.out, "nope.o: cannot open")) << missing;
}

TEST_F(Cli, CheckFormatsParse) {
  for (const char *format : {"yaml", "json"}) {
    CliRun r = run({"check", "--quiet", "--format", format, kLegacy, kTcFull});
    ASSERT_EQ(r.status, 0) << r;
    YAML::Node doc = YAML::Load(r.out);
    EXPECT_EQ(doc["summary"]["objects"].as<int>(), 2) << format;
    EXPECT_EQ(doc["objects"][1]["convention"].as<std::string>(), "iproute2");
  }
  CliRun csv = run({"check", "--quiet", "--format", "csv", kLegacy});
  ASSERT_EQ(csv.status, 0) << csv;
  EXPECT_EQ(std::count(csv.out.begin(), csv.out.end(), '\n'), 2) << csv;
  // Not a terminal: plain progress lines on stderr.
  CliRun plain = run({"check", kLegacy});
  EXPECT_TRUE(contains(plain.err, "check: 1/1 objects")) << plain;
}

} // namespace
} // namespace bpfcompat
