// `bpfcompat check PATH...`: which objects of a corpus read, convert, reopen
// and load, in parallel, with reports for people and for machines.
#include "bpfcompat/check.h"

#include "bpfcompat/elf_writer.h"

#include <llvm/Support/MemoryBuffer.h>

#include <cstdio>
#include <iostream>
#include <set>
#include <unistd.h>

#include "args.h"

namespace bpfcompat::cli {

namespace {

constexpr const char *kCheckUsage =
    "usage: bpfcompat check PATH... [-j N] [--kernel] [--scan-embedded]\n"
    "         [--format text|json|yaml|junit|csv] [-o FILE]\n"
    "         [--baseline PREV.json] [--fail-on STAGE[,STAGE...]]\n"
    "         [--time-limit SECONDS] [--memory-limit MIB] [--btf FILE]\n"
    "         [--quiet]\n";

// Which failures fail the command: stage names, "any", "none",
// "regressions" (needs --baseline).
struct FailOn {
  std::set<check::Stage> stages;
  bool regressions = false;
};

llvm::Expected<FailOn> parseFailOn(llvm::StringRef text) {
  FailOn out;
  llvm::SmallVector<llvm::StringRef, 8> items;
  text.split(items, ',', -1, false);
  for (llvm::StringRef item : items) {
    item = item.trim();
    if (item == "any")
      out.stages.insert(std::begin(check::kStages), std::end(check::kStages));
    else if (item == "none")
      continue;
    else if (item == "regressions")
      out.regressions = true;
    else if (auto stage = check::stageFromName(item))
      out.stages.insert(*stage);
    else
      return llvm::createStringError(
          std::errc::invalid_argument,
          "unknown --fail-on '%s' (a stage: detect, read, convert, reopen, "
          "load-original, load-converted; or any, none, regressions)",
          item.str().c_str());
  }
  return out;
}

// One line redrawn in place on a terminal; plain lines otherwise (CI logs):
// one per failed object and a progress line every few seconds.
class ProgressDisplay {
public:
  explicit ProgressDisplay(bool quiet)
      : quiet_(quiet), terminal_(::isatty(STDERR_FILENO)) {}

