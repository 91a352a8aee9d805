// Running checks in parallel worker processes.
//
// Processes rather than threads because a per-object memory limit needs an
// address space of its own (RLIMIT_AS), and a per-object time limit needs
// something that can be stopped at any instruction (a signal that ends the
// process): one hostile or pathological object costs one worker, which is
// replaced, never the run.
// Workers are forked once and claim object indices from a counter in shared
// memory, so the fork cost is paid per worker, not per object.
#include "bpfcompat/check.h"
#include "bpfcompat/error.h"

#include <atomic>
#include <cassert>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <poll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "scratch.h"

namespace bpfcompat::check {

namespace {

using Clock = std::chrono::steady_clock;

// ---- the encoding of results between worker and runner

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

// ---- the shared-memory channel between a worker and the runner
//
// Results and stage progress travel through memory shared with the worker,
// not a pipe: on this kind of machine (a paravirtualised VM) every write
// that wakes the runner costs a context switch, and with a few frames per
// object those switches were most of `check`'s time. The runner now wakes on
// a timer and drains every channel at once; the pipe it still holds per
// worker carries no data and only tells it, by closing, that the worker died.

// A single-producer single-consumer byte ring of length-prefixed results,
// plus the stage the worker is in and its results before that stage (read
// only once the worker is dead, so they need no locking). The ring's bytes
// follow the struct in the same mapping.
struct Channel {
  static constexpr uint64_t kPartialBytes = 4ull << 20;

  std::atomic<uint32_t> object; // index + 1 of the object being checked
  std::atomic<uint8_t> stage;
  std::atomic<uint64_t> head; // bytes the worker has written, ever
  std::atomic<uint64_t> tail; // bytes the runner has read, ever
  uint64_t ringBytes;
  uint64_t partialSize; // 0: none (or too large to keep)
  char partial[kPartialBytes];

  static uint64_t mappedSize(uint64_t ringBytes) {
    return sizeof(Channel) + ringBytes;
  }

  // The largest message send() takes.
  uint64_t maxMessage() const { return ringBytes - 8; }

  // Worker side: appends one message, waiting while the runner catches up.
  void send(const std::string &message) {
    uint64_t size = message.size();
    assert(size <= maxMessage() && "callers bound the message size");
    uint64_t at = head.load(std::memory_order_relaxed);
    while (at + 8 + size - tail.load(std::memory_order_acquire) > ringBytes)
      ::usleep(1000);
    copyIn(at, reinterpret_cast<const char *>(&size), 8);
    copyIn(at + 8, message.data(), size);
    head.store(at + 8 + size, std::memory_order_release);
  }

  // Runner side: the next complete message, if any.
  std::optional<std::string> receive() {
    uint64_t at = tail.load(std::memory_order_relaxed);
    uint64_t end = head.load(std::memory_order_acquire);
    if (end - at < 8)
      return std::nullopt;
    uint64_t size = 0;
    copyOut(at, reinterpret_cast<char *>(&size), 8);
    if (size > end - at - 8) // a worker's memory is not trusted
      size = end - at - 8;
    std::string message(size, '\0');
    copyOut(at + 8, message.data(), size);
    tail.store(at + 8 + size, std::memory_order_release);
    return message;
  }

  // Worker side, as a stage starts: what to report if the worker dies in it.
  void notePartial(Stage current, const std::string &encoded) {
    partialSize = encoded.size() <= kPartialBytes ? encoded.size() : 0;
    std::memcpy(partial, encoded.data(), partialSize);
    stage.store(uint8_t(current), std::memory_order_release);
  }

private:
  char *ring() { return reinterpret_cast<char *>(this + 1); }

