// libbpf 0.x: a `maps` array of 20-byte struct bpf_map_def, one program per
// FUNC symbol, sloppy section-name prefixes (CONVENTIONS §2). Also the home of
// legacy arrays with strides no other loader claims (extra bytes flagged).
#include "formats.h"
#include "ir/read_support.h"

namespace bpfcompat::plugins {

namespace {

class LibbpfLegacyFormat final : public Format {
public:
  ir::Convention convention() const override {
    return ir::Convention::LibbpfLegacy;
  }

  Detection detect(const elf::File &, const ObjectFacts &facts) const override {
    Detection d;
    for (const auto *array : read::validLegacyArrays(facts)) {
      if (array->stride == 20) {
        d.score = std::max(d.score, 50);
        d.evidence.push_back("'" + array->section +
                             "' holds 20-byte struct bpf_map_def entries");
      } else if (array->stride != 36) {
        // libbpf 0.x loaded any stride (relaxed_maps for larger ones).
        d.score = std::max(d.score, 30);
        d.evidence.push_back("'" + array->section + "' has stride " +
                             std::to_string(array->stride) +
                             ", read as struct bpf_map_def plus extra bytes");
      }
    }
    return d;
  }

  ProgramGranularity granularity() const override {
    return ProgramGranularity::PerSymbol;
  }

  llvm::Error readMaps(const elf::File &file,
                       ir::Object &object) const override {
    return read::readAllLegacyMaps(file, object, read::kLibbpfLegacyRules)
        .takeError();
  }

  llvm::Error finish(const elf::File &, ir::Object &object) const override {
    read::typePrograms(object,
                       {SectionRules::Libbpf1, SectionRules::LibbpfLegacy});
    read::applyKvPairAnnotations(object, read::KvPairRule::Libbpf);
    return llvm::Error::success();
  }
};

} // namespace

std::unique_ptr<Format> makeLibbpfLegacy() {
  return std::make_unique<LibbpfLegacyFormat>();
}

} // namespace bpfcompat::plugins
