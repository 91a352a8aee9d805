// bpf(2) and bpffs behind the Kernel interface, and typed wrappers that
// build union bpf_attr for each command we use. The wrappers own every fd the
// kernel hands out from the moment it is returned, so no error path leaks one.
#include "bpfcompat/kernel.h"

#include "bpfcompat/error.h"

#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

namespace bpfcompat::kern {

char KernelError::ID = 0;

Fd &Fd::operator=(Fd &&other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0)
    ::close(fd_);
}

int Fd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

void KernelError::log(llvm::raw_ostream &os) const {
  const char *desc = strerrordesc_np(errno_);
  const char *name = strerrorname_np(errno_);
  os << what_ << ": ";
  if (desc && name)
    os << desc << " (" << name << ")";
  else
    os << "errno " << errno_;
}

std::error_code KernelError::convertToErrorCode() const {
  return {errno_, std::generic_category()};
}

namespace {

// The verifier is interrupted by pending signals and then fails the load
// with EAGAIN; libbpf retries the same number of times.
constexpr int kProgLoadAttempts = 5;

class SystemKernel : public Kernel {
public:
  long bpf(int cmd, bpf_attr &attr) override {
    long rc;
    int attempts = cmd == BPF_PROG_LOAD ? kProgLoadAttempts : 1;
    do
      rc = ::syscall(__NR_bpf, cmd, &attr, sizeof(attr));
    while (rc < 0 && errno == EAGAIN && --attempts > 0);
    return rc < 0 ? -errno : rc;
  }
  int mkdir(const std::string &path, unsigned mode) override {
    return ::mkdir(path.c_str(), mode) == 0 ? 0 : -errno;
  }
  int unlink(const std::string &path) override {
    return ::unlink(path.c_str()) == 0 ? 0 : -errno;
  }
  int rmdir(const std::string &path) override {
    return ::rmdir(path.c_str()) == 0 ? 0 : -errno;
  }
};

uint64_t ptr(const void *p) { return reinterpret_cast<uintptr_t>(p); }

llvm::Error fail(std::string what, long rc, std::string log = {}) {
  return llvm::make_error<KernelError>(std::move(what), static_cast<int>(-rc),
                                       std::move(log));
}

std::string quoted(const char *cmd, const std::string &name) {
  return name.empty() ? cmd : std::string(cmd) + " '" + name + "'";
}

// The kernel rejects object names longer than BPF_OBJ_NAME_LEN - 1 or with
// characters outside [A-Za-z0-9_.]; names from ELF symbols may have both.
void copyObjName(char (&dst)[BPF_OBJ_NAME_LEN], const std::string &name) {
  size_t n = std::min(name.size(), sizeof(dst) - 1);
  for (size_t i = 0; i < n; ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.';
    dst[i] = ok ? c : '_';
  }
  dst[n] = '\0';
}

std::string logText(const std::vector<char> &buf) {
  return {buf.data(), strnlen(buf.data(), buf.size())};
}

constexpr size_t kBtfLogSize = 1 << 20;
constexpr size_t kProgLogMin = 64 << 10;
constexpr size_t kProgLogMax = 16 << 20;

} // namespace

Kernel &systemKernel() {
  static SystemKernel kernel;
  return kernel;
}

FaultInjectingKernel::FaultInjectingKernel(Kernel &inner, unsigned failAt,
                                           int err)
    : inner_(inner), failAt_(failAt), err_(err) {}

bool FaultInjectingKernel::failNow() {
  if (++calls_ != failAt_)
    return false;
  injected_ = true;
  return true;
}

long FaultInjectingKernel::bpf(int cmd, bpf_attr &attr) {
  return failNow() ? -err_ : inner_.bpf(cmd, attr);
}

int FaultInjectingKernel::mkdir(const std::string &path, unsigned mode) {
  return failNow() ? -err_ : inner_.mkdir(path, mode);
}

int FaultInjectingKernel::unlink(const std::string &path) {
  return failNow() ? -err_ : inner_.unlink(path);
}

int FaultInjectingKernel::rmdir(const std::string &path) {
  return failNow() ? -err_ : inner_.rmdir(path);
}

