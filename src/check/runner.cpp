// Running checks in parallel worker processes.
//
// Processes rather than threads because a per-object memory limit needs an
// address space of its own (RLIMIT_AS), and a per-object time limit needs
// something that can be stopped at any instruction (SIGKILL): one hostile or
// pathological object costs one worker, which is replaced, never the run.
// Workers are forked once and fed object indices through a pipe, so the
// fork cost is paid per worker, not per object.
#include "bpfcompat/check.h"
#include "bpfcompat/error.h"

#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/xxhash.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "scratch.h"

namespace bpfcompat::check {

namespace {

using Clock = std::chrono::steady_clock;

// ---- worker <-> runner wire format: frames of [kind][u32 length][payload]

enum class FrameKind : uint8_t { StageStarted = 'S', Result = 'R' };

class Encoder {
public:
  void u64(uint64_t v) { out_.append(reinterpret_cast<char *>(&v), 8); }
  void f64(double v) { out_.append(reinterpret_cast<char *>(&v), 8); }
  void str(const std::string &s) {
    u64(s.size());
    out_ += s;
  }
  void strs(const std::vector<std::string> &v) {
    u64(v.size());
    for (const std::string &s : v)
      str(s);
  }
  std::string take() { return std::move(out_); }

private:
  std::string out_;
};

// Decoding trusts nothing: the bytes came from a process that may have been
// half-way through dying.
class Decoder {
public:
  explicit Decoder(llvm::StringRef in) : in_(in) {}
  uint64_t u64() {
    uint64_t v = 0;
    if (in_.size() < 8) {
      ok_ = false;
      return 0;
    }
    std::memcpy(&v, in_.data(), 8);
    in_ = in_.drop_front(8);
    return v;
  }
  double f64() {
    uint64_t bits = u64();
    double v;
    std::memcpy(&v, &bits, 8);
    return v;
  }
  std::string str() {
    uint64_t n = u64();
    if (n > in_.size()) {
      ok_ = false;
      return {};
    }
    std::string s = in_.take_front(n).str();
    in_ = in_.drop_front(n);
    return s;
  }
  std::vector<std::string> strs() {
    std::vector<std::string> v(std::min<uint64_t>(u64(), in_.size()));
    for (std::string &s : v)
      s = str();
    return v;
  }
  template <typename E> E enumeration(E max) {
    uint64_t v = u64();
    if (v > uint64_t(max))
      ok_ = false;
    return ok_ ? E(v) : E(0);
  }
  bool ok() const { return ok_ && in_.empty(); }

private:
  llvm::StringRef in_;
  bool ok_ = true;
};

std::string encode(const ObjectResult &r) {
  Encoder e;
  e.strs(r.paths);
  e.str(r.sha1);
  e.u64(r.size);
  e.str(r.convention);
  e.strs(r.evidence);
  e.u64(r.maps);
  e.u64(r.programs);
  e.u64(r.losses);
  e.u64(r.stages.size());
  for (const StageResult &s : r.stages) {
    e.u64(uint64_t(s.stage));
    e.u64(uint64_t(s.status));
    e.str(s.error);
    e.str(s.signature);
    e.f64(s.seconds);
  }
  e.u64(r.verifier.size());
  for (const VerifierFigures &f : r.verifier) {
    e.str(f.program);
    e.u64(uint64_t(f.stage));
    e.u64(f.loaded);
    e.u64(f.insnsProcessed);
    e.u64(f.totalStates);
    e.u64(f.peakStates);
    e.u64(f.maxStatesPerInsn);
    e.u64(f.verificationMicros);
  }
  e.f64(r.seconds);
  return e.take();
}

std::optional<ObjectResult> decode(llvm::StringRef bytes) {
  Decoder d(bytes);
  ObjectResult r;
  r.paths = d.strs();
  r.sha1 = d.str();
  r.size = d.u64();
  r.convention = d.str();
  r.evidence = d.strs();
  r.maps = d.u64();
  r.programs = d.u64();
  r.losses = d.u64();
  r.stages.resize(std::min<uint64_t>(d.u64(), std::size(kStages)));
  for (StageResult &s : r.stages) {
    s.stage = d.enumeration(Stage::LoadConverted);
    s.status = d.enumeration(Status::Skip);
    s.error = d.str();
    s.signature = d.str();
    s.seconds = d.f64();
  }
  r.verifier.resize(std::min<uint64_t>(d.u64(), bytes.size()));
  for (VerifierFigures &f : r.verifier) {
    f.program = d.str();
    f.stage = d.enumeration(Stage::LoadConverted);
    f.loaded = d.u64() != 0;
    f.insnsProcessed = d.u64();
    f.totalStates = d.u64();
    f.peakStates = d.u64();
    f.maxStatesPerInsn = d.u64();
    f.verificationMicros = d.u64();
  }
  r.seconds = d.f64();
  if (!d.ok())
    return std::nullopt;
  return r;
}

// Moves exactly `size` bytes through read(2) or write(2), across short
// transfers and signals; false at end of file or on an error.
template <typename Byte, typename Transfer>
bool transferAll(int fd, Byte *p, size_t size, Transfer transfer) {
  while (size > 0) {
    ssize_t n = transfer(fd, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    p += n;
    size -= n;
  }
  return true;
}

bool writeAll(int fd, const void *data, size_t size) {
  return transferAll(fd, static_cast<const char *>(data), size, ::write);
}

bool readAll(int fd, void *data, size_t size) {
  return transferAll(fd, static_cast<char *>(data), size, ::read);
}

void writeFrame(int fd, FrameKind kind, const std::string &payload) {
  char header[5];
  header[0] = char(kind);
  uint32_t size = payload.size();
  std::memcpy(header + 1, &size, 4);
  if (!writeAll(fd, header, 5) || !writeAll(fd, payload.data(), size))
    ::_exit(1); // the runner is gone
}

// ---- the worker

// Caps the address space at what the worker uses now plus `bytes`, so the
// limit is per object however much earlier objects left mapped.
void limitMemory(uint64_t bytes) {
#if defined(__SANITIZE_ADDRESS__)
  return; // ASan reserves terabytes of address space up front
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return;
#endif
#endif
  if (bytes == 0)
    return;
  FILE *statm = std::fopen("/proc/self/statm", "r");
  unsigned long pages = 0;
  if (!statm)
    return;
  int got = std::fscanf(statm, "%lu", &pages);
  std::fclose(statm);
  if (got != 1)
    return;
  struct rlimit limit;
  if (::getrlimit(RLIMIT_AS, &limit) != 0)
    return;
  limit.rlim_cur = pages * uint64_t(::sysconf(_SC_PAGESIZE)) + bytes;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_cur > limit.rlim_max)
    limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_AS, &limit);
}

std::string mib(uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

std::string seconds(double value) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g s", value);
  return buf;
}

// The result of an object whose worker could not finish it: what was done
// before `failedStage` started, that stage failed with `error`, and the
// stages after it not run.
ObjectResult stoppedResult(ObjectResult partial, Stage failedStage,
                           const std::string &error) {
  StageResult failed;
  failed.stage = failedStage;
  failed.status = Status::Fail;
  failed.error = error;
  failed.signature = errorSignature(error);
  partial.stages.push_back(std::move(failed));
  for (Stage stage : kStages)
    if (stage > failedStage) {
      StageResult s;
      s.stage = stage;
      s.status = Status::Skip;
      s.error = "not run: the object was stopped in stage " +
                std::string(stageName(failedStage));
      partial.stages.push_back(std::move(s));
    }
  return partial;
}

struct Unique {
  Input input;
  std::vector<std::string> paths;
};

[[noreturn]] void workerMain(int jobFd, int resultFd,
                             const std::vector<Unique> &objects,
                             const Options &options) {
  ::signal(SIGPIPE, SIG_IGN);
  Stage current = Stage::Detect;
  ObjectResult partial;
  Options mine = options;
  mine.onStage = [&](Stage stage, const ObjectResult &sofar) {
    current = stage;
    partial = sofar;
    writeFrame(resultFd, FrameKind::StageStarted,
               std::string(1, char(uint8_t(stage))) + encode(sofar));
  };
  uint32_t index;
  while (readAll(jobFd, &index, sizeof(index))) {
    if (index >= objects.size())
      ::_exit(1);
    const Unique &object = objects[index];
    limitMemory(options.memoryLimitBytes);
    current = Stage::Detect;
    partial = ObjectResult();
    ObjectResult result;
    try {
      if (options.beforeObject)
        options.beforeObject(object.input);
      result = checkObject(object.input, mine);
    } catch (const std::bad_alloc &) {
      result = stoppedResult(std::move(partial), current,
                             object.input.displayName() + ": memory limit of " +
                                 mib(options.memoryLimitBytes) + " exceeded");
    }
    writeFrame(resultFd, FrameKind::Result, encode(result));
  }
  ::_exit(0);
}

// ---- the runner

class Runner {
public:
  Runner(std::vector<Unique> objects, const Options &options,
         const std::function<void(const Progress &)> &onProgress)
      : objects_(std::move(objects)), options_(options),
        onProgress_(onProgress), results_(objects_.size()) {}

