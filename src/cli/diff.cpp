// `bpfcompat diff A B`: are two objects equivalent for the kernel?
#include "bpfcompat/diff.h"

#include "bpfcompat/document.h"
#include "bpfcompat/reader.h"

#include <iostream>

#include "args.h"

namespace bpfcompat::cli {

namespace {

constexpr const char *kUsage =
    "usage: bpfcompat diff A B [--pin-root DIR] [--pin-root-a DIR] "
    "[--bpffs DIR]\n"
    "                          [--convention-a NAME] [--convention-b NAME]\n"
    "                          [--format text|yaml|json]\n";

int usageError(const std::string &message) {
  std::cerr << "bpfcompat diff: " << message << "\n" << kUsage;
  return kExitUsage;
}

// --convention-a / --convention-b into read options; false on a bad name.
bool conventionOption(const Args &args, const std::string &option,
                      ReadOptions &options) {
  auto name = args.value(option);
  if (!name)
    return true;
  options.convention = ir::conventionFromName(*name);
  return options.convention && *options.convention != ir::Convention::Unknown;
}

doc::Value toDocument(const std::vector<Difference> &differences) {
  doc::Array items;
  for (const Difference &d : differences)
    items.push_back(doc::Object{
        {"code", d.code}, {"subject", d.subject}, {"message", d.message}});
  return doc::Object{{"equivalent", differences.empty()},
                     {"differences", std::move(items)}};
}

} // namespace

int runDiff(const std::vector<std::string> &argv) {
  OptionSpec spec{{"pin-root", "pin-root-a", "bpffs", "convention-a",
                   "convention-b", "format"},
                  {}};
  auto args = parseArgs(argv, spec);
  if (!args)
    return usageError(toString(args.takeError()));
  if (args->positional.size() != 2)
    return usageError("expected two objects, got " +
                      std::to_string(args->positional.size()));
  std::string format = args->value("format").value_or("text");
  if (format != "text" && format != "yaml" && format != "json")
    return usageError("unknown --format '" + format + "' (text, yaml or json)");
  ReadOptions readA, readB;
  for (auto [option, read] :
       {std::pair{"convention-a", &readA}, std::pair{"convention-b", &readB}})
    if (!conventionOption(*args, option, *read))
      return usageError("unknown --" + std::string(option) + " '" +
                        *args->value(option) + "'");

  DiffOptions options;
  options.bpffs = args->value("bpffs").value_or(options.bpffs);
  options.pinRootA = args->value("pin-root-a").value_or(options.pinRootA);
  options.pinRootB = args->value("pin-root").value_or(options.pinRootB);

  // Read both before failing so one run reports every unreadable input.
  auto a = readObject(args->positional[0], readA);
  auto b = readObject(args->positional[1], readB);
  bool readFailed = false;
  auto check = [&](llvm::Expected<ir::Object> &object) {
    if (object)
      return;
    printError(object.takeError());
    readFailed = true;
  };
  check(a);
  check(b);
  if (readFailed)
    return kExitFailed;

  std::vector<Difference> differences = diffObjects(*a, *b, options);
  if (format == "yaml")
    std::cout << doc::toYaml(toDocument(differences)) << "\n";
  else if (format == "json")
    std::cout << doc::toJson(toDocument(differences)) << "\n";
  else if (differences.empty())
    std::cout << "equivalent\n";
  else
    for (const Difference &d : differences)
      std::cout << d.code << ": " << d.message << "\n";
  return differences.empty() ? kExitOk : kExitFailed;
}

} // namespace bpfcompat::cli
