// Hostile and malformed objects through the whole reader (ELF view, detection,
// every stage of readObject). Each variant is a corpus or real object with a
// few bytes patched; the outcome must be a clean llvm::Error that names the
// file (and the section and offset where there is one) or a successful read:
// never a crash, an assertion or a hang. Run under -DBPFCOMPAT_SANITIZE=ON to
// catch out-of-bounds reads that happen not to crash.
#include "bpfcompat/elf.h"
#include "bpfcompat/error.h"
#include "bpfcompat/reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <random>
#include <set>

#include "hostile_support.h"
#include "test_support.h"

namespace bpfcompat {
namespace {

ReadOptions forcedTo(ir::Convention convention) {
  ReadOptions options;
  options.convention = convention;
  return options;
}

using namespace hostile;

// Keeps the whole file fast: the sweeps below read a few thousand variants.
class ReaderErrors : public ::testing::Test {
protected:
  void SetUp() override { start_ = threadUserTime(); }
  void TearDown() override {
    auto elapsed = threadUserTime() - start_;
    EXPECT_LT(elapsed, std::chrono::seconds(20))
        << "a hostile input made the reader slow";
  }

private:
  std::chrono::microseconds start_;
};

// --- truncation -------------------------------------------------------------

TEST_F(ReaderErrors, TruncationAtEverySectionBoundaryFailsCleanly) {
  for (const std::string &path : sweepObjects()) {
    Target t(path);
    ASSERT_TRUE(t.ok()) << t.error();
    std::set<size_t> cuts = {0, 1, 4, 16, 63, 64};
    for (const elf::Section &sec : t.view().sections()) {
      cuts.insert(sec.offset);
      cuts.insert(sec.offset + sec.size / 2);
      if (sec.type != elf::kShtNobits)
        cuts.insert(sec.offset + sec.size);
      cuts.insert(t.shdrAt(sec.index));
      cuts.insert(t.shdrAt(sec.index) + 32);
    }
    for (size_t cut : cuts) {
      if (cut >= t.bytes.size())
        continue;
      std::vector<uint8_t> bytes(t.bytes.begin(), t.bytes.begin() + cut);
      Outcome out = readHostile(bytes);
      // The section header table is the last thing clang writes, so every
      // strict prefix loses part of it.
      EXPECT_TRUE(failsWith(out, {kName}))
          << path << " truncated to " << cut << " bytes";
      if (cut >= 64 && !out.ok()) {
        EXPECT_TRUE(out.error.find("section header") != std::string::npos ||
                    out.error.find("e_shoff") != std::string::npos ||
                    out.error.find("past the end") != std::string::npos ||
                    out.error.find("file size") != std::string::npos)
            << path << " truncated to " << cut << ": " << out.error;
      }
    }
  }
}

TEST_F(ReaderErrors, TruncationAtRandomOffsetsFailsCleanly) {
  std::mt19937_64 random(0xB9F0B9F0);
  for (const std::string &path : sweepObjects()) {
    Target t(path);
    ASSERT_TRUE(t.ok()) << t.error();
    std::uniform_int_distribution<size_t> offsets(0, t.bytes.size() - 1);
    for (int i = 0; i < 64; ++i) {
      size_t cut = offsets(random);
      std::vector<uint8_t> bytes(t.bytes.begin(), t.bytes.begin() + cut);
      EXPECT_TRUE(failsWith(readHostile(bytes), {kName}))
          << path << " truncated to " << cut << " bytes";
    }
  }
}

// A section that ends early inside an intact file: sh_size shrunk to every
// 8-byte boundary of each program section.
TEST_F(ReaderErrors, ProgramSectionCutShortFailsCleanly) {
  for (const std::string &path : sweepObjects()) {
    Target t(path);
    ASSERT_TRUE(t.ok()) << t.error();
    for (const elf::Section &sec : t.view().sections()) {
      if (!sec.isExec())
        continue;
      for (uint64_t size = 0; size < sec.size; size += 8) {
        Outcome out = readHostile(t.withShdr(sec.index, kShSize, size));
        EXPECT_TRUE(clean(out)) << path << " '" << sec.name.str() << "' cut to "
                                << size << ": " << out.error;
      }
    }
  }
}

// --- section headers --------------------------------------------------------

TEST_F(ReaderErrors, CorruptedSectionHeaderFieldsNeverCrash) {
  for (const std::string &path : sweepObjects()) {
    Target t(path);
    ASSERT_TRUE(t.ok()) << t.error();
    uint64_t fileSize = t.bytes.size();
    uint32_t shnum = uint32_t(getLe(t.bytes, kEShnum, 2));
    for (uint32_t index = 1; index < shnum; ++index) {
      for (Field f : {kShOffset, kShSize, kShLink, kShInfo, kShType, kShName}) {
        uint64_t original = getLe(t.bytes, t.shdrAt(index) + f.offset, f.width);
        uint64_t all = f.width == 8 ? UINT64_MAX : UINT32_MAX;
        std::set<uint64_t> values = {0,
                                     1,
                                     original + 1,
                                     original - 1,
                                     original + 8,
                                     fileSize,
                                     fileSize - 1,
                                     shnum,
                                     shnum - 1,
                                     all,
                                     all - 7};
        if (f.offset == kShType.offset)
          values = {0,
                    elf::kShtProgbits,
                    elf::kShtSymtab,
                    elf::kShtStrtab,
                    elf::kShtRela,
                    elf::kShtNobits,
                    elf::kShtRel,
                    0x6fff4c03 /* SHT_LLVM_ADDRSIG */,
                    all};
        for (uint64_t value : values) {
          value &= all;
          if (value == original)
            continue;
          Outcome out = readHostile(t.withShdr(index, f, value));
          EXPECT_TRUE(clean(out))
              << path << " section #" << index << " '"
              << t.view().sections()[index].name.str() << "' " << f.name
              << " = " << value << ": " << out.error;
        }
      }
    }
  }
}

TEST_F(ReaderErrors, SectionOffsetPastEndNamesSectionAndOffset) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *sec = t.section("kprobe/do_nanosleep");
  ASSERT_NE(sec, nullptr);
  uint64_t past = t.bytes.size() + 0x100;
  Outcome out = readHostile(t.withShdr(sec->index, kShOffset, past));
  EXPECT_TRUE(failsWith(
      out, {"hostile.o: ", "section 'kprobe/do_nanosleep'", hex(past)}));
}

TEST_F(ReaderErrors, SectionSizePastEndNamesSection) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *sec = t.section("maps");
  ASSERT_NE(sec, nullptr);
  Outcome out = readHostile(t.withShdr(sec->index, kShSize, 0x100000));
  EXPECT_TRUE(failsWith(out, {"hostile.o: ", "section 'maps'"}));
}

