// The ELF view: what it exposes for valid objects of both byte orders, and
// clear errors (never crashes) for broken ones.
#include "bpfcompat/elf.h"

#include <gtest/gtest.h>

#include <cstring>

#include "test_support.h"

namespace bpfcompat {
namespace {

using test::kCiliumTestdata;

std::unique_ptr<elf::File> openOrFail(const std::string &path) {
  auto file = elf::File::open(path);
  EXPECT_TRUE(bool(file)) << llvm::toString(file.takeError());
  return file ? std::move(*file) : nullptr;
}

std::string errorOf(llvm::ArrayRef<uint8_t> bytes) {
  auto file = elf::File::fromBuffer(bytes, "broken.o");
  if (file)
    return "";
  return llvm::toString(file.takeError());
}

TEST(ElfFile, ExposesSectionsSymbolsAndRelocations) {
  auto file = openOrFail(kCiliumTestdata + "/loader-el.elf");
  ASSERT_TRUE(file);
  EXPECT_FALSE(file->bigEndian());
  EXPECT_EQ(file->machine(), elf::kEmBpf);
  const elf::Section *xdp = file->sectionByName("xdp");
  ASSERT_NE(xdp, nullptr);
  EXPECT_TRUE(xdp->isExec());
  EXPECT_EQ(xdp->data.size(), xdp->size);
  EXPECT_FALSE(file->relocationsFor(xdp->index).empty());
  const elf::Section *bss = file->sectionByName(".bss");
  ASSERT_NE(bss, nullptr);
  EXPECT_TRUE(bss->data.empty()) << "NOBITS has no file bytes";
  bool sawFunc = false;
  for (const elf::Symbol &sym : file->symbols())
    sawFunc |= sym.type == elf::kSttFunc && sym.shndx == xdp->index;
  EXPECT_TRUE(sawFunc);
}

TEST(ElfFile, BigEndianObjectMatchesLittleEndianTwin) {
  auto le = openOrFail(kCiliumTestdata + "/loader-el.elf");
  auto be = openOrFail(kCiliumTestdata + "/loader-eb.elf");
  ASSERT_TRUE(le && be);
  EXPECT_TRUE(be->bigEndian());
  ASSERT_EQ(le->sections().size(), be->sections().size());
  for (size_t i = 0; i < le->sections().size(); ++i) {
    EXPECT_EQ(le->sections()[i].name, be->sections()[i].name);
    EXPECT_EQ(le->sections()[i].size, be->sections()[i].size);
  }
  const elf::Section *leMaps = le->sectionByName("maps");
  const elf::Section *beMaps = be->sectionByName("maps");
  ASSERT_TRUE(leMaps && beMaps);
  // The legacy map type decodes identically through the object's byte order.
  EXPECT_EQ(*le->readU32(*leMaps, 0), *be->readU32(*beMaps, 0));
}

TEST(ElfFile, MissingFileNamesThePath) {
  auto file = elf::File::open("/nonexistent/x.o");
  ASSERT_FALSE(file);
  EXPECT_NE(llvm::toString(file.takeError()).find("/nonexistent/x.o"),
            std::string::npos);
}

TEST(ElfFile, RejectsNonElfAndWrongClassMachineType) {
  std::vector<uint8_t> good =
      test::readBytes(kCiliumTestdata + "/loader-el.elf");
  ASSERT_GT(good.size(), 64u);
  EXPECT_NE(errorOf({}).find("not an ELF file"), std::string::npos);

  std::vector<uint8_t> bytes = good;
  bytes[4] = 1; // ELFCLASS32
  EXPECT_NE(errorOf(bytes).find("not a 64-bit ELF object"), std::string::npos);

  bytes = good;
  bytes[5] = 7;
  EXPECT_NE(errorOf(bytes).find("unknown ELF byte order"), std::string::npos);

  bytes = good;
  bytes[0x12] = 62; // EM_X86_64
  EXPECT_NE(errorOf(bytes).find("not a BPF object"), std::string::npos);

  bytes = good;
  bytes[0x10] = 2; // ET_EXEC
  EXPECT_NE(errorOf(bytes).find("not a relocatable object"), std::string::npos);
}

TEST(ElfFile, EveryTruncationFailsCleanly) {
  std::vector<uint8_t> good =
      test::readBytes(kCiliumTestdata + "/loader-el.elf");
  // The section header table sits at the end; every shorter prefix must give
  // an error, none may crash.
  for (size_t len = 0; len < good.size(); len += 7) {
    std::string err = errorOf(llvm::ArrayRef<uint8_t>(good).take_front(len));
    EXPECT_FALSE(err.empty()) << "truncated to " << len << " bytes parsed";
  }
}

TEST(ElfFile, SectionPastEndOfFileNamesTheSection) {
  std::vector<uint8_t> bytes =
      test::readBytes(kCiliumTestdata + "/loader-el.elf");
  auto file = elf::File::fromBuffer(bytes, "ok.o");
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  const elf::Section *xdp = (*file)->sectionByName("xdp");
  uint64_t shoff;
  std::memcpy(&shoff, &bytes[0x28], 8);
  size_t shdr = shoff + xdp->index * 64;
  uint64_t huge = bytes.size() + 0x1000;
  std::memcpy(&bytes[shdr + 0x18], &huge, 8); // sh_offset
  std::string err = errorOf(bytes);
  EXPECT_NE(err.find("'xdp'"), std::string::npos) << err;
  EXPECT_NE(err.find("greater than the file size"), std::string::npos) << err;
}

// viewBuffer reads aligned bytes in place and copies misaligned ones; both
// give the same sections.
TEST(ElfFile, ViewBufferReadsAlignedBytesInPlace) {
  std::vector<uint8_t> bytes =
      test::readBytes(kCiliumTestdata + "/loader-el.elf");
  auto view = elf::File::viewBuffer(bytes, "view.o");
  ASSERT_TRUE(bool(view)) << llvm::toString(view.takeError());
  EXPECT_EQ((*view)->bytes().data(), bytes.data());

  std::vector<uint8_t> shifted(bytes.size() + 1);
  std::memcpy(shifted.data() + 1, bytes.data(), bytes.size());
  llvm::ArrayRef<uint8_t> misaligned = llvm::ArrayRef(shifted).drop_front();
  auto copy = elf::File::viewBuffer(misaligned, "copy.o");
  ASSERT_TRUE(bool(copy)) << llvm::toString(copy.takeError());
  EXPECT_NE((*copy)->bytes().data(), misaligned.data());
  EXPECT_EQ((*copy)->bytes(), llvm::ArrayRef(bytes));
  ASSERT_EQ((*copy)->sections().size(), (*view)->sections().size());
  for (size_t i = 0; i < (*view)->sections().size(); ++i)
    EXPECT_EQ((*copy)->sections()[i].name, (*view)->sections()[i].name);
}

TEST(ElfFile, RelocationAgainstMissingSymbolIsAnError) {
  std::vector<uint8_t> bytes =
      test::readBytes(kCiliumTestdata + "/loader-el.elf");
  auto file = elf::File::fromBuffer(bytes, "ok.o");
  ASSERT_TRUE(bool(file));
  const elf::Section *rel = (*file)->sectionByName(".relxdp");
  ASSERT_NE(rel, nullptr);
  uint64_t info = uint64_t(0xffff) << 32 | 1; // symbol 65535, R_BPF_64_64
  std::memcpy(&bytes[rel->offset + 8], &info, 8);
  std::string err = errorOf(bytes);
  EXPECT_NE(err.find("'.relxdp'"), std::string::npos) << err;
  EXPECT_NE(err.find("past the end of the symbol table"), std::string::npos)
      << err;
}

TEST(ElfFile, RelocationOutsideTargetSectionIsAnError) {
  std::vector<uint8_t> bytes =
      test::readBytes(kCiliumTestdata + "/loader-el.elf");
  auto file = elf::File::fromBuffer(bytes, "ok.o");
  ASSERT_TRUE(bool(file));
  const elf::Section *rel = (*file)->sectionByName(".relxdp");
  uint64_t offset = 0x100000;
  std::memcpy(&bytes[rel->offset], &offset, 8);
  std::string err = errorOf(bytes);
  EXPECT_NE(err.find("outside target section 'xdp'"), std::string::npos) << err;
}

// libbpf skips DWARF relocations, and so do we: a bad one does not stop the
// object from opening, and none is listed.
TEST(ElfFile, DwarfRelocationsAreNotRead) {
  std::vector<uint8_t> bytes =
      test::readBytes(test::kCorpusDir + "/libbpf/global_data.g.o");
  auto file = elf::File::fromBuffer(bytes, "ok.o");
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  const elf::Section *rel = (*file)->sectionByName(".rel.debug_info");
  ASSERT_NE(rel, nullptr);
  ASSERT_GE(rel->size, 16u);
  for (const elf::Section *read : (*file)->relocationSections())
    EXPECT_FALSE(
        llvm::StringRef((*file)->sectionName(read->info)).startswith(".debug"))
        << read->name.str();
  uint64_t info = uint64_t(0xffff) << 32 | 1; // symbol 65535
  std::memcpy(&bytes[rel->offset + 8], &info, 8);
  EXPECT_EQ(errorOf(bytes), "");
}

TEST(ElfFile, BoundsCheckedReads) {
  auto file = openOrFail(kCiliumTestdata + "/loader-el.elf");
  ASSERT_TRUE(file);
  const elf::Section *license = file->sectionByName("license");
  ASSERT_NE(license, nullptr);
  auto ok = file->readU32(*license, 0);
  EXPECT_TRUE(bool(ok));
  auto past = file->readU32(*license, 2);
  ASSERT_FALSE(past);
  std::string err = llvm::toString(past.takeError());
  EXPECT_NE(err.find("section 'license' offset 0x2"), std::string::npos) << err;
  auto huge = file->readU64(*license, UINT64_MAX - 2);
  EXPECT_FALSE(huge);
  llvm::consumeError(huge.takeError());
}

} // namespace
} // namespace bpfcompat
