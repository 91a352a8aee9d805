// Writing relocatable BPF ELF objects with libelf, and writing files
// atomically. The emitter describes the object as plain data; this layer owns
// ELF layout, byte order conversion of structured sections and string tables.
#pragma once

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/Support/Error.h>

#include <cstdint>
#include <string>
#include <vector>

namespace bpfcompat::elf {

struct OutSection {
  std::string name;
  uint32_t type = 1; // SHT_PROGBITS
  uint64_t flags = 0;
  uint64_t addralign = 1;
  std::vector<uint8_t> bytes; // file byte order; ignored for SHT_NOBITS
  uint64_t nobitsSize = 0;    // size of an SHT_NOBITS section
};

struct OutSymbol {
  std::string name;
  uint64_t value = 0;
  uint64_t size = 0;
  uint8_t type = 0;
  uint8_t binding = 0;
  uint8_t visibility = 0;
  // 0 = undefined; otherwise 1 + index into OutObject::sections.
  uint16_t shndx = 0;
};

struct OutRel {
  uint64_t offset = 0;
  uint32_t symbol = 0; // 1 + index into OutObject::symbols
  uint32_t type = 0;
};

struct OutObject {
  bool bigEndian = false;
  uint16_t machine = 247; // EM_BPF
  std::vector<OutSection> sections;
  // Written in this order after the null symbol; locals must come first
  // (the writer checks, since sh_info depends on it).
  std::vector<OutSymbol> symbols;
  // Relocations per target (index into `sections`), emitted as SHT_REL
  // sections named ".rel" + target name, right after all other sections.
  std::vector<std::pair<size_t, std::vector<OutRel>>> relocations;
};

// Serialises `object` to ELF bytes. Deterministic: same input, same bytes.
llvm::Expected<std::vector<uint8_t>> writeObject(const OutObject &object);

// Writes `bytes` to `path` through a temporary file in the same directory,
// fsync and rename, so readers never see a partial file and a failure leaves
// any previous file untouched.
llvm::Error writeFileAtomically(llvm::StringRef path,
                                llvm::ArrayRef<uint8_t> bytes);

} // namespace bpfcompat::elf
