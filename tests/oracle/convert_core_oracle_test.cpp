// `convert` keeps BPF CO-RE intact: for every object with CO-RE records
// (our CO-RE corpus, the one built against this machine's vmlinux.h,
// cilium/ebpf's relocation testdata, our libbpf externs object), the output
// carries the same records (kind, access string, local type) and, where
// libbpf loads the original, libbpf loads the conversion too and relocates
// it to the same instructions (compared as the kernel holds them).
#include "bpfcompat/convert.h"
#include "bpfcompat/reader.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <tuple>

#include "oracle_support.h"
#include "test_support.h"

namespace bpfcompat {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> coreObjects() {
  std::vector<std::string> out = {
      test::kCorpusDir + "/core/core_trace.g.o",
      test::kCorpusDir + "/core/core_net.g.o",
      test::kCorpusVmlinuxDir + "/core/core_vmlinux.g.o",
      test::kCorpusDir + "/libbpf/externs.g.o",
      test::kCiliumBtfTestdata + "/relocs-el.elf",
      test::kCiliumBtfTestdata + "/relocs_read-el.elf"};
  return out;
}

// (kind, access string, local type kind and name) of every record.
using Record = std::tuple<int, std::string, std::string>;
std::vector<Record> records(const ir::Object &object) {
  std::vector<Record> out;
  if (!object.btfExt || !object.btf)
    return out;
  for (const auto &sec : object.btfExt->coreRelos)
    for (const btf::CoreRelo &r : sec.records) {
      const btf::Type *t = object.btf->type(r.typeId);
      std::string type =
          t ? std::string(btf::kindName(t->kind)) + " " + t->name.str() : "void";
      out.emplace_back(int(r.kind), r.accessString.str(), type);
    }
  std::sort(out.begin(), out.end());
  return out;
}

// Loads `bytes` with libbpf; programs by name with their xlated insns, or
// nullopt when the load fails (`log` says why).
std::optional<std::map<std::string, std::vector<uint64_t>>>
libbpfLoad(const std::vector<uint8_t> &bytes, const std::string &name,
           std::string &log) {
  oracle::BpffsDir pins;
  oracle::LibbpfObject obj = oracle::openWithLibbpf(bytes, name, pins.path());
  if (!obj) {
    log += obj.log();
    return std::nullopt;
  }
  bpf_program *prog;
  bpf_object__for_each_program(prog, obj.get()) {
    if (bpf_program__type(prog) == BPF_PROG_TYPE_UNSPEC)
      bpf_program__set_autoload(prog, false);
  }
  if (bpf_object__load(obj.get()) != 0) {
    log += obj.log();
    return std::nullopt;
  }
  std::map<std::string, std::vector<uint64_t>> out;
  bpf_object__for_each_program(prog, obj.get()) {
    if (bpf_program__fd(prog) >= 0)
      out[bpf_program__name(prog)] = oracle::xlatedInsns(bpf_program__fd(prog));
  }
  return out;
}

class ConvertCore : public ::testing::TestWithParam<std::string> {};

TEST_P(ConvertCore, KeepsRecordsAndLibbpfRelocatesTheSame) {
  const std::string &path = GetParam();
  ASSERT_TRUE(fs::exists(path)) << path << " missing; build the corpus";
  auto input = readObject(path);
  ASSERT_TRUE(bool(input)) << llvm::toString(input.takeError());
  std::vector<Record> before = records(*input);
  ASSERT_FALSE(before.empty()) << "no CO-RE records in " << path;
  auto result = convert::convertObject(*input);
  ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
  oracle::TempDir dir;
  std::string out = dir.path() + "/" + fs::path(path).filename().string();
  oracle::writeFile(out, result->bytes);
  auto output = readObject(out);
  ASSERT_TRUE(bool(output)) << llvm::toString(output.takeError());
  EXPECT_EQ(records(*output), before);

  if (!oracle::privileged())
    GTEST_SKIP() << "needs root with BPF capability and bpffs";
  std::string name = fs::path(path).filename().string(), log;
  auto original = libbpfLoad(test::readBytes(path), name, log);
  // cilium's relocs*.elf: libbpf 1.x types none of their programs, and
  // their CO-RE types are cilium's test types, not the kernel's.
  if (!original || original->empty())
    return;
  auto converted = libbpfLoad(result->bytes, name, log);
  ASSERT_TRUE(converted.has_value())
      << "libbpf loads the original but not the conversion:\n"
      << log;
  for (const auto &[prog, insns] : *original) {
    SCOPED_TRACE(prog);
    auto it = converted->find(prog);
    ASSERT_NE(it, converted->end()) << "not loaded from the conversion";
    EXPECT_EQ(it->second, insns)
        << "converted:\n"
        << oracle::dumpInsns(it->second) << "original:\n"
        << oracle::dumpInsns(insns);
  }
}

std::string testName(const ::testing::TestParamInfo<std::string> &info) {
  std::string name = fs::path(info.param).filename().string();
  std::replace_if(
      name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(CoreObjects, ConvertCore,
                         ::testing::ValuesIn(coreObjects()), testName);

} // namespace
} // namespace bpfcompat
