// SHA-1 of a whole input file: iproute2 names an object's PIN_OBJECT_NS pin
// directory by it, and reports show it to identify the input.
#pragma once

#include <llvm/ADT/ArrayRef.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace bpfcompat {

// Lower-case hex, as `sha1sum` prints it.
std::string sha1Hex(llvm::ArrayRef<uint8_t> bytes);

namespace detail {
// The digest computed with the CPU's SHA extensions, or nullopt when the
// CPU has none (sha1Hex then uses LLVM's portable SHA1).
std::optional<std::array<uint8_t, 20>>
sha1WithCpuExtensions(llvm::ArrayRef<uint8_t> bytes);
} // namespace detail

} // namespace bpfcompat