  void operator()(const check::Progress &p) {
    if (quiet_)
      return;
    double rate = p.elapsedSeconds > 0 ? p.done / p.elapsedSeconds : 0;
    double eta = rate > 0 ? (p.total - p.done) / rate : 0;
    char status[160];
    std::snprintf(status, sizeof(status),
                  "%zu/%zu objects  %.1f/s  ETA %d:%02d  %zu failed", p.done,
                  p.total, rate, int(eta) / 60, int(eta) % 60, p.failed);
    const check::StageResult *failure = nullptr;
    if (p.last)
      for (const check::StageResult &s : p.last->stages)
        if (!failure && s.status == check::Status::Fail)
          failure = &s;
    if (terminal_) {
      constexpr int kBar = 24;
      int filled = p.total ? int(kBar * p.done / p.total) : kBar;
      std::string line = "\r\033[K[" + std::string(filled, '#') +
                         std::string(kBar - filled, ' ') + "] " + status;
      if (failure)
        std::cerr << "\r\033[KFAIL " << p.last->paths.front() << " ["
                  << check::stageName(failure->stage) << "]\n";
      std::cerr << line << (p.done == p.total ? "\n" : "") << std::flush;
      return;
    }
    if (failure)
      std::cerr << "FAIL " << p.last->paths.front() << " ["
                << check::stageName(failure->stage) << "]\n";
    if (p.done == p.total || p.elapsedSeconds >= lastLine_ + 5) {
      lastLine_ = p.elapsedSeconds;
      std::cerr << "check: " << status << "\n";
    }
  }

private:
  bool quiet_, terminal_;
  double lastLine_ = 0;
};

} // namespace

int runCheck(const std::vector<std::string> &argv) {
  OptionSpec spec{{"jobs", "format", "output", "baseline", "fail-on",
                   "time-limit", "memory-limit", "btf"},
                  {"kernel", "scan-embedded", "quiet"}};
  std::vector<std::string> normalized;
  for (const std::string &arg : argv) {
    if (arg == "-o" || arg == "-j")
      normalized.push_back(arg == "-o" ? "--output" : "--jobs");
    else if (llvm::StringRef(arg).startswith("-j")) // -j4, as make has it
      normalized.push_back("--jobs=" + arg.substr(2));
    else
      normalized.push_back(arg);
  }
  auto args = parseArgs(normalized, spec);
  if (!args) {
    std::cerr << "bpfcompat check: " << llvm::toString(args.takeError()) << "\n"
              << kCheckUsage;
    return kExitUsage;
  }
  if (args->positional.empty()) {
    std::cerr << kCheckUsage;
    return kExitUsage;
  }
  std::string format = args->value("format").value_or("text");
  if (format != "text" && format != "json" && format != "yaml" &&
      format != "junit" && format != "csv") {
    std::cerr << "bpfcompat check: unknown --format '" << format
              << "' (text, json, yaml, junit or csv)\n";
    return kExitUsage;
  }
  auto failOn =
      parseFailOn(args->value("fail-on").value_or("detect,read,convert"));
  if (!failOn) {
    std::cerr << "bpfcompat check: " << llvm::toString(failOn.takeError())
              << "\n";
    return kExitUsage;
  }

  check::Options options;
  options.kernel = args->flag("kernel");
  options.scanEmbedded = args->flag("scan-embedded");
  options.btf = args->value("btf").value_or("");
  auto number = [&](const char *name, auto &target) -> bool {
    auto text = args->value(name);
    if (!text)
      return true;
    char *end = nullptr;
    double value = std::strtod(text->c_str(), &end);
    if (text->empty() || *end != '\0' || value < 0) {
      std::cerr << "bpfcompat check: --" << name
                << " wants a number >= 0, not '" << *text << "'\n";
      return false;
    }
    target = static_cast<std::remove_reference_t<decltype(target)>>(value);
    return true;
  };
  double memoryMiB = options.memoryLimitBytes >> 20;
  if (!number("jobs", options.jobs) ||
      !number("time-limit", options.timeLimitSeconds) ||
      !number("memory-limit", memoryMiB))
    return kExitUsage;
  options.memoryLimitBytes = uint64_t(memoryMiB) << 20;

  std::optional<check::Report> baseline;
  if (auto path = args->value("baseline")) {
    auto buffer = llvm::MemoryBuffer::getFile(*path, /*IsText=*/true);
    if (!buffer) {
      std::cerr << "bpfcompat: error: " << *path
                << ": cannot open: " << buffer.getError().message() << "\n";
      return kExitFailed;
    }
    auto parsed = check::reportFromJson((*buffer)->getBuffer(), *path);
    if (!parsed) {
      std::cerr << "bpfcompat: error: " << llvm::toString(parsed.takeError())
                << "\n";
      return kExitFailed;
    }
    baseline = std::move(*parsed);
  } else if (failOn->regressions) {
    std::cerr << "bpfcompat check: --fail-on regressions needs --baseline\n";
    return kExitUsage;
  }

  check::Inputs inputs = check::collectInputs(args->positional, options);
  ProgressDisplay progress(args->flag("quiet"));
  auto report = check::runCheck(inputs, options, std::ref(progress));
  if (!report) {
    std::cerr << "bpfcompat: error: " << llvm::toString(report.takeError())
              << "\n";
    return kExitFailed;
  }
  std::optional<check::Comparison> comparison;
  if (baseline)
    comparison = check::compare(*baseline, *report);

  std::string text;
  if (format == "text") {
    text = check::renderText(*report);
    if (comparison)
      text += check::renderComparison(*comparison);
  } else if (format == "junit") {
    text = check::renderJunit(*report);
  } else if (format == "csv") {
    text = check::renderCsv(*report);
  } else {
    doc::Value document =
        check::toDocument(*report, comparison ? &*comparison : nullptr);
    text = (format == "json" ? doc::toJson(document) : doc::toYaml(document)) +
           "\n";
  }
  if (auto output = args->value("output")) {
    if (llvm::Error err = elf::writeFileAtomically(
            *output,
            llvm::ArrayRef<uint8_t>(
                reinterpret_cast<const uint8_t *>(text.data()), text.size()))) {
      std::cerr << "bpfcompat: error: " << llvm::toString(std::move(err))
                << "\n";
      return kExitFailed;
    }
  } else {
    std::cout << text << std::flush;
  }
  // The comparison is a result, not progress: people see it even when the
  // report went to a file or is for machines.
  if (comparison && (args->value("output") || format != "text"))
    std::cerr << check::renderComparison(*comparison);

  bool failed = !report->inputErrors.empty() && !failOn->stages.empty();
  for (const check::ObjectResult &o : report->objects)
    for (const check::StageResult &s : o.stages)
      failed |=
          s.status == check::Status::Fail && failOn->stages.count(s.stage);
  if (failOn->regressions && comparison && !comparison->regressions.empty())
    failed = true;
  return failed ? kExitFailed : kExitOk;
}

} // namespace bpfcompat::cli
