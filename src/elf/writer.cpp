#include "bpfcompat/elf_writer.h"
#include "bpfcompat/error.h"

#include <llvm/ADT/StringMap.h>

#include <cerrno>
#include <cstring>
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace bpfcompat::elf {

namespace {

// One string table for section and symbol names, as clang emits.
class StringTable {
public:
  StringTable() : bytes_(1, '\0') {}
  uint32_t add(llvm::StringRef s) {
    if (s.empty())
      return 0;
    auto [it, fresh] = offsets_.try_emplace(s, uint32_t(bytes_.size()));
    if (fresh) {
      bytes_.insert(bytes_.end(), s.begin(), s.end());
      bytes_.push_back('\0');
    }
    return it->second;
  }
  const std::vector<char> &bytes() const { return bytes_; }

private:
  std::vector<char> bytes_;
  llvm::StringMap<uint32_t> offsets_; // one allocation per name, key inline
};

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0)
      ::close(fd);
  }
};

llvm::Error libelfError(const llvm::Twine &what) {
  return makeError("libelf: " + what + ": " + elf_errmsg(-1));
}

// Adds a section with one data buffer. `data` must outlive elf_update.
llvm::Expected<Elf_Scn *> addSection(Elf *elf, uint32_t nameOff, uint32_t type,
                                     uint64_t flags, uint64_t align,
                                     uint64_t entsize, Elf_Type dataType,
                                     const void *data, size_t size) {
  Elf_Scn *scn = elf_newscn(elf);
  if (!scn)
    return libelfError("elf_newscn");
  Elf_Data *d = elf_newdata(scn);
  if (!d)
    return libelfError("elf_newdata");
  d->d_buf = const_cast<void *>(data);
  d->d_size = size;
  d->d_type = dataType;
  d->d_align = align ? align : 1;
  d->d_version = EV_CURRENT;
  GElf_Shdr shdr;
  if (!gelf_getshdr(scn, &shdr))
    return libelfError("gelf_getshdr");
  shdr.sh_name = nameOff;
  shdr.sh_type = type;
  shdr.sh_flags = flags;
  shdr.sh_addralign = align ? align : 1;
  shdr.sh_entsize = entsize;
  if (!gelf_update_shdr(scn, &shdr))
    return libelfError("gelf_update_shdr");
  return scn;
}

llvm::Error setLinkInfo(Elf_Scn *scn, uint32_t link, uint32_t info) {
  GElf_Shdr shdr;
  if (!gelf_getshdr(scn, &shdr))
    return libelfError("gelf_getshdr");
  shdr.sh_link = link;
  shdr.sh_info = info;
  if (!gelf_update_shdr(scn, &shdr))
    return libelfError("gelf_update_shdr");
  return llvm::Error::success();
}

// libelf's write mode wants a file descriptor, though elf_update with
// ELF_C_NULL never writes to it. One per thread and process: a forked child
// makes its own.
llvm::Expected<int> layoutOnlyFd() {
  thread_local int fd = -1;
  thread_local pid_t owner = 0;
  pid_t self = ::getpid();
  if (fd < 0 || owner != self) {
    fd = memfd_create("bpfcompat-layout", MFD_CLOEXEC);
    if (fd < 0)
      return makeError(llvm::Twine("memfd_create: ") + std::strerror(errno));
    owner = self;
  }
  return fd;
}

// The file libelf laid out (elf_update with ELF_C_NULL), copied into memory
// part by part through libelf's own translators to the file's byte order.
// Writing it to a file instead cost a syscall per section, a third of the
// time `check` spends per object on this machine (docs/performance.md).
llvm::Expected<std::vector<uint8_t>> imageOf(Elf *elf, int64_t size,
                                             unsigned encoding) {
  std::vector<uint8_t> out(size_t(size), 0); // gaps are zero, as libelf fills
  auto put = [&](uint64_t offset, Elf_Type type, const void *src,
                 size_t n) -> llvm::Error {
    if (offset > out.size() || n > out.size() - offset)
      return makeError("internal: libelf laid out " + llvm::Twine(n) +
                       " bytes at offset " + hex(offset) + " of a " +
                       hex(out.size()) + "-byte file");
    Elf_Data from = {}, to = {};
    from.d_buf = const_cast<void *>(src);
    from.d_size = n;
    from.d_type = type;
    from.d_version = EV_CURRENT;
    to.d_buf = out.data() + offset;
    to.d_size = n;
    to.d_version = EV_CURRENT;
    if (!gelf_xlatetof(elf, &to, &from, encoding))
      return libelfError("gelf_xlatetof");
    return llvm::Error::success();
  };
  const Elf64_Ehdr *ehdr = elf64_getehdr(elf);
  if (!ehdr)
    return libelfError("elf64_getehdr");
  if (llvm::Error err = put(0, ELF_T_EHDR, ehdr, sizeof(*ehdr)))
    return err;
  size_t count = 0;
  if (elf_getshdrnum(elf, &count) != 0)
    return libelfError("elf_getshdrnum");
  for (size_t index = 0; index < count; ++index) {
    Elf_Scn *scn = elf_getscn(elf, index);
    const Elf64_Shdr *shdr = scn ? elf64_getshdr(scn) : nullptr;
    if (!shdr)
      return libelfError("elf64_getshdr");
    if (llvm::Error err = put(ehdr->e_shoff + index * sizeof(Elf64_Shdr),
                              ELF_T_SHDR, shdr, sizeof(*shdr)))
      return err;
    if (shdr->sh_type == SHT_NOBITS)
      continue;
    for (Elf_Data *d = nullptr; (d = elf_getdata(scn, d)) != nullptr;)
      if (d->d_size)
        if (llvm::Error err = put(shdr->sh_offset + uint64_t(d->d_off),
                                  d->d_type, d->d_buf, d->d_size))
          return err;
  }
  return out;
}

} // namespace

