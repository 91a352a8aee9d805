// The bpf(2) wrappers against the running kernel: each command reaches the
// kernel with the attributes we set, errors name the call and keep errno and
// the verifier log, and a fault injected at any call leaks no fd.
#include "bpfcompat/kernel.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <linux/btf.h>
#include <linux/magic.h>
#include <sstream>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace bpfcompat::kern {
namespace {

namespace fs = std::filesystem;

// Root is not enough where a seccomp filter or LSM denies bpf() with EPERM.
bool privileged() {
  if (geteuid() != 0)
    return false;
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  long fd = syscall(__NR_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
  if (fd < 0)
    return errno != EPERM;
  close(static_cast<int>(fd));
  return true;
}

#define REQUIRE_PRIVILEGE()                                                    \
  if (!privileged())                                                           \
  GTEST_SKIP() << "needs root and bpf() (unprivileged or bpf() gave EPERM)"

// What a KernelError carried; the test fails if `err` is anything else.
struct Failure {
  int errnum = 0;
  std::string message;
  std::string log;
};

Failure failure(llvm::Error err) {
  Failure f;
  EXPECT_TRUE(bool(err)) << "the call succeeded";
  llvm::Error rest =
      llvm::handleErrors(std::move(err), [&](const KernelError &e) {
        f.errnum = e.errnum();
        f.message = e.message();
        f.log = e.verifierLog();
      });
  if (rest)
    ADD_FAILURE() << "not a KernelError: " << llvm::toString(std::move(rest));
  return f;
}

template <typename T> T orDie(llvm::Expected<T> value) {
  if (!value) {
    ADD_FAILURE() << llvm::toString(value.takeError());
    return T{};
  }
  return std::move(*value);
}

size_t openFds() {
  size_t n = 0;
  for ([[maybe_unused]] const auto &e : fs::directory_iterator("/proc/self/fd"))
    ++n;
  return n;
}

bpf_insn movImm(uint8_t dst, int32_t imm) {
  bpf_insn insn{};
  insn.code = BPF_ALU64 | BPF_MOV | BPF_K;
  insn.dst_reg = dst;
  insn.imm = imm;
  return insn;
}

bpf_insn exitInsn() {
  bpf_insn insn{};
  insn.code = BPF_JMP | BPF_EXIT;
  return insn;
}

ProgLoad socketFilter(const std::string &name, std::vector<bpf_insn> insns) {
  ProgLoad spec;
  spec.type = BPF_PROG_TYPE_SOCKET_FILTER;
  spec.name = name;
  spec.license = "GPL";
  spec.insns = std::move(insns);
  return spec;
}

ProgLoad returning(const std::string &name, int32_t value) {
  return socketFilter(name, {movImm(BPF_REG_0, value), exitInsn()});
}

MapCreate arrayMap(const std::string &name) {
  MapCreate spec;
  spec.type = BPF_MAP_TYPE_ARRAY;
  spec.keySize = 4;
  spec.valueSize = 4;
  spec.maxEntries = 1;
  spec.name = name;
  return spec;
}

uint32_t btfInfo(uint32_t kind, uint32_t vlen) { return kind << 24 | vlen; }

// A raw BTF blob: header, type section (u32 words) and string section.
std::vector<uint8_t> btfBlob(const std::vector<uint32_t> &types,
                             const std::string &strings) {
  btf_header hdr{};
  hdr.magic = BTF_MAGIC;
  hdr.version = 1;
  hdr.hdr_len = sizeof(hdr);
  hdr.type_len = types.size() * sizeof(uint32_t);
  hdr.str_off = hdr.type_len;
  hdr.str_len = strings.size();
  std::vector<uint8_t> out(sizeof(hdr) + hdr.type_len + hdr.str_len);
  std::memcpy(out.data(), &hdr, sizeof(hdr));
  std::memcpy(out.data() + sizeof(hdr), types.data(), hdr.type_len);
  std::memcpy(out.data() + sizeof(hdr) + hdr.type_len, strings.data(),
              strings.size());
  return out;
}

// [1] int, [2] int (void) prototype, [3] global function "prog" of type 2.
const std::string kStrings{"\0int\0prog\0file.c\0r0 = 0\0", 24};
constexpr uint32_t kIntName = 1, kProgName = 5, kFileName = 10, kLine = 17;

std::vector<uint8_t> validBtf() {
  return btfBlob({kIntName, btfInfo(BTF_KIND_INT, 0), 4,
                  BTF_INT_SIGNED << 24 | 32, 0, btfInfo(BTF_KIND_FUNC_PROTO, 0),
                  1, kProgName, btfInfo(BTF_KIND_FUNC, BTF_FUNC_GLOBAL), 2},
                 kStrings);
}

// A scratch bpffs directory; mounts bpffs first if it is absent.
class BpffsDir {
public:
  BpffsDir() {
    struct statfs st;
    if (statfs("/sys/fs/bpf", &st) != 0 || st.f_type != BPF_FS_MAGIC)
      mounted_ = mount("bpf", "/sys/fs/bpf", "bpf", 0, nullptr) == 0;
    path_ = "/sys/fs/bpf/bpfcompat-kernel-" + std::to_string(getpid());
  }
  ~BpffsDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
    if (mounted_)
      umount("/sys/fs/bpf");
  }
  const std::string &path() const { return path_; }

private:
  std::string path_;
  bool mounted_ = false;
};

TEST(KernelFd, MovesAndCloses) {
  int raw = dup(STDERR_FILENO);
  ASSERT_GE(raw, 0);
  {
    Fd a(raw);
    Fd b(std::move(a));
    EXPECT_FALSE(a);
    EXPECT_EQ(b.get(), raw);
    Fd c;
    c = std::move(b);
    EXPECT_EQ(c.get(), raw);
  }
  errno = 0;
  EXPECT_EQ(fcntl(raw, F_GETFD), -1);
  EXPECT_EQ(errno, EBADF);
  Fd released(dup(STDERR_FILENO));
  int kept = released.release();
  EXPECT_FALSE(released);
  EXPECT_EQ(close(kept), 0);
}

TEST(KernelError, MessageNamesCallStrerrorAndErrno) {
  KernelError err("BPF_PROG_LOAD 'x'", EACCES, "the log");
  EXPECT_EQ(err.message(), "BPF_PROG_LOAD 'x': Permission denied (EACCES)");
  EXPECT_EQ(err.convertToErrorCode(), std::errc::permission_denied);
  EXPECT_EQ(err.verifierLog(), "the log");
}

TEST(KernelMaps, CreateUpdateLookupDelete) {
  REQUIRE_PRIVILEGE();
  Kernel &k = systemKernel();
  MapCreate spec;
  spec.type = BPF_MAP_TYPE_HASH;
  spec.keySize = 4;
  spec.valueSize = 8;
  spec.maxEntries = 4;
  spec.name = "kv";
  Fd map = orDie(mapCreate(k, spec));
  ASSERT_TRUE(map);
  uint32_t key = 7;
  uint64_t value = 0x1122334455667788, out = 0;
  ASSERT_FALSE(bool(mapUpdate(k, map.get(), &key, &value)));
  ASSERT_FALSE(bool(mapLookup(k, map.get(), &key, &out)));
  EXPECT_EQ(out, value);
  Failure exists = failure(mapUpdate(k, map.get(), &key, &value, BPF_NOEXIST));
  EXPECT_EQ(exists.errnum, EEXIST);
  EXPECT_EQ(exists.message, "BPF_MAP_UPDATE_ELEM: File exists (EEXIST)");
  ASSERT_FALSE(bool(mapDelete(k, map.get(), &key)));
  Failure gone = failure(mapLookup(k, map.get(), &key, &out));
  EXPECT_EQ(gone.errnum, ENOENT);
  EXPECT_NE(gone.message.find("BPF_MAP_LOOKUP_ELEM"), std::string::npos);
  Failure again = failure(mapDelete(k, map.get(), &key));
  EXPECT_EQ(again.errnum, ENOENT);
  EXPECT_NE(again.message.find("BPF_MAP_DELETE_ELEM"), std::string::npos);
}

TEST(KernelMaps, FrozenMapRejectsUpdates) {
  REQUIRE_PRIVILEGE();
  Kernel &k = systemKernel();
  Fd map = orDie(mapCreate(k, arrayMap("frozen")));
  uint32_t key = 0, value = 42, out = 0;
  ASSERT_FALSE(bool(mapUpdate(k, map.get(), &key, &value)));
  ASSERT_FALSE(bool(mapFreeze(k, map.get())));
  Failure f = failure(mapUpdate(k, map.get(), &key, &value));
  EXPECT_EQ(f.errnum, EPERM);
  EXPECT_EQ(f.message, "BPF_MAP_UPDATE_ELEM: Operation not permitted (EPERM)");
  ASSERT_FALSE(bool(mapLookup(k, map.get(), &key, &out)));
  EXPECT_EQ(out, 42u);
  // Not EBUSY: a frozen map is read-only, which the kernel checks first.
  Failure twice = failure(mapFreeze(k, map.get()));
  EXPECT_EQ(twice.errnum, EPERM);
  EXPECT_NE(twice.message.find("BPF_MAP_FREEZE"), std::string::npos);
}

TEST(KernelMaps, InfoReportsWhatWasCreated) {
  REQUIRE_PRIVILEGE();
  Kernel &k = systemKernel();
  MapCreate spec;
  spec.type = BPF_MAP_TYPE_HASH;
  spec.keySize = 8;
  spec.valueSize = 16;
  spec.maxEntries = 32;
  spec.flags = BPF_F_NO_PREALLOC;
  spec.name = "counts";
  Fd map = orDie(mapCreate(k, spec));
  MapInfo info = orDie(mapInfo(k, map.get()));
  EXPECT_EQ(info.type, uint32_t(BPF_MAP_TYPE_HASH));
  EXPECT_GT(info.id, 0u);
  EXPECT_EQ(info.keySize, 8u);
  EXPECT_EQ(info.valueSize, 16u);
  EXPECT_EQ(info.maxEntries, 32u);
  EXPECT_EQ(info.flags, uint32_t(BPF_F_NO_PREALLOC));
  EXPECT_EQ(info.name, "counts");

  // map_extra is the number of hash functions of a bloom filter.
  MapCreate bloom;
  bloom.type = BPF_MAP_TYPE_BLOOM_FILTER;
  bloom.valueSize = 4;
  bloom.maxEntries = 100;
  bloom.mapExtra = 3;
  bloom.name = "bloom";
  Fd bloomFd = orDie(mapCreate(k, bloom));
  EXPECT_EQ(orDie(mapInfo(k, bloomFd.get())).mapExtra, 3u);

  // This command reports a bad fd as EBADFD, not EBADF.
  Failure f = failure(mapInfo(k, -1).takeError());
  EXPECT_EQ(f.errnum, EBADFD);
  EXPECT_NE(f.message.find("BPF_OBJ_GET_INFO_BY_FD"), std::string::npos);
}

TEST(KernelMaps, NamesAreTruncatedAndSanitised) {
  REQUIRE_PRIVILEGE();
  Kernel &k = systemKernel();
  Fd map = orDie(mapCreate(k, arrayMap("a-very-long:map name!")));
  EXPECT_EQ(orDie(mapInfo(k, map.get())).name, "a_very_long_map");
  Fd dotted = orDie(mapCreate(k, arrayMap("obj.rodata")));
  EXPECT_EQ(orDie(mapInfo(k, dotted.get())).name, "obj.rodata");

  LoadedProg prog = orDie(progLoad(k, returning("prog-with/odd name", 0)));
  EXPECT_EQ(orDie(progInfo(k, prog.fd.get())).name, "prog_with_odd_n");
}

TEST(KernelMaps, CreateErrorsNameTheMap) {
  REQUIRE_PRIVILEGE();
  MapCreate spec = arrayMap("no_value_size");
  spec.valueSize = 0;
  Failure f = failure(mapCreate(systemKernel(), spec).takeError());
  EXPECT_EQ(f.errnum, EINVAL);
  EXPECT_EQ(f.message,
            "BPF_MAP_CREATE 'no_value_size': Invalid argument (EINVAL)");
}

TEST(KernelMaps, NumaNodeIsPassedWithTheCallersFlag) {
  REQUIRE_PRIVILEGE();
  Kernel &k = systemKernel();
  MapCreate spec = arrayMap("numa");
  spec.flags = BPF_F_NUMA_NODE;
  spec.hasNumaNode = true;
  spec.numaNode = 0;
  Fd map = orDie(mapCreate(k, spec));
  EXPECT_EQ(orDie(mapInfo(k, map.get())).flags, uint32_t(BPF_F_NUMA_NODE));
  // A node that does not exist proves the field reaches the kernel.
  spec.numaNode = 4096;
  EXPECT_EQ(failure(mapCreate(k, spec).takeError()).errnum, EINVAL);
}

TEST(KernelMaps, ArrayOfMapsTakesAnInnerMap) {
  REQUIRE_PRIVILEGE();
  Kernel &k = systemKernel();
  Fd inner = orDie(mapCreate(k, arrayMap("inner")));
  MapCreate outerSpec = arrayMap("outer");
  outerSpec.type = BPF_MAP_TYPE_ARRAY_OF_MAPS;
  // Without a template the kernel reads inner_map_fd 0 (stdin here), as
  // with libbpf: EINVAL for a non-map, EBADF if closed.
  Failure noInner = failure(mapCreate(k, outerSpec).takeError());
  EXPECT_TRUE(noInner.errnum == EINVAL || noInner.errnum == EBADF)
      << noInner.message;
  outerSpec.innerMapFd = inner.get();
  Fd outer = orDie(mapCreate(k, outerSpec));
  ASSERT_TRUE(outer);
  uint32_t key = 0, innerFd = inner.get(), id = 0;
  ASSERT_FALSE(bool(mapUpdate(k, outer.get(), &key, &innerFd)));
  // Lookups of map-in-map slots return the inner map's id, not an fd.
  ASSERT_FALSE(bool(mapLookup(k, outer.get(), &key, &id)));
  EXPECT_EQ(id, orDie(mapInfo(k, inner.get())).id);
}

TEST(KernelBtf, LoadsValidBlobAndTypesMaps) {
  REQUIRE_PRIVILEGE();
  Kernel &k = systemKernel();
  Fd btf = orDie(btfLoad(k, validBtf()));
  ASSERT_TRUE(btf);
  MapCreate spec = arrayMap("typed");
  spec.btfFd = btf.get();
  spec.btfKeyTypeId = 1;
  spec.btfValueTypeId = 1;
  EXPECT_TRUE(orDie(mapCreate(k, spec)));
  // A type id past the end proves the ids reach the kernel.
  spec.btfValueTypeId = 9;
  EXPECT_EQ(failure(mapCreate(k, spec).takeError()).errnum, EINVAL);
}

TEST(KernelBtf, FailureCarriesTheLog) {
  REQUIRE_PRIVILEGE();
  // [1] a pointer to type 5, which does not exist.
  std::vector<uint8_t> blob =
      btfBlob({0, btfInfo(BTF_KIND_PTR, 0), 5}, std::string("\0", 1));
  size_t fds = openFds();
  Failure f = failure(btfLoad(systemKernel(), blob).takeError());
  EXPECT_EQ(f.errnum, EINVAL);
  EXPECT_EQ(f.message, "BPF_BTF_LOAD: Invalid argument (EINVAL)");
  EXPECT_NE(f.log.find("Invalid type_id"), std::string::npos) << f.log;
  EXPECT_EQ(openFds(), fds);
}

TEST(KernelProgs, LoadsTrivialSocketFilter) {
  REQUIRE_PRIVILEGE();
  Kernel &k = systemKernel();
  LoadedProg prog = orDie(progLoad(k, returning("trivial", 0)));
  ASSERT_TRUE(prog.fd);
  EXPECT_TRUE(prog.log.empty()) << "no log was requested";
  ProgInfo info = orDie(progInfo(k, prog.fd.get()));
  EXPECT_EQ(info.type, uint32_t(BPF_PROG_TYPE_SOCKET_FILTER));
  EXPECT_GT(info.id, 0u);
  EXPECT_EQ(info.name, "trivial");
  EXPECT_EQ(info.verifiedInsns, 2u);
  EXPECT_TRUE(info.xlated.empty()) << "not requested";
}

TEST(KernelProgs, RejectedProgramCarriesTheVerifierLog) {
  REQUIRE_PRIVILEGE();
  // exit without setting r0.
  size_t fds = openFds();
  Failure f =
      failure(progLoad(systemKernel(), socketFilter("bad_prog", {exitInsn()}))
                  .takeError());
  EXPECT_TRUE(f.errnum == EACCES || f.errnum == EINVAL) << f.errnum;
  EXPECT_EQ(f.message, "BPF_PROG_LOAD 'bad_prog': Permission denied (EACCES)");
  EXPECT_NE(f.log.find("R0 !read_ok"), std::string::npos) << f.log;
  EXPECT_EQ(openFds(), fds);
}

TEST(KernelProgs, LogIsReturnedWhenRequested) {
  REQUIRE_PRIVILEGE();
  ProgLoad spec = returning("logged", 0);
  spec.logLevel = 1;
  LoadedProg prog = orDie(progLoad(systemKernel(), spec));
  EXPECT_TRUE(prog.fd);
  EXPECT_NE(prog.log.find("processed 2 insns"), std::string::npos) << prog.log;
}

TEST(KernelProgs, LogBufferGrowsUntilTheLogFits) {
  REQUIRE_PRIVILEGE();
  // Level 2 logs every instruction's state: far more than the first 64 KiB.
  std::vector<bpf_insn> insns(4000, movImm(BPF_REG_0, 0));
  insns.push_back(exitInsn());
  ProgLoad spec = socketFilter("big", insns);
  spec.logLevel = 2;
  LoadedProg prog = orDie(progLoad(systemKernel(), spec));
  EXPECT_TRUE(prog.fd);
  EXPECT_GT(prog.log.size(), size_t(64 << 10));
  // The whole log: its first instruction and its final summary.
  EXPECT_EQ(prog.log.find("func#0 @0\n"), 0u) << prog.log.substr(0, 200);
  EXPECT_NE(prog.log.find("processed 4001 insns"), std::string::npos);
}

// A kernel whose verifier log never fits: every logged load fails with
// ENOSPC after filling the buffer, as the kernel does in that case.
class EndlessLogKernel : public Kernel {
public:
  explicit EndlessLogKernel(int unloggedErr) : unloggedErr_(unloggedErr) {}
  long bpf(int cmd, bpf_attr &attr) override {
    if (cmd != BPF_PROG_LOAD)
      return -EINVAL;
    if (attr.log_level == 0)
      return -unloggedErr_;
    logSizes.push_back(attr.log_size);
    char *buf = reinterpret_cast<char *>(static_cast<uintptr_t>(attr.log_buf));
    std::memset(buf, 'x', attr.log_size - 1);
    buf[attr.log_size - 1] = '\0';
    return -ENOSPC;
  }
  int mkdir(const std::string &, unsigned) override { return -EINVAL; }
  int unlink(const std::string &) override { return -EINVAL; }
  int rmdir(const std::string &) override { return -EINVAL; }
  std::vector<uint32_t> logSizes;

private:
  int unloggedErr_;
};

TEST(KernelProgs, LogGrowthIsBounded) {
  const std::vector<uint32_t> sizes = {64 << 10, 256 << 10, 1 << 20, 4 << 20,
                                       16 << 20};
  // A requested log that never fits is the load's failure.
  EndlessLogKernel logged(EACCES);
  ProgLoad spec = returning("huge", 0);
  spec.logLevel = 2;
  Failure f = failure(progLoad(logged, spec).takeError());
  EXPECT_EQ(logged.logSizes, sizes);
  EXPECT_EQ(f.errnum, ENOSPC);
  EXPECT_EQ(f.message, "BPF_PROG_LOAD 'huge' (verifier log over 16 MiB): No "
                       "space left on device (ENOSPC)");
  EXPECT_EQ(f.log.size(), size_t(16 << 20) - 1);

  // A log wanted only to explain a failure keeps the failure's errno.
  EndlessLogKernel unlogged(EACCES);
  spec.logLevel = 0;
  f = failure(progLoad(unlogged, spec).takeError());
  EXPECT_EQ(unlogged.logSizes, sizes);
  EXPECT_EQ(f.errnum, EACCES);
  EXPECT_EQ(f.message, "BPF_PROG_LOAD 'huge': Permission denied (EACCES)");
  EXPECT_EQ(f.log.size(), size_t(16 << 20) - 1);
}

TEST(KernelProgs, FuncAndLineInfoReachTheKernel) {
  REQUIRE_PRIVILEGE();
  Kernel &k = systemKernel();
  Fd btf = orDie(btfLoad(k, validBtf()));
  ProgLoad spec = returning("prog", 0);
  spec.btfFd = btf.get();
  spec.funcInfo = {{0, 3}};
  spec.lineInfo = {{0, kFileName, kLine, 1 << 10 | 1}};
  spec.logLevel = 2;
  LoadedProg prog = orDie(progLoad(k, spec));
  EXPECT_TRUE(prog.fd);
  // The verifier quotes the source line from line_info.
  EXPECT_NE(prog.log.find("; r0 = 0 @ file.c:1"), std::string::npos)
      << prog.log;

  spec.funcInfo = {{0, 1}}; // not a FUNC
  spec.logLevel = 0;
  Failure f = failure(progLoad(k, spec).takeError());
  EXPECT_EQ(f.errnum, EINVAL);
  EXPECT_NE(f.log.find("invalid type id 1 in func info"), std::string::npos)
      << f.log;
}

TEST(KernelProgs, AttachTypeAndFlagsReachTheKernel) {
  REQUIRE_PRIVILEGE();
  Kernel &k = systemKernel();
  ProgLoad spec = returning("connect4", 1);
  spec.type = BPF_PROG_TYPE_CGROUP_SOCK_ADDR;
  spec.expectedAttachType = BPF_CGROUP_INET4_CONNECT;
  EXPECT_TRUE(orDie(progLoad(k, spec)).fd);
  spec.expectedAttachType = BPF_CGROUP_INET_INGRESS;
  EXPECT_EQ(failure(progLoad(k, spec).takeError()).errnum, EINVAL);

  ProgLoad flagged = returning("flagged", 0);
  flagged.flags = 1u << 31;
  EXPECT_EQ(failure(progLoad(k, flagged).takeError()).errnum, EINVAL);
}

TEST(KernelProgs, XlatedInstructionsMatchTheProgram) {
  REQUIRE_PRIVILEGE();
  Kernel &k = systemKernel();
  ProgLoad spec = returning("xlated", 7);
  LoadedProg prog = orDie(progLoad(k, spec));
  ProgInfo info = orDie(progInfo(k, prog.fd.get(), /*xlated=*/true));
  ASSERT_EQ(info.xlated.size(), spec.insns.size());
  for (size_t i = 0; i < spec.insns.size(); ++i) {
    uint64_t raw;
    std::memcpy(&raw, &spec.insns[i], sizeof(raw));
    EXPECT_EQ(info.xlated[i], raw) << "instruction " << i;
  }
}

TEST(KernelProgs, TestRunReturnsTheProgramsValue) {
  REQUIRE_PRIVILEGE();
  Kernel &k = systemKernel();
  LoadedProg prog = orDie(progLoad(k, returning("const42", 42)));
  TestRun run;
  for (int i = 0; i < 64; ++i)
    run.data.push_back(static_cast<uint8_t>(i + 1));
  run.repeat = 3;
  TestRunResult result = orDie(progTestRun(k, prog.fd.get(), run));
  EXPECT_EQ(result.retval, 42u);
  ASSERT_EQ(result.dataOut.size(), run.data.size());
  // Socket filters see the packet from L3: the kernel hands back the
  // Ethernet header zeroed and the rest as it was.
  EXPECT_EQ(
      std::vector<uint8_t>(result.dataOut.begin(), result.dataOut.begin() + 14),
      std::vector<uint8_t>(14, 0));
  EXPECT_TRUE(std::equal(run.data.begin() + 14, run.data.end(),
                         result.dataOut.begin() + 14));

  Failure f = failure(progTestRun(k, -1, run).takeError());
  EXPECT_EQ(f.errnum, EBADF);
  EXPECT_NE(f.message.find("BPF_PROG_TEST_RUN"), std::string::npos);
}

TEST(KernelPins, PinAndGetRoundTrip) {
  REQUIRE_PRIVILEGE();
  Kernel &k = systemKernel();
  BpffsDir dir;
  ASSERT_EQ(k.mkdir(dir.path(), 0700), 0);
  Fd map = orDie(mapCreate(k, arrayMap("pinned")));
  std::string path = dir.path() + "/pinned";
  ASSERT_FALSE(bool(objPin(k, map.get(), path)));
  Failure exists = failure(objPin(k, map.get(), path));
  EXPECT_EQ(exists.errnum, EEXIST);
  EXPECT_EQ(exists.message, "BPF_OBJ_PIN '" + path + "': File exists (EEXIST)");
  Fd again = orDie(objGet(k, path));
  ASSERT_TRUE(again);
  EXPECT_NE(again.get(), map.get());
  EXPECT_EQ(orDie(mapInfo(k, again.get())).id, orDie(mapInfo(k, map.get())).id);
  EXPECT_EQ(k.unlink(path), 0);
  EXPECT_EQ(k.rmdir(dir.path()), 0);
  EXPECT_EQ(k.rmdir(dir.path()), -ENOENT);
  Failure missing = failure(objGet(k, path).takeError());
  EXPECT_EQ(missing.errnum, ENOENT);
  EXPECT_EQ(missing.message,
            "BPF_OBJ_GET '" + path + "': No such file or directory (ENOENT)");
}

// A kernel call of everyCall(): what its error names, and whether it is a
// log-less first attempt that the wrapper retries with a log when it fails.
struct Call {
  std::string what;
  bool retried = false;
};

// One call of every kind, in a fixed order, undone at the end.
llvm::Error everyCall(Kernel &k, const std::string &dir,
                      std::vector<Call> &calls) {
  auto fsCall = [&](const char *what, const std::string &path,
                    int rc) -> llvm::Error {
    if (rc == 0)
      return llvm::Error::success();
    return llvm::make_error<KernelError>(std::string(what) + " '" + path + "'",
                                         -rc);
  };
  std::string pin = dir + "/map";
  calls = {{"BPF_MAP_CREATE 'fault_map'"},
           {"BPF_MAP_UPDATE_ELEM"},
           {"BPF_MAP_LOOKUP_ELEM"},
           {"BPF_MAP_DELETE_ELEM"},
           {"BPF_MAP_FREEZE"},
           {"BPF_OBJ_GET_INFO_BY_FD"},
           {"BPF_BTF_LOAD", /*retried=*/true},
           {"BPF_PROG_LOAD 'fault_prog'"},
           {"BPF_OBJ_GET_INFO_BY_FD"},
           {"BPF_OBJ_GET_INFO_BY_FD"},
           {"BPF_PROG_TEST_RUN"},
           {"mkdir '" + dir + "'"},
           {"BPF_OBJ_PIN '" + pin + "'"},
           {"BPF_OBJ_GET '" + pin + "'"},
           {"unlink '" + pin + "'"},
           {"rmdir '" + dir + "'"}};
  MapCreate spec;
  spec.type = BPF_MAP_TYPE_HASH;
  spec.keySize = spec.valueSize = 4;
  spec.maxEntries = 2;
  spec.name = "fault_map";
  auto map = mapCreate(k, spec);
  if (!map)
    return map.takeError();
  uint32_t key = 1, value = 2;
  if (llvm::Error err = mapUpdate(k, map->get(), &key, &value))
    return err;
  if (llvm::Error err = mapLookup(k, map->get(), &key, &value))
    return err;
  if (llvm::Error err = mapDelete(k, map->get(), &key))
    return err;
  if (llvm::Error err = mapFreeze(k, map->get()))
    return err;
  if (auto info = mapInfo(k, map->get()); !info)
    return info.takeError();
  auto btf = btfLoad(k, validBtf());
  if (!btf)
    return btf.takeError();
  // Logged so that the load is one call (an unlogged one is retried).
  ProgLoad progSpec = returning("fault_prog", 1);
  progSpec.logLevel = 1;
  auto prog = progLoad(k, progSpec);
  if (!prog)
    return prog.takeError();
  if (auto info = progInfo(k, prog->fd.get(), /*xlated=*/true); !info)
    return info.takeError();
  TestRun run;
  run.data.assign(64, 0);
  if (auto result = progTestRun(k, prog->fd.get(), run); !result)
    return result.takeError();
  if (llvm::Error err = fsCall("mkdir", dir, k.mkdir(dir, 0700)))
    return err;
  if (llvm::Error err = objPin(k, map->get(), pin))
    return err;
  if (auto pinned = objGet(k, pin); !pinned)
    return pinned.takeError();
  if (llvm::Error err = fsCall("unlink", pin, k.unlink(pin)))
    return err;
  return fsCall("rmdir", dir, k.rmdir(dir));
}

TEST(KernelFaults, EveryCallFailsCleanly) {
  REQUIRE_PRIVILEGE();
  BpffsDir dir;
  std::vector<Call> calls;
  unsigned total;
  {
    FaultInjectingKernel counting(systemKernel(), 0, 0);
    llvm::Error err = everyCall(counting, dir.path(), calls);
    ASSERT_FALSE(bool(err)) << llvm::toString(std::move(err));
    EXPECT_FALSE(counting.injected());
    total = counting.calls();
  }
  ASSERT_EQ(total, calls.size());
  for (unsigned n = 1; n <= total; ++n) {
    const Call call = calls[n - 1];
    SCOPED_TRACE("failing call " + std::to_string(n) + ": " + call.what);
    size_t fds = openFds();
    FaultInjectingKernel failing(systemKernel(), n, ENOMEM);
    llvm::Error err = everyCall(failing, dir.path(), calls);
    EXPECT_TRUE(failing.injected());
    if (call.retried) {
      EXPECT_FALSE(bool(err)) << llvm::toString(std::move(err));
      EXPECT_EQ(failing.calls(), total + 1);
    } else {
      Failure f = failure(std::move(err));
      EXPECT_EQ(failing.calls(), n) << "nothing runs after the failure";
      EXPECT_EQ(f.errnum, ENOMEM);
      EXPECT_EQ(f.message, call.what + ": Cannot allocate memory (ENOMEM)");
    }
    EXPECT_EQ(openFds(), fds);
    std::error_code ec;
    fs::remove_all(dir.path(), ec);
  }
}

TEST(KernelFaults, InjectedCallDoesNotReachTheKernel) {
  REQUIRE_PRIVILEGE();
  BpffsDir dir;
  FaultInjectingKernel failing(systemKernel(), 1, EACCES);
  EXPECT_EQ(failing.mkdir(dir.path(), 0700), -EACCES);
  EXPECT_TRUE(failing.injected());
  EXPECT_FALSE(fs::exists(dir.path()));
  // Later calls go through.
  EXPECT_EQ(failing.mkdir(dir.path(), 0700), 0);
  EXPECT_TRUE(fs::is_directory(dir.path()));
  EXPECT_EQ(failing.rmdir(dir.path()), 0);
  EXPECT_EQ(failing.calls(), 3u);
}

TEST(KernelFaults, UnloggedLoadIsRetriedWithALog) {
  REQUIRE_PRIVILEGE();
  // The first, log-less attempt fails; the logged retry is a fresh load.
  FaultInjectingKernel failing(systemKernel(), 1, ENOMEM);
  LoadedProg prog = orDie(progLoad(failing, returning("retried", 0)));
  EXPECT_TRUE(prog.fd);
  EXPECT_TRUE(failing.injected());
  EXPECT_EQ(failing.calls(), 2u);
}

TEST(KernelVersion, MatchesUname) {
  utsname uts;
  ASSERT_EQ(uname(&uts), 0);
  std::istringstream in(uts.release);
  unsigned major = 0, minor = 0, patch = 0;
  char dot;
  in >> major >> dot >> minor >> dot >> patch;
  EXPECT_EQ(runningKernelVersion(),
            major << 16 | minor << 8 | std::min(patch, 255u))
      << uts.release;
  EXPECT_GE(runningKernelVersion(), 6u << 16);
}

} // namespace
} // namespace bpfcompat::kern