  llvm::Expected<std::vector<ObjectResult>> run(unsigned jobs) {
    start_ = Clock::now();
    for (unsigned i = 0; i < jobs && next_ < objects_.size(); ++i)
      if (llvm::Error err = spawn())
        return err;
    while (done_ < objects_.size()) {
      if (llvm::Error err = step())
        return err;
    }
    for (Worker &w : workers_)
      retire(w);
    return std::move(results_);
  }

  ~Runner() {
    for (Worker &w : workers_)
      if (w.pid > 0) {
        ::kill(w.pid, SIGKILL);
        retire(w);
      }
  }

private:
  struct Worker {
    pid_t pid = -1;
    int jobFd = -1, resultFd = -1;
    std::string inbox;
    std::optional<size_t> object; // index being checked
    Stage stage = Stage::Detect;  // the stage it is in
    ObjectResult partial;         // its results before that stage
    Clock::time_point started;
  };

  llvm::Error spawn() {
    int jobs[2], results[2];
    if (::pipe2(jobs, O_CLOEXEC) != 0)
      return makeError("check: cannot create a pipe: " +
                       llvm::Twine(std::strerror(errno)));
    if (::pipe2(results, O_CLOEXEC) != 0) {
      ::close(jobs[0]);
      ::close(jobs[1]);
      return makeError("check: cannot create a pipe: " +
                       llvm::Twine(std::strerror(errno)));
    }
    std::fflush(nullptr); // no buffered output is written twice
    pid_t pid = ::fork();
    if (pid < 0) {
      for (int fd : {jobs[0], jobs[1], results[0], results[1]})
        ::close(fd);
      return makeError("check: cannot start a worker: " +
                       llvm::Twine(std::strerror(errno)));
    }
    if (pid == 0) {
      for (const Worker &w : workers_) {
        ::close(w.jobFd);
        ::close(w.resultFd);
      }
      ::close(jobs[1]);
      ::close(results[0]);
      workerMain(jobs[0], results[1], objects_, options_);
    }
    ::close(jobs[0]);
    ::close(results[1]);
    Worker w;
    w.pid = pid;
    w.jobFd = jobs[1];
    w.resultFd = results[0];
    workers_.push_back(std::move(w));
    dispatch(workers_.back());
    return llvm::Error::success();
  }

