#include "oracle_support.h"

#include "bpfcompat/kernel.h"
#include "bpfcompat/section_names.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <linux/bpf.h>
#include <sstream>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.h"

namespace bpfcompat::oracle {

namespace fs = std::filesystem;

namespace {

constexpr long kBpffsMagic = 0xcafe4a11;

// libbpf logs through one global callback; tests run single-threaded.
std::string &libbpfLog() {
  static std::string log;
  return log;
}

int captureLibbpf(enum libbpf_print_level, const char *format, va_list args) {
  char buf[4096];
  vsnprintf(buf, sizeof(buf), format, args);
  libbpfLog() += buf;
  return 0;
}

void addObjects(std::vector<ObjectCase> &out, const std::string &dir,
                const std::string &prefix, const std::string &extension,
                bool recursive) {
  if (!fs::exists(dir))
    return;
  auto add = [&](const fs::directory_entry &entry) {
    if (!entry.is_regular_file() || entry.path().extension() != extension)
      return;
    std::vector<uint8_t> head = test::readBytes(entry.path().string());
    ObjectCase c;
    c.path = entry.path().string();
    c.name = prefix + entry.path().lexically_relative(dir).string();
    c.bigEndian = head.size() > 5 && head[5] == 2;
    out.push_back(std::move(c));
  };
  if (recursive)
    for (const auto &entry : fs::recursive_directory_iterator(dir))
      add(entry);
  else
    for (const auto &entry : fs::directory_iterator(dir))
      add(entry);
}

} // namespace

std::vector<ObjectCase> allObjects() {
  std::vector<ObjectCase> out;
  addObjects(out, test::kCorpusDir, "corpus/", ".o", true);
  addObjects(out, test::kCiliumTestdata, "cilium/testdata/", ".elf", false);
  addObjects(out, test::kCiliumBtfTestdata, "cilium/btf/", ".elf", false);
  addObjects(out, test::kLibxdpObjects, "libxdp/", ".o", false);
  std::sort(
      out.begin(), out.end(),
      [](const ObjectCase &a, const ObjectCase &b) { return a.name < b.name; });
  return out;
}

std::string caseName(const ::testing::TestParamInfo<ObjectCase> &info) {
  std::string name = info.param.name;
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
  return name;
}

std::string littleEndianTwin(const std::string &name) {
  std::string out = name;
  for (auto [from, to] :
       {std::pair<const char *, const char *>{"-eb.elf", "-el.elf"},
        {".eb.g.o", ".g.o"}})
    if (size_t at = out.find(from); at != std::string::npos)
      out.replace(at, std::string(from).size(), to);
  return out;
}

bool hasErrors(const ir::Object &object) {
  return std::any_of(object.diagnostics.begin(), object.diagnostics.end(),
                     [](const ir::Diagnostic &d) {
                       return d.severity == ir::Severity::Error;
                     });
}

bool pinnedAfterConversion(ir::PinKind kind) {
  switch (kind) {
  case ir::PinKind::ByName:
  case ir::PinKind::Iproute2Global:
  case ir::PinKind::Iproute2Object:
  case ir::PinKind::Iproute2Custom:
  case ir::PinKind::GobpfGlobal:
    return true;
  case ir::PinKind::None:
  case ir::PinKind::GobpfObject:
  case ir::PinKind::GobpfCustom:
    return false;
  }
  return false;
}

bool becameSubprogram(const convert::Report &report, const std::string &name) {
  return std::any_of(report.entries.begin(), report.entries.end(),
                     [&](const convert::ReportEntry &e) {
                       return e.code == "untyped-callee-not-an-entry" &&
                              e.subject == name;
                     });
}

uint32_t expectedAttachType(const SectionType &type) {
  if (type.hasExpectedAttachType)
    return type.expectedAttachType;
  auto implied = classifySection(type.canonical, SectionRules::Libbpf1);
  return implied && implied->hasExpectedAttachType ? implied->expectedAttachType
                                                   : 0;
}

uint32_t libbpfMaxEntries(uint32_t mapType, uint32_t maxEntries) {
  if (mapType != BPF_MAP_TYPE_RINGBUF && mapType != BPF_MAP_TYPE_USER_RINGBUF)
    return maxEntries;
  uint32_t page = uint32_t(sysconf(_SC_PAGE_SIZE));
  uint32_t size = page;
  while (size < maxEntries)
    size *= 2;
  return size;
}

LibbpfObject::LibbpfObject(LibbpfObject &&other) noexcept
    : bytes_(std::move(other.bytes_)), obj_(other.obj_),
      logStart_(other.logStart_) {
  other.obj_ = nullptr;
}

LibbpfObject::~LibbpfObject() {
  if (obj_)
    bpf_object__close(obj_);
}

std::string LibbpfObject::log() const {
  return libbpfLog().substr(std::min(logStart_, libbpfLog().size()));
}

LibbpfObject openWithLibbpf(const std::vector<uint8_t> &bytes,
                            const std::string &name,
                            const std::string &pinRoot) {
  libbpf_set_print(captureLibbpf);
  LibbpfObject out;
  out.logStart_ = libbpfLog().size();
  out.bytes_ = bytes;
  std::string objectName = fs::path(name).stem().string();
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = objectName.c_str(),
              .pin_root_path = pinRoot.empty() ? nullptr : pinRoot.c_str());
  bpf_object *obj =
      bpf_object__open_mem(out.bytes_.data(), out.bytes_.size(), &opts);
  out.obj_ = libbpf_get_error(obj) ? nullptr : obj;
  return out;
}