llvm::Expected<std::vector<uint8_t>> writeObject(const OutObject &object) {
  if (elf_version(EV_CURRENT) == EV_NONE)
    return libelfError("elf_version");
  for (size_t i = 1; i < object.symbols.size(); ++i)
    if (object.symbols[i - 1].binding != STB_LOCAL &&
        object.symbols[i].binding == STB_LOCAL)
      return makeError("internal: local symbol '" + object.symbols[i].name +
                       "' after a global one");
  // Indices are the caller's; a wrong one would otherwise throw (sections.at)
  // or give an object that readers, ours included, reject.
  const size_t nSections = object.sections.size();
  for (const OutSymbol &sym : object.symbols)
    if (sym.shndx > nSections && sym.shndx < SHN_LORESERVE)
      return makeError("internal: symbol '" + sym.name + "' in section " +
                       llvm::Twine(sym.shndx) + " past the last section " +
                       llvm::Twine(uint64_t(nSections)));
  for (const auto &[target, rels] : object.relocations) {
    if (target >= nSections)
      return makeError("internal: relocation target section index " +
                       llvm::Twine(uint64_t(target)) + " out of range (" +
                       llvm::Twine(uint64_t(nSections)) + " sections)");
    const OutSection &sec = object.sections[target];
    for (const OutRel &rel : rels) {
      if (rel.symbol > object.symbols.size())
        return makeError("internal: relocation in '.rel" + sec.name +
                         "' refers to symbol index " + llvm::Twine(rel.symbol) +
                         " past the last symbol " +
                         llvm::Twine(uint64_t(object.symbols.size())));
      if (sec.type != SHT_NOBITS && rel.offset >= sec.bytes.size())
        return makeError("internal: relocation offset " + hex(rel.offset) +
                         " outside section '" + sec.name + "' (size " +
                         hex(sec.bytes.size()) + ")");
    }
  }

  auto fd = layoutOnlyFd();
  if (!fd)
    return fd.takeError();
  Elf *elf = elf_begin(*fd, ELF_C_WRITE, nullptr);
  if (!elf)
    return libelfError("elf_begin");
  struct ElfEnder {
    Elf *e;
    ~ElfEnder() { elf_end(e); }
  } ender{elf};

  GElf_Ehdr ehdr;
  if (!gelf_newehdr(elf, ELFCLASS64))
    return libelfError("gelf_newehdr");
  if (!gelf_getehdr(elf, &ehdr))
    return libelfError("gelf_getehdr");
  ehdr.e_ident[EI_DATA] = object.bigEndian ? ELFDATA2MSB : ELFDATA2LSB;
  ehdr.e_type = ET_REL;
  ehdr.e_machine = object.machine;
  ehdr.e_version = EV_CURRENT;

  StringTable strings;
  // Names first, so the table is complete before its section is added.
  std::vector<uint32_t> sectionNames;
  for (const OutSection &sec : object.sections)
    sectionNames.push_back(strings.add(sec.name));
  std::vector<uint32_t> relNames;
  for (const auto &[target, rels] : object.relocations)
    relNames.push_back(strings.add(".rel" + object.sections.at(target).name));
  uint32_t symtabName = strings.add(".symtab");
  uint32_t strtabName = strings.add(".strtab");

  std::vector<GElf_Sym> syms(1 + object.symbols.size());
  std::memset(syms.data(), 0, syms.size() * sizeof(GElf_Sym));
  uint32_t firstGlobal = uint32_t(syms.size());
  for (size_t i = 0; i < object.symbols.size(); ++i) {
    const OutSymbol &in = object.symbols[i];
    GElf_Sym &out = syms[i + 1];
    out.st_name = strings.add(in.name);
    out.st_value = in.value;
    out.st_size = in.size;
    out.st_info = GELF_ST_INFO(in.binding, in.type);
    out.st_other = in.visibility;
    out.st_shndx = in.shndx;
    if (in.binding != STB_LOCAL && firstGlobal == syms.size())
      firstGlobal = uint32_t(i + 1);
  }

  // Section order: strtab, the caller's sections, symtab, relocations. The
  // ELF index of caller section i is therefore i + 2.
  const uint32_t strtabIndex = 1;
  auto strtab = addSection(elf, strtabName, SHT_STRTAB, 0, 1, 0, ELF_T_BYTE,
                           strings.bytes().data(), strings.bytes().size());
  if (!strtab)
    return strtab.takeError();
  for (size_t i = 0; i < object.sections.size(); ++i) {
    const OutSection &sec = object.sections[i];
    bool nobits = sec.type == SHT_NOBITS;
    auto scn =
        addSection(elf, sectionNames[i], sec.type, sec.flags, sec.addralign, 0,
                   ELF_T_BYTE, nobits ? nullptr : sec.bytes.data(),
                   nobits ? sec.nobitsSize : sec.bytes.size());
    if (!scn)
      return scn.takeError();
  }
  // Symbols refer to caller sections by 1 + index; shift to ELF indices.
  for (size_t i = 1; i < syms.size(); ++i)
    if (syms[i].st_shndx != SHN_UNDEF && syms[i].st_shndx < SHN_LORESERVE)
      syms[i].st_shndx = uint16_t(syms[i].st_shndx + 1);

  // libelf converts ELF_T_SYM/ELF_T_REL buffers from memory to file order.
  std::vector<Elf64_Sym> rawSyms(syms.size());
  for (size_t i = 0; i < syms.size(); ++i) {
    rawSyms[i].st_name = uint32_t(syms[i].st_name);
    rawSyms[i].st_info = syms[i].st_info;
    rawSyms[i].st_other = syms[i].st_other;
    rawSyms[i].st_shndx = syms[i].st_shndx;
    rawSyms[i].st_value = syms[i].st_value;
    rawSyms[i].st_size = syms[i].st_size;
  }
  auto symtab =
      addSection(elf, symtabName, SHT_SYMTAB, 0, 8, sizeof(Elf64_Sym),
                 ELF_T_SYM, rawSyms.data(), rawSyms.size() * sizeof(Elf64_Sym));
  if (!symtab)
    return symtab.takeError();
  uint32_t symtabIndex = uint32_t(object.sections.size() + 2);
  if (llvm::Error err = setLinkInfo(*symtab, strtabIndex, firstGlobal))
    return err;

  std::vector<std::vector<Elf64_Rel>> rawRels;
  rawRels.reserve(object.relocations.size());
  for (size_t r = 0; r < object.relocations.size(); ++r) {
    const auto &[target, rels] = object.relocations[r];
    std::vector<Elf64_Rel> &raw = rawRels.emplace_back();
    for (const OutRel &rel : rels)
      raw.push_back({rel.offset, ELF64_R_INFO(rel.symbol, rel.type)});
    auto scn = addSection(elf, relNames[r], SHT_REL, SHF_INFO_LINK, 8,
                          sizeof(Elf64_Rel), ELF_T_REL, raw.data(),
                          raw.size() * sizeof(Elf64_Rel));
    if (!scn)
      return scn.takeError();
    if (llvm::Error err = setLinkInfo(*scn, symtabIndex, uint32_t(target + 2)))
      return err;
  }

  ehdr.e_shstrndx = strtabIndex;
  if (!gelf_update_ehdr(elf, &ehdr))
    return libelfError("gelf_update_ehdr");
  int64_t size = elf_update(elf, ELF_C_NULL);
  if (size < 0)
    return libelfError("elf_update");
  return imageOf(elf, size, ehdr.e_ident[EI_DATA]);
}

llvm::Error writeFileAtomically(llvm::StringRef path,
                                llvm::ArrayRef<uint8_t> bytes) {
  // rename() would replace a device or a directory entry of another kind;
  // only regular files are ever replaced.
  struct stat existing;
  if (::lstat(path.str().c_str(), &existing) == 0 && !S_ISREG(existing.st_mode))
    return makeError(path + ": refusing to replace a file that is not a "
                            "regular file");
  std::string tmp = (path + ".tmp.XXXXXX").str();
  int fd = mkstemp(tmp.data());
  if (fd < 0)
    return makeError(path +
                     ": cannot create temporary file: " + std::strerror(errno));
  FdCloser closer{fd};
  auto fail = [&](const char *what) {
    int saved = errno;
    ::unlink(tmp.c_str());
    return makeError(path + ": " + what + ": " + std::strerror(saved));
  };
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return fail("write");
    done += size_t(n);
  }
  if (::fchmod(fd, 0644) != 0)
    return fail("fchmod");
  if (::fsync(fd) != 0)
    return fail("fsync");
  if (::rename(tmp.c_str(), path.str().c_str()) != 0)
    return fail("rename");
  return llvm::Error::success();
}

} // namespace bpfcompat::elf