llvm::Expected<Fd> mapCreate(Kernel &k, const MapCreate &spec) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.map_type = spec.type;
  attr.key_size = spec.keySize;
  attr.value_size = spec.valueSize;
  attr.max_entries = spec.maxEntries;
  // The caller's flags go through unchanged: numa_node only takes effect
  // with BPF_F_NUMA_NODE, which is the caller's (the object's) decision.
  attr.map_flags = spec.flags;
  if (spec.innerMapFd >= 0)
    attr.inner_map_fd = spec.innerMapFd;
  if (spec.hasNumaNode)
    attr.numa_node = spec.numaNode;
  copyObjName(attr.map_name, spec.name);
  if (spec.btfFd >= 0) {
    attr.btf_fd = spec.btfFd;
    attr.btf_key_type_id = spec.btfKeyTypeId;
    attr.btf_value_type_id = spec.btfValueTypeId;
  }
  attr.map_extra = spec.mapExtra;
  long rc = k.bpf(BPF_MAP_CREATE, attr);
  if (rc < 0)
    return fail(quoted("BPF_MAP_CREATE", spec.name), rc);
  return Fd(static_cast<int>(rc));
}

llvm::Error mapUpdate(Kernel &k, int mapFd, const void *key, const void *value,
                      uint64_t flags) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.map_fd = mapFd;
  attr.key = ptr(key);
  attr.value = ptr(value);
  attr.flags = flags;
  long rc = k.bpf(BPF_MAP_UPDATE_ELEM, attr);
  return rc < 0 ? fail("BPF_MAP_UPDATE_ELEM", rc) : llvm::Error::success();
}

llvm::Error mapLookup(Kernel &k, int mapFd, const void *key, void *value) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.map_fd = mapFd;
  attr.key = ptr(key);
  attr.value = ptr(value);
  long rc = k.bpf(BPF_MAP_LOOKUP_ELEM, attr);
  return rc < 0 ? fail("BPF_MAP_LOOKUP_ELEM", rc) : llvm::Error::success();
}

llvm::Error mapDelete(Kernel &k, int mapFd, const void *key) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.map_fd = mapFd;
  attr.key = ptr(key);
  long rc = k.bpf(BPF_MAP_DELETE_ELEM, attr);
  return rc < 0 ? fail("BPF_MAP_DELETE_ELEM", rc) : llvm::Error::success();
}

llvm::Expected<Fd> progFromId(Kernel &k, uint32_t id) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.prog_id = id;
  long rc = k.bpf(BPF_PROG_GET_FD_BY_ID, attr);
  if (rc < 0)
    return fail("BPF_PROG_GET_FD_BY_ID " + std::to_string(id), rc);
  return Fd(int(rc));
}

llvm::Error mapFreeze(Kernel &k, int mapFd) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.map_fd = mapFd;
  long rc = k.bpf(BPF_MAP_FREEZE, attr);
  return rc < 0 ? fail("BPF_MAP_FREEZE", rc) : llvm::Error::success();
}

namespace {

// BPF_OBJ_GET_INFO_BY_FD into `info`, whose size tells the kernel how much
// of its (possibly larger) struct we understand.
template <typename Info> llvm::Error objInfo(Kernel &k, int fd, Info &info) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.info.bpf_fd = fd;
  attr.info.info_len = sizeof(info);
  attr.info.info = ptr(&info);
  long rc = k.bpf(BPF_OBJ_GET_INFO_BY_FD, attr);
  return rc < 0 ? fail("BPF_OBJ_GET_INFO_BY_FD", rc) : llvm::Error::success();
}

template <size_t N> std::string infoName(const char (&name)[N]) {
  return {name, strnlen(name, N)};
}

} // namespace

llvm::Expected<MapInfo> mapInfo(Kernel &k, int mapFd) {
  bpf_map_info info;
  std::memset(&info, 0, sizeof(info));
  if (llvm::Error err = objInfo(k, mapFd, info))
    return err;
  MapInfo out;
  out.type = info.type;
  out.id = info.id;
  out.keySize = info.key_size;
  out.valueSize = info.value_size;
  out.maxEntries = info.max_entries;
  out.flags = info.map_flags;
  out.mapExtra = info.map_extra;
  out.name = infoName(info.name);
  return out;
}