  void dispatch(Worker &w) {
    if (next_ >= objects_.size()) {
      if (w.jobFd >= 0)
        ::close(w.jobFd); // end of work: the worker exits
      w.jobFd = -1;
      return;
    }
    uint32_t index = next_++;
    w.object = index;
    w.stage = Stage::Detect;
    w.partial = ObjectResult();
    w.started = Clock::now();
    // A worker that died is noticed when its result pipe closes.
    (void)writeAll(w.jobFd, &index, sizeof(index));
  }

  void retire(Worker &w) {
    if (w.jobFd >= 0)
      ::close(w.jobFd);
    if (w.resultFd >= 0)
      ::close(w.resultFd);
    w.jobFd = w.resultFd = -1;
    if (w.pid > 0) {
      ::waitpid(w.pid, nullptr, 0);
      // A worker stopped mid-load leaves its scratch pins behind.
      if (options_.kernel)
        removeScratchPins(options_.bpffsRoot, w.pid);
    }
    w.pid = -1;
  }

  void finish(size_t index, ObjectResult result) {
    result.paths = objects_[index].paths;
    if (result.size == 0)
      result.size = objects_[index].input.size;
    results_[index] = std::move(result);
    ++done_;
    failed_ += results_[index].failed();
    if (onProgress_) {
      Progress p{done_, objects_.size(), failed_, elapsed(), &results_[index]};
      onProgress_(p);
    }
  }