TEST_F(ReaderErrors, ProgramRunningPastItsSectionNamesSectionAndOffset) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *sec = t.section("socket_size_hist");
  ASSERT_NE(sec, nullptr);
  // The FUNC symbol still claims 0x150 bytes; the relocation sits earlier.
  Outcome out = readHostile(t.withShdr(sec->index, kShSize, 0x140));
  EXPECT_TRUE(failsWith(out, {"section 'socket_size_hist' offset 0x0",
                              "corrupted program 'socket_hist_func'",
                              "past the section end 0x140"}));
}

TEST_F(ReaderErrors, RelocationSectionLinkNotSymtab) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *rel = t.section(".relxdp_prog");
  ASSERT_NE(rel, nullptr);
  Outcome out = readHostile(t.withShdr(rel->index, kShLink, 3));
  EXPECT_TRUE(failsWith(out, {"hostile.o: ", "section '.relxdp_prog'",
                              "sh_link 3 does not name the symbol table"}));
}

TEST_F(ReaderErrors, RelocationSectionInfoInvalid) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *rel = t.section(".relxdp_prog");
  ASSERT_NE(rel, nullptr);
  for (uint64_t info : {uint64_t(0), uint64_t(999)}) {
    Outcome out = readHostile(t.withShdr(rel->index, kShInfo, info));
    EXPECT_TRUE(failsWith(out, {"section '.relxdp_prog'",
                                "sh_info " + std::to_string(info) +
                                    " is not a valid target section index"}));
  }
}

TEST_F(ReaderErrors, RelocationSectionRetargetedToAnotherProgram) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  // .relkprobe/do_nanosleep's entry now claims an offset in xdp_prog, where
  // there is no ld_imm64.
  const elf::Section *rel = t.section(".relkprobe/do_nanosleep");
  const elf::Section *xdp = t.section("xdp_prog");
  ASSERT_TRUE(rel && xdp);
  Outcome out = readHostile(t.withShdr(rel->index, kShInfo, xdp->index));
  EXPECT_TRUE(clean(out)) << out.error;
  EXPECT_FALSE(out.ok());
}

