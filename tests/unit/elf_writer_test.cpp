// The ELF writer: objects written in both byte orders read back through our
// own reader (and llvm-readelf) with every section, symbol and relocation as
// described; determinism; input checks; and atomic file replacement.
#include "bpfcompat/elf.h"
#include "bpfcompat/elf_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace bpfcompat;
using elf::OutObject;
using elf::OutRel;
using elf::OutSection;
using elf::OutSymbol;

using Bytes = std::vector<uint8_t>;

constexpr bool kByteOrders[] = {false, true};
constexpr uint16_t kShnAbs = 0xfff1;
constexpr uint64_t kShfInfoLink = 0x40;
constexpr uint8_t kStvHidden = 2;
constexpr uint32_t kRBpf6464 = 1;
constexpr uint32_t kRBpf64Abs64 = 2;
constexpr uint32_t kRBpf6432 = 10;

const char *orderName(bool bigEndian) {
  return bigEndian ? "big-endian" : "little-endian";
}

// One instruction in the object's byte order.
void insn(Bytes &out, bool bigEndian, uint8_t code, uint8_t dst, uint8_t src,
          int16_t off, int32_t imm) {
  out.push_back(code);
  out.push_back(bigEndian ? uint8_t(dst << 4 | src) : uint8_t(src << 4 | dst));
  for (int i = 0; i < 2; ++i)
    out.push_back(uint8_t(uint16_t(off) >> (bigEndian ? 8 - 8 * i : 8 * i)));
  for (int i = 0; i < 4; ++i)
    out.push_back(uint8_t(uint32_t(imm) >> (bigEndian ? 24 - 8 * i : 8 * i)));
}

// A program section (ld_imm64 of a variable, a call to an extern, exit), a
// data section, a NOBITS section, the license, an empty section; local and
// global symbols including an undefined and an absolute one; relocations on
// the program and on the data.
OutObject sampleObject(bool bigEndian) {
  OutObject o;
  o.bigEndian = bigEndian;
  Bytes prog;
  insn(prog, bigEndian, 0x18, 1, 2, 0, 0); // r1 = &counter (ld_imm64)
  insn(prog, bigEndian, 0x00, 0, 0, 0, 0);
  insn(prog, bigEndian, 0x85, 0, 1, 0, -1); // call extern_fn
  insn(prog, bigEndian, 0x95, 0, 0, 0, 0);  // exit
  o.sections.push_back({"xdp", elf::kShtProgbits,
                        elf::kShfAlloc | elf::kShfExecinstr, 8, prog, 0});
  o.sections.push_back({".data", elf::kShtProgbits,
                        elf::kShfWrite | elf::kShfAlloc, 4,
                        Bytes{1, 2, 3, 4, 5, 6, 7, 8}, 0});
  // NOBITS bytes are ignored: only nobitsSize counts.
  o.sections.push_back({".bss", elf::kShtNobits,
                        elf::kShfWrite | elf::kShfAlloc, 8, Bytes{0xaa}, 16});
  o.sections.push_back({"license", elf::kShtProgbits,
                        elf::kShfWrite | elf::kShfAlloc, 1,
                        Bytes{'G', 'P', 'L', 0}, 0});
  o.sections.push_back({".text", elf::kShtProgbits,
                        elf::kShfAlloc | elf::kShfExecinstr, 8, Bytes{}, 0});

  auto sym = [](std::string name, uint64_t value, uint64_t size, uint8_t type,
                uint8_t binding, uint16_t shndx, uint8_t visibility = 0) {
    OutSymbol s;
    s.name = std::move(name);
    s.value = value;
    s.size = size;
    s.type = type;
    s.binding = binding;
    s.shndx = shndx;
    s.visibility = visibility;
    return s;
  };
  o.symbols = {
      sym("prog.c", 0, 0, elf::kSttFile, elf::kStbLocal, kShnAbs),
      sym("", 0, 0, elf::kSttSection, elf::kStbLocal, 1),
      sym("LBB0_3", 24, 0, elf::kSttNotype, elf::kStbLocal, 1),
      sym("counter", 4, 4, elf::kSttObject, elf::kStbLocal, 2),
      sym("prog", 0, 32, elf::kSttFunc, elf::kStbGlobal, 1),
      sym("helper", 24, 8, elf::kSttFunc, elf::kStbGlobal, 1, kStvHidden),
      sym("buf", 0, 16, elf::kSttObject, elf::kStbGlobal, 3),
      sym("extern_fn", 0, 0, elf::kSttNotype, elf::kStbGlobal, 0),
      sym("weak_sym", 0, 4, elf::kSttObject, elf::kStbWeak, 4),
      // Same name as a section: one string, shared.
      sym("xdp", 0, 0, elf::kSttNotype, elf::kStbGlobal, 5),
  };
  o.relocations.push_back({0,
                           {{0, 4, kRBpf6464},          // counter
                            {16, 8, kRBpf6432}}});      // extern_fn
  o.relocations.push_back({1, {{0, 5, kRBpf64Abs64}}}); // prog
  return o;
}