llvm::Expected<ProgInfo> progInfo(Kernel &k, int progFd, bool xlated) {
  bpf_prog_info info;
  std::memset(&info, 0, sizeof(info));
  if (llvm::Error err = objInfo(k, progFd, info))
    return err;
  ProgInfo out;
  out.type = info.type;
  out.id = info.id;
  out.name = infoName(info.name);
  out.verifiedInsns = info.verified_insns;
  // The first call only tells the size; the kernel fills the buffer on a
  // second call and reports 0 when the caller may not see instructions.
  if (xlated && info.xlated_prog_len > 0) {
    uint32_t len = info.xlated_prog_len;
    out.xlated.resize(len / sizeof(uint64_t));
    std::memset(&info, 0, sizeof(info));
    info.xlated_prog_len = len;
    info.xlated_prog_insns = ptr(out.xlated.data());
    if (llvm::Error err = objInfo(k, progFd, info))
      return err;
    out.xlated.resize(std::min(len, info.xlated_prog_len) / sizeof(uint64_t));
  }
  return out;
}

llvm::Expected<LinkInfo> linkInfo(Kernel &k, int linkFd) {
  bpf_link_info info;
  std::memset(&info, 0, sizeof(info));
  if (llvm::Error err = objInfo(k, linkFd, info))
    return err;
  return LinkInfo{info.type, info.id, info.prog_id};
}

llvm::Expected<Fd> linkCreate(Kernel &k, const LinkCreate &spec) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.link_create.prog_fd = spec.progFd;
  attr.link_create.target_fd = spec.target;
  attr.link_create.attach_type = spec.attachType;
  attr.link_create.flags = spec.flags;
  long rc = k.bpf(BPF_LINK_CREATE, attr);
  if (rc < 0)
    return fail(quoted("BPF_LINK_CREATE", spec.name), rc);
  return Fd(static_cast<int>(rc));
}

llvm::Expected<Fd> rawTracepointOpen(Kernel &k, int progFd,
                                     const std::string &name) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.raw_tracepoint.name = ptr(name.c_str());
  attr.raw_tracepoint.prog_fd = progFd;
  long rc = k.bpf(BPF_RAW_TRACEPOINT_OPEN, attr);
  if (rc < 0)
    return fail(quoted("BPF_RAW_TRACEPOINT_OPEN", name), rc);
  return Fd(static_cast<int>(rc));
}

llvm::Error objPin(Kernel &k, int fd, const std::string &path) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.pathname = ptr(path.c_str());
  attr.bpf_fd = fd;
  long rc = k.bpf(BPF_OBJ_PIN, attr);
  return rc < 0 ? fail(quoted("BPF_OBJ_PIN", path), rc)
                : llvm::Error::success();
}

llvm::Expected<Fd> objGet(Kernel &k, const std::string &path) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.pathname = ptr(path.c_str());
  long rc = k.bpf(BPF_OBJ_GET, attr);
  if (rc < 0)
    return fail(quoted("BPF_OBJ_GET", path), rc);
  return Fd(static_cast<int>(rc));
}

llvm::Expected<Fd> btfLoad(Kernel &k, const std::vector<uint8_t> &btf) {
  auto load = [&](std::vector<char> *log) {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.btf = ptr(btf.data());
    attr.btf_size = btf.size();
    if (log) {
      attr.btf_log_level = 1;
      attr.btf_log_buf = ptr(log->data());
      attr.btf_log_size = log->size();
    }
    return k.bpf(BPF_BTF_LOAD, attr);
  };
  // Without a log first: the kernel formats the log even on success.
  long rc = load(nullptr);
  if (rc >= 0)
    return Fd(static_cast<int>(rc));
  std::vector<char> log(kBtfLogSize, '\0');
  long retry = load(&log);
  if (retry >= 0)
    return Fd(static_cast<int>(retry));
  // ENOSPC only says the log was cut short; the first errno is the reason.
  return fail("BPF_BTF_LOAD", retry == -ENOSPC ? rc : retry, logText(log));
}

