// The stages `check` runs on one object: detect, read, convert, reopen under
// libbpf and, with --kernel, load the original with our loader and the
// converted object with libbpf, then unload both.
#include "bpfcompat/check.h"
#include "bpfcompat/convert.h"
#include "bpfcompat/error.h"
#include "bpfcompat/file_hash.h"
#include "bpfcompat/kernel.h"
#include "bpfcompat/loader.h"
#include "bpfcompat/names.h"
#include "bpfcompat/reader.h"

#include <bpf/libbpf.h>
#include <llvm/ADT/StringExtras.h>
#include <llvm/Support/Endian.h>
#include <llvm/Support/MemoryBuffer.h>

#include <chrono>
#include <cstdarg>
#include <filesystem>
#include <unistd.h>

#include "scratch.h"

namespace fs = std::filesystem;

namespace bpfcompat::check {

namespace {

using Clock = std::chrono::steady_clock;

// libbpf reports through one process-wide print callback; this collects what
// it says while one libbpf call runs, to name the reason of a failure.
class LibbpfLog {
public:
  LibbpfLog() {
    buffer().clear();
    previous_ = libbpf_set_print(&LibbpfLog::print);
  }
  ~LibbpfLog() { libbpf_set_print(previous_); }
  LibbpfLog(const LibbpfLog &) = delete;
  LibbpfLog &operator=(const LibbpfLog &) = delete;

  // The warnings libbpf printed, one line each, without "libbpf: ".
  std::string text() const {
    std::string out;
    llvm::SmallVector<llvm::StringRef, 16> lines;
    llvm::StringRef(buffer()).split(lines, '\n', -1, false);
    for (llvm::StringRef line : lines) {
      line.consume_front("libbpf: ");
      out += (out.empty() ? "" : "; ") + line.trim().str();
    }
    return out;
  }

private:
  static std::string &buffer() {
    static std::string text;
    return text;
  }
  static int print(libbpf_print_level level, const char *format, va_list args) {
    if (level == LIBBPF_DEBUG)
      return 0;
    char line[1024];
    int n = std::vsnprintf(line, sizeof(line), format, args);
    if (n > 0 && buffer().size() < 64 * 1024) // bounded for hostile objects
      buffer().append(line, std::min<size_t>(n, sizeof(line) - 1));
    return n;
  }
  libbpf_print_fn_t previous_;
};

// A libbpf object opened from memory: libbpf reads the bytes in place until
// load, so they live as long as the object.
struct LibbpfObject {
  std::vector<uint8_t> bytes;
  bpf_object *obj = nullptr;
  ~LibbpfObject() {
    if (obj)
      bpf_object__close(obj);
  }
};

// `btf`: CO-RE target BTF instead of the running kernel's ("" for that).
llvm::Error openWithLibbpf(LibbpfObject &out, const std::string &name,
                           const std::string &pinRoot,
                           const std::string &btf = "") {
  LibbpfLog log;
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name.c_str(),
              .pin_root_path = pinRoot.empty() ? nullptr : pinRoot.c_str(),
              .btf_custom_path = btf.empty() ? nullptr : btf.c_str());
  bpf_object *obj =
      bpf_object__open_mem(out.bytes.data(), out.bytes.size(), &opts);
  if (long err = libbpf_get_error(obj))
    return makeError("libbpf cannot open the converted object: " +
                     llvm::Twine(std::strerror(-err)) + ": " + log.text());
  out.obj = obj;
  return llvm::Error::success();
}

// What libbpf sees must be what we converted: the same maps with the same
// shapes, and one program per entry program that stayed one.
llvm::Error compareWithIr(bpf_object *obj, const ir::Object &object,
                          const convert::Report &report) {
  size_t libbpfMaps = 0;
  bpf_map *map;
  bpf_object__for_each_map(map, obj) libbpfMaps += !bpf_map__is_internal(map);
  if (libbpfMaps != object.maps.size())
    return makeError("libbpf sees " + llvm::Twine(libbpfMaps) +
                     " maps in the converted object, the input has " +
                     llvm::Twine(object.maps.size()));
  for (const ir::Map &in : object.maps) {
    std::string name = kernelSafeName(in.name);
    bpf_map *m = bpf_object__find_map_by_name(obj, name.c_str());
    if (!m)
      return makeError("libbpf does not see map '" + name + "'");
    if (bpf_map__type(m) != in.shape.type ||
        bpf_map__key_size(m) != in.shape.keySize ||
        bpf_map__value_size(m) != in.shape.valueSize ||
        bpf_map__map_flags(m) != in.shape.flags)
      return makeError("libbpf sees map '" + name +
                       "' with another type, key/value size or flags");
  }
  size_t entries = 0;
  for (const ir::Program &prog : object.programs) {
    bool demoted = std::any_of(
        report.entries.begin(), report.entries.end(), [&](const auto &e) {
          return e.code == "untyped-callee-not-an-entry" &&
                 e.subject == prog.name;
        });
    entries += !prog.subprogram && !demoted;
  }
  size_t libbpfPrograms = 0;
  bpf_program *prog;
  bpf_object__for_each_program(prog, obj)++ libbpfPrograms;
  if (libbpfPrograms != entries)
    return makeError("libbpf sees " + llvm::Twine(libbpfPrograms) +
                     " programs in the converted object, the input has " +
                     llvm::Twine(entries));
  return llvm::Error::success();
}

// A fresh directory below the bpffs root for one load's pins, so a check
// never touches real pins and leaves nothing behind.
class ScratchPins {
public:
  explicit ScratchPins(const std::string &root) {
    static unsigned counter = 0;
    path_ = scratchPinPrefix(root, ::getpid()) + std::to_string(counter++);
  }
  ~ScratchPins() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  llvm::Error create() {
    std::error_code ec;
    fs::create_directories(path_, ec);
    if (ec)
      return makeError("cannot create " + path_ + ": " + ec.message() +
                       " (is bpffs mounted? mount -t bpf bpf /sys/fs/bpf)");
    return llvm::Error::success();
  }
  const std::string &path() const { return path_; }

private:
  std::string path_;
};

class ObjectChecker {
public:
  ObjectChecker(const Input &input, const Options &options, ObjectResult &out)
      : input_(input), options_(options), out_(out) {}