  double elapsed() const {
    return std::chrono::duration<double>(Clock::now() - start_).count();
  }

  // Fails the worker's object with `why`, replaces the worker if work
  // remains.
  llvm::Error stopWorker(size_t slot, const std::string &why) {
    Worker &w = workers_[slot];
    ::kill(w.pid, SIGKILL);
    std::optional<size_t> object = w.object;
    Stage stage = w.stage;
    ObjectResult partial = std::move(w.partial);
    retire(w);
    workers_.erase(workers_.begin() + slot);
    if (object)
      finish(*object,
             stoppedResult(std::move(partial), stage,
                           objects_[*object].input.displayName() + ": " + why));
    if (next_ < objects_.size())
      return spawn();
    return llvm::Error::success();
  }

  std::string deathReason(int status) const {
    if (WIFSIGNALED(status)) {
      int sig = WTERMSIG(status);
      std::string why = std::string("worker killed by signal ") +
                        std::to_string(sig) + " (" + ::strsignal(sig) + ")";
      if ((sig == SIGABRT || sig == SIGSEGV || sig == SIGKILL) &&
          options_.memoryLimitBytes)
        why += "; the memory limit of " + mib(options_.memoryLimitBytes) +
               " may have been reached";
      return why;
    }
    return "worker exited with status " +
           std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }

  llvm::Error step() {
    // Wake for the nearest time limit, or every half second for progress.
    int timeoutMs = 500;
    auto now = Clock::now();
    if (options_.timeLimitSeconds > 0)
      for (const Worker &w : workers_)
        if (w.object) {
          auto deadline = w.started + std::chrono::duration<double>(
                                          options_.timeLimitSeconds);
          auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
              deadline - now);
          timeoutMs = std::clamp<int>(left.count() + 1, 0, timeoutMs);
        }
    std::vector<pollfd> fds;
    for (const Worker &w : workers_)
      fds.push_back({w.resultFd, POLLIN, 0});
    int n = ::poll(fds.data(), fds.size(), timeoutMs);
    if (n < 0 && errno != EINTR)
      return makeError("check: poll: " + llvm::Twine(std::strerror(errno)));

    for (size_t slot = workers_.size(); slot-- > 0;) {
      if (n > 0 && fds[slot].revents) {
        if (llvm::Error err = receive(slot))
          return err;
        continue;
      }
      Worker &w = workers_[slot];
      if (w.object && options_.timeLimitSeconds > 0 &&
          Clock::now() - w.started >
              std::chrono::duration<double>(options_.timeLimitSeconds))
        if (llvm::Error err = stopWorker(
                slot, "time limit of " + seconds(options_.timeLimitSeconds) +
                          " exceeded in stage " + stageName(w.stage)))
          return err;
    }
    return llvm::Error::success();
  }

