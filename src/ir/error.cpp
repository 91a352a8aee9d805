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
  llvm::handleAllErrors(std::move(err), [&](const llvm::ErrorInfoBase &info) {
    if (!messages.empty())
      messages += "\n";
    messages += p + ": " + info.message();
  });
  return makeError(messages);
}

} // namespace bpfcompat