  void run() {
    auto start = Clock::now();
    stage(Stage::Detect, {}, [&] { return detect(); });
    stage(Stage::Read, {Stage::Detect}, [&] { return read(); });
    stage(Stage::Convert, {Stage::Read}, [&] { return convertIt(); });
    stage(Stage::Reopen, {Stage::Convert}, [&] { return reopen(); });
    // The two loads are independent: the original may fail to load where
    // the converted object loads, and the reverse.
    stage(Stage::LoadOriginal, {Stage::Read}, [&] { return loadOriginal(); });
    stage(Stage::LoadConverted, {Stage::Reopen},
          [&] { return loadConverted(); });
    out_.seconds = seconds(start);
  }

private:
  // A stage returns success, an error (Fail), or a Skip reason.
  struct Outcome {
    llvm::Error error = llvm::Error::success();
    std::string skip;
  };
  static Outcome pass() { return {}; }
  static Outcome skip(std::string reason) {
    return {llvm::Error::success(), std::move(reason)};
  }
  static Outcome fail(llvm::Error err) { return {std::move(err), {}}; }

  // Runs `fn` when every stage in `needs` passed.
  template <typename Fn>
  void stage(Stage which, std::initializer_list<Stage> needs, Fn &&fn) {
    StageResult result;
    result.stage = which;
    const StageResult *blocker = nullptr;
    for (Stage need : needs)
      if (const StageResult *s = out_.stage(need);
          s && !blocker && s->status != Status::Pass)
        blocker = s;
    if (blocker) {
      result.status = Status::Skip;
      result.error = std::string(stageName(blocker->stage)) + " did not pass";
      out_.stages.push_back(std::move(result));
      return;
    }
    if (options_.onStage)
      options_.onStage(which, out_);
    auto start = Clock::now();
    Outcome outcome = fn();
    result.seconds = seconds(start);
    if (outcome.error) {
      result.status = Status::Fail;
      result.error = llvm::toString(std::move(outcome.error));
      result.signature = errorSignature(result.error);
    } else if (!outcome.skip.empty()) {
      result.status = Status::Skip;
      result.error = std::move(outcome.skip);
    } else {
      result.status = Status::Pass;
    }
    out_.stages.push_back(std::move(result));
  }

