#include "bpfcompat/error.h"

#include <algorithm>

#include "read_support.h"

namespace bpfcompat::read {

namespace {

// Section names with a meaning of their own; never a legacy map array.
bool isReservedSectionName(llvm::StringRef name) {
  return name == ".maps" || name.startswith("maps/") ||
         name.startswith(".maps.") || name == "license" || name == "version" ||
         name.startswith(".BTF") || name.startswith(".debug") ||
         name == ".data" || name.startswith(".data.") || name == ".rodata" ||
         name.startswith(".rodata.") || name == ".bss" ||
         name.startswith(".bss.") || name.startswith(".struct_ops") ||
         name == ".kconfig" || name == ".ksyms";
}

// Whether code loads an address in `sec` with ld_imm64 (how a map definition
// is referenced, whatever its section is called).
bool referencedByLdImm64(const elf::File &file, const elf::Section &sec) {
  for (const elf::Section *relSec : file.relocationSections()) {
    const elf::Section *target = file.section(relSec->info);
    if (!target || !read::isProgramSection(*target))
      continue;
    for (const elf::Rel &rel : file.relocations(*relSec)) {
      const elf::Symbol *sym = file.symbol(rel.symbol);
      if (!sym || sym->shndx != sec.index || rel.offset + 8 > target->size)
        continue;
      if (target->data[rel.offset] == kOpLdImm64)
        return true;
    }
  }
  return false;
}

} // namespace

std::vector<const elf::Section *> findLegacyMapSections(const elf::File &file) {
  std::vector<const elf::Section *> out;
  for (const elf::Section &sec : file.sections()) {
    if (sec.name == "maps") {
      out.push_back(&sec);
      continue;
    }
    if (sec.type != elf::kShtProgbits || read::isProgramSection(sec) ||
        sec.size == 0 || !(sec.flags & elf::kShfAlloc) ||
        isReservedSectionName(sec.name))
      continue;
    if (referencedByLdImm64(file, sec))
      out.push_back(&sec);
  }
  return out;
}

bool hasLegacyMaps(const elf::File &file) {
  return !findLegacyMapSections(file).empty();
}

llvm::Expected<LegacyMapArray> analyzeLegacyMapArray(const elf::File &file,
                                                     const elf::Section &sec) {
  LegacyMapArray array;
  array.section = &sec;
  for (const elf::Symbol &sym : file.symbols()) {
    if (sym.shndx != sec.index || sym.type == elf::kSttSection ||
        sym.name.empty())
      continue;
    array.symbols.push_back(&sym);
    if (sym.binding == elf::kStbGlobal &&
        (sym.type == elf::kSttNotype || sym.type == elf::kSttObject))
      ++array.globalCount;
  }
  std::stable_sort(array.symbols.begin(), array.symbols.end(),
                   [](const elf::Symbol *a, const elf::Symbol *b) {
                     return a->value < b->value;
                   });
  if (sec.size == 0 || sec.data.empty())
    return sectionError(sec.name, "legacy map section is empty");
  if (array.symbols.empty())
    return sectionError(sec.name, "legacy map section has no map symbols");

  // Modern clang sets st_size on every map symbol; prefer it over size/count,
  // which is what old loaders did and what breaks on mixed-size sections.
  uint64_t firstSize = array.symbols.front()->size;
  bool uniformSizes =
      firstSize != 0 &&
      std::all_of(array.symbols.begin(), array.symbols.end(),
                  [&](const elf::Symbol *s) { return s->size == firstSize; });
  uint64_t stride;
  if (uniformSizes) {
    stride = firstSize;
    array.strideFromSymbolSize = true;
  } else {
    if (sec.size % array.symbols.size())
      return sectionError(
          sec.name,
          "size " + hex(sec.size) + " is not a multiple of its " +
              llvm::Twine(array.symbols.size()) +
              " map symbols: unable to determine the map definition size");
    stride = sec.size / array.symbols.size();
  }
  if (stride < 16 || stride % 4 || stride > 4096)
    return sectionError(sec.name, "map definition size " + llvm::Twine(stride) +
                                      " is not a plausible struct bpf_map_def "
                                      "(a multiple of 4 from 16 bytes)");
  array.stride = uint32_t(stride);
  for (const elf::Symbol *sym : array.symbols) {
    if (sym->value % 4 || sym->value > sec.size ||
        sec.size - sym->value < stride)
      return sectionError(sec.name, sym->value,
                          "map '" + sym->name.str() + "' definition of " +
                              llvm::Twine(stride) +
                              " bytes runs past the section end " +
                              hex(sec.size) + " or is misaligned");
  }
  return array;
}

std::vector<uint32_t> legacyMapWords(const elf::File &file,
                                     const LegacyMapArray &array,
                                     const elf::Symbol &symbol, size_t words,
                                     std::vector<uint8_t> &tail) {
  const uint8_t *base = array.section->data.data() + symbol.value;
  std::vector<uint32_t> out(words, 0);
  size_t present = std::min<size_t>(words, array.stride / 4);
  for (size_t i = 0; i < present; ++i)
    out[i] = file.u32(base + 4 * i);
  tail.clear();
  if (array.stride > words * 4) {
    llvm::ArrayRef<uint8_t> rest(base + words * 4, array.stride - words * 4);
    if (std::any_of(rest.begin(), rest.end(), [](uint8_t b) { return b; }))
      tail.assign(rest.begin(), rest.end());
  }
  return out;
}

llvm::Expected<std::vector<std::vector<uint32_t>>>
readLegacyMaps(const elf::File &file, ir::Object &object,
               const LegacyMapArray &array, const LegacyMapRules &rules) {
  size_t words = rules.words;
  std::vector<std::vector<uint32_t>> allWords;
  const elf::Section &sec = *array.section;
  if (!array.strideFromSymbolSize) {
    for (size_t k = 0; k < array.symbols.size(); ++k)
      if (array.symbols[k]->value != k * array.stride)
        object.diag(ir::Severity::Warning, "map-layout-gap",
                    "no map symbol at offset " + hex(k * array.stride) +
                        "; loaders that index by stride disagree",
                    {}, ir::Location{sec.name.str(), k * array.stride});
  }
  for (const elf::Symbol *sym : array.symbols) {
    if (object.findMap(sym->name))
      return sectionError(sec.name, sym->value,
                          "duplicate map name '" + sym->name.str() + "'");
    std::vector<uint8_t> tail;
    std::vector<uint32_t> w = legacyMapWords(file, array, *sym, words, tail);
    ir::Map map;
    map.name = sym->name;
    map.symbol = sym->name;
    map.origin = {sec.name.str(), sym->value};
    map.shape.type = w[0];
    map.shape.keySize = w[1];
    map.shape.valueSize = w[2];
    map.shape.maxEntries = w[3];
    map.shape.flags = words > 4 ? w[4] : 0;
    map.extras.definitionSize = array.stride;
    map.extras.unknownTail = tail;
    if (!tail.empty())
      object.diag(rules.nonzeroTail, "map-tail-nonzero",
                  "map '" + sym->name.str() + "' has non-zero bytes past the " +
                      std::to_string(words * 4) +
                      " known definition bytes; no loader of this convention "
                      "interprets them",
                  sym->name.str(),
                  ir::Location{sec.name.str(), sym->value + words * 4});
    if (sym->binding == elf::kStbLocal)
      object.diag(rules.staticMap, "static-map",
                  "map '" + sym->name.str() +
                      "' is static; libbpf >= 0.4 rejects it and iproute2 "
                      "miscounts the stride",
                  sym->name.str(), ir::Location{sec.name.str(), sym->value});
    if (map.shape.type == 0)
      object.diag(ir::Severity::Warning, "map-type-unspec",
                  "map '" + sym->name.str() + "' has map type 0 (unspec)",
                  sym->name.str(), ir::Location{sec.name.str(), sym->value});
    object.maps.push_back(std::move(map));
    allWords.push_back(std::move(w));
  }
  return allWords;
}

} // namespace bpfcompat::read

namespace bpfcompat::read {

std::vector<const ObjectFacts::LegacyArray *>
validLegacyArrays(const ObjectFacts &facts) {
  std::vector<const ObjectFacts::LegacyArray *> out;
  for (const ObjectFacts::LegacyArray &array : facts.legacyArrays)
    if (array.error.empty())
      out.push_back(&array);
  return out;
}

size_t countProgramSections(const ObjectFacts &facts,
                            bool (*predicate)(llvm::StringRef)) {
  return std::count_if(
      facts.programSections.begin(), facts.programSections.end(),
      [&](const std::string &name) { return predicate(name); });
}

llvm::Expected<std::vector<std::vector<uint32_t>>>
readAllLegacyMaps(const elf::File &file, ir::Object &object,
                  const LegacyMapRules &rules) {
  std::vector<std::vector<uint32_t>> all;
  for (const elf::Section *sec : findLegacyMapSections(file)) {
    auto array = analyzeLegacyMapArray(file, *sec);
    if (!array)
      return array.takeError();
    auto mapWords = readLegacyMaps(file, object, *array, rules);
    if (!mapWords)
      return mapWords.takeError();
    all.insert(all.end(), mapWords->begin(), mapWords->end());
  }
  return all;
}

} // namespace bpfcompat::read
