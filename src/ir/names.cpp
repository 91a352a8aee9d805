#include "bpfcompat/names.h"

#include <llvm/ADT/StringExtras.h>

namespace bpfcompat {

std::string kernelSafeName(llvm::StringRef name) {
  std::string out;
  if (name.empty() || llvm::isDigit(name.front()))
    out = "prog_";
  for (char c : name)
    out += llvm::isAlnum(c) || c == '_' || c == '.' ? c : '_';
  return out;
}

} // namespace bpfcompat