  void copyIn(uint64_t at, const char *data, uint64_t size) {
    for (uint64_t done = 0; done < size;) {
      uint64_t pos = (at + done) % ringBytes;
      uint64_t n = std::min(size - done, ringBytes - pos);
      std::memcpy(ring() + pos, data + done, n);
      done += n;
    }
  }
  void copyOut(uint64_t at, char *data, uint64_t size) {
    for (uint64_t done = 0; done < size;) {
      uint64_t pos = (at + done) % ringBytes;
      uint64_t n = std::min(size - done, ringBytes - pos);
      std::memcpy(data + done, ring() + pos, n);
      done += n;
    }
  }
};

// What every worker shares: the next object to claim.
struct WorkQueue {
  std::atomic<uint32_t> next;
};

// A T at the start of `bytes` (at least sizeof(T)) of memory shared with
// the processes forked later.
template <typename T> T *mapShared(uint64_t bytes = sizeof(T)) {
  void *p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  // Default-initialised: the mapping is already zero, and value-initialising
  // would touch every page of a 20 MiB channel.
  return p == MAP_FAILED ? nullptr : new (p) T;
}

void unmapShared(void *p, uint64_t bytes) {
  if (p)
    ::munmap(p, bytes);
}

// ---- the worker

// Caps the address space at what the worker uses now plus `bytes`, so the
// limit is per object however much earlier objects left mapped.
class MemoryLimit {
public:
  explicit MemoryLimit(uint64_t bytes) : bytes_(bytes) {
#if defined(__SANITIZE_ADDRESS__)
    bytes_ = 0; // ASan reserves terabytes of address space up front
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    bytes_ = 0;
#endif
#endif
    if (bytes_ == 0 || ::getrlimit(RLIMIT_AS, &limit_) != 0)
      return;
    statm_ = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  }
  ~MemoryLimit() {
    if (statm_ >= 0)
      ::close(statm_);
  }

  void apply() {
    char text[64];
    ssize_t n = statm_ >= 0 ? ::pread(statm_, text, sizeof(text) - 1, 0) : -1;
    if (n <= 0)
      return;
    text[n] = '\0';
    uint64_t pages = std::strtoull(text, nullptr, 10);
    struct rlimit limit = limit_;
    limit.rlim_cur = pages * uint64_t(::sysconf(_SC_PAGESIZE)) + bytes_;
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_cur > limit.rlim_max)
      limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_AS, &limit);
  }

private:
  uint64_t bytes_;
  struct rlimit limit_ = {};
  int statm_ = -1;
};

// The time limit is the worker's own interval timer: SIGALRM, left at its
// default action, ends the worker wherever it is, and the runner knows
// exactly which object it was in (no race with the worker moving on).
void armTimer(double seconds) {
  if (seconds <= 0)
    return;
  struct itimerval timer = {};
  timer.it_value.tv_sec = time_t(seconds);
  timer.it_value.tv_usec =
      suseconds_t((seconds - double(timer.it_value.tv_sec)) * 1e6);
  if (timer.it_value.tv_sec == 0 && timer.it_value.tv_usec == 0)
    timer.it_value.tv_usec = 1;
  ::setitimer(ITIMER_REAL, &timer, nullptr);
}