std::vector<uint64_t> xlatedInsns(int progFd) {
  auto info = kern::progInfo(kern::systemKernel(), progFd, /*xlated=*/true);
  EXPECT_TRUE(bool(info)) << llvm::toString(info.takeError());
  if (!info)
    return {};
  std::vector<uint64_t> insns = std::move(info->xlated);
  for (size_t i = 0; i + 1 < insns.size(); ++i) {
    uint8_t code = uint8_t(insns[i]);
    uint8_t src = uint8_t(insns[i] >> 12) & 0xf;
    if (code != (BPF_LD | BPF_IMM | BPF_DW))
      continue;
    // BPF_PSEUDO_MAP_FD, _VALUE, _IDX, _IDX_VALUE: imm is a map id.
    if (src == 1 || src == 2 || src == 5 || src == 6)
      insns[i] &= 0xffffffffull;
    ++i;
  }
  return insns;
}

std::string dumpInsns(const std::vector<uint64_t> &insns) {
  std::ostringstream out;
  for (size_t i = 0; i < insns.size(); ++i)
    out << i << ": " << std::hex << insns[i] << std::dec << "\n";
  return out.str();
}

bool privileged() {
  if (geteuid() != 0)
    return false;
  struct statfs st;
  if (statfs("/sys/fs/bpf", &st) != 0 || st.f_type != kBpffsMagic)
    if (mount("bpf", "/sys/fs/bpf", "bpf", 0, nullptr) != 0)
      return false;
  return statfs("/sys/fs/bpf", &st) == 0 && st.f_type == kBpffsMagic;
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "bpfcompat-test-XXXXXX");
  char *made = mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr);
  path_ = made ? made : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty())
    fs::remove_all(path_, ec);
}

BpffsDir::BpffsDir() {
  std::string tmpl = "/sys/fs/bpf/bpfcompat-test-XXXXXX";
  char *made = mkdtemp(tmpl.data());
  EXPECT_NE(made, nullptr) << "cannot create a directory in bpffs";
  path_ = made ? made : "";
}

BpffsDir::~BpffsDir() {
  std::error_code ec;
  if (!path_.empty())
    fs::remove_all(path_, ec);
}

void writeFile(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            std::streamsize(bytes.size()));
}

Command runCommand(const std::vector<std::string> &argv) {
  int pipes[2];
  Command result;
  if (pipe(pipes) != 0)
    return result;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipes[1], 1);
    dup2(pipes[1], 2);
    close(pipes[0]);
    close(pipes[1]);
    std::vector<char *> args;
    for (const std::string &a : argv)
      args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(pipes[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(pipes[0], buf, sizeof(buf))) > 0)
    result.output.append(buf, size_t(n));
  close(pipes[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

} // namespace bpfcompat::oracle