TEST_F(ReaderErrors, SymbolTableWithBadStringTable) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *symtab = t.symtab();
  ASSERT_NE(symtab, nullptr);
  Outcome out = readHostile(t.withShdr(symtab->index, kShLink, 999));
  EXPECT_TRUE(failsWith(out, {"hostile.o: ", "section '.symtab'"}));
  // A string table that is not SHT_STRTAB.
  const elf::Section *maps = t.section("maps");
  out = readHostile(t.withShdr(symtab->index, kShLink, maps->index));
  EXPECT_TRUE(failsWith(out, {"hostile.o: ", "section '.symtab'"}));
}

TEST_F(ReaderErrors, SymbolTableSizeNotAMultipleOfTheEntrySize) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *symtab = t.symtab();
  Outcome out =
      readHostile(t.withShdr(symtab->index, kShSize, symtab->size - 5));
  EXPECT_TRUE(failsWith(out, {"hostile.o: ", "'.symtab'"}));
}

// --- symbols ----------------------------------------------------------------

TEST_F(ReaderErrors, CorruptedSymbolsNeverCrash) {
  for (const std::string &path : sweepObjects()) {
    Target t(path);
    ASSERT_TRUE(t.ok()) << t.error();
    uint32_t shnum = uint32_t(t.view().sections().size());
    for (const elf::Symbol &sym : t.view().symbols()) {
      if (sym.index == 0 || sym.type == elf::kSttSection ||
          sym.type == elf::kSttFile)
        continue;
      const elf::Section *home = t.view().section(sym.shndx);
      bool interesting =
          sym.type == elf::kSttFunc ||
          (home &&
           (home->name == "maps" || home->name == ".maps" ||
            llvm::StringRef(home->name).startswith("maps/") || home->isExec()));
      if (!interesting)
        continue;
      struct Patch {
        Field field;
        uint64_t value;
      };
      std::vector<Patch> patches = {
          {kStShndx, 0},
          {kStShndx, shnum},
          {kStShndx, shnum + 10},
          {kStShndx, 0xfff1 /* SHN_ABS */},
          {kStShndx, 0xfff2 /* SHN_COMMON */},
          {kStShndx, 0xffff /* SHN_XINDEX */},
          {kStShndx, t.symtab()->index},
          {kStValue, sym.value + 1},
          {kStValue, sym.value + 4},
          {kStValue, sym.value + 8},
          {kStValue, home ? home->size : 0},
          {kStValue, UINT64_MAX - 3},
          {kStSize, 0},
          {kStSize, sym.size + 8},
          {kStSize, UINT64_MAX},
          {kStName, 0},
          {kStName, 0xffffff},
      };
      for (uint32_t other = 1; other < shnum; ++other)
        if (other != sym.shndx && t.view().sections()[other].isExec())
          patches.push_back({kStShndx, other});
      for (const Patch &p : patches) {
        Outcome out = readHostile(t.withSym(sym.index, p.field, p.value));
        EXPECT_TRUE(clean(out))
            << path << " symbol '" << sym.name.str() << "' " << p.field.name
            << " = " << p.value << ": " << out.error;
      }
    }
  }
}

TEST_F(ReaderErrors, SymbolNameOutsideTheStringTable) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Symbol *sym = t.symbol("dport_counts");
  ASSERT_NE(sym, nullptr);
  Outcome out = readHostile(t.withSym(sym->index, kStName, 0xffffff));
  EXPECT_TRUE(failsWith(out, {"hostile.o: ", "section '.symtab'",
                              "symbol #" + std::to_string(sym->index)}));
}

TEST_F(ReaderErrors, MisalignedLegacyMapSymbolNamesMapSectionAndOffset) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Symbol *sym = t.symbol("dport_counts");
  ASSERT_NE(sym, nullptr);
  ASSERT_EQ(sym->value, 0x14u);
  Outcome out = readHostile(t.withSym(sym->index, kStValue, 0x15));
  EXPECT_TRUE(failsWith(
      out, {"map 'dport_counts' definition of 20 bytes", "misaligned"}));
  // No convention claims the object then; the unreadable array is reported
  // first, before the relocations it leaves unresolved.
  EXPECT_EQ(out.error.rfind("hostile.o: section 'maps' offset 0x15: ", 0), 0u)
      << out.error;
}