Bytes writeOk(const OutObject &o) {
  auto bytes = elf::writeObject(o);
  if (!bytes) {
    ADD_FAILURE() << llvm::toString(bytes.takeError());
    return {};
  }
  return std::move(*bytes);
}

std::unique_ptr<elf::File> readOk(const Bytes &bytes) {
  auto file = elf::File::fromBuffer(bytes, "written.o");
  if (!file) {
    ADD_FAILURE() << llvm::toString(file.takeError());
    return nullptr;
  }
  return std::move(*file);
}

std::string errorOf(const OutObject &o) {
  auto bytes = elf::writeObject(o);
  if (bytes) {
    ADD_FAILURE() << "expected an error";
    return "";
  }
  return llvm::toString(bytes.takeError());
}

TEST(ElfWriter, WrittenObjectReadsBackExactly) {
  for (bool bigEndian : kByteOrders) {
    SCOPED_TRACE(orderName(bigEndian));
    OutObject o = sampleObject(bigEndian);
    Bytes bytes = writeOk(o);
    auto file = readOk(bytes);
    ASSERT_TRUE(file);
    EXPECT_EQ(file->bigEndian(), bigEndian);
    EXPECT_EQ(file->machine(), elf::kEmBpf);
    EXPECT_EQ(bytes[5], bigEndian ? 2 : 1) << "EI_DATA";

    // Layout: null, .strtab, the caller's sections, .symtab, relocations.
    const auto &secs = file->sections();
    ASSERT_EQ(secs.size(), 1 + 1 + o.sections.size() + 1 + 2);
    EXPECT_EQ(secs[0].type, 0u);
    const elf::Section &strtab = secs[1];
    EXPECT_EQ(strtab.name, ".strtab");
    EXPECT_EQ(strtab.type, elf::kShtStrtab);
    EXPECT_EQ(strtab.data.front(), 0);
    EXPECT_EQ(strtab.data.back(), 0);
    for (size_t i = 0; i < o.sections.size(); ++i) {
      const OutSection &want = o.sections[i];
      const elf::Section &got = secs[i + 2];
      SCOPED_TRACE(want.name);
      EXPECT_EQ(got.index, i + 2);
      EXPECT_EQ(got.name, want.name);
      EXPECT_EQ(got.type, want.type);
      EXPECT_EQ(got.flags, want.flags);
      EXPECT_EQ(got.addralign, want.addralign);
      EXPECT_EQ(got.entsize, 0u);
      EXPECT_EQ(got.link, 0u);
      EXPECT_EQ(got.info, 0u);
      EXPECT_EQ(got.offset % want.addralign, 0u);
      if (want.type == elf::kShtNobits) {
        EXPECT_EQ(got.size, want.nobitsSize);
        EXPECT_TRUE(got.data.empty());
      } else {
        EXPECT_EQ(got.size, want.bytes.size());
        EXPECT_EQ(Bytes(got.data.begin(), got.data.end()), want.bytes);
      }
    }
    EXPECT_TRUE(file->sectionByName("xdp")->isExec());
    EXPECT_FALSE(file->sectionByName(".text")->isExec()) << "empty";

    const uint32_t symtabIndex = uint32_t(o.sections.size() + 2);
    const elf::Section &symtab = secs[symtabIndex];
    EXPECT_EQ(symtab.name, ".symtab");
    EXPECT_EQ(symtab.type, elf::kShtSymtab);
    EXPECT_EQ(symtab.link, 1u) << "names in .strtab";
    EXPECT_EQ(symtab.info, 5u) << "first global: after null and 4 locals";
    EXPECT_EQ(symtab.entsize, 24u);
    EXPECT_EQ(symtab.addralign, 8u);
    EXPECT_EQ(symtab.size, 24u * (o.symbols.size() + 1));

    const auto &syms = file->symbols();
    ASSERT_EQ(syms.size(), o.symbols.size() + 1);
    EXPECT_EQ(syms[0].name, "");
    EXPECT_EQ(syms[0].value, 0u);
    EXPECT_EQ(syms[0].shndx, 0u);
    EXPECT_EQ(syms[0].type, 0u);
    for (size_t i = 0; i < o.symbols.size(); ++i) {
      const OutSymbol &want = o.symbols[i];
      const elf::Symbol &got = syms[i + 1];
      SCOPED_TRACE("symbol '" + want.name + "'");
      EXPECT_EQ(got.index, i + 1);
      EXPECT_EQ(got.name, want.name);
      EXPECT_EQ(got.value, want.value);
      EXPECT_EQ(got.size, want.size);
      EXPECT_EQ(got.type, want.type);
      EXPECT_EQ(got.binding, want.binding);
      EXPECT_EQ(got.visibility, want.visibility);
      // 1 + index into sections becomes the ELF index (index + 2); undefined
      // and reserved indices pass through.
      uint16_t shndx = want.shndx == 0 || want.shndx >= elf::kShnLoreserve
                           ? want.shndx
                           : uint16_t(want.shndx + 1);
      EXPECT_EQ(got.shndx, shndx);
      if (want.shndx != 0 && want.shndx < elf::kShnLoreserve) {
        EXPECT_EQ(file->sectionName(got.shndx),
                  o.sections[want.shndx - 1].name);
      }
    }

    ASSERT_EQ(file->relocationSections().size(), 2u);
    for (size_t r = 0; r < o.relocations.size(); ++r) {
      const auto &[target, rels] = o.relocations[r];
      const elf::Section &relSec = secs[symtabIndex + 1 + r];
      SCOPED_TRACE(relSec.name.str());
      EXPECT_EQ(relSec.name, ".rel" + o.sections[target].name);
      EXPECT_EQ(relSec.type, elf::kShtRel);
      EXPECT_EQ(relSec.flags, kShfInfoLink);
      EXPECT_EQ(relSec.link, symtabIndex);
      EXPECT_EQ(relSec.info, target + 2);
      EXPECT_EQ(relSec.entsize, 16u);
      EXPECT_EQ(relSec.addralign, 8u);
      EXPECT_EQ(relSec.size, 16u * rels.size());
      std::vector<elf::Rel> got = file->relocationsFor(uint32_t(target + 2));
      ASSERT_EQ(got.size(), rels.size());
      for (size_t i = 0; i < rels.size(); ++i) {
        EXPECT_EQ(got[i].offset, rels[i].offset);
        EXPECT_EQ(got[i].symbol, rels[i].symbol);
        EXPECT_EQ(got[i].type, rels[i].type);
      }
    }
    EXPECT_EQ(file->relocationsFor(1).size(), 0u);
    EXPECT_EQ(file->relocationsFor(4).size(), 0u);
    EXPECT_EQ(file->symbol(file->relocationsFor(2)[1].symbol)->name,
              "extern_fn");

    // Instructions keep their bytes; the reader decodes them in file order.
    const elf::Section &prog = secs[2];
    EXPECT_EQ(file->u32(prog.data.data() + 16 + 4), uint32_t(-1)) << "imm";
    EXPECT_EQ(*file->readU64(*file->sectionByName(".data"), 0),
              bigEndian ? 0x0102030405060708ULL : 0x0807060504030201ULL);
  }
}

