#include "bpfcompat/error.h"

#include <llvm/ADT/StringExtras.h>
#include <llvm/ADT/StringMap.h>
#include <llvm/Support/Endian.h>

#include <algorithm>
#include <map>

#include "read_support.h"

namespace bpfcompat::read {

namespace {

bool isDataSectionName(llvm::StringRef name, ir::DataKind &kind) {
  if (name == ".data" || name.startswith(".data.")) {
    kind = ir::DataKind::Data;
    return true;
  }
  if (name == ".rodata" || name.startswith(".rodata.")) {
    kind = ir::DataKind::Rodata;
    return true;
  }
  if (name == ".bss" || name.startswith(".bss.")) {
    kind = ir::DataKind::Bss;
    return true;
  }
  return false;
}

llvm::Error readLicenseAndVersion(const elf::File &file, ir::Object &object) {
  if (const elf::Section *sec = file.sectionByName("license")) {
    llvm::StringRef text(reinterpret_cast<const char *>(sec->data.data()),
                         sec->data.size());
    object.license = text.take_until([](char c) { return c == '\0'; }).str();
  }
  if (const elf::Section *sec = file.sectionByName("version")) {
    if (sec->data.size() != 4) {
      object.diag(ir::Severity::Warning, "version-size-invalid",
                  "'version' section is " + std::to_string(sec->data.size()) +
                      " bytes, expected 4; ignored",
                  {}, ir::Location{sec->name.str(), 0});
    } else {
      object.kernelVersion = file.u32(sec->data.data());
    }
  }
  return llvm::Error::success();
}

void readDataSections(const elf::File &file, ir::Object &object) {
  for (const elf::Section &sec : file.sections()) {
    ir::DataKind kind;
    if (read::isProgramSection(sec) || !isDataSectionName(sec.name, kind))
      continue;
    if (sec.type != elf::kShtProgbits && sec.type != elf::kShtNobits)
      continue;
    ir::DataSection data;
    data.name = sec.name;
    data.kind = kind;
    data.size = sec.size;
    data.bytes.assign(sec.data.begin(), sec.data.end());
    for (const elf::Symbol &sym : file.symbols()) {
      if (sym.shndx != sec.index || sym.type == elf::kSttSection ||
          sym.name.empty())
        continue;
      data.variables.push_back(
          {sym.name.str(), sym.value, sym.size, sym.binding != elf::kStbLocal});
    }
    std::stable_sort(data.variables.begin(), data.variables.end(),
                     [](const ir::Variable &a, const ir::Variable &b) {
                       return a.offset < b.offset;
                     });
    object.data.push_back(std::move(data));
  }
}

llvm::Error readBtfSections(const elf::File &file, ir::Object &object) {
  const elf::Section *btfSec = file.sectionByName(".BTF");
  if (!btfSec)
    return llvm::Error::success();
  auto btf = btf::Btf::parse(btfSec->data, file.bigEndian());
  if (!btf)
    return prefixError(btf.takeError(), "section '.BTF'");
  object.btf = std::move(*btf);
  if (const elf::Section *extSec = file.sectionByName(".BTF.ext")) {
    auto ext = btf::BtfExt::parse(extSec->data, *object.btf, file.bigEndian());
    if (!ext)
      return prefixError(ext.takeError(), "section '.BTF.ext'");
    object.btfExt = std::move(*ext);
  }
  return llvm::Error::success();
}

// The symbol naming code at `offset` of `section`: a FUNC, else a global
// NOTYPE label (clang < 8 emitted those for programs).
const elf::Symbol *functionSymbolAt(const elf::File &file, uint32_t section,
                                    uint64_t offset) {
  const elf::Symbol *notype = nullptr;
  for (const elf::Symbol &sym : file.symbols()) {
    if (sym.shndx != section || sym.value != offset || sym.name.empty())
      continue;
    if (sym.type == elf::kSttFunc)
      return &sym;
    if (sym.type == elf::kSttNotype && sym.binding != elf::kStbLocal && !notype)
      notype = &sym;
  }
  return notype;
}

llvm::Expected<ir::Program> makeProgram(const elf::File &file,
                                        const elf::Section &sec,
                                        llvm::StringRef name, uint64_t offset,
                                        uint64_t size) {
  if (offset % 8 || size % 8 || size == 0 || offset > sec.size ||
      sec.size - offset < size)
    return sectionError(sec.name, offset,
                        "corrupted program '" + name + "': range " +
                            hex(offset) + "+" + hex(size) +
                            " is empty, unaligned or past the section end " +
                            hex(sec.size));
  ir::Program prog;
  prog.name = name.str();
  prog.section = sec.name.str();
  prog.sectionOffset = offset;
  prog.subprogram = sec.name == ".text";
  prog.insns = decodeInsns(file, sec.data.slice(offset, size));
  return prog;
}

// Function entry symbols of `sec`: FUNC symbols, or for objects from clang
// < 8 (which emitted none) the global NOTYPE labels, as cilium/ebpf reads them.
std::vector<const elf::Symbol *> functionSymbols(const elf::File &file,
                                                 const elf::Section &sec,
                                                 bool &fromLabels) {
  std::vector<const elf::Symbol *> funcs, labels;
  for (const elf::Symbol &sym : file.symbols()) {
    if (sym.shndx != sec.index || sym.name.empty())
      continue;
    if (sym.type == elf::kSttFunc)
      funcs.push_back(&sym);
    else if (sym.type == elf::kSttNotype && sym.binding != elf::kStbLocal)
      labels.push_back(&sym);
  }
  fromLabels = funcs.empty() && !labels.empty();
  std::vector<const elf::Symbol *> &out = fromLabels ? labels : funcs;
  std::stable_sort(out.begin(), out.end(),
                   [](const elf::Symbol *a, const elf::Symbol *b) {
                     return a->value < b->value;
                   });
  return out;
}

// One program per function symbol of `sec`.
llvm::Error addProgramsPerSymbol(const elf::File &file, const elf::Section &sec,
                                 ir::Object &object) {
  bool fromLabels;
  std::vector<const elf::Symbol *> funcs =
      functionSymbols(file, sec, fromLabels);
  if (funcs.empty()) {
    // Hand-made objects: no symbol at all. libbpf 1.x sees no program here;
    // every whole-section loader sees one.
    auto prog = makeProgram(file, sec, sec.name, 0, sec.size);
    if (!prog)
      return prog.takeError();
    object.diag(ir::Severity::Warning, "program-without-symbol",
                "section '" + sec.name.str() +
                    "' has no function symbol; read as one whole-section "
                    "program (libbpf 1.x would not see it)",
                prog->name, ir::Location{sec.name.str(), 0});
    object.programs.push_back(std::move(*prog));
    return llvm::Error::success();
  }
  for (size_t i = 0; i < funcs.size(); ++i) {
    const elf::Symbol *sym = funcs[i];
    // Labels carry no size: a function runs to the next label.
    uint64_t size =
        fromLabels ? (i + 1 < funcs.size() ? funcs[i + 1]->value : sec.size) -
                         sym->value
                   : sym->size;
    if (fromLabels)
      object.diag(ir::Severity::Warning, "program-without-func-symbol",
                  "function '" + sym->name.str() +
                      "' has only a NOTYPE label (clang < 8); libbpf 1.x "
                      "would not see it",
                  sym->name.str(), ir::Location{sec.name.str(), sym->value});
    if (sym->binding == elf::kStbLocal && sec.name != ".text")
      object.diag(ir::Severity::Warning, "static-program",
                  "program '" + sym->name.str() +
                      "' is static; libbpf rejects static entry programs",
                  sym->name.str(), ir::Location{sec.name.str(), sym->value});
    auto prog = makeProgram(file, sec, sym->name, sym->value, size);
    if (!prog)
      return prog.takeError();
    prog->localSymbol = sym->binding == elf::kStbLocal;
    object.programs.push_back(std::move(*prog));
  }
  return llvm::Error::success();
}

llvm::Error addWholeSectionProgram(const elf::File &file,
                                   const elf::Section &sec,
                                   ir::Object &object) {
  const elf::Symbol *label = functionSymbolAt(file, sec.index, 0);
  auto prog =
      makeProgram(file, sec, label ? label->name : sec.name, 0, sec.size);
  if (!prog)
    return prog.takeError();
  object.programs.push_back(std::move(*prog));
  return llvm::Error::success();
}

// What relocations point at, indexed once per object: a scan of every
// program and map per relocation was quadratic in objects with many of them.
// Answers are those of a scan in object order.
class RelocationTargets {
public:
  explicit RelocationTargets(ir::Object &object) {
    for (ir::Program &prog : object.programs)
      sections_[prog.section].programs.push_back(&prog);
    for (auto &entry : sections_) {
      std::vector<ir::Program *> &progs = entry.second.programs;
      std::vector<ir::Program *> sorted = progs;
      std::stable_sort(sorted.begin(), sorted.end(), [](auto *a, auto *b) {
        return a->sectionOffset < b->sectionOffset;
      });
      // Disjoint programs (always, from a compiler) are found by binary
      // search; overlapping ones keep object order and a scan.
      bool disjoint = true;
      for (size_t i = 1; i < sorted.size(); ++i)
        disjoint &= end(*sorted[i - 1]) <= sorted[i]->sectionOffset;
      if (disjoint)
        progs = std::move(sorted);
      entry.second.sorted = disjoint;
    }
    for (const ir::Map &map : object.maps)
      maps_.try_emplace({map.origin.section, map.origin.offset}, &map);
  }