TEST_F(ReaderErrors, LegacyMapSymbolPastTheSectionEnd) {
  Target t(corpus("iproute2/tc_full.g.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Symbol *sym = t.symbol("jmp_tc");
  ASSERT_NE(sym, nullptr);
  Outcome out = readHostile(t.withSym(sym->index, kStValue, 0x1000));
  EXPECT_TRUE(failsWith(out, {"hostile.o: section 'maps' offset 0x1000",
                              "map 'jmp_tc' definition of 36 bytes runs past "
                              "the section end 0x144"}));
}

TEST_F(ReaderErrors, MapSymbolMovedToSpecialSection) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Symbol *sym = t.symbol("dport_counts");
  ASSERT_NE(sym, nullptr);
  // SHN_ABS: no longer a map; the code loading it cannot be resolved.
  Outcome out = readHostile(t.withSym(sym->index, kStShndx, 0xfff1));
  EXPECT_TRUE(failsWith(out, {"hostile.o: section '.relclassifier_ingress'",
                              "relocation at classifier_ingress+",
                              "'dport_counts'", "special section 0xfff1"}));
}

TEST_F(ReaderErrors, MapSymbolInMissingSection) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Symbol *sym = t.symbol("dport_counts");
  ASSERT_NE(sym, nullptr);
  Outcome out = readHostile(t.withSym(sym->index, kStShndx, 200));
  EXPECT_TRUE(
      failsWith(out, {"hostile.o: section '.relclassifier_ingress'",
                      "relocation at classifier_ingress+", "'dport_counts'",
                      "section index 200", "does not exist"}));
}

TEST_F(ReaderErrors, MapSymbolMadeUndefinedBecomesAnExtern) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Symbol *sym = t.symbol("dport_counts");
  ASSERT_NE(sym, nullptr);
  // An undefined symbol loaded with ld_imm64 is a __ksym-style extern, as
  // libbpf reads it: a valid (if different) object.
  Outcome out = readHostile(t.withSym(sym->index, kStShndx, 0));
  ASSERT_TRUE(out.ok()) << out.error;
  EXPECT_EQ(out.object->maps.size(), 3u);
  EXPECT_EQ(out.object->findMap("dport_counts"), nullptr);
  ASSERT_EQ(out.object->externs.size(), 1u);
  EXPECT_EQ(out.object->externs[0].name, "dport_counts");
}

TEST_F(ReaderErrors, MisalignedFunctionSymbolNamesProgramSectionAndOffset) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Symbol *sym = t.symbol("xdp_stats_func");
  ASSERT_NE(sym, nullptr);
  Outcome out = readHostile(t.withSym(sym->index, kStValue, 4));
  EXPECT_TRUE(
      failsWith(out, {"hostile.o: section 'xdp_prog' offset 0x4",
                      "corrupted program 'xdp_stats_func'", "unaligned"}));
  out = readHostile(t.withSym(sym->index, kStValue, 0x10000));
  EXPECT_TRUE(failsWith(out, {"hostile.o: section 'xdp_prog' offset 0x10000",
                              "corrupted program 'xdp_stats_func'",
                              "past the section end 0xa8"}));
  out = readHostile(t.withSym(sym->index, kStSize, 0));
  EXPECT_TRUE(failsWith(out, {"section 'xdp_prog' offset 0x0",
                              "corrupted program 'xdp_stats_func'", "empty"}));
}

TEST_F(ReaderErrors, FunctionSymbolMovedToAnotherSection) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Symbol *sym = t.symbol("xdp_stats_func");
  const elf::Section *other = t.section("classifier_ingress");
  ASSERT_TRUE(sym && other);
  // xdp_prog loses its symbol, classifier_ingress gains an overlapping one.
  Outcome out = readHostile(t.withSym(sym->index, kStShndx, other->index));
  EXPECT_TRUE(clean(out)) << out.error;
}

// --- relocations ------------------------------------------------------------

