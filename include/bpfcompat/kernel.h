// The kernel interface of our loader: bpf(2), bpffs and attach calls.
//
// Every kernel interaction of `load` goes through a Kernel, so tests can make
// the N-th call fail (FaultInjectingKernel) and prove that a failed load
// leaves nothing behind. Errors name the command and carry errno.
#pragma once

#include <llvm/Support/Error.h>

#include <cstdint>
#include <linux/bpf.h>
#include <memory>
#include <string>
#include <vector>

namespace bpfcompat::kern {

// An owned file descriptor (closed on destruction).
class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd &&other) noexcept : fd_(other.release()) {}
  Fd &operator=(Fd &&other) noexcept;
  Fd(const Fd &) = delete;
  Fd &operator=(const Fd &) = delete;
  ~Fd();
  int get() const { return fd_; }
  int release();
  explicit operator bool() const { return fd_ >= 0; }

private:
  int fd_ = -1;
};

// A kernel error: the failed call, errno, and for loads the verifier log.
class KernelError : public llvm::ErrorInfo<KernelError> {
public:
  static char ID;
  KernelError(std::string what, int err, std::string log = {})
      : what_(std::move(what)), errno_(err), log_(std::move(log)) {}
  void log(llvm::raw_ostream &os) const override;
  std::error_code convertToErrorCode() const override;
  int errnum() const { return errno_; }
  const std::string &verifierLog() const { return log_; }
  const std::string &what() const { return what_; }

private:
  std::string what_;
  int errno_;
  std::string log_;
};

// The errno of `err` when it is a KernelError, else 0. `err` is unchanged, so
// callers can branch on the errno and still return the error.
int errnoOf(llvm::Error &err);

// Like bpfcompat::prefixError, but a KernelError stays one (keeping its errno
// and verifier log) so callers can still show the log.
llvm::Error withContext(llvm::Error err, const llvm::Twine &prefix);

class Kernel {
public:
  virtual ~Kernel() = default;
  // bpf(cmd, attr, sizeof attr): the result (an fd or 0), or -errno.
  virtual long bpf(int cmd, bpf_attr &attr) = 0;
  // Filesystem calls on bpffs: 0 or -errno.
  virtual int mkdir(const std::string &path, unsigned mode) = 0;
  virtual int unlink(const std::string &path) = 0;
  virtual int rmdir(const std::string &path) = 0;
};

// The running kernel.
Kernel &systemKernel();

// Forwards to another Kernel but fails call number `failAt` (1-based) with
// `err`; counts calls so tests can iterate over every failure point.
class FaultInjectingKernel : public Kernel {
public:
  FaultInjectingKernel(Kernel &inner, unsigned failAt, int err);
  long bpf(int cmd, bpf_attr &attr) override;
  int mkdir(const std::string &path, unsigned mode) override;
  int unlink(const std::string &path) override;
  int rmdir(const std::string &path) override;
  unsigned calls() const { return calls_; }
  bool injected() const { return injected_; }

private:
  bool failNow();
  Kernel &inner_;
  unsigned failAt_;
  int err_;
  unsigned calls_ = 0;
  bool injected_ = false;
};

// Typed wrappers over Kernel::bpf. Each returns a KernelError naming what it
// did ("BPF_MAP_CREATE 'counts'") on failure.
struct MapCreate {
  uint32_t type = 0, keySize = 0, valueSize = 0, maxEntries = 0, flags = 0;
  std::string name; // truncated to 15 characters by the wrapper
  int innerMapFd = -1;
  uint32_t numaNode = 0;
  bool hasNumaNode = false;
  uint64_t mapExtra = 0;
  int btfFd = -1;
  uint32_t btfKeyTypeId = 0, btfValueTypeId = 0;
};
llvm::Expected<Fd> mapCreate(Kernel &k, const MapCreate &spec);
llvm::Error mapUpdate(Kernel &k, int mapFd, const void *key, const void *value,
                      uint64_t flags = 0);
