// `bpfcompat inspect`: read objects and print their IR.
#include "bpfcompat/error.h"
#include "bpfcompat/reader.h"
#include "bpfcompat/render.h"

#include <cstdio>
#include <iostream>

#include "args.h"

namespace bpfcompat::cli {

namespace {

// Objects their own loader would refuse read fine but fail the command.
bool hasErrors(const ir::Object &object) {
  for (const ir::Diagnostic &d : object.diagnostics)
    if (d.severity == ir::Severity::Error)
      return true;
  return false;
}

size_t countEntryPrograms(const ir::Object &object) {
  size_t n = 0;
  for (const ir::Program &prog : object.programs)
    n += !prog.subprogram;
  return n;
}

// One line per object: the main job's corpus overview.
std::string summaryLine(const ir::Object &object) {
  std::string line =
      object.path + "  " + ir::conventionName(object.verdict.convention);
  for (ir::Convention mixed : object.verdict.mixedWith)
    line += std::string("+") + ir::conventionName(mixed);
  line += "  maps=" + std::to_string(object.maps.size()) +
          " programs=" + std::to_string(countEntryPrograms(object)) +
          " diagnostics=" + std::to_string(object.diagnostics.size());
  if (hasErrors(object))
    line += " (refused by its loader: see errors)";
  return line;
}

} // namespace

int runInspect(const std::vector<std::string> &argv) {
  OptionSpec spec{{"format", "convention"}, {"no-insns", "summary"}};
  auto args = parseArgs(argv, spec);
  if (!args) {
    std::cerr << "bpfcompat inspect: " << toString(args.takeError()) << "\n";
    return kExitUsage;
  }
  std::string format = args->value("format").value_or("text");
  if (format != "text" && format != "yaml" && format != "json") {
    std::cerr << "bpfcompat inspect: unknown --format '" << format
              << "' (text, yaml or json)\n";
    return kExitUsage;
  }
  if (args->positional.empty()) {
    std::cerr << "bpfcompat inspect: no input files\n";
    return kExitUsage;
  }
  ReadOptions options;
  if (auto name = args->value("convention")) {
    options.convention = ir::conventionFromName(*name);
    if (!options.convention || *options.convention == ir::Convention::Unknown) {
      std::cerr << "bpfcompat inspect: unknown --convention '" << *name
                << "'\n";
      return kExitUsage;
    }
  }
  RenderOptions render;
  render.instructions = !args->flag("no-insns");

  int status = kExitOk;
  doc::Array jsonDocuments;
  bool firstYaml = true;
  for (const std::string &path : args->positional) {
    auto object = readObject(path, options);
    if (!object) {
      printError(object.takeError());
      status = kExitFailed;
      continue;
    }
    if (hasErrors(*object))
      status = kExitFailed;
    if (args->flag("summary"))
      std::cout << summaryLine(*object) << "\n";
    else if (format == "text")
      std::cout << toText(*object);
    else if (format == "yaml") {
      // A YAML stream: one document per object.
      std::cout << (firstYaml ? "" : "---\n")
                << doc::toYaml(toDocument(*object, render)) << "\n";
      firstYaml = false;
    } else {
      jsonDocuments.push_back(toDocument(*object, render));
    }
  }
  // JSON: the object itself for one file, an array for several.
  if (!jsonDocuments.empty())
    std::cout << doc::toJson(jsonDocuments.size() == 1
                                 ? jsonDocuments.front()
                                 : doc::Value(jsonDocuments))
              << "\n";
  return status;
}

} // namespace bpfcompat::cli