TEST_F(ReaderErrors, CorruptedRelocationsNeverCrash) {
  for (const std::string &path : sweepObjects()) {
    Target t(path);
    ASSERT_TRUE(t.ok()) << t.error();
    uint64_t symbols = t.view().symbols().size();
    for (const elf::Section *rel : t.view().relocationSections()) {
      const elf::Section *target = t.view().section(rel->info);
      // Only code and .maps relocations are read (not DWARF, BTF, ...).
      if (!target || !(target->isExec() || target->name == ".maps"))
        continue;
      for (size_t n = 0; n < rel->size / kRelSize; ++n) {
        size_t at = t.relAt(*rel, n);
        uint64_t offset = getLe(t.bytes, at + kROffset.offset, 8);
        uint64_t info = getLe(t.bytes, at + kRInfo.offset, 8);
        std::vector<std::pair<Field, uint64_t>> patches = {
            {kROffset, offset + 1},
            {kROffset, offset + 4},
            {kROffset, offset + 8},
            {kROffset, offset - 8},
            {kROffset, 0},
            {kROffset, target->size},
            {kRInfo, info & 0xffffffff}, // the null symbol
            {kRInfo, symbols << 32 | (info & 0xffffffff)},
            {kRInfo, UINT64_MAX},
        };
        // A handful of other symbols, spread over the table.
        for (uint64_t sym = 1 + n % 5; sym < symbols; sym += symbols / 6 + 1)
          patches.push_back({kRInfo, sym << 32 | (info & 0xffffffff)});
        for (auto [field, value] : patches) {
          std::vector<uint8_t> bytes = t.bytes;
          putLe(bytes, at + field.offset, field.width, value);
          Outcome out = readHostile(bytes);
          EXPECT_TRUE(clean(out))
              << path << " '" << rel->name.str() << "' #" << n << " "
              << field.name << " = " << value << ": " << out.error;
        }
      }
    }
  }
}

// Relocation #n of `relName` in `t`, with its byte offset in the file.
struct RelEntry {
  size_t at = 0; // file offset of the entry
  uint64_t offset = 0;
  uint32_t symbol = 0;
};
std::optional<RelEntry> relocation(const Target &t, llvm::StringRef relName,
                                   size_t n) {
  const elf::Section *rel = t.section(relName);
  if (!rel || (n + 1) * kRelSize > rel->size)
    return std::nullopt;
  RelEntry e;
  e.at = t.relAt(*rel, n);
  e.offset = getLe(t.bytes, e.at, 8);
  e.symbol = uint32_t(getLe(t.bytes, e.at + 8, 8) >> 32);
  return e;
}

TEST_F(ReaderErrors, RelocationAgainstMissingSymbol) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  auto e = relocation(t, ".relxdp_prog", 0);
  ASSERT_TRUE(e);
  std::vector<uint8_t> bytes = t.bytes;
  putLe(bytes, e->at + 8, 8, uint64_t(0xffff) << 32 | 1);
  EXPECT_TRUE(failsWith(readHostile(bytes),
                        {"hostile.o: section '.relxdp_prog' offset 0x0",
                         "symbol #65535 past the end of the symbol table"}));
}

TEST_F(ReaderErrors, RelocationAgainstTheNullSymbol) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  auto e = relocation(t, ".relxdp_prog", 0);
  ASSERT_TRUE(e);
  std::vector<uint8_t> bytes = t.bytes;
  putLe(bytes, e->at + 8, 8, 1);
  EXPECT_TRUE(
      failsWith(readHostile(bytes),
                {"hostile.o: section '.relxdp_prog' offset 0x0",
                 "relocation at xdp_prog+" + hex(e->offset), "null symbol"}));
}

TEST_F(ReaderErrors, RelocationAgainstSymbolInMissingSection) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  auto e = relocation(t, ".relxdp_prog", 0);
  const elf::Symbol *file = t.symbol("legacy_basic.c"); // STT_FILE, SHN_ABS
  ASSERT_TRUE(e && file);
  // Only this relocation names the symbol, which now claims section 77.
  std::vector<uint8_t> bytes = t.withSym(file->index, kStShndx, 77);
  putLe(bytes, e->at + 8, 8, uint64_t(file->index) << 32 | 1);
  EXPECT_TRUE(failsWith(readHostile(bytes),
                        {"hostile.o: section '.relxdp_prog' offset 0x0: "
                         "relocation at xdp_prog+" +
                             hex(e->offset),
                         "symbol 'legacy_basic.c' is in section index 77, "
                         "which does not exist (19 sections)"}));
}