TEST(ElfWriter, ByteOrdersShareTheLayout) {
  auto little = readOk(writeOk(sampleObject(false)));
  auto big = readOk(writeOk(sampleObject(true)));
  ASSERT_TRUE(little && big);
  EXPECT_EQ(little->bytes().size(), big->bytes().size());
  ASSERT_EQ(little->sections().size(), big->sections().size());
  for (size_t i = 0; i < little->sections().size(); ++i) {
    EXPECT_EQ(little->sections()[i].offset, big->sections()[i].offset);
    EXPECT_EQ(little->sections()[i].size, big->sections()[i].size);
  }
  // String tables are byte strings: identical.
  auto bytesOf = [](const elf::File &f, const char *name) {
    llvm::ArrayRef<uint8_t> d = f.sectionByName(name)->data;
    return Bytes(d.begin(), d.end());
  };
  EXPECT_EQ(bytesOf(*little, ".strtab"), bytesOf(*big, ".strtab"));
  EXPECT_NE(bytesOf(*little, ".symtab"), bytesOf(*big, ".symtab"));
}

TEST(ElfWriter, OneStringTableWithSharedNames) {
  auto file = readOk(writeOk(sampleObject(false)));
  ASSERT_TRUE(file);
  const elf::Section *strtab = file->sectionByName(".strtab");
  ASSERT_NE(strtab, nullptr);
  std::string table(strtab->data.begin(), strtab->data.end());
  // Each name once: "xdp" names a section and a symbol.
  for (const char *name : {"xdp", ".data", "license", ".relxdp", ".symtab",
                           ".strtab", "extern_fn", "prog.c"}) {
    std::string needle = std::string(1, '\0') + name + std::string(1, '\0');
    size_t first = table.find(needle);
    EXPECT_NE(first, std::string::npos) << name;
    EXPECT_EQ(table.find(needle, first + 1), std::string::npos) << name;
  }
}

