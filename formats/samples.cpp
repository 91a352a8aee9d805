// samples/bpf bpf_load.c (Linux ~4.1-5.10): a `maps` array of 16/20/24/28-byte
// defs (inner_map_idx, numa_node), whole-section programs typed by prefix,
// `socket/N` and `kprobe/N` tail calls into the last prog array
// (CONVENTIONS §8).
#include <llvm/ADT/StringExtras.h>

#include <linux/bpf.h>

#include "formats.h"
#include "ir/read_support.h"

namespace bpfcompat::plugins {

namespace {

enum Field { kInnerMapIdx = 5, kNumaNode = 6 };

// "socket/3", "kprobe/12": the prefixes bpf_load.c checked for a digit.
bool tailCallSlot(llvm::StringRef name, uint32_t *key = nullptr) {
  for (llvm::StringRef prefix :
       {"socket/", "kprobe/", "kretprobe/", "sockops/"})
    if (name.consume_front(prefix)) {
      unsigned long long value;
      if (name.empty() || !llvm::isDigit(name.front()) ||
          llvm::getAsUnsignedInteger(name, 10, value) || value > UINT32_MAX)
        return false;
      if (key)
        *key = uint32_t(value);
      return true;
    }
  return false;
}

bool isTailCallSlot(llvm::StringRef name) { return tailCallSlot(name); }

// Spellings only bpf_load.c-era objects used: socketN, xdp_*, slot sections.
bool isSamplesOnlyName(llvm::StringRef name) {
  if (isTailCallSlot(name))
    return true;
  if (name.startswith("socket") && name.size() > 6 && llvm::isDigit(name[6]))
    return true;
  return name.startswith("xdp_");
}

// bpf_load.c's inner_map_idx (word 5) only means something for map-in-map
// types, and names an earlier map; anything else is some other struct.
bool plausibleInnerMapIdx(const ObjectFacts::LegacyArray &array) {
  if (array.stride < 24)
    return true;
  for (size_t i = 0; i < array.words.size(); ++i) {
    uint32_t type = array.words[i][0], idx = array.words[i][kInnerMapIdx];
    bool mapInMap =
        type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_HASH_OF_MAPS;
    if (idx != 0 && (!mapInMap || idx >= i))
      return false;
  }
  return true;
}

class SamplesFormat final : public Format {
public:
  ir::Convention convention() const override { return ir::Convention::Samples; }

  Detection detect(const elf::File &, const ObjectFacts &facts) const override {
    Detection d;
    size_t samplesOnly = read::countProgramSections(facts, isSamplesOnlyName);
    for (const auto *array : read::validLegacyArrays(facts)) {
      uint32_t stride = array->stride;
      if (!plausibleInnerMapIdx(*array)) {
        d.evidence.push_back("'" + array->section +
                             "': inner_map_idx set on a map that is not "
                             "map-in-map, or naming no earlier map");
        continue;
      }
      if (stride == 16 || stride == 24 || stride == 28) {
        d.score = std::max(d.score, samplesOnly ? 80 : 60);
        d.evidence.push_back("'" + array->section + "' holds " +
                             std::to_string(stride) +
                             "-byte struct bpf_load_map_def-era entries");
      } else if (stride == 20 && samplesOnly && facts.version) {
        d.score = std::max(d.score, 60);
        d.evidence.push_back("20-byte defs with bpf_load.c section names and "
                             "a version section");
      }
    }
    if (d.score == 0)
      d.evidence.clear();
    if (d.score && samplesOnly)
      d.evidence.push_back(std::to_string(samplesOnly) +
                           " sections named socketN, xdp_* or socket/N, "
                           "kprobe/N tail-call slots");
    if (d.score && facts.version)
      d.evidence.push_back("version section");
    return d;
  }

  ProgramGranularity granularity() const override {
    return ProgramGranularity::WholeSection;
  }

  llvm::Error readMaps(const elf::File &file,
                       ir::Object &object) const override {
    auto words = read::readAllLegacyMaps(file, object, {7});
    if (!words)
      return words.takeError();
    for (size_t i = 0; i < object.maps.size(); ++i) {
      ir::Map &map = object.maps[i];
      const std::vector<uint32_t> &w = (*words)[i];
      if (map.extras.definitionSize >= 24)
        map.extras.innerMapIdx = w[kInnerMapIdx];
      if (map.shape.flags & BPF_F_NUMA_NODE)
        map.shape.numaNode = w[kNumaNode];
      if (map.shape.type != BPF_MAP_TYPE_ARRAY_OF_MAPS &&
          map.shape.type != BPF_MAP_TYPE_HASH_OF_MAPS)
        continue;
      // The template is map_fd[inner_map_idx] in offset order, so it must
      // already exist: bpf_load.c created maps in that order.
      uint32_t idx = w[kInnerMapIdx];
      if (idx >= i) {
        object.diag(ir::Severity::Error, "samples-inner-map-order",
                    "inner_map_idx " + std::to_string(idx) +
                        " does not name an earlier map",
                    map.name, map.origin);
        continue;
      }
      map.inner = object.maps[idx].shape;
      map.innerFromMap = object.maps[idx].name;
    }
    return llvm::Error::success();
  }

  llvm::Error finish(const elf::File &, ir::Object &object) const override {
    read::typePrograms(object, {SectionRules::Samples});
    // bpf_load.c kept one prog_array_fd: the last PROG_ARRAY it created.
    ir::Map *progArray = nullptr;
    for (ir::Map &map : object.maps)
      if (map.shape.type == BPF_MAP_TYPE_PROG_ARRAY)
        progArray = &map;
    for (ir::Program *prog : read::entryPrograms(object)) {
      uint32_t key;
      if (!tailCallSlot(prog->section, &key))
        continue;
      if (!progArray) {
        object.diag(ir::Severity::Warning, "samples-tail-call-unplaced",
                    "tail-call section without a prog array", prog->name,
                    ir::Location{prog->section, 0});
        continue;
      }
      prog->tailCall = ir::TailCall{progArray->name, key};
      progArray->slots.push_back({key, ir::Slot::Kind::Program, prog->name});
    }
    return llvm::Error::success();
  }
};

} // namespace

std::unique_ptr<Format> makeSamples() {
  return std::make_unique<SamplesFormat>();
}

} // namespace bpfcompat::plugins