TEST_F(ReaderErrors, RelocationAtUnalignedOffset) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  auto e = relocation(t, ".relclassifier_ingress", 1);
  ASSERT_TRUE(e);
  std::vector<uint8_t> bytes = t.bytes;
  putLe(bytes, e->at, 8, e->offset + 4);
  EXPECT_TRUE(
      failsWith(readHostile(bytes),
                {"hostile.o: section '.relclassifier_ingress' offset 0x10",
                 "relocation at classifier_ingress+" + hex(e->offset + 4),
                 "not a multiple of the instruction size"}));
}

TEST_F(ReaderErrors, RelocationOnAnInstructionThatIsNotCallOrLdImm64) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *sec = t.section("kretprobe/do_nanosleep");
  ASSERT_NE(sec, nullptr);
  auto e = relocation(t, ".relkretprobe/do_nanosleep", 0);
  ASSERT_TRUE(e);
  // The first instruction that is neither ld_imm64 (0x18, or its second
  // half) nor a call (0x85).
  uint64_t victim = 0;
  for (uint64_t at = 0; at < sec->size; at += 8) {
    uint8_t code = sec->data[at];
    if (code == 0x18) {
      at += 8;
      continue;
    }
    if (code != 0x85) {
      victim = at;
      break;
    }
  }
  uint8_t code = sec->data[victim];
  std::vector<uint8_t> bytes = t.bytes;
  putLe(bytes, e->at, 8, victim);
  EXPECT_TRUE(failsWith(
      readHostile(bytes),
      {"hostile.o: section '.relkretprobe/do_nanosleep' offset 0x0",
       "relocation at kretprobe/do_nanosleep+" + hex(victim),
       "insn #" + std::to_string(victim / 8) + " with code " + hex(code),
       "expected call or ld_imm64"}));
}

TEST_F(ReaderErrors, RelocationOutsideItsSection) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  auto e = relocation(t, ".relxdp_prog", 0);
  ASSERT_TRUE(e);
  std::vector<uint8_t> bytes = t.bytes;
  putLe(bytes, e->at, 8, 0xa8);
  EXPECT_TRUE(failsWith(readHostile(bytes),
                        {"hostile.o: section '.relxdp_prog' offset 0x0",
                         "relocation offset 0xa8 is outside target section "
                         "'xdp_prog'"}));
}

