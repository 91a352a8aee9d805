// `bpfcompat convert IN -o OUT`: re-emit an object as a libbpf 1.x object.
#include "bpfcompat/convert.h"

#include "bpfcompat/elf_writer.h"
#include "bpfcompat/reader.h"
#include "bpfcompat/render.h"

#include <filesystem>
#include <iostream>

#include "args.h"

namespace bpfcompat::cli {

namespace {

bool sameFile(const std::string &a, const std::string &b) {
  std::error_code ec;
  return std::filesystem::equivalent(a, b, ec);
}

llvm::Error writeReport(const std::string &path,
                        const convert::Report &report) {
  doc::Value document = convert::toDocument(report);
  bool json = llvm::StringRef(path).endswith(".json");
  std::string text = json ? doc::toJson(document) : doc::toYaml(document);
  text += "\n";
  return elf::writeFileAtomically(
      path, llvm::ArrayRef<uint8_t>(
                reinterpret_cast<const uint8_t *>(text.data()), text.size()));
}

} // namespace

int runConvert(const std::vector<std::string> &argv) {
  OptionSpec spec{
      {"o", "output", "for", "report", "pin-root", "convention", "bpffs"},
      {"strict", "quiet"}};
  // Accept the conventional short form -o.
  std::vector<std::string> normalized;
  for (const std::string &arg : argv)
    normalized.push_back(arg == "-o" ? "--output" : arg);
  auto args = parseArgs(normalized, spec);
  if (!args) {
    std::cerr << "bpfcompat convert: " << llvm::toString(args.takeError())
              << "\n";
    return kExitUsage;
  }
  auto output = args->value("output");
  if (args->positional.size() != 1 || !output) {
    std::cerr << "usage: bpfcompat convert IN -o OUT [--for libbpf|tc] "
                 "[--report FILE] [--strict] [--pin-root DIR] "
                 "[--bpffs DIR] [--convention NAME] [--quiet]\n";
    return kExitUsage;
  }
  const std::string &input = args->positional.front();
  convert::Options options;
  std::string consumer = args->value("for").value_or("libbpf");
  if (consumer == "tc")
    options.consumer = convert::Consumer::Tc;
  else if (consumer != "libbpf") {
    std::cerr << "bpfcompat convert: unknown --for '" << consumer
              << "' (libbpf or tc)\n";
    return kExitUsage;
  }
  options.pinRoot = args->value("pin-root");
  if (auto bpffs = args->value("bpffs"))
    options.bpffs = *bpffs;
  ReadOptions readOptions;
  readOptions.hashFile = false; // the converted object does not carry it
  if (auto name = args->value("convention")) {
    readOptions.convention = ir::conventionFromName(*name);
    if (!readOptions.convention ||
        *readOptions.convention == ir::Convention::Unknown) {
      std::cerr << "bpfcompat convert: unknown --convention '" << *name
                << "'\n";
      return kExitUsage;
    }
  }
  if (sameFile(input, *output)) {
    std::cerr << "bpfcompat convert: refusing to overwrite the input " << input
              << "\n";
    return kExitUsage;
  }

  auto object = readObject(input, readOptions);
  if (!object) {
    printError(object.takeError());
    return kExitFailed;
  }
  auto result = convert::convertObject(*object, options);
  if (!result) {
    printError(input + ": " + llvm::toString(result.takeError()));
    return kExitFailed;
  }
  result->report.output = *output;
  if (!args->flag("quiet"))
    std::cerr << printable(convert::summary(result->report), true);
  if (auto reportPath = args->value("report"))
    if (llvm::Error err = writeReport(*reportPath, result->report)) {
      printError(std::move(err));
      return kExitFailed;
    }
  if (args->flag("strict") && result->report.hasLoss()) {
    printError(input +
               ": conversion loses information (--strict); nothing written");
    return kExitFailed;
  }
  if (llvm::Error err = elf::writeFileAtomically(*output, result->bytes)) {
    printError(std::move(err));
    return kExitFailed;
  }
  return kExitOk;
}

} // namespace bpfcompat::cli
