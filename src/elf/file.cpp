#include "bpfcompat/elf.h"
#include "bpfcompat/error.h"

#include <llvm/Object/ELF.h>
#include <llvm/Support/Endian.h>

namespace bpfcompat::elf {

namespace {

constexpr unsigned char kElfClass64 = 2;
constexpr unsigned char kElfData2Lsb = 1;
constexpr unsigned char kElfData2Msb = 2;
constexpr uint16_t kEtRel = 1;

// libObject messages say "section [index 5]"; ours always name the section.
std::string describe(const File &file, uint32_t index) {
  return "'" + file.sectionName(index) + "' (index " + std::to_string(index) +
         ")";
}

} // namespace

llvm::Expected<std::unique_ptr<File>> File::open(llvm::StringRef path) {
  // Not mmap-volatile and no NUL terminator: a read-only private mapping, so
  // the input can never be modified through us.
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(path + ": cannot open: " + buffer.getError().message());
  std::unique_ptr<File> file(new File());
  file->path_ = path.str();
  file->buffer_ = std::move(*buffer);
  if (llvm::Error err = file->init())
    return prefixError(std::move(err), path);
  return file;
}

llvm::Expected<std::unique_ptr<File>>
File::fromBuffer(llvm::ArrayRef<uint8_t> bytes, llvm::StringRef name) {
  return fromMemoryBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(llvm::toStringRef(bytes), name),
      name);
}

llvm::Expected<std::unique_ptr<File>>
File::viewBuffer(llvm::ArrayRef<uint8_t> bytes, llvm::StringRef name) {
  if (reinterpret_cast<uintptr_t>(bytes.data()) % 8 != 0)
    return fromBuffer(bytes, name);
  return fromMemoryBuffer(
      llvm::MemoryBuffer::getMemBuffer(llvm::toStringRef(bytes), name,
                                       /*RequiresNullTerminator=*/false),
      name);
}

llvm::Expected<std::unique_ptr<File>>
File::fromMemoryBuffer(std::unique_ptr<llvm::MemoryBuffer> buffer,
                       llvm::StringRef name) {
  std::unique_ptr<File> file(new File());
  file->path_ = name.str();
  file->buffer_ = std::move(buffer);
  if (llvm::Error err = file->init())
    return prefixError(std::move(err), name);
  return file;
}

llvm::ArrayRef<uint8_t> File::bytes() const {
  return llvm::ArrayRef<uint8_t>(
      reinterpret_cast<const uint8_t *>(buffer_->getBufferStart()),
      buffer_->getBufferSize());
}

llvm::Error File::init() {
  llvm::ArrayRef<uint8_t> raw = bytes();
  if (raw.size() < 16 || raw[0] != 0x7f || raw[1] != 'E' || raw[2] != 'L' ||
      raw[3] != 'F')
    return makeError("not an ELF file (bad magic at offset 0x0)");
  if (raw[4] != kElfClass64)
    return makeError("not a 64-bit ELF object (EI_CLASS " +
                     llvm::Twine(unsigned(raw[4])) + " at offset 0x4)");
  if (raw[5] == kElfData2Lsb)
    return load<llvm::object::ELF64LE>();
  if (raw[5] == kElfData2Msb)
    return load<llvm::object::ELF64BE>();
  return makeError("unknown ELF byte order (EI_DATA " +
                   llvm::Twine(unsigned(raw[5])) + " at offset 0x5)");
}

