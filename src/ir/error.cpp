#include "bpfcompat/error.h"

#include <llvm/Support/Format.h>
#include <llvm/Support/raw_ostream.h>

namespace bpfcompat {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string hex(uint64_t value) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::format_hex(value, 0);
  return os.str();
}

llvm::Error sectionError(llvm::StringRef section, uint64_t offset,
                         const llvm::Twine &message) {
  return makeError("section '" + section + "' offset " + hex(offset) + ": " +
                   message);
}

llvm::Error sectionError(llvm::StringRef section, const llvm::Twine &message) {
  return makeError("section '" + section + "': " + message);
}

llvm::Error prefixError(llvm::Error err, const llvm::Twine &prefix) {
  if (!err)
    return llvm::Error::success();
  std::string p = prefix.str();
  std::string messages;
  // Every line: a message may already be several joined ones (a parser
  // reporting more than one problem), and each must say where it is.
  llvm::handleAllErrors(std::move(err), [&](const llvm::ErrorInfoBase &info) {
    std::string message = info.message();
    llvm::StringRef rest = message;
    do {
      auto [line, next] = rest.split('\n');
      if (!messages.empty())
        messages += "\n";
      messages += p + ": " + line.str();
      rest = next;
    } while (!rest.empty());
  });
  return makeError(messages);
}

} // namespace bpfcompat
