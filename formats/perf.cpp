// perf's BPF loader (Linux 4.4-6.5): libbpf underneath, so one program per
// FUNC symbol and a `maps` array (28-byte struct bpf_map, or the 16-byte def of
// perf's test scripts); section names are probe/tracepoint config strings
// (CONVENTIONS §5).
#include "formats.h"
#include "ir/read_support.h"

namespace bpfcompat::plugins {

namespace {

enum Field { kInnerMapIdx = 5, kNumaNode = 6 };

class PerfFormat final : public Format {
public:
  ir::Convention convention() const override { return ir::Convention::Perf; }

  Detection detect(const elf::File &, const ObjectFacts &facts) const override {
    Detection d;
    size_t perfNames =
        read::countProgramSections(facts, read::isPerfSectionName);
    if (perfNames == 0)
      return d;
    d.score = facts.legacyArrays.empty() ? 60 : 85;
    d.evidence.push_back(std::to_string(perfNames) +
                         " perf config-string sections (EVENT=PROBE, "
                         "group:event)");
    for (const auto *array : read::validLegacyArrays(facts))
      d.evidence.push_back("'" + array->section + "' stride " +
                           std::to_string(array->stride));
    for (const std::string &name : facts.mapSymbolNames)
      if (name == "__bpf_stdout__" || name == "__augmented_syscalls__")
        d.evidence.push_back("perf output map '" + name + "'");
    if (facts.version)
      d.evidence.push_back("version section (perf's license() macro)");
    return d;
  }

  ProgramGranularity granularity() const override {
    return ProgramGranularity::PerSymbol;
  }

  llvm::Error readMaps(const elf::File &file,
                       ir::Object &object) const override {
    // perf loaded through libbpf 0.x, which refused static maps and
    // non-zero unknown definition bytes.
    auto words = read::readAllLegacyMaps(
        file, object, {7, ir::Severity::Error, ir::Severity::Error});
    if (!words)
      return words.takeError();
    for (size_t i = 0; i < object.maps.size(); ++i) {
      ir::Map &map = object.maps[i];
      if (map.extras.definitionSize < 24)
        continue;
      // perf's libbpf never interpreted these; they had to be zero to load.
      map.extras.innerMapIdx = (*words)[i][kInnerMapIdx];
      if ((*words)[i][kInnerMapIdx] || (*words)[i][kNumaNode])
        object.diag(ir::Severity::Warning, "perf-map-extra-fields",
                    "inner_map_idx/numa_node are set but perf's libbpf "
                    "ignored them (it required them to be zero)",
                    map.name, map.origin);
    }
    return llvm::Error::success();
  }

  llvm::Error finish(const elf::File &, ir::Object &object) const override {
    read::typePrograms(object, {SectionRules::Perf, SectionRules::Libbpf1,
                                SectionRules::LibbpfLegacy});
    for (ir::Program *prog : read::entryPrograms(object))
      for (const std::string &lost : prog->type.lost)
        object.diag(ir::Severity::Warning, "perf-not-expressible",
                    lost + " has no libbpf 1.x equivalent", prog->name,
                    ir::Location{prog->section, prog->sectionOffset});
    read::applyKvPairAnnotations(object, read::KvPairRule::Libbpf);
    return llvm::Error::success();
  }
};

} // namespace

std::unique_ptr<Format> makePerf() { return std::make_unique<PerfFormat>(); }

} // namespace bpfcompat::plugins