  static double seconds(Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
  }

  Outcome detect() {
    std::string name = input_.displayName();
    llvm::Expected<std::unique_ptr<elf::File>> file = [&] {
      if (!input_.embedded)
        return elf::File::open(input_.path);
      auto slice = llvm::MemoryBuffer::getFileSlice(input_.path, input_.size,
                                                    input_.offset, false);
      if (!slice)
        return llvm::Expected<std::unique_ptr<elf::File>>(makeError(
            input_.path + ": cannot read: " + slice.getError().message()));
      return elf::File::fromBuffer(
          llvm::ArrayRef<uint8_t>(
              reinterpret_cast<const uint8_t *>((*slice)->getBufferStart()),
              (*slice)->getBufferSize()),
          name);
    }();
    if (!file)
      return fail(file.takeError());
    file_ = std::move(*file);
    if (file_->machine() != elf::kEmBpf && file_->machine() != elf::kEmNone)
      return fail(makeError(name + ": not a BPF object (e_machine " +
                            llvm::Twine(file_->machine()) +
                            " at offset 0x12)"));
    verdict_ = detectConvention(*file_, computeFacts(*file_));
    out_.convention = ir::conventionName(verdict_.convention);
    out_.evidence = verdict_.evidence;
    return pass();
  }

  Outcome read() {
    ReadOptions options;
    options.detected = verdict_;
    auto object = readObject(*file_, options);
    if (!object) {
      out_.sha1 = sha1Hex(file_->bytes());
      return fail(object.takeError());
    }
    object_ = std::move(*object);
    out_.sha1 = object_->sha1;
    out_.maps = object_->maps.size();
    out_.programs =
        std::count_if(object_->programs.begin(), object_->programs.end(),
                      [](const ir::Program &p) { return !p.subprogram; });
    for (const ir::Diagnostic &d : object_->diagnostics)
      if (d.severity == ir::Severity::Error)
        return fail(makeError(name() + ": refused by its own loader: " +
                              d.code + ": " + d.message));
    return pass();
  }

  Outcome convertIt() {
    auto result = convert::convertObject(*object_);
    if (!result)
      return fail(prefixError(result.takeError(), name()));
    converted_ = std::move(*result);
    out_.losses = std::count_if(
        converted_->report.entries.begin(), converted_->report.entries.end(),
        [](const convert::ReportEntry &e) {
          return e.kind == convert::ReportEntry::Kind::Loss;
        });
    return pass();
  }

  Outcome reopen() {
    if (!hostByteOrder())
      return skip("libbpf opens only objects of the host byte order");
    LibbpfObject lib;
    lib.bytes = converted_->bytes;
    if (llvm::Error err = openWithLibbpf(lib, objectName(), ""))
      return fail(prefixError(std::move(err), name()));
    if (llvm::Error err = compareWithIr(lib.obj, *object_, converted_->report))
      return fail(prefixError(std::move(err), name()));
    return pass();
  }

