// iproute2 (tc/ip) legacy loader: struct bpf_elf_map (36 bytes), whole-section
// programs typed by the command line, `ID/KEY` tail-call sections and
// map-in-map by id/inner_id/inner_idx (CONVENTIONS §4).
#include <linux/bpf.h>

#include "formats.h"
#include "ir/read_support.h"

namespace bpfcompat::plugins {

namespace {

enum Field { kId = 5, kPinning = 6, kInnerId = 7, kInnerIdx = 8 };
constexpr uint32_t kPinObjectNs = 1;
constexpr uint32_t kPinGlobalNs = 2;
constexpr uint32_t kNoInsert = 0xFFFFFFFF;

bool isTailCallName(llvm::StringRef name) {
  return read::isTailCallSectionName(name);
}
bool isIproute2DefaultName(llvm::StringRef name) {
  return name == "classifier" || name == "action" || name == "prog";
}
bool isMapInMap(uint32_t type) {
  return type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
         type == BPF_MAP_TYPE_HASH_OF_MAPS;
}

ir::Pinning pinningFor(uint32_t value) {
  ir::Pinning pin;
  if (value == kPinObjectNs)
    pin.kind = ir::PinKind::Iproute2Object;
  else if (value == kPinGlobalNs)
    pin.kind = ir::PinKind::Iproute2Global;
  else if (value != 0) {
    pin.kind = ir::PinKind::Iproute2Custom;
    pin.customId = value;
  }
  return pin;
}

// The type tc/ip would force for a section it was pointed at; libbpf 1.x
// names keep their meaning, iproute2's own defaults map to the command that
// used them.
SectionType iproute2Type(llvm::StringRef section, bool &assumed) {
  assumed = false;
  if (auto exact = classifySection(section, SectionRules::Libbpf1))
    return *exact;
  SectionType type;
  if (section == "action") {
    type.progType = BPF_PROG_TYPE_SCHED_ACT;
    type.canonical = "action";
  } else if (section == "prog") {
    // `ip link ... xdp` default section; `ip route ... encap bpf` (lwt) also
    // used it, which only the command line can tell.
    type.progType = BPF_PROG_TYPE_XDP;
    type.canonical = "xdp";
    assumed = true;
  } else {
    type.progType = BPF_PROG_TYPE_SCHED_CLS;
    type.canonical = "classifier";
    assumed = section != "classifier";
  }
  return type;
}

class Iproute2Format final : public Format {
public:
  ir::Convention convention() const override {
    return ir::Convention::Iproute2;
  }

  Detection detect(const elf::File &, const ObjectFacts &facts) const override {
    Detection d;
    size_t tailCalls = read::countProgramSections(facts, isTailCallName);
    size_t defaults = read::countProgramSections(facts, isIproute2DefaultName);
    for (const auto *array : read::validLegacyArrays(facts)) {
      if (array->stride == 36) {
        d.score = std::max(d.score, 90);
        d.evidence.push_back("'" + array->section +
                             "' holds 36-byte struct bpf_elf_map entries");
        size_t pinned = 0, withId = 0;
        for (const auto &w : array->words) {
          pinned += w[kPinning] != 0;
          withId += w[kId] != 0;
        }
        if (pinned)
          d.evidence.push_back(std::to_string(pinned) + " maps set pinning");
        if (withId)
          d.evidence.push_back(std::to_string(withId) + " maps set an id");
      } else if (array->stride >= 16 && array->stride < 36 &&
                 (tailCalls || defaults)) {
        // iproute2 zero-extends shorter structs; only its section names
        // tell. ID/KEY tail calls are its own; classifier/action alone are
        // libbpf 0.x names too, so they win only over unusual strides.
        d.score = std::max(d.score, tailCalls ? 65 : 45);
        d.evidence.push_back("stride " + std::to_string(array->stride) +
                             " with iproute2 section names");
      }
    }
    if (d.score == 0)
      return d;
    if (tailCalls)
      d.evidence.push_back(std::to_string(tailCalls) +
                           " ID/KEY tail-call sections");
    if (defaults)
      d.evidence.push_back(std::to_string(defaults) +
                           " classifier/action/prog sections");
    return d;
  }

  ProgramGranularity granularity() const override {
    return ProgramGranularity::WholeSection;
  }