llvm::Error mapLookup(Kernel &k, int mapFd, const void *key, void *value);
llvm::Error mapDelete(Kernel &k, int mapFd, const void *key);
llvm::Error mapFreeze(Kernel &k, int mapFd);
// BPF_PROG_GET_FD_BY_ID: a program known by id (e.g. from a prog array).
llvm::Expected<Fd> progFromId(Kernel &k, uint32_t id);

struct MapInfo {
  uint32_t type = 0, id = 0, keySize = 0, valueSize = 0, maxEntries = 0,
           flags = 0;
  uint64_t mapExtra = 0;
  std::string name;
};
llvm::Expected<MapInfo> mapInfo(Kernel &k, int mapFd);

struct ProgInfo {
  uint32_t type = 0, id = 0;
  std::string name;
  std::vector<uint64_t> xlated; // filled when requested
  uint32_t verifiedInsns = 0;
};
llvm::Expected<ProgInfo> progInfo(Kernel &k, int progFd, bool xlated = false);

llvm::Error objPin(Kernel &k, int fd, const std::string &path);
llvm::Expected<Fd> objGet(Kernel &k, const std::string &path);

// BPF_LINK_CREATE. `target` is the target_fd or target_ifindex, as the
// attach type wants; `name` describes the attach point for the error.
struct LinkCreate {
  int progFd = -1;
  uint32_t target = 0;
  uint32_t attachType = 0;
  uint32_t flags = 0;
  std::string name;
};
llvm::Expected<Fd> linkCreate(Kernel &k, const LinkCreate &spec);
// BPF_RAW_TRACEPOINT_OPEN: the fd is a link (pinnable) since Linux 5.7.
llvm::Expected<Fd> rawTracepointOpen(Kernel &k, int progFd,
                                     const std::string &name);

struct LinkInfo {
  uint32_t type = 0, id = 0, progId = 0;
};
llvm::Expected<LinkInfo> linkInfo(Kernel &k, int linkFd);

// BTF load; on failure retries with a log and puts it in the KernelError.
llvm::Expected<Fd> btfLoad(Kernel &k, const std::vector<uint8_t> &btf);

// Verifier log_level bits (the kernel's BPF_LOG_LEVEL1 and BPF_LOG_STATS,
// which the UAPI header does not name).
inline constexpr int kLogLevelVerbose = 1;
inline constexpr int kLogLevelStats = 4;

struct ProgLoad {
  uint32_t type = 0;
  uint32_t expectedAttachType = 0;
  uint32_t attachBtfId = 0; // tracing/LSM: the target in vmlinux BTF
  std::string name;         // truncated to 15 characters by the wrapper
  std::string license;
  uint32_t kernVersion = 0;
  std::vector<bpf_insn> insns;
  int btfFd = -1;
  std::vector<bpf_func_info> funcInfo;
  std::vector<bpf_line_info> lineInfo;
  uint32_t flags = 0;
  int logLevel = 0; // > 0: always capture the verifier log (kLogLevel*)
};
struct LoadedProg {
  Fd fd;
  std::string log; // verifier log when requested
};
// On failure the verifier log is captured (the buffer grows until it fits,
// up to a bound) and returned inside the KernelError.
llvm::Expected<LoadedProg> progLoad(Kernel &k, const ProgLoad &spec);

struct TestRun {
  std::vector<uint8_t> data; // packet or context input
  std::vector<uint8_t> ctx;
  uint32_t repeat = 1;
};
struct TestRunResult {
  uint32_t retval = 0;
  std::vector<uint8_t> dataOut;
};
llvm::Expected<TestRunResult> progTestRun(Kernel &k, int progFd,
                                          const TestRun &run);

// The running kernel's LINUX_VERSION_CODE (from uname).
uint32_t runningKernelVersion();

} // namespace bpfcompat::kern