  llvm::Error receive(size_t slot) {
    Worker &w = workers_[slot];
    char buf[64 * 1024];
    ssize_t got = ::read(w.resultFd, buf, sizeof(buf));
    if (got < 0 && errno == EINTR)
      return llvm::Error::success();
    if (got <= 0) {
      // The worker ended. With work of its own left, it died.
      int status = 0;
      ::waitpid(w.pid, &status, 0);
      if (options_.kernel)
        removeScratchPins(options_.bpffsRoot, w.pid);
      w.pid = -1;
      std::optional<size_t> object = w.object;
      Stage stage = w.stage;
      ObjectResult partial = std::move(w.partial);
      retire(w);
      workers_.erase(workers_.begin() + slot);
      if (object) {
        finish(*object, stoppedResult(std::move(partial), stage,
                                      objects_[*object].input.displayName() +
                                          ": " + deathReason(status) +
                                          " in stage " + stageName(stage)));
        if (next_ < objects_.size())
          return spawn();
      }
      return llvm::Error::success();
    }
    w.inbox.append(buf, got);
    while (w.inbox.size() >= 5) {
      uint32_t size;
      std::memcpy(&size, w.inbox.data() + 1, 4);
      if (w.inbox.size() < 5 + size_t(size))
        break;
      auto kind = FrameKind(w.inbox[0]);
      llvm::StringRef payload(w.inbox.data() + 5, size);
      std::optional<ObjectResult> partial;
      if (kind == FrameKind::StageStarted && size >= 1 &&
          uint8_t(payload[0]) <= uint8_t(Stage::LoadConverted) &&
          (partial = decode(payload.drop_front(1)))) {
        w.stage = Stage(uint8_t(payload[0]));
        w.partial = std::move(*partial);
      } else if (kind == FrameKind::Result && w.object) {
        std::optional<ObjectResult> result = decode(payload);
        size_t object = *w.object;
        w.object.reset();
        const Input &input = objects_[object].input;
        finish(object, result ? std::move(*result)
                              : stoppedResult(std::move(w.partial), w.stage,
                                              input.displayName() +
                                                  ": worker sent a "
                                                  "malformed result"));
        dispatch(w);
      } else {
        return makeError("check: malformed message from a worker");
      }
      w.inbox.erase(0, 5 + size_t(size));
    }
    return llvm::Error::success();
  }

  std::vector<Unique> objects_;
  const Options &options_;
  const std::function<void(const Progress &)> &onProgress_;
  std::vector<ObjectResult> results_;
  std::vector<Worker> workers_;
  size_t next_ = 0, done_ = 0, failed_ = 0;
  Clock::time_point start_;
};

// Groups inputs by content: identical bytes are checked once. The key is
// the size plus a 64-bit xxHash of the bytes.
std::vector<Unique> deduplicate(const std::vector<Input> &inputs) {
  std::vector<Unique> out;
  std::map<std::pair<uint64_t, uint64_t>, size_t> seen;
  for (const Input &input : inputs) {
    auto buffer =
        input.embedded
            ? llvm::MemoryBuffer::getFileSlice(input.path, input.size,
                                               input.offset, false)
            : llvm::MemoryBuffer::getFile(input.path, false, false, false);
    if (buffer) {
      llvm::StringRef bytes = (*buffer)->getBuffer();
      auto key = std::make_pair(uint64_t(bytes.size()), llvm::xxHash64(bytes));
      auto [it, fresh] = seen.emplace(key, out.size());
      if (!fresh) {
        out[it->second].paths.push_back(input.displayName());
        continue;
      }
    } // unreadable now: checked alone, detect says why
    out.push_back(Unique{input, {input.displayName()}});
  }
  return out;
}

} // namespace

llvm::Expected<Report>
runCheck(const Inputs &inputs, const Options &options,
         const std::function<void(const Progress &)> &onProgress) {
  auto start = Clock::now();
  Report report;
  report.inputErrors = inputs.errors;
  report.filesScanned = inputs.filesScanned;
  report.kernel = options.kernel;
  report.jobs = options.jobs
                    ? options.jobs
                    : std::max(1u, std::thread::hardware_concurrency());
  struct utsname uts;
  if (::uname(&uts) == 0)
    report.kernelRelease = uts.release;

  std::vector<Unique> objects = deduplicate(inputs.objects);
  unsigned jobs = std::min<size_t>(report.jobs, objects.size());
  // A worker that dies makes writes to its job pipe fail with EPIPE; that
  // must not kill the runner.
  auto previousSigpipe = ::signal(SIGPIPE, SIG_IGN);
  Runner runner(std::move(objects), options, onProgress);
  auto results = runner.run(jobs);
  ::signal(SIGPIPE, previousSigpipe);
  if (!results)
    return results.takeError();
  report.objects = std::move(*results);
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

} // namespace bpfcompat::check