template <typename ELFT> llvm::Error File::load() {
  bigEndian_ = ELFT::TargetEndianness == llvm::support::big;
  auto elfOrErr = llvm::object::ELFFile<ELFT>::create(buffer_->getBuffer());
  if (!elfOrErr)
    return elfOrErr.takeError();
  const llvm::object::ELFFile<ELFT> &elf = *elfOrErr;
  const auto &header = elf.getHeader();
  if (header.e_type != kEtRel)
    return makeError("not a relocatable object (e_type " +
                     llvm::Twine(unsigned(header.e_type)) +
                     " at offset 0x10, expected ET_REL)");
  machine_ = header.e_machine;
  if (machine_ != kEmBpf && machine_ != kEmNone)
    return makeError("not a BPF object (e_machine " + llvm::Twine(machine_) +
                     " at offset 0x12, expected EM_BPF 247 or EM_NONE 0)");

  auto shdrs = elf.sections();
  if (!shdrs)
    return shdrs.takeError();
  auto shstrtab = elf.getSectionStringTable(*shdrs);
  if (!shstrtab)
    return shstrtab.takeError();

  sections_.reserve(shdrs->size());
  for (const auto &shdr : *shdrs) {
    Section sec;
    sec.index = uint32_t(sections_.size());
    auto name = elf.getSectionName(shdr, *shstrtab);
    if (!name)
      return name.takeError();
    sec.name = *name;
    sec.type = shdr.sh_type;
    sec.flags = shdr.sh_flags;
    sec.offset = shdr.sh_offset;
    sec.size = shdr.sh_size;
    sec.addralign = shdr.sh_addralign;
    sec.entsize = shdr.sh_entsize;
    sec.link = shdr.sh_link;
    sec.info = shdr.sh_info;
    if (sec.type != kShtNobits && sec.index != 0) {
      auto data = elf.getSectionContents(shdr);
      if (!data)
        return sectionError(sec.name, shdr.sh_offset,
                            toString(data.takeError()));
      sec.data = *data;
    }
    sections_.push_back(std::move(sec));
  }

  // Exactly one symbol table, as libbpf requires; none is legal (a hand-made
  // object with no maps or relocations) and yields no symbols.
  const typename ELFT::Shdr *symtab = nullptr;
  for (const auto &shdr : *shdrs) {
    if (shdr.sh_type != kShtSymtab)
      continue;
    if (symtab)
      return makeError("more than one symbol table");
    symtab = &shdr;
  }
  if (symtab) {
    uint32_t symtabIndex = uint32_t(symtab - shdrs->begin());
    auto syms = elf.symbols(symtab);
    if (!syms)
      return sectionError(sections_[symtabIndex].name, symtab->sh_offset,
                          toString(syms.takeError()));
    auto strtab = elf.getStringTableForSymtab(*symtab, *shdrs);
    if (!strtab)
      return sectionError(sections_[symtabIndex].name,
                          toString(strtab.takeError()));
    symbols_.reserve(syms->size());
    for (const auto &sym : *syms) {
      Symbol out;
      out.index = uint32_t(symbols_.size());
      auto name = sym.getName(*strtab);
      if (!name)
        return sectionError(sections_[symtabIndex].name,
                            out.index * sizeof(sym),
                            "symbol #" + llvm::Twine(out.index) + ": " +
                                toString(name.takeError()));
      out.name = *name;
      out.value = sym.st_value;
      out.size = sym.st_size;
      out.type = sym.getType();
      out.binding = sym.getBinding();
      out.visibility = sym.getVisibility();
      out.shndx = sym.st_shndx;
      symbols_.push_back(std::move(out));
    }
  }

  // Decode relocations eagerly: they are small and every consumer needs them.
  // Those of DWARF sections are the exception: large (one per string of
  // .debug_str_offsets), needed by no BPF loader (libbpf skips them too)
  // and not carried into converted objects, so they are not read at all.
  for (const auto &shdr : *shdrs) {
    uint32_t index = uint32_t(&shdr - shdrs->begin());
    if (shdr.sh_type == kShtRela)
      return sectionError(sections_[index].name,
                          "SHT_RELA relocations are not used by any BPF "
                          "loader (expected SHT_REL)");
    if (shdr.sh_type != kShtRel)
      continue;
    if (!symtab || shdr.sh_link != uint32_t(symtab - shdrs->begin()))
      return sectionError(sections_[index].name,
                          "sh_link " + llvm::Twine(shdr.sh_link) +
                              " does not name the symbol table");
    if (shdr.sh_info == 0 || shdr.sh_info >= sections_.size())
      return sectionError(sections_[index].name,
                          "sh_info " + llvm::Twine(shdr.sh_info) +
                              " is not a valid target section index");
    if (sections_[shdr.sh_info].name.startswith(".debug"))
      continue;
    auto rels = elf.rels(shdr);
    if (!rels)
      return sectionError(sections_[index].name, shdr.sh_offset,
                          toString(rels.takeError()));
    std::vector<Rel> decoded;
    decoded.reserve(rels->size());
    const Section &target = sections_[shdr.sh_info];
    for (const auto &rel : *rels) {
      Rel out;
      out.offset = rel.r_offset;
      out.symbol = rel.getSymbol(false);
      out.type = rel.getType(false);
      // Offsets in messages are within the named section, as everywhere.
      uint64_t entryOffset = (&rel - rels->begin()) * sizeof(rel);
      if (out.symbol >= symbols_.size())
        return sectionError(sections_[index].name, entryOffset,
                            "relocation against symbol #" +
                                llvm::Twine(out.symbol) +
                                " past the end of the symbol table (" +
                                llvm::Twine(symbols_.size()) + " symbols)");
      if (target.type != kShtNobits && out.offset >= target.size)
        return sectionError(sections_[index].name, entryOffset,
                            "relocation offset " + hex(out.offset) +
                                " is outside target section " +
                                describe(*this, shdr.sh_info) + " of size " +
                                hex(target.size));
      decoded.push_back(out);
    }
    rels_.emplace_back(index, std::move(decoded));
  }
  return llvm::Error::success();
}

