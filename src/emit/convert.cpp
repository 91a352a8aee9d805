// The libbpf 1.x re-emitter. Steps, each a function below:
//   1. plan program sections (canonical names, merging equal names),
//   2. plan maps (pinning decisions, names),
//   3. build BTF (keep, drop the old map encoding, add `.maps` types),
//   4. lay out symbols, then relocations (instructions patched to match),
//   5. assemble sections and .BTF.ext, and serialise with libelf.
#include "bpfcompat/convert.h"

#include "bpfcompat/btf_builder.h"
#include "bpfcompat/elf_writer.h"
#include "bpfcompat/error.h"
#include "bpfcompat/names.h"

#include <llvm/Support/Endian.h>

#include <algorithm>
#include <linux/bpf.h>
#include <map>
#include <set>

namespace bpfcompat::convert {

namespace {

constexpr uint32_t kRelInsn64 = 1;  // R_BPF_64_64: ld_imm64
constexpr uint32_t kRelAbs64 = 2;   // R_BPF_64_ABS64: `values` slots
constexpr uint32_t kRelCall32 = 10; // R_BPF_64_32: call
constexpr uint32_t kShfWrite = 0x1, kShfAlloc = 0x2, kShfExec = 0x4;
constexpr uint32_t kShtNobits = 8;
constexpr uint8_t kSttNotype = 0, kSttObject = 1, kSttFunc = 2, kSttSection = 3;
constexpr uint8_t kStbLocal = 0, kStbGlobal = 1, kStbWeak = 2;

bool isMapInMap(uint32_t type) {
  return type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
         type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

// One emitted copy of a function: an entry program, a .text subprogram, or a
// callee copied into .text (libbpf links calls into .text only).
struct Placement {
  const ir::Program *prog = nullptr;
  size_t outSection = 0; // index into progSections_
  uint64_t offset = 0;   // byte offset of its first instruction
  std::string symbol;    // output symbol name
  bool entry = false;    // GLOBAL FUNC entry point, else a subprogram
  uint32_t symbolIndex = 0;
};

struct OutProgramSection {
  std::string name;
  uint64_t size = 0;
  std::vector<uint8_t> bytes;
};

struct PlannedMap {
  const ir::Map *map;
  std::string name; // output (kernel-safe) name
  bool pinByName = false;
  bool emitValues = false; // `values` member present
  uint32_t slotCount = 0;  // highest initialised slot + 1
  uint64_t offset = 0;     // in .maps
  uint64_t size = 0;       // st_size: members + slots
  uint64_t valuesOffset = 0;
  uint32_t symbol = 0; // 1-based output symbol index
};

class Converter {
public:
  Converter(const ir::Object &object, const Options &options)
      : in_(object), options_(options) {}

  llvm::Expected<Result> run();

private:
  // Plan
  void planPrograms();
  void planMaps();
  std::string pinRootOf(const ir::Map &map) const;
  std::string outputSectionName(const ir::Program &prog);
  // Build
  llvm::Error buildBtf();
  uint32_t mapDefinitionType(const ir::MapShape &shape, bool inner,
                             const PlannedMap *planned);
  void layoutSymbols();
  llvm::Error emitRelocations();
  std::vector<uint8_t> encodeExt();
  // Helpers
  void change(std::string code, std::string subject, std::string message,
              std::string action = {});
  void loss(std::string code, std::string subject, std::string message,
            std::string action = {});
  uint32_t addSymbol(elf::OutSymbol sym);
  std::set<const ir::Program *> calleesOutsideText() const;
  const ir::Program *calleeOf(const ir::Relocation &rel) const;
  const Placement *entryPlacement(const ir::Program &prog) const;
  const Placement *textPlacement(const ir::Program &prog) const;
  size_t outSectionNamed(const std::string &name);
  void writeInsn(std::vector<uint8_t> &bytes, uint64_t offset,
                 const ir::Insn &insn) const;

  const ir::Object &in_;
  Options options_;
  Report report_;
  bool be_ = false;

  std::vector<OutProgramSection> progSections_;
  std::vector<Placement> placements_;
  std::map<const ir::Program *, std::string> progSectionNames_;
  std::vector<PlannedMap> maps_;
  std::map<std::string, size_t> mapIndex_; // input map name -> maps_ index

  std::optional<btf::Builder> btf_;
  std::vector<elf::OutSymbol> locals_, globals_;
  // Output section indices (into outObject.sections), fixed by assemble().
  std::map<std::string, size_t> sectionIndex_;
  std::map<std::string, uint32_t> sectionSymbol_; // section -> symbol slot
  std::map<std::string, uint32_t> globalSymbol_;  // name -> symbol slot
  elf::OutObject out_;
  std::vector<elf::OutRel> mapsRelocations_;
};

void Converter::change(std::string code, std::string subject,
                       std::string message, std::string action) {
  report_.entries.push_back({ReportEntry::Kind::Change, std::move(code),
                             std::move(subject), std::move(message),
                             std::move(action)});
}

void Converter::loss(std::string code, std::string subject, std::string message,
                     std::string action) {
  report_.entries.push_back({ReportEntry::Kind::Loss, std::move(code),
                             std::move(subject), std::move(message),
                             std::move(action)});
}

std::string Converter::outputSectionName(const ir::Program &prog) {
  // tc forces the program type from its command line and selects programs by
  // section name: keeping the names keeps users' `tc ... sec NAME` working
  // (including `sec 42/0` for graft), and libbpf opens any name.
  if (options_.consumer == Consumer::Tc) {
    // graft selects by section only: a tail-call target sharing its section
    // with other programs gets one of its own.
    size_t inSection = std::count_if(
        in_.programs.begin(), in_.programs.end(), [&](const ir::Program &p) {
          return !p.subprogram && p.section == prog.section;
        });
    bool slotTarget =
        std::any_of(in_.maps.begin(), in_.maps.end(), [&](const ir::Map &map) {
          return map.shape.type == BPF_MAP_TYPE_PROG_ARRAY &&
                 std::any_of(map.slots.begin(), map.slots.end(),
                             [&](const ir::Slot &slot) {
                               return slot.target == prog.name;
                             });
        });
    return slotTarget && inSection > 1
               ? prog.section + "/" + kernelSafeName(prog.name)
               : prog.section;
  }
  const SectionType &type = prog.type;
  if (type.canonical.empty()) {
    loss("program-type-unknown", prog.name,
         "section '" + prog.section +
             "' names no program type; kept as is, libbpf leaves it "
             "unspecified",
         "call bpf_program__set_type() before loading, or rename the section");
    return prog.section;
  }
  return (type.autoload ? "" : "?") + type.canonical;
}

const ir::Program *Converter::calleeOf(const ir::Relocation &rel) const {
  for (const ir::Program &prog : in_.programs)
    if (prog.section == rel.targetSection &&
        rel.offset >= prog.sectionOffset / 8 &&
        rel.offset < prog.sectionOffset / 8 + prog.insns.size())
      return &prog;
  return nullptr;
}

// Functions outside .text that code calls or takes the address of
// (cilium/ebpf allows that), and what they call in turn.
std::set<const ir::Program *> Converter::calleesOutsideText() const {
  std::set<const ir::Program *> out;
  std::vector<const ir::Program *> work;
  for (const ir::Program &prog : in_.programs)
    work.push_back(&prog);
  while (!work.empty()) {
    const ir::Program *prog = work.back();
    work.pop_back();
    for (const ir::Relocation &rel : prog->relocations) {
      if ((rel.kind != ir::RelocKind::Call &&
           rel.kind != ir::RelocKind::FuncAddr) ||
          rel.targetSection == ".text")
        continue;
      const ir::Program *callee = calleeOf(rel);
      if (callee && out.insert(callee).second)
        work.push_back(callee);
    }
  }
  return out;
}

size_t Converter::outSectionNamed(const std::string &name) {
  for (size_t i = 0; i < progSections_.size(); ++i)
    if (progSections_[i].name == name)
      return i;
  progSections_.push_back({name, 0, {}});
  return progSections_.size() - 1;
}

void Converter::planPrograms() {
  std::set<const ir::Program *> moved = calleesOutsideText();

  // Entry programs grouped by input section, in object order. A function
  // that is only ever called (no program type) is not an entry program.
  std::vector<std::string> inputSections;
  std::map<std::string, std::vector<const ir::Program *>> bySection;
  for (const ir::Program &prog : in_.programs) {
    if (prog.subprogram)
      continue;
    if (moved.count(&prog) && prog.type.progType == 0) {
      loss("untyped-callee-not-an-entry", prog.name,
           "'" + prog.name + "' (section '" + prog.section +
               "', no program type) is called by other programs and becomes "
               "a .text subprogram; it is no longer an entry program");
      continue;
    }
    if (!bySection.count(prog.section))
      inputSections.push_back(prog.section);
    bySection[prog.section].push_back(&prog);
  }
  for (const std::string &section : inputSections) {
    const std::vector<const ir::Program *> &progs = bySection[section];
    std::string outName = outputSectionName(*progs.front());
    if (outName != section)
      change("section-renamed", progs.front()->name,
             "section '" + section + "' renamed to '" + outName + "'");
    bool merged = std::any_of(
        progSections_.begin(), progSections_.end(),
        [&](const OutProgramSection &s) { return s.name == outName; });
    if (merged)
      change("sections-merged", progs.front()->name,
             "section '" + section + "' appended to '" + outName +
                 "' (one section per libbpf name)");
    OutProgramSection &out = progSections_[outSectionNamed(outName)];
    uint64_t base = (out.size + 7) / 8 * 8;
    for (const ir::Program *prog : progs) {
      progSectionNames_[prog] = outName;
      placements_.push_back({prog, outSectionNamed(outName),
                             base + prog->sectionOffset, "", true});
      out.size = std::max(out.size,
                          base + prog->sectionOffset + prog->insns.size() * 8);
    }
  }

  // .text keeps its layout (calls address it by instruction index); moved
  // callees are appended after it.
  std::vector<Placement> text;
  uint64_t textSize = 0;
  for (const ir::Program &prog : in_.programs)
    if (prog.subprogram) {
      text.push_back({&prog, 0, prog.sectionOffset, "", false});
      textSize = std::max(textSize, prog.sectionOffset + prog.insns.size() * 8);
    }
  for (const ir::Program &prog : in_.programs) {
    if (!moved.count(&prog))
      continue;
    text.push_back({&prog, 0, textSize, "", false});
    textSize += prog.insns.size() * 8;
    change("callee-moved-to-text", prog.name,
           "'" + prog.name +
               "' is called from other programs but lives in "
               "section '" +
               prog.section + "'; copied into .text, where libbpf links calls");
  }
  if (!text.empty()) {
    size_t index = outSectionNamed(".text");
    progSections_[index].size = textSize;
    for (Placement &p : text) {
      p.outSection = index;
      placements_.push_back(std::move(p));
    }
  }

  // Symbol names: kernel-safe and unique across all placements.
  std::set<std::string> taken;
  for (Placement &p : placements_) {
    std::string name = kernelSafeName(p.prog->name);
    std::string unique = name;
    for (int n = 2; taken.count(unique); ++n)
      unique = name + "_" + std::to_string(n);
    taken.insert(unique);
    if (p.entry && unique != p.prog->name)
      change("program-renamed", p.prog->name,
             "program '" + p.prog->name + "' is named '" + unique +
                 "' (kernel object names allow [A-Za-z0-9_.])");
    p.symbol = unique;
  }
  for (OutProgramSection &sec : progSections_)
    sec.bytes.assign(sec.size, 0);
  for (const Placement &p : placements_)
    for (size_t i = 0; i < p.prog->insns.size(); ++i)
      writeInsn(progSections_[p.outSection].bytes, p.offset + i * 8,
                p.prog->insns[i]);
}

// The pin_root_path under which LIBBPF_PIN_BY_NAME reproduces the map's
// source pin path ("" when not pinned). Object-namespace and custom pins of
// iproute2 land with its globals, the closest equivalent.
std::string Converter::pinRootOf(const ir::Map &map) const {
  switch (map.pinning.kind) {
  case ir::PinKind::ByName:
    return options_.bpffs;
  case ir::PinKind::Iproute2Global:
  case ir::PinKind::Iproute2Object:
  case ir::PinKind::Iproute2Custom:
    return options_.bpffs + "/tc/globals";
  case ir::PinKind::GobpfGlobal:
    return options_.bpffs + "/" + map.pinning.gobpfNamespace + "/globals";
  case ir::PinKind::None:
  case ir::PinKind::GobpfObject:
  case ir::PinKind::GobpfCustom:
    break;
  }
  return "";
}

// The object's pin root: the one that reproduces its maps' source paths.
void Converter::planMaps() {
  std::set<std::string> roots;
  for (const ir::Map &map : in_.maps)
    if (std::string root = pinRootOf(map); !root.empty())
      roots.insert(root);
  // tc on libbpf always pins under <bpffs>/tc/globals.
  if (options_.pinRoot)
    report_.pinRoot = *options_.pinRoot;
  else if (options_.consumer == Consumer::Tc)
    report_.pinRoot = options_.bpffs + "/tc/globals";
  else
    report_.pinRoot = roots.empty() ? options_.bpffs : *roots.begin();

  std::set<std::string> taken;
  for (const ir::Map &map : in_.maps) {
    PlannedMap planned{&map, kernelSafeName(map.name)};
    for (int n = 2; taken.count(planned.name); ++n)
      planned.name = kernelSafeName(map.name) + "_" + std::to_string(n);
    taken.insert(planned.name);
    if (planned.name != map.name)
      change("map-renamed", map.name,
             "map '" + map.name + "' is named '" + planned.name + "'");
    if (map.origin.section != ".maps")
      change("map-to-btf", map.name,
             "legacy definition re-encoded as a BTF-defined map in .maps");
    std::string path = report_.pinRoot + "/" + planned.name;
    // One object has one pin_root_path: maps pinned elsewhere move.
    std::string sourceRoot = pinRootOf(map);
    if (!sourceRoot.empty() && sourceRoot != report_.pinRoot &&
        map.pinning.kind != ir::PinKind::Iproute2Object &&
        map.pinning.kind != ir::PinKind::Iproute2Custom)
      loss("pin-root-conflict", map.name,
           "pinned under " + sourceRoot +
               " in the source, but the object's "
               "pin_root_path is " +
               report_.pinRoot,
           "call bpf_map__set_pin_path(map, \"" + sourceRoot + "/" +
               planned.name + "\") at run time");
    switch (map.pinning.kind) {
    case ir::PinKind::None:
      break;
    case ir::PinKind::ByName:
      planned.pinByName = true;
      break;
    case ir::PinKind::Iproute2Global:
    case ir::PinKind::GobpfGlobal:
      planned.pinByName = true;
      change("pin-global-by-name", map.name,
             "global pinning becomes LIBBPF_PIN_BY_NAME",
             "open with pin_root_path=" + report_.pinRoot + " (pins at " +
                 path + "); tc on libbpf does this itself");
      break;
    case ir::PinKind::Iproute2Object:
      planned.pinByName = true;
      loss("pin-object-ns-not-expressible", map.name,
           "iproute2 PIN_OBJECT_NS (" + options_.bpffs + "/tc/" + in_.sha1 +
               "/" + map.name +
               ") has no libbpf form; pinned by name instead, which shares "
               "the map with every object using that name",
           "for per-object isolation call bpf_map__set_pin_path(map, \"" +
               options_.bpffs + "/tc/" + in_.sha1 + "/" + map.name +
               "\") at run time");
      break;
    case ir::PinKind::Iproute2Custom:
      planned.pinByName = true;
      loss("pin-custom-not-expressible", map.name,
           "iproute2 custom pinning id " +
               std::to_string(map.pinning.customId) +
               " (a subpath from /etc/iproute2/bpf_pinning) has no libbpf "
               "form; pinned by name under " +
               report_.pinRoot,
           "call bpf_map__set_pin_path(map, \"" + options_.bpffs +
               "/<subpath of id " + std::to_string(map.pinning.customId) +
               ">/" + map.name + "\") at run time");
      break;
    case ir::PinKind::GobpfCustom:
      loss("gobpf-pin-custom-not-expressible", map.name,
           "gobpf PIN_CUSTOM_NS took its path from Go code; not pinned",
           "call bpf_map__set_pin_path() with the path the Go code used");
      break;
    case ir::PinKind::GobpfObject:
      loss("gobpf-pin-object-dropped", map.name,
           "gobpf never implemented PIN_OBJECT_NS (loading failed); not "
           "pinned");
      break;
    }
    if (!map.extras.unknownTail.empty())
      loss("map-tail-dropped", map.name,
           std::to_string(map.extras.unknownTail.size()) +
               " unknown non-zero definition bytes have no BTF member");
    if (!map.innerFromMap.empty())
      change("inner-map-inlined", map.name,
             "inner map template from '" + map.innerFromMap +
                 "' declared inline with __array(values, ...)");
    bool progArray = map.shape.type == BPF_MAP_TYPE_PROG_ARRAY;
    bool programSlots = progArray && !map.slots.empty();
    if (programSlots && options_.consumer == Consumer::Tc) {
      // tc loads one program; a `values` slot naming another fails there.
      if (!planned.pinByName)
        change("prog-array-pinned", map.name,
               "prog array pinned by name so graft can find it");
      planned.pinByName = true;
      for (const ir::Slot &slot : map.slots) {
        const ir::Program *prog = in_.findProgram(slot.target);
        if (!prog)
          continue;
        if (const Placement *p = entryPlacement(*prog))
          report_.grafts.push_back({planned.name, slot.index,
                                    progSectionNames_.at(prog), p->symbol});
      }
      change("tail-calls-graft", map.name,
             std::to_string(map.slots.size()) +
                 " tail-call slots left for tc exec bpf graft",
             "run the graft commands of this report after attaching");
    } else {
      bool hasTemplate = map.inner.has_value();
      if (isMapInMap(map.shape.type) && !hasTemplate)
        loss("map-in-map-no-template", map.name,
             "map-in-map without an inner map template; libbpf cannot "
             "create it",
             "declare the inner map with __array(values, struct {...})");
      planned.emitValues =
          (isMapInMap(map.shape.type) && hasTemplate) || programSlots;
      for (const ir::Slot &slot : map.slots)
        planned.slotCount = std::max(planned.slotCount, slot.index + 1);
      if (!map.slots.empty() && map.origin.section != ".maps")
        change(progArray ? "tail-calls-to-values" : "map-in-map-to-values",
               map.name,
               std::to_string(map.slots.size()) +
                   " initial slots expressed as `values`");
    }
    mapIndex_[map.name] = maps_.size();
    maps_.push_back(std::move(planned));
  }
}

const Placement *Converter::entryPlacement(const ir::Program &prog) const {
  for (const Placement &p : placements_)
    if (p.prog == &prog && p.entry)
      return &p;
  return nullptr;
}

const Placement *Converter::textPlacement(const ir::Program &prog) const {
  for (const Placement &p : placements_)
    if (p.prog == &prog && !p.entry)
      return &p;
  return nullptr;
}

void Converter::writeInsn(std::vector<uint8_t> &bytes, uint64_t offset,
                          const ir::Insn &insn) const {
  uint8_t *p = bytes.data() + offset;
  p[0] = insn.code;
  p[1] = be_ ? uint8_t(insn.dst << 4 | insn.src)
             : uint8_t(insn.src << 4 | insn.dst);
  if (be_) {
    llvm::support::endian::write16be(p + 2, uint16_t(insn.off));
    llvm::support::endian::write32be(p + 4, uint32_t(insn.imm));
  } else {
    llvm::support::endian::write16le(p + 2, uint16_t(insn.off));
    llvm::support::endian::write32le(p + 4, uint32_t(insn.imm));
  }
}

// One STRUCT per map, members in canonical order (§12.0 step 2), each an
// 8-byte slot; `values` last.
uint32_t Converter::mapDefinitionType(const ir::MapShape &shape, bool inner,
                                      const PlannedMap *planned) {
  btf::Builder &b = *btf_;
  uint32_t intId = b.intType("int", 4, true);
  uint32_t indexId = b.intType("__ARRAY_SIZE_TYPE__", 4, false);
  btf::Type def;
  def.kind = btf::Kind::Struct;
  auto uintMember = [&](const char *name, uint64_t value) {
    uint32_t arr = b.arrayOf(intId, indexId, uint32_t(value));
    def.members.push_back(
        {name, b.ptrTo(arr), uint32_t(def.members.size() * 64), 0});
  };
  auto typeMember = [&](const char *name, uint32_t typeId) {
    def.members.push_back(
        {name, b.ptrTo(typeId), uint32_t(def.members.size() * 64), 0});
  };
  uintMember("type", shape.type);
  uint32_t keyType = shape.btfKeyTypeId ? b.mappedId(shape.btfKeyTypeId) : 0;
  uint32_t valueType =
      shape.btfValueTypeId ? b.mappedId(shape.btfValueTypeId) : 0;
  bool values = planned && planned->emitValues;
  if (keyType)
    typeMember("key", keyType);
  else
    uintMember("key_size", shape.keySize);
  if (valueType && !values)
    typeMember("value", valueType);
  else if (!values)
    uintMember("value_size", shape.valueSize);
  uintMember("max_entries", shape.maxEntries);
  if (shape.flags)
    uintMember("map_flags", shape.flags);
  if (shape.numaNode)
    uintMember("numa_node", *shape.numaNode);
  if (!inner && planned && planned->pinByName)
    uintMember("pinning", 1);
  if (shape.mapExtra)
    uintMember("map_extra", shape.mapExtra);
  def.size = uint32_t(def.members.size() * 8);
  if (values) {
    uint32_t elem;
    if (isMapInMap(shape.type)) {
      elem = mapDefinitionType(*planned->map->inner, true, nullptr);
    } else {
      // int (void *ctx): what __array(values, int (void *)) produces.
      btf::Type proto;
      proto.kind = btf::Kind::FuncProto;
      proto.type = intId;
      proto.members.push_back({"", b.ptrTo(0), 0, 0});
      elem = b.add(std::move(proto));
    }
    uint32_t arr = b.arrayOf(b.ptrTo(elem), indexId, 0);
    def.members.push_back(
        {"values", arr, uint32_t(def.members.size() * 64), 0});
  }
  return b.add(std::move(def));
}

llvm::Error Converter::buildBtf() {
  std::set<uint32_t> dropRoots, keepRoots;
  std::set<std::string> emittedSections = {"license", "version"};
  if (!in_.kernelVersion || *in_.kernelVersion == ir::kCurrentKernelVersion)
    emittedSections.erase("version");
  if (!in_.license)
    emittedSections.erase("license");
  for (const ir::DataSection &data : in_.data)
    emittedSections.insert(data.name);
  if (in_.btf) {
    const btf::Btf &old = *in_.btf;
    for (const btf::Type &t : old.types()) {
      llvm::StringRef name = t.name;
      bool staleDatasec = t.kind == btf::Kind::Datasec && name != ".kconfig" &&
                          name != ".ksyms" &&
                          !emittedSections.count(name.str());
      if (staleDatasec || (t.kind == btf::Kind::Datasec && name == ".maps")) {
        dropRoots.insert(t.id);
        for (const btf::VarSecinfo &info : t.secinfos)
          dropRoots.insert(info.type);
      }
      if (t.kind == btf::Kind::Struct && name.startswith("____btf_map_"))
        dropRoots.insert(t.id);
    }
    for (const ir::Map &map : in_.maps)
      for (const ir::MapShape *shape :
           {&map.shape, map.inner ? &*map.inner : nullptr})
        if (shape) {
          if (shape->btfKeyTypeId)
            keepRoots.insert(shape->btfKeyTypeId);
          if (shape->btfValueTypeId)
            keepRoots.insert(shape->btfValueTypeId);
        }
    btf_ = btf::Builder::fromExisting(old, dropRoots, keepRoots);
    for (const ir::Map &map : in_.maps)
      if (map.shape.btfKeyTypeId && map.origin.section != ".maps")
        change("kv-pair-to-btf", map.name,
               "BPF_ANNOTATE_KV_PAIR key/value types become __type(key/value)");
  } else {
    btf_.emplace();
    change("btf-synthesised", "",
           "the input has no BTF; a minimal .BTF describing the maps was "
           "synthesised");
  }

  // Lay out `.maps`: each definition 8-aligned, then its `values` slots.
  btf::Type datasec;
  datasec.kind = btf::Kind::Datasec;
  datasec.name = ".maps";
  uint64_t offset = 0;
  for (PlannedMap &pm : maps_) {
    uint32_t structId = mapDefinitionType(pm.map->shape, false, &pm);
    // A copy: adding types below may move the builder's storage.
    uint32_t structSize = btf_->type(structId)->size;
    btf::Type var;
    var.kind = btf::Kind::Var;
    var.name = pm.name;
    var.type = structId;
    var.linkage = 1; // global allocated, as libbpf requires
    uint32_t varId = btf_->add(std::move(var));
    pm.offset = offset;
    pm.valuesOffset = offset + structSize;
    pm.size = structSize + uint64_t(pm.slotCount) * 8;
    datasec.secinfos.push_back({varId, uint32_t(pm.offset), uint32_t(pm.size)});
    offset += pm.size;
  }
  datasec.size = uint32_t(offset);
  if (!maps_.empty())
    btf_->add(std::move(datasec));
  return llvm::Error::success();
}

uint32_t Converter::addSymbol(elf::OutSymbol sym) {
  // Slots are resolved to final indices once locals and globals are known:
  // locals occupy [1, L], globals follow. Encode as signed slots here.
  if (sym.binding == kStbLocal) {
    locals_.push_back(std::move(sym));
    return uint32_t(locals_.size());
  }
  globals_.push_back(std::move(sym));
  return 0x80000000u | uint32_t(globals_.size());
}

void Converter::layoutSymbols() {
  // Output sections: programs (incl. .text), license, version, data, .maps.
  for (const OutProgramSection &sec : progSections_) {
    sectionIndex_[sec.name] = out_.sections.size();
    out_.sections.push_back({sec.name, 1, kShfAlloc | kShfExec, 8, {}, 0});
  }
  if (in_.license) {
    std::vector<uint8_t> bytes(in_.license->begin(), in_.license->end());
    bytes.push_back(0);
    sectionIndex_["license"] = out_.sections.size();
    out_.sections.push_back({"license", 1, kShfAlloc | kShfWrite, 1, bytes, 0});
  }
  bool keepVersion =
      in_.kernelVersion && *in_.kernelVersion != ir::kCurrentKernelVersion;
  if (in_.kernelVersion && !keepVersion)
    change("version-dropped", "",
           "version 0xFFFFFFFE (\"running kernel\") dropped: libbpf would pass "
           "it literally; without it libbpf uses the running kernel");
  if (keepVersion) {
    std::vector<uint8_t> bytes(4);
    be_ ? llvm::support::endian::write32be(bytes.data(), *in_.kernelVersion)
        : llvm::support::endian::write32le(bytes.data(), *in_.kernelVersion);
    sectionIndex_["version"] = out_.sections.size();
    out_.sections.push_back({"version", 1, kShfAlloc | kShfWrite, 4, bytes, 0});
  }
  for (const ir::DataSection &data : in_.data) {
    sectionIndex_[data.name] = out_.sections.size();
    bool bss = data.kind == ir::DataKind::Bss;
    uint64_t flags = kShfAlloc;
    if (data.kind != ir::DataKind::Rodata)
      flags |= kShfWrite;
    out_.sections.push_back({data.name, bss ? kShtNobits : 1, flags, 8,
                             data.bytes, bss ? data.size : 0});
  }
  if (!maps_.empty()) {
    sectionIndex_[".maps"] = out_.sections.size();
    uint64_t size = maps_.back().offset + maps_.back().size;
    out_.sections.push_back({".maps", 1, kShfAlloc | kShfWrite, 8,
                             std::vector<uint8_t>(size, 0), 0});
  }
  auto shndx = [&](const std::string &section) {
    return uint16_t(sectionIndex_.at(section) + 1);
  };

  // Section symbols: what data and code relocations point at.
  for (const char *name : {".text"})
    if (sectionIndex_.count(name))
      sectionSymbol_[name] =
          addSymbol({"", 0, 0, kSttSection, kStbLocal, 0, shndx(name)});
  for (const ir::DataSection &data : in_.data)
    sectionSymbol_[data.name] =
        addSymbol({"", 0, 0, kSttSection, kStbLocal, 0, shndx(data.name)});
  // Programs: entry points GLOBAL (libbpf ignores others), .text as it was.
  for (Placement &p : placements_) {
    uint8_t binding = !p.entry && p.prog->localSymbol ? kStbLocal : kStbGlobal;
    p.symbolIndex =
        addSymbol({p.symbol, p.offset, p.prog->insns.size() * 8, kSttFunc,
                   binding, 0, shndx(progSections_[p.outSection].name)});
  }
  // Data variables keep their names: libbpf matches BTF VARs to them.
  for (const ir::DataSection &data : in_.data)
    for (const ir::Variable &var : data.variables)
      addSymbol({var.name, var.offset, var.size, kSttObject,
                 var.global ? kStbGlobal : kStbLocal, 0, shndx(data.name)});
  // license/version VARs likewise (named from the kept DATASECs).
  for (const char *name : {"license", "version"}) {
    if (!sectionIndex_.count(name))
      continue;
    std::string varName = std::string("_") + name;
    if (in_.btf)
      if (const btf::Type *ds = in_.btf->findByName(name, btf::Kind::Datasec);
          ds && ds->secinfos.size() == 1)
        if (const btf::Type *var = in_.btf->type(ds->secinfos[0].type))
          varName = var->name;
    addSymbol({varName, 0, out_.sections[sectionIndex_[name]].bytes.size(),
               kSttObject, kStbGlobal, 0, shndx(name)});
  }
  for (PlannedMap &pm : maps_)
    pm.symbol = addSymbol({pm.name, pm.offset, pm.size, kSttObject, kStbGlobal,
                           0, shndx(".maps")});
  for (const ir::Extern &ext : in_.externs)
    globalSymbol_["extern:" + ext.name] = addSymbol(
        {ext.name, 0, 0, kSttNotype, ext.weak ? kStbWeak : kStbGlobal, 0, 0});
}

llvm::Error Converter::emitRelocations() {
  std::map<size_t, std::vector<elf::OutRel>> bySection;
  for (const Placement &p : placements_) {
    std::vector<uint8_t> &bytes = progSections_[p.outSection].bytes;
    const ir::Program &prog = *p.prog;
    for (const ir::Relocation &rel : prog.relocations) {
      ir::Insn insn = prog.insns[rel.insn];
      uint64_t at = p.offset + uint64_t(rel.insn) * 8;
      elf::OutRel out;
      out.offset = at;
      out.type = kRelInsn64;
      switch (rel.kind) {
      case ir::RelocKind::MapFd: {
        out.symbol = maps_[mapIndex_.at(rel.target)].symbol;
        insn.imm = 0;
        ir::Insn hi = prog.insns[rel.insn + 1];
        hi.imm = 0;
        writeInsn(bytes, at + 8, hi);
        break;
      }
      case ir::RelocKind::MapValue:
        out.symbol = sectionSymbol_.at(rel.target);
        insn.imm = int32_t(rel.offset);
        break;
      case ir::RelocKind::Call:
      case ir::RelocKind::FuncAddr: {
        // Every callee is in the output .text, original or copied. Output
        // .text holds only functions, so a target in no function (bytes no
        // symbol covers) would point past it or into another function.
        const ir::Program *callee = calleeOf(rel);
        bool inText = rel.targetSection == ".text";
        const Placement *copy =
            callee && !inText ? textPlacement(*callee) : nullptr;
        if (!callee || (!inText && !copy))
          return makeError("program '" + prog.name + "' calls insn #" +
                           llvm::Twine(rel.offset) + " of section '" +
                           rel.targetSection + "', which is no function");
        uint64_t target =
            copy ? copy->offset / 8 + rel.offset - callee->sectionOffset / 8
                 : rel.offset;
        out.symbol = sectionSymbol_.at(".text");
        if (rel.kind == ir::RelocKind::Call) {
          out.type = kRelCall32;
          insn.imm = int32_t(target) - 1;
        } else {
          insn.imm = int32_t(target * 8);
        }
        break;
      }
      case ir::RelocKind::ExternVar:
      case ir::RelocKind::Kfunc:
        out.symbol = globalSymbol_.at("extern:" + rel.target);
        if (rel.kind == ir::RelocKind::Kfunc)
          out.type = kRelCall32;
        break;
      }
      writeInsn(bytes, at, insn);
      bySection[p.outSection].push_back(out);
    }
  }
  for (auto &[section, rels] : bySection) {
    std::sort(rels.begin(), rels.end(),
              [](const elf::OutRel &a, const elf::OutRel &b) {
                return a.offset < b.offset;
              });
    out_.relocations.emplace_back(sectionIndex_.at(progSections_[section].name),
                                  std::move(rels));
  }
  // `values` slots: ABS64 relocations in .rel.maps.
  std::vector<elf::OutRel> mapRels;
  for (const PlannedMap &pm : maps_) {
    if (!pm.emitValues)
      continue;
    for (const ir::Slot &slot : pm.map->slots) {
      uint32_t symbol;
      if (slot.kind == ir::Slot::Kind::Map)
        symbol = maps_[mapIndex_.at(slot.target)].symbol;
      else if (const ir::Program *prog = in_.findProgram(slot.target);
               prog && entryPlacement(*prog))
        symbol = entryPlacement(*prog)->symbolIndex;
      else
        return makeError("map '" + pm.map->name + "' slot " +
                         llvm::Twine(slot.index) + " names unknown program '" +
                         slot.target + "'");
      mapRels.push_back(
          {pm.valuesOffset + uint64_t(slot.index) * 8, symbol, kRelAbs64});
    }
  }
  std::sort(mapRels.begin(), mapRels.end(),
            [](const elf::OutRel &a, const elf::OutRel &b) {
              return a.offset < b.offset;
            });
  if (!mapRels.empty())
    out_.relocations.emplace_back(sectionIndex_.at(".maps"),
                                  std::move(mapRels));
  return llvm::Error::success();
}

// Each placement takes the records of its function's instruction range, so
// merged sections and copied callees keep func/line info and CO-RE records.
std::vector<uint8_t> Converter::encodeExt() {
  if (!in_.btfExt)
    return {};
  std::vector<btf::ExtSection> sections(progSections_.size());
  for (size_t i = 0; i < progSections_.size(); ++i)
    sections[i].name = progSections_[i].name;
  for (const Placement &p : placements_) {
    uint32_t first = uint32_t(p.prog->sectionOffset / 8);
    uint32_t end = first + uint32_t(p.prog->insns.size());
    uint32_t base = uint32_t(p.offset / 8);
    btf::ExtSection &out = sections[p.outSection];
    auto copy = [&](const auto &bySection, auto &into, auto remap) {
      for (const auto &recs : bySection) {
        if (recs.section != p.prog->section)
          continue;
        for (auto record :
             btf::recordsNear(recs.records, recs.sorted, first, end))
          if (record.insnOff >= first && record.insnOff < end) {
            record.insnOff = base + (record.insnOff - first);
            remap(record);
            into.push_back(std::move(record));
          }
      }
    };
    copy(in_.btfExt->funcInfo, out.funcInfo,
         [&](btf::FuncInfo &r) { r.typeId = btf_->mappedId(r.typeId); });
    copy(in_.btfExt->lineInfo, out.lineInfo, [](btf::LineInfo &) {});
    copy(in_.btfExt->coreRelos, out.coreRelos,
         [&](btf::CoreRelo &r) { r.typeId = btf_->mappedId(r.typeId); });
  }
  auto byInsn = [](const auto &a, const auto &b) {
    return a.insnOff < b.insnOff;
  };
  for (btf::ExtSection &s : sections) {
    btf::stableSortIfUnsorted(s.funcInfo, byInsn);
    btf::stableSortIfUnsorted(s.lineInfo, byInsn);
    btf::stableSortIfUnsorted(s.coreRelos, byInsn);
  }
  return btf::encodeExt(sections, *btf_, be_);
}

llvm::Expected<Result> Converter::run() {
  // BTF-defined maps must name a type (libbpf and our reader refuse one
  // without); legacy definitions can hold 0, which has no 1.x spelling.
  for (const ir::Map &map : in_.maps)
    for (const ir::MapShape *shape :
         {&map.shape, map.inner ? &*map.inner : nullptr})
      if (shape && shape->type == 0)
        return makeError("map '" + map.name + "'" +
                         (shape == &map.shape ? "" : " (inner map)") +
                         " has map type 0 (BPF_MAP_TYPE_UNSPEC), which a "
                         "libbpf 1.x object cannot declare");
  be_ = in_.byteOrder == ir::ByteOrder::Big;
  report_.input = in_.path;
  report_.source = in_.verdict.convention;
  report_.consumer = options_.consumer;
  for (const ir::Diagnostic &d : in_.diagnostics) {
    if (d.severity != ir::Severity::Note)
      report_.sourceDiagnostics.push_back(d);
    // What the reader saw but the IR (and so the output) does not carry.
    if (d.severity == ir::Severity::Error)
      loss("source-refused", d.subject,
           "the source's own loader refuses it (" + d.code + "): " + d.message,
           "the output drops what made it invalid; check it is what you "
           "meant");
    else if (d.code == "btf-map-unknown-field")
      loss("map-field-dropped", d.subject, d.message);
    else if (d.code == "section-ignored")
      loss("section-dropped", d.subject, d.message);
  }
  for (const ir::Program &prog : in_.programs)
    for (const std::string &lost : prog.type.lost)
      loss("perf-not-expressible", prog.name,
           lost + " has no libbpf 1.x equivalent",
           llvm::StringRef(lost).startswith("perf probe arguments")
               ? "rewrite the program to read its arguments itself "
                 "(BPF_KPROBE)"
               : "none possible: libbpf attaches by function name only");

  planPrograms();
  planMaps();
  if (llvm::Error err = buildBtf())
    return err;
  if (in_.verdict.convention == ir::Convention::Zig && in_.license)
    change("license-added", "",
           "license \"" + *in_.license +
               "\" written out: the Zig loader hard-coded it");

  layoutSymbols();
  // Final symbol indices: locals first, then globals.
  uint32_t nLocals = uint32_t(locals_.size());
  auto finalIndex = [&](uint32_t slot) {
    return slot & 0x80000000u ? nLocals + (slot & 0x7fffffffu) : slot;
  };
  for (PlannedMap &pm : maps_)
    pm.symbol = finalIndex(pm.symbol);
  for (auto &[key, slot] : sectionSymbol_)
    slot = finalIndex(slot);
  for (auto &[key, slot] : globalSymbol_)
    slot = finalIndex(slot);
  for (Placement &p : placements_)
    p.symbolIndex = finalIndex(p.symbolIndex);
  if (llvm::Error err = emitRelocations())
    return err;
  // Program bytes were patched by emitRelocations.
  for (size_t i = 0; i < progSections_.size(); ++i)
    out_.sections[sectionIndex_.at(progSections_[i].name)].bytes =
        progSections_[i].bytes;

  std::vector<uint8_t> ext = encodeExt();
  std::vector<uint8_t> btfBytes = btf_->encode(be_);
  out_.sections.push_back({".BTF", 1, 0, 4, std::move(btfBytes), 0});
  if (!ext.empty())
    out_.sections.push_back({".BTF.ext", 1, 0, 4, std::move(ext), 0});

  out_.symbols = locals_;
  out_.symbols.insert(out_.symbols.end(), globals_.begin(), globals_.end());
  out_.bigEndian = be_;
  auto bytes = elf::writeObject(out_);
  if (!bytes)
    return bytes.takeError();
  return Result{std::move(*bytes), std::move(report_)};
}

} // namespace

bool Report::hasLoss() const {
  return std::any_of(entries.begin(), entries.end(), [](const ReportEntry &e) {
    return e.kind == ReportEntry::Kind::Loss;
  });
}

std::vector<std::string> Report::graftCommands() const {
  std::vector<std::string> out;
  for (const Graft &g : grafts)
    out.push_back("tc exec bpf graft m:globals/" + g.progArray + " key " +
                  std::to_string(g.key) + " obj " + output + " sec " +
                  g.section);
  return out;
}

llvm::Expected<Result> convertObject(const ir::Object &object,
                                     const Options &options) {
  return Converter(object, options).run();
}

} // namespace bpfcompat::convert
