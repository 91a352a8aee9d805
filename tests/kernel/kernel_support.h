// Helpers shared by the kernel tests that compare our loader with libbpf:
// privilege check, scratch bpffs directories, loader options, loading with
// the verifier log kept, and dumping map contents.
#pragma once

#include "bpfcompat/kernel.h"
#include "bpfcompat/loader.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <sched.h>
#include <set>
#include <string>
#include <sys/syscall.h>
#include <thread>
#include <type_traits>
#include <unistd.h>
#include <vector>

#include "oracle_support.h"
#include "test_support.h"

namespace bpfcompat::ktest {

// Corpus objects (relative to the corpus dir) that can run on this host:
// every little-endian one.
inline std::vector<std::string> littleEndianCorpus() {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  if (!fs::exists(test::kCorpusDir))
    return out;
  for (const auto &e : fs::recursive_directory_iterator(test::kCorpusDir)) {
    std::string name = fs::relative(e.path(), test::kCorpusDir).string();
    if (e.path().extension() == ".o" && name.find(".eb.") == std::string::npos)
      out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

#define KTEST_REQUIRE_PRIVILEGE()                                              \
  if (!::bpfcompat::oracle::privileged()) {                                    \
    GTEST_SKIP() << "needs root with BPF capability and bpffs";                \
  }                                                                            \
  static_assert(true)

// Our loader's options with every pin under `dir`, so no test touches the
// real /sys/fs/bpf hierarchy or the system's iproute2 pinning database.
inline load::Options optionsIn(const std::string &dir) {
  load::Options options;
  options.pinRoot = dir;
  options.bpffs = dir;
  options.iproute2PinningFile = dir + "/no-such-pinning-file";
  // gobpf's PIN_CUSTOM_NS path came from Go code; the corpus uses 'custom'.
  options.gobpfCustomPaths["custom"] = "custom_pin";
  return options;
}

// The kernel id of a loaded map or program; 0 (and a test failure) when the
// kernel cannot say.
template <typename Loaded> uint32_t idOf(const Loaded &loaded) {
  llvm::Expected<uint32_t> id = [&] {
    if constexpr (std::is_same_v<Loaded, load::LoadedMap>)
      return load::mapId(kern::systemKernel(), loaded);
    else
      return load::programId(kern::systemKernel(), loaded);
  }();
  EXPECT_TRUE(bool(id)) << llvm::toString(id.takeError());
  return id ? *id : 0;
}

// The outcome of our loader: the collection, or the error text followed by
// the verifier log (which the error's message alone does not carry).
struct OurLoad {
  std::optional<load::Collection> collection;
  std::string error;
};

inline OurLoad loadOurs(const ir::Object &object, const std::string &dir) {
  OurLoad out;
  auto loaded = load::loadObject(object, optionsIn(dir), kern::systemKernel());
  if (loaded) {
    out.collection = std::move(*loaded);
    return out;
  }
  // The verifier log travels in a KernelError; a prefixed error has lost it.
  std::string log;
  llvm::handleAllErrors(
      loaded.takeError(),
      [&](const kern::KernelError &e) {
        out.error = e.message();
        log = e.verifierLog();
      },
      [&](const llvm::ErrorInfoBase &e) { out.error = e.message(); });
  if (!log.empty())
    out.error += "\nverifier log:\n" + log;
  return out;
}

// Opens `bytes` with libbpf (pins under `pinRoot`), leaves programs of
// unknown type unloaded (their user must set a type first, as libbpf says),
// and loads. Returns the object; `loaded` says whether bpf_object__load
// succeeded and the object's log() says why not.
inline oracle::LibbpfObject loadWithLibbpf(const std::vector<uint8_t> &bytes,
                                           const std::string &name,
                                           const std::string &pinRoot,
                                           bool &loaded) {
  oracle::LibbpfObject obj = oracle::openWithLibbpf(bytes, name, pinRoot);
  loaded = false;
  if (!obj)
    return obj;
  bpf_program *prog;
  bpf_object__for_each_program(prog, obj.get()) {
    if (bpf_program__type(prog) == BPF_PROG_TYPE_UNSPEC)
      bpf_program__set_autoload(prog, false);
  }
  loaded = bpf_object__load(obj.get()) == 0;
  return obj;
}

// IDs of every map or program in the kernel (BPF_*_GET_NEXT_ID).
inline std::set<uint32_t> liveIds(int cmd) {
  std::set<uint32_t> ids;
  bpf_attr attr{};
  for (;;) {
    attr.start_id = ids.empty() ? 0 : *ids.rbegin();
    if (syscall(__NR_bpf, cmd, &attr, sizeof(attr)) != 0)
      break;
    ids.insert(attr.next_id);
  }
  return ids;
}

// Freed objects disappear after an RCU grace period; wait for that (up to
// 2 s). Kernel tests run serially, so any new id that stays is ours.
inline bool settlesTo(int cmd, const std::set<uint32_t> &before) {
  for (int i = 0; i < 100; ++i) {
    std::set<uint32_t> now = liveIds(cmd);
    if (std::includes(before.begin(), before.end(), now.begin(), now.end()))
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// BPF_MAP_GET_NEXT_KEY, which kern:: has no wrapper for: 0, or -errno
// (-ENOENT after the last key).
inline long mapNextKey(kern::Kernel &k, int mapFd, const void *key,
                       void *next) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.map_fd = uint32_t(mapFd);
  attr.key = reinterpret_cast<uint64_t>(key); // null: the first key
  attr.next_key = reinterpret_cast<uint64_t>(next);
  return k.bpf(BPF_MAP_GET_NEXT_KEY, attr);
}

inline bool isPerCpu(uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_HASH ||
         type == BPF_MAP_TYPE_PERCPU_ARRAY ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
         type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

using Bytes = std::vector<uint8_t>;
using MapContents = std::map<Bytes, Bytes>;

// Every key and value of a map, or the errno of the failing call. Per-CPU
// lookups fill one 8-byte-aligned slot per possible CPU.
inline llvm::Expected<MapContents> dumpMap(kern::Kernel &k, int fd) {
  auto info = kern::mapInfo(k, fd);
  if (!info)
    return info.takeError();
  size_t valueSize = info->valueSize;
  if (isPerCpu(info->type))
    valueSize = (valueSize + 7) / 8 * 8 * size_t(libbpf_num_possible_cpus());
  MapContents out;
  Bytes key(info->keySize), next(info->keySize);
  bool first = true;
  for (;;) {
    long rc = mapNextKey(k, fd, first ? nullptr : key.data(), next.data());
    if (rc == -ENOENT)
      break;
    if (rc < 0)
      return llvm::make_error<kern::KernelError>("BPF_MAP_GET_NEXT_KEY",
                                                 int(-rc));
    first = false;
    key = next;
    Bytes value(valueSize);
    if (llvm::Error err = kern::mapLookup(k, fd, key.data(), value.data()))
      return err;
    out.emplace(key, std::move(value));
    if (out.size() > (1u << 20))
      return llvm::make_error<kern::KernelError>("map does not end", E2BIG);
  }
  return out;
}

// Keeps this thread on the CPU it runs on, so that every test run updates
// the same per-CPU slot on both sides; restores the old mask on exit.
class StayOnOneCpu {
public:
  StayOnOneCpu() {
    saved_ = sched_getaffinity(0, sizeof(old_), &old_) == 0;
    int cpu = sched_getcpu();
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu < 0 ? 0 : cpu, &one);
    pinned_ = sched_setaffinity(0, sizeof(one), &one) == 0;
  }
  ~StayOnOneCpu() {
    if (saved_)
      sched_setaffinity(0, sizeof(old_), &old_);
  }
  StayOnOneCpu(const StayOnOneCpu &) = delete;
  StayOnOneCpu &operator=(const StayOnOneCpu &) = delete;
  bool pinned() const { return pinned_; }

private:
  cpu_set_t old_;
  bool saved_ = false;
  bool pinned_ = false;
};

} // namespace bpfcompat::ktest
