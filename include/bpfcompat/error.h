// Error helpers shared by every layer.
//
// All fallible functions return llvm::Error / llvm::Expected<T>. Each layer
// adds the context it knows (file, section, symbol, offset) by prefixing, the
// way lld reports "file.o:(.text+0x10): message", so a user message always says
// where.
#pragma once

#include <llvm/ADT/Twine.h>
#include <llvm/Support/Error.h>

#include <cstdint>
#include <string>

namespace bpfcompat {

// A plain error with a message; errc is only for callers that branch on kind.
llvm::Error makeError(const llvm::Twine &message);

// "section 'maps' offset 0x24: <message>" (offset omitted when unknown).
llvm::Error sectionError(llvm::StringRef section, uint64_t offset,
                         const llvm::Twine &message);
llvm::Error sectionError(llvm::StringRef section, const llvm::Twine &message);

// Prefixes every line of every message in `err` with "<prefix>: ". Success
// passes through.
llvm::Error prefixError(llvm::Error err, const llvm::Twine &prefix);

template <typename T>
llvm::Expected<T> prefixError(llvm::Expected<T> value,
                              const llvm::Twine &prefix) {
  if (value)
    return value;
  return prefixError(value.takeError(), prefix);
}

// Formats 0x-prefixed hex, used in every offset message so they stay greppable.
std::string hex(uint64_t value);

} // namespace bpfcompat