void disarmTimer(double seconds) {
  if (seconds <= 0)
    return;
  struct itimerval off = {};
  ::setitimer(ITIMER_REAL, &off, nullptr);
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

[[noreturn]] void workerMain(WorkQueue &queue, Channel &channel,
                             const std::vector<Unique> &objects,
                             const Options &options) {
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGALRM, SIG_DFL);
  Stage current = Stage::Detect;
  ObjectResult partial;
  Options mine = options;
  mine.onStage = [&](Stage stage, const ObjectResult &sofar) {
    current = stage;
    partial = sofar;
    channel.notePartial(stage, encode(sofar));
  };
  MemoryLimit memory(options.memoryLimitBytes);
  for (uint32_t index; (index = queue.next.fetch_add(
                            1, std::memory_order_relaxed)) < objects.size();) {
    const Unique &object = objects[index];
    current = Stage::Detect;
    partial = ObjectResult();
    channel.notePartial(current, {});
    channel.object.store(index + 1, std::memory_order_release);
    memory.apply();
    armTimer(options.timeLimitSeconds);
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
    disarmTimer(options.timeLimitSeconds);
    std::string message = std::to_string(index) + ":" + encode(result);
    if (message.size() > channel.maxMessage())
      message =
          std::to_string(index) + ":" +
          encode(stoppedResult(std::move(partial), current,
                               object.input.displayName() + ": the result (" +
                                   std::to_string(message.size()) +
                                   " bytes) is larger than the channel "
                                   "to the runner"));
    channel.send(message);
    channel.object.store(0, std::memory_order_release);
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
    queue_ = mapShared<WorkQueue>();
    if (!queue_)
      return makeError("check: cannot map shared memory: " +
                       llvm::Twine(std::strerror(errno)));
    for (unsigned i = 0; i < jobs; ++i)
      if (llvm::Error err = spawn())
        return err;
    while (done_ < objects_.size() && !workers_.empty()) {
      if (llvm::Error err = step())
        return err;
    }
    // Only a worker that garbled its channel can leave an object unreported.
    for (size_t i = 0; i < objects_.size(); ++i)
      if (!finished(i))
        finish(i, stoppedResult({}, Stage::Detect,
                                objects_[i].input.displayName() +
                                    ": its worker lost the result"));
    return std::move(results_);
  }

  ~Runner() {
    for (Worker &w : workers_) {
      ::kill(w.pid, SIGKILL);
      retire(w);
    }
    unmapShared(queue_, sizeof(WorkQueue));
  }

private:
  struct Worker {
    pid_t pid = -1;
    int lifeFd = -1; // closes when the worker dies
    Channel *channel = nullptr;
  };

  uint64_t ringBytes() const {
    return std::max<uint64_t>(options_.resultChannelBytes, 4096);
  }
  uint64_t channelSize() const { return Channel::mappedSize(ringBytes()); }

  bool workLeft() const {
    return queue_->next.load(std::memory_order_relaxed) < objects_.size();
  }

  llvm::Error spawn() {
    Channel *channel = mapShared<Channel>(channelSize());
    if (!channel)
      return makeError("check: cannot map shared memory: " +
                       llvm::Twine(std::strerror(errno)));
    channel->ringBytes = ringBytes();
    int life[2];
    if (::pipe2(life, O_CLOEXEC) != 0) {
      unmapShared(channel, channelSize());
      return makeError("check: cannot create a pipe: " +
                       llvm::Twine(std::strerror(errno)));
    }
    std::fflush(nullptr); // no buffered output is written twice
    pid_t pid = ::fork();
    if (pid < 0) {
      ::close(life[0]);
      ::close(life[1]);
      unmapShared(channel, channelSize());
      return makeError("check: cannot start a worker: " +
                       llvm::Twine(std::strerror(errno)));
    }
    if (pid == 0) {
      for (const Worker &w : workers_)
        ::close(w.lifeFd);
      ::close(life[0]);
      workerMain(*queue_, *channel, objects_, options_);
    }
    ::close(life[1]);
    workers_.push_back(Worker{pid, life[0], channel});
    return llvm::Error::success();
  }

  void retire(Worker &w) {
    if (w.lifeFd >= 0)
      ::close(w.lifeFd);
    w.lifeFd = -1;
    if (w.pid > 0) {
      ::waitpid(w.pid, nullptr, 0);
      // A worker stopped mid-load leaves its scratch pins behind.
      if (options_.kernel)
        removeScratchPins(options_.bpffsRoot, w.pid);
    }
    w.pid = -1;
    unmapShared(w.channel, channelSize());
    w.channel = nullptr;
  }

  // Every result, even a stopped object's, has at least one stage.
  bool finished(size_t index) const { return !results_[index].stages.empty(); }

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

  std::string deathReason(int status, Stage stage) const {
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
      return "time limit of " + seconds(options_.timeLimitSeconds) +
             " exceeded in stage " + stageName(stage);
    std::string why;
    if (WIFSIGNALED(status)) {
      int sig = WTERMSIG(status);
      why = std::string("worker killed by signal ") + std::to_string(sig) +
            " (" + ::strsignal(sig) + ")";
      if ((sig == SIGABRT || sig == SIGSEGV || sig == SIGKILL) &&
          options_.memoryLimitBytes)
        why += "; the memory limit of " + mib(options_.memoryLimitBytes) +
               " may have been reached";
    } else {
      why = "worker exited with status " +
            std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    return why + " in stage " + stageName(stage);
  }

  // Finishes every object whose result the worker has sent.
  void drain(Worker &w) {
    while (std::optional<std::string> message = w.channel->receive()) {
      llvm::StringRef text(*message);
      auto [indexText, payload] = text.split(':');
      size_t index = 0;
      if (indexText.getAsInteger(10, index) || index >= objects_.size() ||
          finished(index))
        continue; // malformed: the object is reported when the worker ends
      std::optional<ObjectResult> result = decode(payload);
      finish(index, result ? std::move(*result)
                           : stoppedResult({}, Stage::Detect,
                                           objects_[index].input.displayName() +
                                               ": worker sent a malformed "
                                               "result"));
    }
  }

  // The worker ended: its finished results are collected, the object it was
  // in fails with the reason, and a replacement takes over if work remains.
  llvm::Error reap(size_t slot) {
    Worker &w = workers_[slot];
    int status = 0;
    ::waitpid(w.pid, &status, 0);
    if (options_.kernel)
      removeScratchPins(options_.bpffsRoot, w.pid);
    w.pid = -1;
    drain(w);
    Channel &c = *w.channel;
    uint32_t object = c.object.load(std::memory_order_acquire);
    if (object != 0 && object <= objects_.size() && !finished(object - 1)) {
      auto stage = Stage(
          std::min<uint8_t>(c.stage.load(), uint8_t(Stage::LoadConverted)));
      std::optional<ObjectResult> partial;
      if (c.partialSize <= Channel::kPartialBytes)
        partial = decode(llvm::StringRef(c.partial, c.partialSize));
      finish(object - 1,
             stoppedResult(partial ? std::move(*partial) : ObjectResult(),
                           stage,
                           objects_[object - 1].input.displayName() + ": " +
                               deathReason(status, stage)));
    }
    retire(w);
    workers_.erase(workers_.begin() + slot);
    if (workLeft())
      return spawn();
    return llvm::Error::success();
  }

  llvm::Error step() {
    // A timer tick, not a wake-up per result: see Channel.
    std::vector<pollfd> fds;
    for (const Worker &w : workers_)
      fds.push_back({w.lifeFd, POLLIN, 0});
    int n = ::poll(fds.data(), fds.size(), kTickMs);
    if (n < 0 && errno != EINTR)
      return makeError("check: poll: " + llvm::Twine(std::strerror(errno)));
    for (size_t slot = workers_.size(); slot-- > 0;) {
      if (n > 0 && fds[slot].revents) {
        if (llvm::Error err = reap(slot))
          return err;
      } else {
        drain(workers_[slot]);
      }
    }
    return llvm::Error::success();
  }

  static constexpr int kTickMs = 5;

  std::vector<Unique> objects_;
  const Options &options_;
  const std::function<void(const Progress &)> &onProgress_;
  std::vector<ObjectResult> results_;
  std::vector<Worker> workers_;
  WorkQueue *queue_ = nullptr;
  size_t done_ = 0, failed_ = 0;
  Clock::time_point start_;
};

// Groups inputs by content: identical bytes are checked once. The key is
// the size plus the 64-bit xxHash collection computed.
std::vector<Unique> deduplicate(const std::vector<Input> &inputs) {
  std::vector<Unique> out;
  std::map<std::pair<uint64_t, uint64_t>, size_t> seen;
  for (const Input &input : inputs) {
    if (input.contentHash) {
      auto [it, fresh] = seen.emplace(
          std::make_pair(input.size, *input.contentHash), out.size());
      if (!fresh) {
        out[it->second].paths.push_back(input.displayName());
        continue;
      }
    }
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
  Runner runner(std::move(objects), options, onProgress);
  auto results = runner.run(jobs);
  if (!results)
    return results.takeError();
  report.objects = std::move(*results);
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

} // namespace bpfcompat::check