  Outcome loadOriginal() {
    if (!options_.kernel)
      return skip("not requested (--kernel)");
    if (!hostByteOrder())
      return skip("the object's byte order is not this host's");
    ScratchPins pins(options_.bpffsRoot);
    if (llvm::Error err = pins.create())
      return fail(std::move(err));
    load::Options options;
    options.pinRoot = pins.path();
    options.bpffs = pins.path();
    options.verifierStats = true;
    options.targetBtf = options_.btf;
    // gobpf took custom pin paths from Go code; in a check they go to the
    // scratch directory like every other pin.
    for (const ir::Map &map : object_->maps)
      if (map.pinning.kind == ir::PinKind::GobpfCustom)
        options.gobpfCustomPaths[map.name] = "gobpf-custom/" + map.name;
    kern::Kernel &kernel = kern::systemKernel();
    auto loaded = load::loadObject(*object_, options, kernel);
    if (!loaded) // the loader names the object itself
      return fail(loaded.takeError());
    for (const load::LoadedProgram &prog : loaded->programs) {
      VerifierFigures figures;
      figures.program = prog.name;
      figures.stage = Stage::LoadOriginal;
      figures.loaded = true;
      parseVerifierStats(prog.verifierLog, figures);
      out_.verifier.push_back(std::move(figures));
    }
    // Unload: the fds close with `loaded`; the pins go here.
    load::Removal removal = load::removeCreated(kernel, loaded->createdPaths);
    if (!removal.errors.empty())
      return fail(makeError(name() + ": unload: " + removal.errors.front()));
    return pass();
  }

  Outcome loadConverted() {
    if (!options_.kernel)
      return skip("not requested (--kernel)");
    ScratchPins pins(options_.bpffsRoot);
    if (llvm::Error err = pins.create())
      return fail(std::move(err));
    LibbpfObject lib;
    lib.bytes = converted_->bytes;
    LibbpfLog log;
    if (llvm::Error err =
            openWithLibbpf(lib, objectName(), pins.path(), options_.btf))
      return fail(prefixError(std::move(err), name()));
    // One stats buffer per program: libbpf keeps the pointers until load.
    std::vector<std::pair<bpf_program *, std::vector<char>>> logs;
    bpf_program *prog;
    bpf_object__for_each_program(prog, lib.obj) {
      if (!bpf_program__autoload(prog))
        continue;
      logs.emplace_back(prog, std::vector<char>(64 * 1024, '\0'));
      bpf_program__set_log_level(prog, kern::kLogLevelStats);
      bpf_program__set_log_buf(prog, logs.back().second.data(),
                               logs.back().second.size());
    }
    int rc = bpf_object__load(lib.obj);
    for (auto &[p, buf] : logs) {
      VerifierFigures figures;
      figures.program = bpf_program__name(p);
      figures.stage = Stage::LoadConverted;
      figures.loaded = bpf_program__fd(p) >= 0;
      parseVerifierStats(buf.data(), figures);
      out_.verifier.push_back(std::move(figures));
    }
    if (rc != 0)
      return fail(makeError(name() +
                            ": libbpf cannot load the converted "
                            "object: " +
                            std::strerror(-rc) + ": " + log.text()));
    return pass();
  }

  bool hostByteOrder() const {
    return (object_->byteOrder == ir::ByteOrder::Big) ==
           (llvm::support::endian::system_endianness() == llvm::support::big);
  }
  std::string name() const { return input_.displayName(); }
  std::string objectName() const {
    return fs::path(input_.path).stem().string();
  }

  const Input &input_;
  const Options &options_;
  ObjectResult &out_;
  std::unique_ptr<elf::File> file_;
  ir::ConventionVerdict verdict_;
  std::optional<ir::Object> object_;
  std::optional<convert::Result> converted_;
};

} // namespace

std::string scratchPinPrefix(const std::string &bpffsRoot, int pid) {
  return bpffsRoot + "/bpfcompat-check-" + std::to_string(pid) + "-";
}

void removeScratchPins(const std::string &bpffsRoot, int pid) {
  std::string prefix = scratchPinPrefix(bpffsRoot, pid);
  std::error_code ec;
  for (const auto &entry : fs::directory_iterator(bpffsRoot, ec))
    if (llvm::StringRef(entry.path().string()).startswith(prefix))
      fs::remove_all(entry.path(), ec);
}

ObjectResult checkObject(const Input &input, const Options &options) {
  ObjectResult out;
  out.paths.push_back(input.displayName());
  out.size = input.size;
  ObjectChecker(input, options, out).run();
  return out;
}

} // namespace bpfcompat::check
