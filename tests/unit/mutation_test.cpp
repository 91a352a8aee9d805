// The mutation suite: thousands of malformed variants derived systematically
// from corpus and real objects (truncation at every section boundary, every
// section header, symbol and relocation field set to hostile values, legacy
// map words, BTF header, type and member fields, BTF.ext record sizes and
// counts). Each variant is read and, when that succeeds, converted; it must
// end in a clean error or a valid result, within 100 ms of user CPU time
// (300 ms in the sanitized build) and 64 MiB of peak heap above what was live
// before it (AllocMeter: every malloc and new of the process). Sanitizer
// reports come from running the suite in the ASan build (scripts/test.sh).
#include "bpfcompat/convert.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "alloc_meter.h"
#include "hostile_support.h"

namespace bpfcompat {
namespace {

using namespace hostile;

// ASan, UBSan and libFuzzer's coverage instrumentation make the sanitized
// build about three times slower; the limit scales with it.
#ifdef BPFCOMPAT_TEST_ASAN
constexpr auto kTimeLimit = std::chrono::milliseconds(300);
#else
constexpr auto kTimeLimit = std::chrono::milliseconds(100);
#endif
constexpr size_t kMemoryLimit = 64u << 20;

// Elf64_Ehdr fields beyond hostile_support.h's.
constexpr Field kEShoffField{"e_shoff", kEShoff, 8};
constexpr Field kEShentsizeField{"e_shentsize", kEShentsize, 2};
constexpr Field kEShnumField{"e_shnum", kEShnum, 2};
constexpr Field kEShstrndx{"e_shstrndx", 0x3e, 2};
constexpr Field kShEntsize{"sh_entsize", 0x38, 8};
constexpr Field kStInfo{"st_info", 0x4, 1};

struct Variant {
  std::string what;
  std::vector<uint8_t> bytes;
};

// Collects variants of one object: each is the object with one field, at an
// absolute file offset, set to one value (or the object cut short).
class Mutator {
public:
  explicit Mutator(const Target &t) : t_(t) {}

  void set(const std::string &what, size_t at, size_t width, uint64_t value) {
    if (at + width > t_.bytes.size())
      return;
    uint64_t mask = width == 8 ? UINT64_MAX : (uint64_t(1) << 8 * width) - 1;
    value &= mask;
    if (getLe(t_.bytes, at, width) == value)
      return;
    std::vector<uint8_t> bytes = t_.bytes;
    putLe(bytes, at, width, value);
    add(what + " = " + hex(value), std::move(bytes));
  }
  void set(const std::string &where, size_t base, Field f,
           std::initializer_list<uint64_t> values) {
    for (uint64_t v : values)
      set(where + " " + f.name, base + f.offset, f.width, v);
  }
  void truncate(size_t size) {
    if (size >= t_.bytes.size() || !cuts_.insert(size).second)
      return;
    add("truncated to " + hex(size),
        std::vector<uint8_t>(t_.bytes.begin(), t_.bytes.begin() + size));
  }