TEST(ElfWriter, LlvmReadelfAcceptsTheObject) {
  if (std::system("command -v llvm-readelf-14 >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "llvm-readelf-14 not installed";
  for (bool bigEndian : kByteOrders) {
    SCOPED_TRACE(orderName(bigEndian));
    Bytes bytes = writeOk(sampleObject(bigEndian));
    std::string path = ::testing::TempDir() + "bpfcompat-elf-writer-" +
                       std::to_string(getpid()) + ".o";
    {
      std::ofstream out(path, std::ios::binary);
      out.write(reinterpret_cast<const char *>(bytes.data()),
                std::streamsize(bytes.size()));
    }
    FILE *pipe =
        popen(("llvm-readelf-14 -h -S -s -r " + path + " 2>&1").c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    char chunk[4096];
    for (size_t n; (n = fread(chunk, 1, sizeof chunk, pipe)) > 0;)
      output.append(chunk, n);
    int status = pclose(pipe);
    std::filesystem::remove(path);
    EXPECT_EQ(status, 0) << output;
    EXPECT_EQ(output.find("warning"), std::string::npos) << output;
    EXPECT_EQ(output.find("error"), std::string::npos) << output;
    for (const char *want :
         {bigEndian ? "big endian" : "little endian", "EM_BPF", "REL ",
          ".relxdp", ".rel.data", "extern_fn", "R_BPF_64_64", "R_BPF_64_32",
          "R_BPF_64_ABS64", "HIDDEN", "WEAK", "UND", "ABS"})
      EXPECT_NE(output.find(want), std::string::npos) << want << "\n" << output;
  }
}

TEST(ElfWriter, WritingIsDeterministic) {
  for (bool bigEndian : kByteOrders) {
    SCOPED_TRACE(orderName(bigEndian));
    Bytes first = writeOk(sampleObject(bigEndian));
    ASSERT_FALSE(first.empty());
    EXPECT_EQ(writeOk(sampleObject(bigEndian)), first);
    EXPECT_EQ(writeOk(sampleObject(bigEndian)), first);
  }
}

TEST(ElfWriter, LocalSymbolAfterGlobalIsRejected) {
  OutObject o = sampleObject(false);
  OutSymbol late;
  late.name = "late_local";
  late.binding = elf::kStbLocal;
  late.shndx = 1;
  o.symbols.push_back(late);
  std::string err = errorOf(o);
  EXPECT_NE(err.find("local symbol 'late_local' after a global one"),
            std::string::npos)
      << err;

  // A weak symbol counts as global too.
  OutObject weak;
  OutSymbol w;
  w.name = "w";
  w.binding = elf::kStbWeak;
  weak.symbols = {w, late};
  err = errorOf(weak);
  EXPECT_NE(err.find("'late_local'"), std::string::npos) << err;
}

TEST(ElfWriter, OnlyLocalsOrOnlyGlobals) {
  OutObject locals;
  OutSymbol s;
  s.name = "a";
  locals.symbols = {s, s};
  auto file = readOk(writeOk(locals));
  ASSERT_TRUE(file);
  EXPECT_EQ(file->sectionByName(".symtab")->info, 3u) << "no globals";

  OutObject globals;
  s.binding = elf::kStbGlobal;
  globals.symbols = {s};
  file = readOk(writeOk(globals));
  ASSERT_TRUE(file);
  EXPECT_EQ(file->sectionByName(".symtab")->info, 1u);
  EXPECT_EQ(file->symbols().at(1).binding, elf::kStbGlobal);
}

TEST(ElfWriter, EmptyObjectIsValid) {
  for (bool bigEndian : kByteOrders) {
    SCOPED_TRACE(orderName(bigEndian));
    OutObject o;
    o.bigEndian = bigEndian;
    auto file = readOk(writeOk(o));
    ASSERT_TRUE(file);
    EXPECT_EQ(file->bigEndian(), bigEndian);
    EXPECT_EQ(file->machine(), elf::kEmBpf);
    ASSERT_EQ(file->sections().size(), 3u);
    EXPECT_EQ(file->sections()[1].name, ".strtab");
    EXPECT_EQ(file->sections()[2].name, ".symtab");
    EXPECT_EQ(file->sections()[2].info, 1u);
    ASSERT_EQ(file->symbols().size(), 1u) << "just the null symbol";
    EXPECT_TRUE(file->relocationSections().empty());
  }
}

TEST(ElfWriter, MachineIsWrittenAsGiven) {
  OutObject o;
  o.machine = elf::kEmNone;
  auto file = readOk(writeOk(o));
  ASSERT_TRUE(file);
  EXPECT_EQ(file->machine(), elf::kEmNone);
}

TEST(ElfWriter, EmptyRelocationListGivesAnEmptyRelSection) {
  OutObject o = sampleObject(false);
  o.relocations = {{4, {}}};
  auto file = readOk(writeOk(o));
  ASSERT_TRUE(file);
  const elf::Section *rel = file->sectionByName(".rel.text");
  ASSERT_NE(rel, nullptr);
  EXPECT_EQ(rel->size, 0u);
  EXPECT_EQ(rel->info, 6u);
  EXPECT_TRUE(file->relocationsFor(6).empty());
}

// Inconsistent input is the converter's bug; the writer reports it rather
// than throwing or producing an object its own reader rejects.
TEST(ElfWriter, InconsistentIndicesAreErrors) {
  OutObject o = sampleObject(false);
  o.relocations.push_back({o.sections.size(), {}});
  std::string err = errorOf(o);
  EXPECT_NE(err.find("relocation target section index 5"), std::string::npos)
      << err;

  o = sampleObject(false);
  o.relocations[0].second.push_back({8, uint32_t(o.symbols.size() + 1), 1});
  err = errorOf(o);
  EXPECT_NE(err.find("symbol index 11"), std::string::npos) << err;

  o = sampleObject(false);
  o.relocations[0].second.push_back({32, 1, 1});
  err = errorOf(o);
  EXPECT_NE(err.find("offset 0x20"), std::string::npos) << err;
  EXPECT_NE(err.find("'xdp'"), std::string::npos) << err;

  o = sampleObject(false);
  o.symbols[4].shndx = uint16_t(o.sections.size() + 1);
  err = errorOf(o);
  EXPECT_NE(err.find("symbol 'prog'"), std::string::npos) << err;
  EXPECT_NE(err.find("section 6"), std::string::npos) << err;

  // The last section and reserved indices are fine.
  o = sampleObject(false);
  o.symbols[4].shndx = uint16_t(o.sections.size());
  EXPECT_FALSE(writeOk(o).empty());
}

// ---------------------------------------------------------------------------
// writeFileAtomically.

class TempDir {
public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "bpfcompat-writer-XXXXXX";
    path_ = mkdtemp(pattern.data()) ? pattern : "";
    EXPECT_FALSE(path_.empty()) << "mkdtemp failed";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string &path() const { return path_; }
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    for (const auto &entry : std::filesystem::directory_iterator(path_))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

private:
  std::string path_;
};

Bytes readFile(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// "" for success, else the message.
std::string errorText(llvm::Error err) {
  return err ? llvm::toString(std::move(err)) : "";
}

ino_t inodeOf(const std::string &path) {
  struct stat st;
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_ino;
}

TEST(ElfWriter, WriteFileAtomicallyWritesTheBytesWithMode0644) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string path = dir.path() + "/out.o";
  Bytes bytes(1 << 20);
  for (size_t i = 0; i < bytes.size(); ++i)
    bytes[i] = uint8_t(i * 7 + i / 251);
  // The mode is 0644 whatever the umask.
  mode_t old = ::umask(077);
  std::string err = errorText(elf::writeFileAtomically(path, bytes));
  ::umask(old);
  ASSERT_EQ(err, "");
  EXPECT_EQ(readFile(path), bytes);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0644u);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"out.o"});

  // Empty content is a file too.
  std::string empty = dir.path() + "/empty.o";
  ASSERT_EQ(errorText(elf::writeFileAtomically(empty, {})), "");
  EXPECT_TRUE(std::filesystem::is_regular_file(empty));
  EXPECT_EQ(std::filesystem::file_size(empty), 0u);
}