  ir::Program *programContaining(llvm::StringRef section,
                                 uint64_t offset) const {
    auto it = sections_.find(section);
    if (it == sections_.end())
      return nullptr;
    const std::vector<ir::Program *> &progs = it->second.programs;
    auto contains = [&](const ir::Program *p) {
      return offset >= p->sectionOffset && offset < end(*p);
    };
    if (!it->second.sorted) {
      auto found = std::find_if(progs.begin(), progs.end(), contains);
      return found == progs.end() ? nullptr : *found;
    }
    auto after = std::upper_bound(progs.begin(), progs.end(), offset,
                                  [](uint64_t off, const ir::Program *p) {
                                    return off < p->sectionOffset;
                                  });
    if (after == progs.begin() || !contains(*std::prev(after)))
      return nullptr;
    return *std::prev(after);
  }

  const ir::Map *mapAt(llvm::StringRef section, uint64_t offset) const {
    auto it = maps_.find({section, offset});
    return it == maps_.end() ? nullptr : it->second;
  }

private:
  static uint64_t end(const ir::Program &p) {
    return p.sectionOffset + p.insns.size() * 8;
  }

  struct Section {
    std::vector<ir::Program *> programs; // by offset when `sorted`
    bool sorted = false;
  };
  llvm::StringMap<Section> sections_;
  std::map<std::pair<llvm::StringRef, uint64_t>, const ir::Map *> maps_;
};

const ir::DataSection *dataSection(const ir::Object &object,
                                   llvm::StringRef name) {
  for (const ir::DataSection &data : object.data)
    if (data.name == name)
      return &data;
  return nullptr;
}

bool btfDatasecHasVar(const ir::Object &object, llvm::StringRef datasec,
                      llvm::StringRef var) {
  if (!object.btf)
    return false;
  const btf::Type *sec = object.btf->findByName(datasec, btf::Kind::Datasec);
  if (!sec)
    return false;
  for (const btf::VarSecinfo &info : sec->secinfos)
    if (const btf::Type *t = object.btf->type(info.type); t && t->name == var)
      return true;
  return false;
}

void recordExtern(ir::Object &object, const elf::Symbol &sym, bool isCall) {
  for (const ir::Extern &ext : object.externs)
    if (ext.name == sym.name)
      return;
  ir::Extern ext;
  ext.name = sym.name;
  ext.weak = sym.binding == elf::kStbWeak;
  if (isCall)
    ext.kind = ir::Extern::Kind::Kfunc;
  else if (btfDatasecHasVar(object, ".kconfig", sym.name) ||
           llvm::StringRef(sym.name).startswith("CONFIG_") ||
           llvm::StringRef(sym.name).startswith("LINUX_"))
    ext.kind = ir::Extern::Kind::Kconfig;
  else
    ext.kind = ir::Extern::Kind::KsymVar;
  object.externs.push_back(std::move(ext));
}

std::string functionNameAt(const elf::File &file, const elf::Section &sec,
                           uint64_t insnIndex) {
  const elf::Symbol *sym = functionSymbolAt(file, sec.index, insnIndex * 8);
  return sym ? sym->name.str() : std::string();
}

llvm::Error classifyRelocation(const elf::File &file, ir::Object &object,
                               const RelocationTargets &targets,
                               const elf::Section &sec,
                               const elf::Section &relSec, const elf::Rel &rel,
                               uint64_t entryOffset) {
  auto fail = [&](const llvm::Twine &msg) {
    return sectionError(relSec.name, entryOffset,
                        "relocation at " + sec.name.str() + "+" +
                            hex(rel.offset) + ": " + msg);
  };
  if (rel.offset % 8)
    return fail("offset is not a multiple of the instruction size");
  ir::Program *prog = targets.programContaining(sec.name, rel.offset);
  if (!prog)
    return fail("offset is not inside any program");
  const elf::Symbol &sym = *file.symbol(rel.symbol);
  uint32_t insnIndex = uint32_t((rel.offset - prog->sectionOffset) / 8);
  const ir::Insn &insn = prog->insns[insnIndex];
  bool isCall = insn.code == kOpCall;
  bool isLdImm64 = insn.code == kOpLdImm64;
  if (!isCall && !isLdImm64)
    return fail("relocation against '" + sym.name + "' for insn #" +
                llvm::Twine(insnIndex) + " with code " + hex(insn.code) +
                ", expected call or ld_imm64");
  if (isLdImm64 && insnIndex + 1 >= prog->insns.size())
    return fail("ld_imm64 at insn #" + llvm::Twine(insnIndex) +
                " is missing its second half");

  ir::Relocation out;
  out.insn = insnIndex;
  out.symbol = sym.name;

  if (sym.shndx == elf::kShnUndef) {
    if (sym.name.empty())
      return fail("relocation against the null symbol");
    recordExtern(object, sym, isCall);
    out.kind = isCall ? ir::RelocKind::Kfunc : ir::RelocKind::ExternVar;
    out.target = sym.name;
    prog->relocations.push_back(std::move(out));
    return llvm::Error::success();
  }
  const elf::Section *symSec = file.section(sym.shndx);
  if (sym.shndx >= elf::kShnLoreserve)
    return fail("symbol '" + sym.name + "' is in special section " +
                hex(sym.shndx) + "; forgot to initialize a global variable?");
  if (!symSec)
    return fail("symbol '" + sym.name + "' is in section index " +
                llvm::Twine(sym.shndx) + ", which does not exist (" +
                llvm::Twine(file.sections().size()) + " sections)");

  // Static symbols arrive as the section symbol with the offset in imm.
  uint64_t symOffset = sym.value;
  if (read::isProgramSection(*symSec)) {
    if (symOffset % 8)
      return fail("code symbol '" + sym.name + "' is not instruction aligned");
    int64_t target;
    if (isCall) {
      if (insn.src != kPseudoCall)
        return fail("call relocation on a helper call (src_reg " +
                    llvm::Twine(unsigned(insn.src)) + ")");
      out.kind = ir::RelocKind::Call;
      target = int64_t(symOffset / 8) + insn.imm + 1;
    } else {
      out.kind = ir::RelocKind::FuncAddr;
      target = (int64_t(symOffset) + insn.imm) / 8;
    }
    if (target < 0 || uint64_t(target) >= symSec->size / 8)
      return fail("call target insn #" + llvm::Twine(target) +
                  " is outside section '" + symSec->name + "'");
    out.offset = uint64_t(target);
    out.targetSection = symSec->name;
    out.target = functionNameAt(file, *symSec, out.offset);
    prog->relocations.push_back(std::move(out));
    return llvm::Error::success();
  }
  if (!isLdImm64)
    return fail("call against non-code symbol '" + sym.name + "' in section '" +
                symSec->name + "'");

  uint64_t effective =
      symOffset + (sym.type == elf::kSttSection ? int64_t(insn.imm) : 0);
  if (const ir::Map *map = targets.mapAt(symSec->name, effective)) {
    out.kind = ir::RelocKind::MapFd;
    out.target = map->name;
    prog->relocations.push_back(std::move(out));
    return llvm::Error::success();
  }
  if (dataSection(object, symSec->name)) {
    out.kind = ir::RelocKind::MapValue;
    out.target = symSec->name;
    out.offset = symOffset + int64_t(insn.imm);
    if (out.offset > symSec->size)
      return fail("data offset " + hex(out.offset) + " is past the end of '" +
                  symSec->name + "'");
    prog->relocations.push_back(std::move(out));
    return llvm::Error::success();
  }
  return fail("symbol '" + sym.name + "' in section '" + symSec->name +
              "' at " + hex(effective) +
              " is neither a map definition, global data nor code");
}

} // namespace

std::vector<ir::Insn> decodeInsns(const elf::File &file,
                                  llvm::ArrayRef<uint8_t> bytes) {
  std::vector<ir::Insn> insns(bytes.size() / 8);
  bool be = file.bigEndian();
  for (size_t i = 0; i < insns.size(); ++i) {
    const uint8_t *p = bytes.data() + i * 8;
    ir::Insn &insn = insns[i];
    insn.code = p[0];
    // Register nibbles follow bitfield order, which flips with byte order.
    insn.dst = be ? p[1] >> 4 : p[1] & 0xf;
    insn.src = be ? p[1] & 0xf : p[1] >> 4;
    insn.off = int16_t(be ? llvm::support::endian::read16be(p + 2)
                          : llvm::support::endian::read16le(p + 2));
    insn.imm = int32_t(be ? llvm::support::endian::read32be(p + 4)
                          : llvm::support::endian::read32le(p + 4));
  }
  return insns;
}

// Allocated sections no part of the IR describes (struct_ops, arenas, ...)
// are reported rather than dropped in silence.
void reportIgnoredSections(const elf::File &file, ir::Object &object) {
  std::vector<const elf::Section *> legacy = findLegacyMapSections(file);
  for (const elf::Section &sec : file.sections()) {
    llvm::StringRef name = sec.name;
    ir::DataKind kind;
    bool known = !(sec.flags & elf::kShfAlloc) || read::isProgramSection(sec) ||
                 isDataSectionName(name, kind) || name == "license" ||
                 name == "version" || name == "maps" || name == ".maps" ||
                 name.startswith("maps/") || name.startswith(".maps.") ||
                 (sec.type == elf::kShtProgbits && sec.size == 0) ||
                 std::find(legacy.begin(), legacy.end(), &sec) != legacy.end();
    if (!known)
      object.diag(ir::Severity::Warning, "section-ignored",
                  "section '" + sec.name.str() + "' (" +
                      std::to_string(sec.size) +
                      " bytes) is not understood and not carried over",
                  sec.name.str(), ir::Location{sec.name.str(), 0});
  }
}

llvm::Error readCommon(const elf::File &file, ir::Object &object) {
  // Data sections are known by name everywhere downstream (maps, relocations,
  // the converter's output); two of one name would be confused.
  std::map<std::string, uint32_t> dataNames;
  for (const elf::Section &sec : file.sections()) {
    ir::DataKind kind;
    if (isProgramSection(sec) || !isDataSectionName(sec.name, kind))
      continue;
    auto [it, fresh] = dataNames.emplace(sec.name, sec.index);
    if (!fresh)
      return sectionError(sec.name, "data section name used twice (section "
                                    "indexes " +
                                        llvm::Twine(it->second) + " and " +
                                        llvm::Twine(sec.index) + ")");
  }
  if (llvm::Error err = readLicenseAndVersion(file, object))
    return err;
  readDataSections(file, object);
  reportIgnoredSections(file, object);
  return readBtfSections(file, object);
}

llvm::Error discoverPrograms(const elf::File &file, ir::Object &object,
                             ProgramGranularity granularity) {
  for (const elf::Section &sec : file.sections()) {
    if (!read::isProgramSection(sec))
      continue;
    llvm::Error err =
        granularity == ProgramGranularity::PerSymbol || sec.name == ".text"
            ? addProgramsPerSymbol(file, sec, object)
            : addWholeSectionProgram(file, sec, object);
    if (err)
      return err;
  }
  return llvm::Error::success();
}

llvm::Error collectRelocations(const elf::File &file, ir::Object &object) {
  RelocationTargets targets(object);
  for (const elf::Section *relSec : file.relocationSections()) {
    const elf::Section &target = *file.section(relSec->info);
    if (!read::isProgramSection(target))
      continue;
    llvm::ArrayRef<elf::Rel> rels = file.relocations(*relSec);
    for (size_t i = 0; i < rels.size(); ++i)
      if (llvm::Error err = classifyRelocation(file, object, targets, target,
                                               *relSec, rels[i], i * 16))
        return err;
  }
  for (ir::Program &prog : object.programs)
    std::stable_sort(prog.relocations.begin(), prog.relocations.end(),
                     [](const ir::Relocation &a, const ir::Relocation &b) {
                       return a.insn < b.insn;
                     });
  return llvm::Error::success();
}

void typePrograms(ir::Object &object, llvm::ArrayRef<SectionRules> rules) {
  for (ir::Program &prog : object.programs) {
    if (prog.subprogram)
      continue;
    std::optional<SectionType> type;
    for (SectionRules rule : rules)
      if ((type = classifySection(prog.section, rule)))
        break;
    if (!type) {
      object.diag(ir::Severity::Warning, "unknown-section-name",
                  "section name '" + prog.section +
                      "' does not determine a program type",
                  prog.name, ir::Location{prog.section, prog.sectionOffset});
      continue;
    }
    if (type->sloppy)
      object.diag(ir::Severity::Note, "legacy-section-name",
                  "section '" + prog.section +
                      "' is a legacy spelling libbpf 1.x rejects or types "
                      "differently; its libbpf 1.x spelling is '" +
                      type->canonical + "'",
                  prog.name, ir::Location{prog.section, prog.sectionOffset});
    prog.type = std::move(*type);
  }
}

std::vector<ir::Program *> entryPrograms(ir::Object &object) {
  std::vector<ir::Program *> out;
  for (ir::Program &prog : object.programs)
    if (!prog.subprogram)
      out.push_back(&prog);
  return out;
}

bool isTailCallSectionName(llvm::StringRef name, uint32_t *id, uint32_t *key) {
  // iproute2 parses "%i/%i": decimal, 0x hex or leading-0 octal.
  auto [idText, keyText] = name.split('/');
  if (keyText.empty() || keyText.contains('/'))
    return false;
  unsigned long long idValue, keyValue;
  if (llvm::getAsUnsignedInteger(idText, 0, idValue) ||
      llvm::getAsUnsignedInteger(keyText, 0, keyValue) ||
      idValue > UINT32_MAX || keyValue > UINT32_MAX)
    return false;
  if (id)
    *id = uint32_t(idValue);
  if (key)
    *key = uint32_t(keyValue);
  return true;
}

bool isPerfSectionName(llvm::StringRef name) {
  // Only the perf-specific shapes count: a probe definition (`=`) or a
  // `group:event` without the `/` of libbpf names such as uprobe/PATH:FUNC.
  bool shaped =
      name.contains('=') || (name.contains(':') && !name.contains('/'));
  return shaped && classifySection(name, SectionRules::Perf).has_value();
}

} // namespace bpfcompat::read