const Section *File::section(uint32_t index) const {
  return index < sections_.size() ? &sections_[index] : nullptr;
}

const Section *File::sectionByName(llvm::StringRef name) const {
  for (const Section &sec : sections_)
    if (sec.name == name)
      return &sec;
  return nullptr;
}

const Symbol *File::symbol(uint32_t index) const {
  return index < symbols_.size() ? &symbols_[index] : nullptr;
}

std::string File::sectionName(uint32_t index) const {
  if (index < sections_.size())
    return sections_[index].name.str();
  return "<section " + std::to_string(index) + ">";
}

std::vector<Rel> File::relocationsFor(uint32_t target) const {
  std::vector<Rel> out;
  for (const auto &[relIndex, rels] : rels_)
    if (sections_[relIndex].info == target)
      out.insert(out.end(), rels.begin(), rels.end());
  return out;
}

std::vector<const Section *> File::relocationSections() const {
  std::vector<const Section *> out;
  for (const auto &[relIndex, rels] : rels_)
    out.push_back(&sections_[relIndex]);
  return out;
}

llvm::ArrayRef<Rel> File::relocations(const Section &relSection) const {
  for (const auto &[relIndex, rels] : rels_)
    if (relIndex == relSection.index)
      return rels;
  return {};
}

uint32_t File::u32(const uint8_t *p) const {
  return bigEndian_ ? llvm::support::endian::read32be(p)
                    : llvm::support::endian::read32le(p);
}

uint64_t File::u64(const uint8_t *p) const {
  return bigEndian_ ? llvm::support::endian::read64be(p)
                    : llvm::support::endian::read64le(p);
}

llvm::Expected<uint32_t> File::readU32(const Section &sec,
                                       uint64_t offset) const {
  if (offset > sec.data.size() || sec.data.size() - offset < 4)
    return sectionError(sec.name, offset,
                        "4-byte read past the end of the section (size " +
                            hex(sec.data.size()) + ")");
  return u32(sec.data.data() + offset);
}

llvm::Expected<uint64_t> File::readU64(const Section &sec,
                                       uint64_t offset) const {
  if (offset > sec.data.size() || sec.data.size() - offset < 8)
    return sectionError(sec.name, offset,
                        "8-byte read past the end of the section (size " +
                            hex(sec.data.size()) + ")");
  return u64(sec.data.data() + offset);
}

} // namespace bpfcompat::elf