  std::vector<Variant> variants;

private:
  void add(std::string what, std::vector<uint8_t> bytes) {
    if (seen_.insert(bytes).second)
      variants.push_back({std::move(what), std::move(bytes)});
  }
  const Target &t_;
  std::set<size_t> cuts_;
  std::set<std::vector<uint8_t>> seen_;
};

// BTF kinds' extra bytes after the 12-byte common header, for walking types.
size_t btfExtra(uint32_t kind, uint32_t vlen) {
  switch (kind) {
  case 1:  // INT
  case 14: // VAR
  case 17: // DECL_TAG
    return 4;
  case 3: // ARRAY
    return 12;
  case 4:  // STRUCT
  case 5:  // UNION
  case 15: // DATASEC
  case 19: // ENUM64
    return 12 * size_t(vlen);
  case 6:  // ENUM
  case 13: // FUNC_PROTO
    return 8 * size_t(vlen);
  default:
    return 0;
  }
}

void btfVariants(const Target &t, Mutator &m) {
  const elf::Section *btf = t.section(".BTF");
  if (!btf || btf->size < 24)
    return;
  size_t base = btf->offset;
  uint32_t hdrLen = uint32_t(getLe(t.bytes, base + 4, 4));
  uint32_t typeOff = uint32_t(getLe(t.bytes, base + 8, 4));
  uint32_t typeLen = uint32_t(getLe(t.bytes, base + 12, 4));
  uint32_t strOff = uint32_t(getLe(t.bytes, base + 16, 4));
  uint32_t strLen = uint32_t(getLe(t.bytes, base + 20, 4));
  const char *names[] = {"hdr_len", "type_off", "type_len", "str_off",
                         "str_len"};
  for (int i = 0; i < 5; ++i) {
    uint32_t v = uint32_t(getLe(t.bytes, base + 4 + 4 * i, 4));
    for (uint64_t value :
         {uint64_t(0), uint64_t(v) + 1, uint64_t(v) - 1, uint64_t(v) * 2,
          uint64_t(UINT32_MAX), uint64_t(UINT32_MAX - 3)})
      m.set(std::string(".BTF header ") + names[i], base + 4 + 4 * i, 4, value);
  }
  // The string area must end in NUL.
  if (strLen)
    m.set(".BTF last string byte", base + hdrLen + strOff + strLen - 1, 1, 'x');
  // Types: every type's name, kind, vlen, size/type and first member.
  size_t at = base + hdrLen + typeOff, end = at + typeLen;
  for (uint32_t id = 1; at + 12 <= end && id <= 24; ++id) {
    uint32_t info = uint32_t(getLe(t.bytes, at + 4, 4));
    uint32_t kind = (info >> 24) & 0x1f, vlen = info & 0xffff;
    std::string type = ".BTF type #" + std::to_string(id);
    m.set(type + " name_off", at, 4, UINT32_MAX);
    m.set(type + " name_off", at, 4, strLen);
    m.set(type + " kind", at + 4, 4, (info & 0x80ffffff) | 0x1f000000);
    m.set(type + " kind", at + 4, 4, info & 0x80ffffff);
    m.set(type + " kind", at + 4, 4, (info & 0x80ffffff) | (kind + 1) << 24);
    m.set(type + " vlen", at + 4, 4, info | 0xffff);
    m.set(type + " kind_flag", at + 4, 4, info ^ 0x80000000);
    m.set(type + " size/type (loop)", at + 8, 4, id);
    m.set(type + " size/type", at + 8, 4, UINT32_MAX);
    size_t extra = btfExtra(kind, vlen);
    if (extra >= 8) {
      // STRUCT/UNION member, ENUM/FUNC_PROTO/DATASEC entry, ARRAY elem.
      m.set(type + " first entry name/type", at + 12, 4, UINT32_MAX);
      m.set(type + " first entry type (loop)", at + 16, 4, id);
      m.set(type + " first entry type", at + 16, 4, UINT32_MAX);
      if (extra >= 12)
        m.set(type + " first entry offset", at + 20, 4, UINT32_MAX);
    }
    at += 12 + extra;
  }
}

void btfExtVariants(const Target &t, Mutator &m) {
  const elf::Section *ext = t.section(".BTF.ext");
  if (!ext || ext->size < 24)
    return;
  size_t base = ext->offset;
  uint32_t hdrLen = uint32_t(getLe(t.bytes, base + 4, 4));
  for (size_t field = 4; field + 4 <= hdrLen && field + 4 <= ext->size;
       field += 4) {
    uint32_t v = uint32_t(getLe(t.bytes, base + field, 4));
    for (uint64_t value :
         {uint64_t(0), uint64_t(v) + 1, uint64_t(v) + 4, uint64_t(UINT32_MAX)})
      m.set(".BTF.ext header word " + hex(field), base + field, 4, value);
  }
  // Each subsection (func_info, line_info, CO-RE): record size, then the
  // first section's name and record count.
  for (size_t sub = 0; sub < 3 && 8 + 8 * sub + 8 <= hdrLen; ++sub) {
    uint32_t off = uint32_t(getLe(t.bytes, base + 8 + 8 * sub, 4));
    uint32_t len = uint32_t(getLe(t.bytes, base + 12 + 8 * sub, 4));
    if (len < 12)
      continue;
    size_t at = base + hdrLen + off;
    std::string what = ".BTF.ext subsection " + std::to_string(sub);
    m.set(what, at, {"rec_size", 0, 4}, {0, 3, 4, 7, UINT32_MAX});
    m.set(what, at, {"sec_name_off", 4, 4}, {UINT32_MAX});
    m.set(what, at, {"num_info", 8, 4}, {0, UINT32_MAX, 0x10000000});
    if (len >= 20)
      m.set(what, at, {"first record insn_off", 12, 4}, {UINT32_MAX, 1});
  }
}

std::vector<Variant> variantsOf(const Target &t) {
  Mutator m(t);
  uint64_t fileSize = t.bytes.size();
  const auto &sections = t.view().sections();
  uint32_t shnum = uint32_t(sections.size());

  // Truncation at every section boundary and inside the header table.
  for (const elf::Section &sec : sections) {
    m.truncate(sec.offset);
    if (sec.type != elf::kShtNobits)
      m.truncate(sec.offset + sec.size);
    m.truncate(t.shdrAt(sec.index));
  }

  m.set("ELF header", 0, kEShoffField, {fileSize, UINT64_MAX, 1});
  m.set("ELF header", 0, kEShentsizeField, {0, 32, 128});
  m.set("ELF header", 0, kEShnumField, {0, 1, 0xffff});
  m.set("ELF header", 0, kEShstrndx, {0, shnum, 0xffff});

  for (uint32_t i = 1; i < shnum; ++i) {
    const elf::Section &sec = sections[i];
    // DWARF sections are never read; truncation still covers them.
    if (llvm::StringRef(sec.name).contains(".debug_"))
      continue;
    size_t at = t.shdrAt(i);
    std::string where =
        "section #" + std::to_string(i) + " '" + sec.name.str() + "'";
    const elf::Section &next = sections[i + 1 < shnum ? i + 1 : 1];
    m.set(where, at, kShOffset,
          {fileSize, UINT64_MAX - 7, next.offset /* overlap */});
    m.set(where, at, kShSize, {UINT64_MAX, sec.size + 1, 0});
    m.set(where, at, kShLink, {shnum, i});
    m.set(where, at, kShInfo, {shnum, i});
    // Strides that do not divide the size, and none.
    m.set(where, at, kShEntsize, {0, 7});
    m.set(where, at, kShType, {elf::kShtNobits, elf::kShtRel});
  }

  if (const elf::Section *symtab = t.symtab()) {
    size_t count = std::min<size_t>(symtab->size / kSymSize, 16);
    for (uint32_t i = 1; i < count; ++i) {
      const elf::Symbol &sym = t.view().symbols()[i];
      std::string where =
          "symbol #" + std::to_string(i) + " '" + sym.name.str() + "'";
      size_t at = t.symAt(i);
      m.set(where, at, kStShndx, {shnum, 0xfff2, 0xffff});
      m.set(where, at, kStValue, {UINT64_MAX, sym.value + 1});
      m.set(where, at, kStSize, {UINT64_MAX});
      m.set(where, at, kStName, {UINT32_MAX});
      m.set(where, at, kStInfo, {0xff});
    }
  }

  for (const elf::Section *rel : t.view().relocationSections()) {
    size_t count = std::min<size_t>(rel->size / kRelSize, 8);
    for (size_t n = 0; n < count; ++n) {
      std::string where = rel->name.str() + " #" + std::to_string(n);
      size_t at = t.relAt(*rel, n);
      uint64_t info = getLe(t.bytes, at + kRInfo.offset, 8);
      uint64_t offset = getLe(t.bytes, at + kROffset.offset, 8);
      m.set(where, at, kRInfo,
            {uint64_t(UINT32_MAX) << 32 | (info & 0xffffffff),
             info & 0xffffffff, (info & ~uint64_t(0xffffffff)) | 0xff});
      m.set(where, at, kROffset, {UINT64_MAX, offset + 1, offset + 4});
    }
  }

  // Legacy map definitions: every word huge (counts, sizes, ids) or zero.
  for (const elf::Section &sec : sections) {
    if (sec.name != "maps" && !sec.name.startswith("maps/"))
      continue;
    for (size_t word = 0; word + 4 <= sec.size && word < 96; word += 4)
      m.set(sec.name.str() + " word " + hex(word), sec.offset, {"", word, 4},
            {0, UINT32_MAX});
  }

  btfVariants(t, m);
  btfExtVariants(t, m);
  return std::move(m.variants);
}

// Reads (and, when that succeeds, converts) one variant; the outcome must be
// clean.
::testing::AssertionResult survives(const Variant &v) {
  Outcome out = readHostile(v.bytes);
  if (auto c = clean(out); !c)
    return c;
  if (!out.ok())
    return ::testing::AssertionSuccess();
  for (convert::Consumer consumer :
       {convert::Consumer::Libbpf, convert::Consumer::Tc}) {
    convert::Options options;
    options.consumer = consumer;
    auto converted = convert::convertObject(*out.object, options);
    if (!converted && llvm::toString(converted.takeError()).empty())
      return ::testing::AssertionFailure() << "empty conversion error";
  }
  return ::testing::AssertionSuccess();
}

TEST(Mutation, EveryVariantEndsCleanlyWithinTimeAndMemory) {
  size_t total = 0, failures = 0;
  std::chrono::microseconds slowest{0};
  size_t hungriest = 0;
  std::string slowestWhat, hungriestWhat;
  for (const std::string &path : sweepObjects()) {
    Target t(path);
    ASSERT_TRUE(t.ok()) << t.error();
    std::vector<Variant> variants = variantsOf(t);
    total += variants.size();
    for (const Variant &v : variants) {
      test::AllocMeter meter;
      auto start = threadUserTime();
      ::testing::AssertionResult result = survives(v);
      auto elapsed = threadUserTime() - start;
      size_t peak = meter.peakBytes();
      bool ok = result && elapsed < kTimeLimit && peak < kMemoryLimit;
      EXPECT_TRUE(ok) << path << ": " << v.what << ": " << result.message()
                      << " (" << elapsed / std::chrono::microseconds(1)
                      << " us, " << peak << " bytes peak)";
      failures += !ok;
      if (elapsed > slowest)
        slowest = elapsed, slowestWhat = path + ": " + v.what;
      if (peak > hungriest)
        hungriest = peak, hungriestWhat = path + ": " + v.what;
      if (failures > 20)
        FAIL() << "stopping after 20 failing variants";
    }
  }
  EXPECT_GE(total, 1000u);
  std::printf("[ mutation ] %zu variants; slowest %lld us (%s); most heap "
              "%zu bytes (%s)\n",
              total, (long long)(slowest / std::chrono::microseconds(1)),
              slowestWhat.c_str(), hungriest, hungriestWhat.c_str());
}

// Regression for a fuzz_convert finding: a legacy map of type 0 was emitted
// as a `.maps` definition that neither our reader nor libbpf reads back.
TEST(Mutation, MapOfTypeZeroIsRefusedByTheConverter) {
  Target t(corpus("libbpf-legacy/legacy_basic.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *maps = t.section("maps");
  const elf::Symbol *map = t.symbol("dport_counts");
  ASSERT_TRUE(maps && map);
  std::vector<uint8_t> bytes = t.bytes;
  putLe(bytes, maps->offset + map->value, 4, 0); // bpf_map_def.type
  Outcome out = readHostile(bytes);
  ASSERT_TRUE(out.ok()) << out.error;
  auto converted = convert::convertObject(*out.object);
  ASSERT_FALSE(bool(converted));
  EXPECT_EQ(llvm::toString(converted.takeError()),
            "map 'dport_counts' has map type 0 (BPF_MAP_TYPE_UNSPEC), which a "
            "libbpf 1.x object cannot declare");
}

// Regression for a fuzz_convert finding: an executable `.maps` section was
// read both as maps and as a program, and the output's program section
// `.maps` clashed with its map definitions. As in libbpf, names win.
// Regression for a fuzz_convert finding: a call into bytes of .text that no
// function symbol covers (here: the callee's symbol moved onto another
// function) was emitted as a call past the end of the output .text, which
// holds only functions.
TEST(Mutation, CallIntoNoFunctionIsRefusedByTheConverter) {
  Target t(corpus("libbpf/global_data.g.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Symbol *callee = t.symbol("mix_step");
  ASSERT_TRUE(callee);
  ASSERT_NE(callee->value, 0u);
  Outcome out = readHostile(t.withSym(callee->index, kStValue, 0));
  ASSERT_TRUE(out.ok()) << out.error;
  auto converted = convert::convertObject(*out.object);
  ASSERT_FALSE(bool(converted));
  std::string err = llvm::toString(converted.takeError());
  EXPECT_NE(err.find("of section '.text', which is no function"),
            std::string::npos)
      << err;
}

TEST(Mutation, ExecutableMapsSectionIsNoProgram) {
  Target t(corpus("libbpf/btf_maps_all.g.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *maps = t.section(".maps");
  ASSERT_NE(maps, nullptr);
  std::vector<uint8_t> bytes = t.withShdr(maps->index, {"sh_flags", 0x8, 8},
                                          maps->flags | elf::kShfExecinstr);
  Outcome out = readHostile(bytes);
  ASSERT_TRUE(out.ok()) << out.error;
  for (const ir::Program &prog : out.object->programs)
    EXPECT_NE(prog.section, ".maps") << prog.name;
  auto converted = convert::convertObject(*out.object);
  ASSERT_TRUE(bool(converted)) << llvm::toString(converted.takeError());
  auto file = elf::File::fromBuffer(converted->bytes, "converted.o");
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  auto reread = readObject(**file);
  EXPECT_TRUE(bool(reread)) << llvm::toString(reread.takeError());
}

// Regression for a fuzz_convert finding: an iproute2 inner_idx near 2^32
// made the converter size a `values` array by it (a 32 GiB allocation).
TEST(Mutation, SlotPastMaxEntriesIsRefusedAndDropped) {
  Target t(corpus("iproute2/tc_full.g.o"));
  ASSERT_TRUE(t.ok()) << t.error();
  const elf::Section *maps = t.section("maps");
  const elf::Symbol *inner = t.symbol("inner_ports");
  ASSERT_TRUE(maps && inner);
  std::vector<uint8_t> bytes = t.bytes;
  putLe(bytes, maps->offset + inner->value + 8 * 4, 4, 0xfffffff0); // inner_idx
  Outcome out = readHostile(bytes);
  ASSERT_TRUE(out.ok()) << out.error;
  bool refused = false;
  for (const ir::Diagnostic &d : out.object->diagnostics)
    refused |=
        d.code == "slot-out-of-range" && d.severity == ir::Severity::Error;
  EXPECT_TRUE(refused);
  for (const ir::Map &map : out.object->maps)
    for (const ir::Slot &slot : map.slots)
      EXPECT_LT(slot.index, map.shape.maxEntries) << map.name;
  test::AllocMeter meter;
  auto converted = convert::convertObject(*out.object);
  ASSERT_TRUE(bool(converted)) << llvm::toString(converted.takeError());
  EXPECT_LT(meter.peakBytes(), kMemoryLimit);
}

// The meter itself: an allocation inside the measurement is seen, one freed
// before it is not, and a huge one would be over the limit.
TEST(Mutation, AllocMeterSeesAllocations) {
  std::vector<char> before(1 << 20);
  test::AllocMeter meter;
  {
    std::vector<char> during(8 << 20);
    during[0] = 1;
  }
  EXPECT_GE(meter.peakBytes(), size_t(8) << 20);
  EXPECT_LT(meter.peakBytes(), size_t(9) << 20);
  test::AllocMeter quiet;
  EXPECT_LT(quiet.peakBytes(), size_t(4096));
}

} // namespace
} // namespace bpfcompat
