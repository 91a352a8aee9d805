#include "args.h"

#include "bpfcompat/error.h"
#include "bpfcompat/render.h"

#include <iostream>

namespace bpfcompat::cli {

std::optional<std::string> Args::value(const std::string &name) const {
  auto it = values.find(name);
  if (it == values.end())
    return std::nullopt;
  return it->second;
}

llvm::Expected<Args> parseArgs(const std::vector<std::string> &argv,
                               const OptionSpec &spec) {
  Args args;
  bool onlyPositional = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string &arg = argv[i];
    if (onlyPositional || arg.size() < 2 || arg.rfind("--", 0) != 0) {
      args.positional.push_back(arg);
      continue;
    }
    if (arg == "--") {
      onlyPositional = true;
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inlineValue;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      inlineValue = name.substr(eq + 1);
      name.resize(eq);
    }
    if (spec.flags.count(name)) {
      if (inlineValue)
        return makeError("option --" + name + " takes no value");
      args.flags.insert(name);
    } else if (spec.valued.count(name)) {
      if (!inlineValue) {
        if (i + 1 >= argv.size())
          return makeError("option --" + name + " needs a value");
        inlineValue = argv[++i];
      }
      args.values[name] = *inlineValue;
      args.all[name].push_back(*inlineValue);
    } else {
      return makeError("unknown option --" + name);
    }
  }
  return args;
}

void printError(const std::string &message) {
  std::cerr << "bpfcompat: error: " << printable(message, true) << "\n";
}

void printError(llvm::Error err) { printError(llvm::toString(std::move(err))); }

void printWarning(llvm::Error err) {
  std::cerr << "bpfcompat: warning: "
            << printable(llvm::toString(std::move(err)), true) << "\n";
}

} // namespace bpfcompat::cli