TEST(ElfWriter, WriteFileAtomicallyReplacesByRename) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string path = dir.path() + "/out.o";
  Bytes before(4096, 0x11), after = writeOk(sampleObject(false));
  ASSERT_EQ(errorText(elf::writeFileAtomically(path, before)), "");
  ino_t oldInode = inodeOf(path);
  // A second name for the old file: if the writer truncated and rewrote in
  // place, this would change too.
  std::string keep = dir.path() + "/old.o";
  ASSERT_EQ(::link(path.c_str(), keep.c_str()), 0);

  ASSERT_EQ(errorText(elf::writeFileAtomically(path, after)), "");
  EXPECT_NE(inodeOf(path), oldInode);
  EXPECT_EQ(inodeOf(keep), oldInode);
  EXPECT_EQ(readFile(path), after);
  EXPECT_EQ(readFile(keep), before);
  EXPECT_EQ(dir.listing(), (std::vector<std::string>{"old.o", "out.o"}));
  auto reread = elf::File::open(path);
  EXPECT_TRUE(bool(reread)) << (reread ? "" : toString(reread.takeError()));
}

TEST(ElfWriter, WriteFileAtomicallyIntoMissingDirectoryFails) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string path = dir.path() + "/missing/out.o";
  llvm::Error err = elf::writeFileAtomically(path, Bytes{1, 2, 3});
  ASSERT_TRUE(bool(err));
  std::string msg = llvm::toString(std::move(err));
  EXPECT_NE(msg.find(path + ": "), std::string::npos) << msg;
  EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
  EXPECT_TRUE(dir.listing().empty());
}

