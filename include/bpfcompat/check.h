// Batch checks: which objects of a corpus read, convert, reopen under libbpf
// and load into the kernel, and what breaks.
//
// Inputs are gathered once (files, directories, and optionally BPF ELF images
// embedded in other files), de-duplicated by content hash, then every unique
// object runs through fixed stages. runCheck() does that in worker processes
// so a per-object time and memory limit can stop one pathological object
// without stalling or sinking the run; checkObject() is one object in this
// process (tests, the worker itself).
#pragma once

#include "bpfcompat/document.h"
#include "bpfcompat/ir.h"

#include <llvm/Support/Error.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace bpfcompat::check {

// In pipeline order; a stage runs only when the ones it needs passed:
// read needs detect, convert read, reopen convert, load-original read,
// load-converted reopen.
enum class Stage {
  Detect,        // BPF ELF, and which convention (with evidence)
  Read,          // into the IR
  Convert,       // re-emitted as a libbpf 1.x object (in memory)
  Reopen,        // libbpf opens the output and sees the same maps/programs
  LoadOriginal,  // --kernel: our loader, the object's own semantics
  LoadConverted, // --kernel: libbpf's bpf_object__load on the output
};
inline constexpr Stage kStages[] = {Stage::Detect,       Stage::Read,
                                    Stage::Convert,      Stage::Reopen,
                                    Stage::LoadOriginal, Stage::LoadConverted};
const char *stageName(Stage stage); // "detect", "load-original", ...
std::optional<Stage> stageFromName(llvm::StringRef name);

enum class Status { Pass, Fail, Skip };
const char *statusName(Status status);

struct StageResult {
  Stage stage = Stage::Detect;
  Status status = Status::Skip;
  std::string error;     // Fail: the message; Skip: the reason
  std::string signature; // Fail: the message with names and numbers masked
  double seconds = 0;
};

// What the verifier said of one program (BPF_LOG_STATS), like veristat.
struct VerifierFigures {
  std::string program;
  Stage stage = Stage::LoadOriginal; // which load
  bool loaded = false;
  uint64_t insnsProcessed = 0;
  uint64_t totalStates = 0;
  uint64_t peakStates = 0;
  uint64_t maxStatesPerInsn = 0;
  uint64_t verificationMicros = 0;
};

// One input: a whole file, or an image embedded in one at `offset`.
struct Input {
  std::string path;
  uint64_t offset = 0;
  uint64_t size = 0;
  bool embedded = false;
  // xxHash64 of the bytes, read once while collecting: inputs of equal size
  // and hash are checked once. Unset when the bytes could not be read.
  std::optional<uint64_t> contentHash;
  std::string displayName() const; // path, or path@0xOFFSET when embedded
};

struct ObjectResult {
  std::vector<std::string> paths; // every input with these bytes
  std::string sha1;
  uint64_t size = 0;
  std::string convention; // "" when detection failed
  std::vector<std::string> evidence;
  unsigned maps = 0, programs = 0, losses = 0;
  std::vector<StageResult> stages; // one per Stage, in order
  std::vector<VerifierFigures> verifier;
  double seconds = 0;

  const StageResult *stage(Stage stage) const;
  bool failed() const; // any stage failed
};

struct Options {
  unsigned jobs = 0;            // worker processes; 0: one per core
  bool kernel = false;          // the two load stages
  bool scanEmbedded = false;    // look for BPF ELF images inside any file
  double timeLimitSeconds = 60; // per object; 0: none
  uint64_t memoryLimitBytes = 1ull << 30; // per object; 0: none
  std::string btf; // --kernel: relocate against this BTF, not vmlinux
  std::string bpffsRoot = "/sys/fs/bpf"; // scratch pins live below it
  // Bytes of finished results a worker may have ahead of the runner (shared
  // memory, touched as used); a larger result is reported as an error.
  // Tests make it small to wrap the ring and fill it.
  uint64_t resultChannelBytes = 16ull << 20;
  // Runs in the worker before each object's stages: a seam for tests that
  // must make one object slow or hungry to prove the limits hold.
  std::function<void(const Input &)> beforeObject;
  // Called as each stage starts, with the results so far (the worker tells
  // the runner, so an object stopped by a limit keeps what it had done).
  std::function<void(Stage, const ObjectResult &)> onStage;
};

// Files (as given), directories (recursively: regular files that are BPF ELF
// objects) and, with scanEmbedded, images embedded in any file. Unreadable
// arguments are errors; unreadable files inside directories are skipped.
struct Inputs {
  std::vector<Input> objects;
  std::vector<std::string> errors; // "<path>: <reason>" for given arguments
  uint64_t filesScanned = 0;
};
Inputs collectInputs(const std::vector<std::string> &paths,
                     const Options &options);

// Embedded BPF ELF images in `bytes`: every `\x7fELF` with ELFCLASS64,
// e_machine EM_BPF and a section header table inside the buffer; the image
// ends where its last section or its section header table ends.
struct EmbeddedImage {
  uint64_t offset = 0;
  uint64_t size = 0;
};
std::vector<EmbeddedImage> findEmbeddedImages(llvm::ArrayRef<uint8_t> bytes);

// Every stage of one object, in this process, without limits.
ObjectResult checkObject(const Input &input, const Options &options);

struct Progress {
  size_t done = 0, total = 0, failed = 0;
  double elapsedSeconds = 0;
  const ObjectResult *last = nullptr; // the object just finished
};

struct Report {
  std::vector<ObjectResult> objects; // in input order
  std::vector<std::string> inputErrors;
  uint64_t filesScanned = 0;
  unsigned jobs = 0;
  bool kernel = false;
  double seconds = 0;
  std::string kernelRelease;
};

// Checks every unique object of `inputs` in `jobs` worker processes.
llvm::Expected<Report>
runCheck(const Inputs &inputs, const Options &options,
         const std::function<void(const Progress &)> &onProgress = {});

struct Comparison;

// Renderings (schema in docs/check.md). The document carries the comparison
// with a baseline when there is one.
doc::Value toDocument(const Report &report,
                      const Comparison *comparison = nullptr);
doc::Value toDocument(const ObjectResult &result);
// Reads a JSON report written by toDocument (for --baseline); errors name
// `name` and the offending field.
llvm::Expected<Report> reportFromJson(llvm::StringRef text,
                                      llvm::StringRef name);
std::string renderText(const Report &report);
std::string renderJunit(const Report &report);
std::string renderCsv(const Report &report);

// A stage that passed in the baseline and fails now (or the reverse).
struct Change {
  std::string path;
  Stage stage = Stage::Detect;
  Status before = Status::Skip, now = Status::Skip;
  std::string error; // the failure's message, either side
};
struct Comparison {
  std::vector<Change> regressions, fixes;
  std::vector<std::string> added, removed; // objects by first path
};
Comparison compare(const Report &baseline, const Report &now);
std::string renderComparison(const Comparison &comparison);

// Masks quoted names, paths and numbers so failures of one kind group
// together: "map 'x' at offset 0x24: ..." -> "map '…' at offset N: ...".
std::string errorSignature(llvm::StringRef message);

// Parses the BPF_LOG_STATS lines of a verifier log into `figures`; false
// when the log has none.
bool parseVerifierStats(llvm::StringRef log, VerifierFigures &figures);

} // namespace bpfcompat::check
