// A minimal option parser shared by every verb: `--name value`,
// `--name=value`, boolean `--flag`, and positional arguments.
#pragma once

#include <llvm/Support/Error.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bpfcompat::cli {

struct OptionSpec {
  std::set<std::string> valued; // options that take a value
  std::set<std::string> flags;  // boolean options
};

struct Args {
  std::map<std::string, std::string> values; // the last of each option
  std::map<std::string, std::vector<std::string>> all; // every occurrence
  std::set<std::string> flags;
  std::vector<std::string> positional;

  std::optional<std::string> value(const std::string &name) const;
  bool flag(const std::string &name) const { return flags.count(name) != 0; }
};

// Errors name the offending argument; callers exit 2 on them.
llvm::Expected<Args> parseArgs(const std::vector<std::string> &argv,
                               const OptionSpec &spec);

// Exit codes of every verb (DESIGN.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// Every "bpfcompat: error:"/"warning:" line goes through these: messages quote
// names from the object, so control bytes are escaped before they reach a
// terminal (line breaks between messages stay).
void printError(const std::string &message);
void printError(llvm::Error err);
void printWarning(llvm::Error err);

int runInspect(const std::vector<std::string> &argv);
int runDiff(const std::vector<std::string> &argv);
int runConvert(const std::vector<std::string> &argv);
int runLoad(const std::vector<std::string> &argv);
int runUnload(const std::vector<std::string> &argv);
int runCheck(const std::vector<std::string> &argv);

} // namespace bpfcompat::cli