TEST(ElfWriter, WriteFileAtomicallyOntoADirectoryFailsAndCleansUp) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string path = dir.path() + "/out.o";
  ASSERT_TRUE(std::filesystem::create_directory(path));
  llvm::Error err = elf::writeFileAtomically(path, Bytes{1, 2, 3});
  ASSERT_TRUE(bool(err));
  std::string msg = llvm::toString(std::move(err));
  EXPECT_NE(msg.find(path + ": "), std::string::npos) << msg;
  // Refused up front, or by rename(2) after the temporary file was created:
  // either way nothing is left behind and the directory is untouched.
  EXPECT_TRUE(msg.find("not a regular file") != std::string::npos ||
              msg.find("Is a directory") != std::string::npos)
      << msg;
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"out.o"});
  EXPECT_TRUE(std::filesystem::is_directory(path));
  EXPECT_TRUE(std::filesystem::is_empty(path));
}

TEST(ElfWriter, WriteFileAtomicallyFailureLeavesTheOldFile) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  std::string path = dir.path() + "/out.o";
  ASSERT_EQ(errorText(elf::writeFileAtomically(path, Bytes{1, 2, 3})), "");
  // Make write() fail half way (EFBIG past the file size limit), after the
  // temporary file exists; works for root too, unlike permissions.
  struct rlimit old;
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  struct rlimit small = old;
  small.rlim_cur = 4096;
  auto oldHandler = ::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string err =
      errorText(elf::writeFileAtomically(path, Bytes(65536, 0x5a)));
  ::setrlimit(RLIMIT_FSIZE, &old);
  ::signal(SIGXFSZ, oldHandler);
  EXPECT_NE(err.find(path + ": write: File too large"), std::string::npos)
      << err;
  EXPECT_EQ(readFile(path), (Bytes{1, 2, 3}));
  EXPECT_EQ(dir.listing(), std::vector<std::string>{"out.o"});
}

} // namespace