  llvm::Error readMaps(const elf::File &file,
                       ir::Object &object) const override {
    auto words = read::readAllLegacyMaps(file, object, {9});
    if (!words)
      return words.takeError();
    for (size_t i = 0; i < object.maps.size(); ++i) {
      ir::Map &map = object.maps[i];
      const std::vector<uint32_t> &w = (*words)[i];
      map.extras.iproute2Id = w[kId];
      map.extras.iproute2InnerId = w[kInnerId];
      map.extras.iproute2InnerIdx = w[kInnerIdx];
      map.pinning = pinningFor(w[kPinning]);
    }
    wireMapInMap(object);
    return llvm::Error::success();
  }

  llvm::Error finish(const elf::File &, ir::Object &object) const override {
    std::vector<ir::Program *> entries = read::entryPrograms(object);
    // Tail-call targets were loaded with the type of the program tc loaded.
    std::optional<SectionType> mainType;
    for (ir::Program *prog : entries) {
      if (read::isTailCallSectionName(prog->section))
        continue;
      bool assumed;
      prog->type = iproute2Type(prog->section, assumed);
      if (assumed)
        object.diag(ir::Severity::Note, "iproute2-type-assumed",
                    "section '" + prog->section +
                        "' gets its type from the "
                        "tc/ip command line; assumed " +
                        progTypeName(prog->type.progType),
                    prog->name, ir::Location{prog->section, 0});
      if (!mainType)
        mainType = prog->type;
    }
    for (ir::Program *prog : entries) {
      uint32_t id, key;
      if (!read::isTailCallSectionName(prog->section, &id, &key))
        continue;
      bool assumed;
      prog->type = mainType ? *mainType : iproute2Type("classifier", assumed);
      prog->type.attach = AttachKind::None;
      prog->type.target.clear();
      placeTailCall(object, *prog, id, key);
    }
    read::applyKvPairAnnotations(object, read::KvPairRule::Iproute2);
    return llvm::Error::success();
  }

private:
  static ir::Map *mapWithId(ir::Object &object, uint32_t id) {
    for (ir::Map &map : object.maps)
      if (map.extras.iproute2Id == id)
        return &map;
    return nullptr;
  }

  // Outer maps take the template of the map whose id is their inner_id, and
  // every map with that id and an inner_idx is inserted at that slot.
  static void wireMapInMap(ir::Object &object) {
    for (ir::Map &outer : object.maps) {
      if (!isMapInMap(outer.shape.type))
        continue;
      uint32_t innerId = *outer.extras.iproute2InnerId;
      ir::Map *tmpl = innerId ? mapWithId(object, innerId) : nullptr;
      if (!tmpl) {
        object.diag(ir::Severity::Error, "iproute2-inner-map-missing",
                    innerId ? "inner map with id " + std::to_string(innerId) +
                                  " not found"
                            : "map-in-map has no inner_id; iproute2 cannot "
                              "create it",
                    outer.name, outer.origin);
        continue;
      }
      outer.inner = tmpl->shape;
      outer.innerFromMap = tmpl->name;
      outer.shape.valueSize = 4; // iproute2 forces the fd size
      for (const ir::Map &inner : object.maps) {
        if (*inner.extras.iproute2Id != innerId ||
            *inner.extras.iproute2InnerId != 0 ||
            *inner.extras.iproute2InnerIdx == kNoInsert)
          continue;
        outer.slots.push_back(
            {*inner.extras.iproute2InnerIdx, ir::Slot::Kind::Map, inner.name});
      }
    }
  }

  static void placeTailCall(ir::Object &object, ir::Program &prog, uint32_t id,
                            uint32_t key) {
    ir::Map *array = mapWithId(object, id);
    if (!array || array->shape.type != BPF_MAP_TYPE_PROG_ARRAY) {
      object.diag(ir::Severity::Warning, "iproute2-tail-call-unplaced",
                  "section '" + prog.section + "' names map id " +
                      std::to_string(id) +
                      ", which is not a prog array; tc ignores it",
                  prog.name, ir::Location{prog.section, 0});
      return;
    }
    prog.tailCall = ir::TailCall{array->name, key};
    array->slots.push_back({key, ir::Slot::Kind::Program, prog.name});
  }
};

} // namespace

std::unique_ptr<Format> makeIproute2() {
  return std::make_unique<Iproute2Format>();
}

} // namespace bpfcompat::plugins
