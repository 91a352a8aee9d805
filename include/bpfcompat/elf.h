// A bounds-checked, zero-copy view of a BPF ELF relocatable object.
//
// Built on LLVM libObject's ELFFile<ELF64LE|ELF64BE>, which validates header,
// section table and string tables. The view flattens sections and symbols into
// plain vectors once (objects have tens of sections) so format plugins never
// touch libObject types or byte order; section contents stay in the mapped
// file.
#pragma once

#include <llvm/ADT/ArrayRef.h>
#include <llvm/ADT/StringRef.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/MemoryBuffer.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bpfcompat::elf {

// ELF constants we use by name (avoid leaking <elf.h> into every includer).
inline constexpr uint32_t kShtProgbits = 1;
inline constexpr uint32_t kShtSymtab = 2;
inline constexpr uint32_t kShtStrtab = 3;
inline constexpr uint32_t kShtRela = 4;
inline constexpr uint32_t kShtNobits = 8;
inline constexpr uint32_t kShtRel = 9;
inline constexpr uint64_t kShfWrite = 0x1;
inline constexpr uint64_t kShfAlloc = 0x2;
inline constexpr uint64_t kShfExecinstr = 0x4;
inline constexpr uint8_t kSttNotype = 0;
inline constexpr uint8_t kSttObject = 1;
inline constexpr uint8_t kSttFunc = 2;
inline constexpr uint8_t kSttSection = 3;
inline constexpr uint8_t kSttFile = 4;
inline constexpr uint8_t kStbLocal = 0;
inline constexpr uint8_t kStbGlobal = 1;
inline constexpr uint8_t kStbWeak = 2;
inline constexpr uint16_t kShnUndef = 0;
inline constexpr uint16_t kShnLoreserve = 0xff00;
inline constexpr uint16_t kEmNone = 0;
inline constexpr uint16_t kEmBpf = 247;

// Names are views into the file's bytes, valid while the File lives.
struct Section {
  uint32_t index = 0;
  llvm::StringRef name;
  uint32_t type = 0;
  uint64_t flags = 0;
  uint64_t offset = 0; // file offset
  uint64_t size = 0;
  uint64_t addralign = 0;
  uint64_t entsize = 0;
  uint32_t link = 0;
  uint32_t info = 0;
  // Empty for SHT_NOBITS; otherwise exactly `size` bytes inside the file.
  llvm::ArrayRef<uint8_t> data;

  bool isExec() const {
    return type == kShtProgbits && (flags & kShfExecinstr) && size > 0;
  }
};

struct Symbol {
  uint32_t index = 0; // index in .symtab (0 is the null symbol)
  llvm::StringRef name;
  uint64_t value = 0;
  uint64_t size = 0;
  uint8_t type = 0;
  uint8_t binding = 0;
  uint8_t visibility = 0;
  uint16_t shndx = 0;
};

struct Rel {
  uint64_t offset = 0; // r_offset within the target section
  uint32_t symbol = 0; // index into symbols()
  uint32_t type = 0;   // R_BPF_*; meaning is decided by content, not type
};

class File {
public:
  // Maps `path` read-only and validates the ELF. Never modifies the file.
  static llvm::Expected<std::unique_ptr<File>> open(llvm::StringRef path);
  // Parses bytes already in memory (fuzzers, embedded objects). `name` is
  // used in messages. The buffer is copied.
  static llvm::Expected<std::unique_ptr<File>>
  fromBuffer(llvm::ArrayRef<uint8_t> bytes, llvm::StringRef name);
  // Like fromBuffer without the copy: `bytes` must outlive the File. Bytes
  // that are not 8-byte aligned, as the ELF structures need, are copied.
  static llvm::Expected<std::unique_ptr<File>>
  viewBuffer(llvm::ArrayRef<uint8_t> bytes, llvm::StringRef name);

  llvm::StringRef path() const { return path_; }
  llvm::ArrayRef<uint8_t> bytes() const;
  bool bigEndian() const { return bigEndian_; }
  uint16_t machine() const { return machine_; }

  const std::vector<Section> &sections() const { return sections_; }
  const std::vector<Symbol> &symbols() const { return symbols_; }
  const Section *section(uint32_t index) const;
  const Section *sectionByName(llvm::StringRef name) const;
  const Symbol *symbol(uint32_t index) const;
  // Name of the section with that index, or "<section N>" when invalid.
  std::string sectionName(uint32_t index) const;

  // Entries of the SHT_REL sections targeting `target` (by sh_info), decoded
  // and bounds-checked when the file was opened; those of DWARF (`.debug*`)
  // sections are not read at all (SHT_RELA is rejected at open:
  // no BPF loader uses it).
  std::vector<Rel> relocationsFor(uint32_t target) const;
  // Every SHT_REL section that was read (all but DWARF's).
  std::vector<const Section *> relocationSections() const;
  // The entries of one of those, decoded at open.
  llvm::ArrayRef<Rel> relocations(const Section &relSection) const;

  // Reads an integer of the object's byte order from section data;
  // error naming the section and offset when out of bounds.
  llvm::Expected<uint32_t> readU32(const Section &sec, uint64_t offset) const;
  llvm::Expected<uint64_t> readU64(const Section &sec, uint64_t offset) const;
  uint32_t u32(const uint8_t *p) const; // unchecked, caller checked bounds
  uint64_t u64(const uint8_t *p) const;

private:
  static llvm::Expected<std::unique_ptr<File>>
  fromMemoryBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer,
                   llvm::StringRef name);

  File() = default;
  template <typename ELFT> llvm::Error load();
  llvm::Error init();

  std::string path_;
  std::unique_ptr<llvm::MemoryBuffer> buffer_;
  bool bigEndian_ = false;
  uint16_t machine_ = 0;
  std::vector<Section> sections_;
  std::vector<Symbol> symbols_;
  // Relocation entries per relocation section index, decoded on load.
  std::vector<std::pair<uint32_t, std::vector<Rel>>> rels_;
};

} // namespace bpfcompat::elf