llvm::Expected<LoadedProg> progLoad(Kernel &k, const ProgLoad &spec) {
  auto load = [&](uint32_t level, std::vector<char> *log) {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.prog_type = spec.type;
    attr.expected_attach_type = spec.expectedAttachType;
    attr.attach_btf_id = spec.attachBtfId;
    attr.insn_cnt = spec.insns.size();
    attr.insns = ptr(spec.insns.data());
    attr.license = ptr(spec.license.c_str());
    attr.kern_version = spec.kernVersion;
    attr.prog_flags = spec.flags;
    copyObjName(attr.prog_name, spec.name);
    if (spec.btfFd >= 0)
      attr.prog_btf_fd = spec.btfFd;
    if (!spec.funcInfo.empty()) {
      attr.func_info_rec_size = sizeof(bpf_func_info);
      attr.func_info = ptr(spec.funcInfo.data());
      attr.func_info_cnt = spec.funcInfo.size();
    }
    if (!spec.lineInfo.empty()) {
      attr.line_info_rec_size = sizeof(bpf_line_info);
      attr.line_info = ptr(spec.lineInfo.data());
      attr.line_info_cnt = spec.lineInfo.size();
    }
    if (log) {
      attr.log_level = level;
      attr.log_buf = ptr(log->data());
      attr.log_size = log->size();
    }
    return k.bpf(BPF_PROG_LOAD, attr);
  };
  // The kernel fails with ENOSPC when the log does not fit (even if the
  // program verified), so grow the buffer until it does, within a bound.
  std::string log;
  auto loadLogged = [&](uint32_t level) {
    for (size_t size = kProgLogMin;; size *= 4) {
      std::vector<char> buf(size, '\0');
      long rc = load(level, &buf);
      log = logText(buf);
      if (rc != -ENOSPC || size >= kProgLogMax)
        return rc;
    }
  };
  long rc;
  bool logCut = false;
  if (spec.logLevel > 0) {
    rc = loadLogged(spec.logLevel);
    logCut = rc == -ENOSPC;
  } else {
    // Without a log first: formatting it costs verification time, and the
    // log is only wanted to explain a failure.
    long first = load(0, nullptr);
    if (first >= 0)
      return LoadedProg{Fd(static_cast<int>(first)), {}};
    rc = loadLogged(kLogLevelVerbose);
    if (rc == -ENOSPC)
      rc = first; // only the log was cut short; the first errno is the reason
  }
  if (rc < 0)
    return fail(quoted("BPF_PROG_LOAD", spec.name) +
                    (logCut ? " (verifier log over 16 MiB)" : ""),
                rc, std::move(log));
  return LoadedProg{Fd(static_cast<int>(rc)), std::move(log)};
}

llvm::Expected<TestRunResult> progTestRun(Kernel &k, int progFd,
                                          const TestRun &run) {
  // Room for programs that grow the packet (XDP may push up to 256 bytes of
  // headroom).
  std::vector<uint8_t> out(run.data.empty() ? 0 : run.data.size() + 256);
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.test.prog_fd = progFd;
  // Program types run on a context alone (raw_tracepoint, syscall) reject
  // data buffers and a repeat count; repeat 0 and 1 mean the same elsewhere.
  if (!run.data.empty()) {
    attr.test.data_in = ptr(run.data.data());
    attr.test.data_size_in = run.data.size();
    attr.test.data_out = ptr(out.data());
    attr.test.data_size_out = out.size();
  }
  if (!run.ctx.empty()) {
    attr.test.ctx_in = ptr(run.ctx.data());
    attr.test.ctx_size_in = run.ctx.size();
  }
  if (run.repeat > 1)
    attr.test.repeat = run.repeat;
  long rc = k.bpf(BPF_PROG_TEST_RUN, attr);
  if (rc < 0)
    return fail("BPF_PROG_TEST_RUN", rc);
  TestRunResult result;
  result.retval = attr.test.retval;
  out.resize(std::min<size_t>(out.size(), attr.test.data_size_out));
  result.dataOut = std::move(out);
  return result;
}

int errnoOf(llvm::Error &err) {
  int errnum = 0;
  err = llvm::handleErrors(std::move(err),
                           [&](std::unique_ptr<KernelError> e) -> llvm::Error {
                             errnum = e->errnum();
                             return llvm::Error(std::move(e));
                           });
  return errnum;
}

llvm::Error withContext(llvm::Error err, const llvm::Twine &prefix) {
  std::string p = prefix.str();
  return llvm::handleErrors(
      std::move(err),
      [&](const KernelError &e) -> llvm::Error {
        return llvm::make_error<KernelError>(p + ": " + e.what(), e.errnum(),
                                             e.verifierLog());
      },
      [&](std::unique_ptr<llvm::ErrorInfoBase> e) {
        return prefixError(llvm::Error(std::move(e)), p);
      });
}

uint32_t runningKernelVersion() {
  utsname uts;
  if (::uname(&uts) != 0)
    return 0;
  unsigned major = 0, minor = 0, patch = 0;
  std::sscanf(uts.release, "%u.%u.%u", &major, &minor, &patch);
  // KERNEL_VERSION saturates the sublevel at 255 since 4.9.256 and 4.14.256.
  return (major << 16) + (minor << 8) + std::min(patch, 255u);
}

} // namespace bpfcompat::kern
