// libbpf 1.x: BTF-defined maps in `.maps`, one program per FUNC symbol, exact
// section names (CONVENTIONS §3). cilium/ebpf objects share this encoding.
#include "formats.h"
#include "ir/read_support.h"

namespace bpfcompat::plugins {

namespace {

bool isLibbpf1Name(llvm::StringRef name) {
  return classifySection(name, SectionRules::Libbpf1).has_value();
}

class LibbpfFormat final : public Format {
public:
  ir::Convention convention() const override { return ir::Convention::Libbpf; }

  Detection detect(const elf::File &, const ObjectFacts &facts) const override {
    Detection d;
    if (!facts.legacyArrays.empty() || !facts.gobpfSections.empty())
      return d; // a legacy encoding decides; .maps is then reported as mixed
    size_t exact = read::countProgramSections(facts, isLibbpf1Name);
    if (facts.hasBtfMaps) {
      d.score = 70;
      d.evidence.push_back("BTF-defined maps in a .maps section");
    } else {
      d.score = 40;
      d.evidence.push_back("no legacy map section");
    }
    d.evidence.push_back(std::to_string(exact) + "/" +
                         std::to_string(facts.programSections.size()) +
                         " program sections use exact libbpf 1.x names");
    return d;
  }

  ProgramGranularity granularity() const override {
    return ProgramGranularity::PerSymbol;
  }

  llvm::Error readMaps(const elf::File &file,
                       ir::Object &object) const override {
    return read::readBtfMaps(file, object);
  }

  llvm::Error finish(const elf::File &, ir::Object &object) const override {
    // cilium/ebpf accepts plain patterns by prefix; libbpf 0.x sloppy names
    // are the last resort. Both are reported as loader-specific spellings.
    read::typePrograms(object, {SectionRules::Libbpf1, SectionRules::Cilium,
                                SectionRules::LibbpfLegacy});
    return llvm::Error::success();
  }
};

} // namespace

std::unique_ptr<Format> makeLibbpf() {
  return std::make_unique<LibbpfFormat>();
}

} // namespace bpfcompat::plugins