TEST_F(ReaderErrors, BtfMapValuesRelocationOutsideValues) {
  Target t(corpus("libbpf/btf_maps_all.g.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  auto e = relocation(t, ".rel.maps", 1);
  ASSERT_TRUE(e);
  std::vector<uint8_t> bytes = t.bytes;
  putLe(bytes, e->at, 8, 0); // the first map's `type` member
  EXPECT_TRUE(failsWith(readHostile(bytes),
                        {"hostile.o: section '.rel.maps' offset 0x10",
                         "relocation at .maps+0x0 is not inside a 'values' "
                         "array"}));
}

// --- legacy map arrays ------------------------------------------------------

TEST_F(ReaderErrors, LegacyMapsWithNonUniformSymbolSizesUseSizeOverCount) {
  // tc_full: 9 maps of 36 bytes in 0x144 bytes. Without st_size on one map,
  // the stride comes from size / count, which still divides: same maps.
  Target t(corpus("iproute2/tc_full.g.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Symbol *sym = t.symbol("priv_scratch");
  ASSERT_NE(sym, nullptr);
  Outcome out = readHostile(t.withSym(sym->index, kStSize, 0));
  ASSERT_TRUE(out.ok()) << out.error;
  EXPECT_EQ(out.object->verdict.convention, ir::Convention::Iproute2);
  EXPECT_EQ(out.object->maps.size(), 9u);
  for (const ir::Map &map : out.object->maps)
    EXPECT_EQ(map.extras.definitionSize, 36u) << map.name;
}

TEST_F(ReaderErrors, LegacyMapsStrideThatDoesNotDivide) {
  // legacy_basic: 4 maps of 20 bytes in 0x50 bytes. One st_size of 0 forces
  // size / count, and a section of 0x4e bytes is no multiple of 4 maps.
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Symbol *sym = t.symbol("sleep_start");
  const elf::Section *maps = t.section("maps");
  ASSERT_TRUE(sym && maps);
  std::vector<uint8_t> bytes = t.withSym(sym->index, kStSize, 0);
  putLe(bytes, t.shdrAt(maps->index) + kShSize.offset, 8, 0x4e);
  for (const ReadOptions &options :
       {ReadOptions{}, forcedTo(ir::Convention::LibbpfLegacy),
        forcedTo(ir::Convention::Iproute2)}) {
    EXPECT_TRUE(failsWith(readHostile(bytes, options),
                          {"hostile.o: section 'maps'",
                           "size 0x4e is not a multiple of its 4 map symbols",
                           "unable to determine the map definition size"}));
  }
}

TEST_F(ReaderErrors, LegacyMapsSectionShrunkBelowItsLastMap) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *maps = t.section("maps");
  ASSERT_NE(maps, nullptr);
  // Uniform st_size 20 keeps the stride; the last map no longer fits.
  Outcome out = readHostile(t.withShdr(maps->index, kShSize, 0x4c));
  EXPECT_TRUE(failsWith(out, {"hostile.o: section 'maps' offset 0x3c",
                              "map 'histograms' definition of 20 bytes runs "
                              "past the section end 0x4c"}));
}

TEST_F(ReaderErrors, LegacyMapsSectionWithoutFileBytes) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *maps = t.section("maps");
  ASSERT_NE(maps, nullptr);
  Outcome out = readHostile(t.withShdr(maps->index, kShType, elf::kShtNobits));
  EXPECT_TRUE(failsWith(
      out, {"hostile.o: section 'maps': legacy map section is empty"}));
}

// --- BTF inside an object ---------------------------------------------------

// struct btf_header: magic 0, version 2, flags 3, hdr_len 4, type_off 8,
// type_len 12, str_off 16, str_len 20.
TEST_F(ReaderErrors, BtfTypeLengthPastTheSection) {
  Target t(corpus("libbpf/btf_maps_all.g.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *btf = t.section(".BTF");
  ASSERT_NE(btf, nullptr);
  std::vector<uint8_t> bytes = t.bytes;
  putLe(bytes, btf->offset + 12, 4, 0x7fffff00); // type_len
  EXPECT_TRUE(failsWith(readHostile(bytes),
                        {"hostile.o: section '.BTF': ", "BTF type section",
                         "type_len 0x7fffff00", "runs past end of section"}));
}

TEST_F(ReaderErrors, BtfTypeWithBadLength) {
  Target t(corpus("libbpf/btf_maps_all.g.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *btf = t.section(".BTF");
  ASSERT_NE(btf, nullptr);
  uint32_t hdrLen = uint32_t(getLe(t.bytes, btf->offset + 4, 4));
  uint32_t typeOff = uint32_t(getLe(t.bytes, btf->offset + 8, 4));
  size_t first = btf->offset + hdrLen + typeOff;
  // Type #1 becomes a STRUCT with 0xffff members: its records run past the
  // type section.
  std::vector<uint8_t> bytes = t.bytes;
  putLe(bytes, first + 4, 4, uint32_t(4) << 24 | 0xffff);
  EXPECT_TRUE(
      failsWith(readHostile(bytes),
                {"hostile.o: section '.BTF': ",
                 "BTF type #1 at offset " + hex(hdrLen + typeOff),
                 "STRUCT vlen 65535", "runs past end of type section"}));
}

TEST_F(ReaderErrors, BtfStringOffsetPastTheEnd) {
  Target t(corpus("libbpf/btf_maps_all.g.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *btf = t.section(".BTF");
  ASSERT_NE(btf, nullptr);
  uint32_t hdrLen = uint32_t(getLe(t.bytes, btf->offset + 4, 4));
  uint32_t typeOff = uint32_t(getLe(t.bytes, btf->offset + 8, 4));
  std::vector<uint8_t> bytes = t.bytes;
  putLe(bytes, btf->offset + hdrLen + typeOff, 4, 0xfffff0); // name_off
  EXPECT_TRUE(failsWith(readHostile(bytes),
                        {"hostile.o: section '.BTF': ",
                         "BTF type #1 at offset " + hex(hdrLen + typeOff),
                         "string offset 0xfffff0 out of range"}));
}

TEST_F(ReaderErrors, BtfBytesFlippedNeverCrash) {
  Target t(corpus("libbpf/btf_maps_all.g.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  for (const char *name : {".BTF", ".BTF.ext"}) {
    const elf::Section *sec = t.section(name);
    ASSERT_NE(sec, nullptr);
    // Every header byte and every 4th word of the rest.
    for (uint64_t at = 0; at < sec->size; at += at < 32 ? 1 : 13) {
      for (uint8_t value : {uint8_t(0x00), uint8_t(0xff), uint8_t(0x7f)}) {
        std::vector<uint8_t> bytes = t.bytes;
        if (bytes[sec->offset + at] == value)
          continue;
        bytes[sec->offset + at] = value;
        Outcome out = readHostile(bytes);
        EXPECT_TRUE(clean(out))
            << name << "+" << at << " = " << int(value) << ": " << out.error;
        // BTF that still parses can break the maps it describes: some
        // section is named either way.
        if (!out.ok()) {
          EXPECT_NE(out.error.find("section '"), std::string::npos)
              << out.error;
        }
      }
    }
  }
}

TEST_F(ReaderErrors, BtfMapsWithoutFileBytes) {
  Target t(corpus("libbpf/btf_maps_all.g.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *maps = t.section(".maps");
  ASSERT_NE(maps, nullptr);
  Outcome out = readHostile(t.withShdr(maps->index, kShType, elf::kShtNobits));
  EXPECT_TRUE(clean(out)) << out.error;
}

// --- gobpf ------------------------------------------------------------------

TEST_F(ReaderErrors, GobpfMapSectionOfTheWrongSize) {
  Target t(corpus("gobpf/gobpf_full.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *sec = t.section("maps/counts");
  ASSERT_NE(sec, nullptr);
  for (uint64_t size : {uint64_t(279), uint64_t(20), uint64_t(0)}) {
    Outcome out = readHostile(t.withShdr(sec->index, kShSize, size));
    EXPECT_TRUE(failsWith(out, {"hostile.o: section 'maps/counts'",
                                "280 (or 16 in early gobpf) bytes",
                                "found " + std::to_string(size)}));
  }
}

TEST_F(ReaderErrors, GobpfNamespaceWithoutNul) {
  Target t(corpus("gobpf/gobpf_full.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *sec = t.section("maps/shared");
  ASSERT_NE(sec, nullptr);
  std::vector<uint8_t> bytes = t.bytes;
  std::fill(bytes.begin() + sec->offset + 24, bytes.begin() + sec->offset + 280,
            'A');
  EXPECT_TRUE(failsWith(readHostile(bytes),
                        {"hostile.o: section 'maps/shared' offset 0x18",
                         "namespace is not NUL-terminated"}));
}

TEST_F(ReaderErrors, GobpfMapSectionWithoutFileBytes) {
  Target t(corpus("gobpf/gobpf_full.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *sec = t.section("maps/counts");
  ASSERT_NE(sec, nullptr);
  Outcome out = readHostile(t.withShdr(sec->index, kShType, elf::kShtNobits));
  EXPECT_TRUE(failsWith(out, {"hostile.o: section 'maps/counts'"}));
}

// --- every convention forced on every object ---------------------------------

TEST_F(ReaderErrors, ForcingAnyConventionNeverCrashes) {
  for (const std::string &path : sweepObjects()) {
    Target t(path);
    ASSERT_TRUE(t.ok()) << t.error();
    for (const auto &format : formats()) {
      Outcome out = readHostile(t.bytes, forcedTo(format->convention()));
      EXPECT_TRUE(clean(out))
          << path << " as " << ir::conventionName(format->convention()) << ": "
          << out.error;
      if (out.ok()) {
        EXPECT_EQ(out.object->verdict.convention, format->convention());
      }
    }
  }
}

// Fuzz finding (fuzz_convert): two data sections of one name made the
// converter write a relocation into the wrong one. The reader refuses them.
TEST_F(ReaderErrors, TwoDataSectionsOfOneNameAreRefused) {
  Target t(corpus("libbpf/global_data.g.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *data = t.section(".data");
  const elf::Section *counters = t.section(".data.counters");
  ASSERT_NE(data, nullptr);
  ASSERT_NE(counters, nullptr);
  uint64_t dataName =
      getLe(t.bytes, t.shdrAt(data->index) + kShName.offset, kShName.width);
  EXPECT_TRUE(failsWith(
      readHostile(t.withShdr(counters->index, kShName, dataName)),
      {"section '.data'", "data section name used twice (section indexes " +
                              std::to_string(data->index) + " and " +
                              std::to_string(counters->index) + ")"}));
}

} // namespace
} // namespace bpfcompat
