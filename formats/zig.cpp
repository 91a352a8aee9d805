// The Zig loader of zig-bpf-intro (mattnite/bpf): 20-byte map defs whose
// flags it never passed on, every executable section a socket filter, GPL
// hard-coded, no license section needed (CONVENTIONS §9).
#include <linux/bpf.h>

#include "formats.h"
#include "ir/read_support.h"

namespace bpfcompat::plugins {

namespace {

bool isLibbpfName(llvm::StringRef name) {
  return classifySection(name, SectionRules::Libbpf1).has_value();
}

class ZigFormat final : public Format {
public:
  ir::Convention convention() const override { return ir::Convention::Zig; }

  Detection detect(const elf::File &, const ObjectFacts &facts) const override {
    Detection d;
    auto arrays = read::validLegacyArrays(facts);
    if (arrays.size() != 1 || arrays.front()->stride != 20 ||
        facts.hasLicense || facts.programSections.empty())
      return d;
    size_t foreign = facts.programSections.size() -
                     read::countProgramSections(facts, isLibbpfName);
    d.score = foreign ? 80 : 45;
    d.evidence.push_back("20-byte map defs and no license section (the Zig "
                         "loader hard-coded GPL)");
    if (foreign)
      d.evidence.push_back(std::to_string(foreign) +
                           " program sections with non-libbpf names (e.g. "
                           "socket1), loaded as socket filters");
    return d;
  }

  ProgramGranularity granularity() const override {
    return ProgramGranularity::WholeSection;
  }

  llvm::Error readMaps(const elf::File &file,
                       ir::Object &object) const override {
    if (llvm::Error err =
            read::readAllLegacyMaps(file, object, {5}).takeError())
      return err;
    for (ir::Map &map : object.maps) {
      if (!map.shape.flags)
        continue;
      object.diag(ir::Severity::Warning, "zig-map-flags-ignored",
                  "map_flags " + std::to_string(map.shape.flags) +
                      " were never passed to the kernel by the Zig loader; "
                      "read as 0",
                  map.name, map.origin);
      map.shape.flags = 0;
    }
    return llvm::Error::success();
  }

  llvm::Error finish(const elf::File &, ir::Object &object) const override {
    for (ir::Program *prog : read::entryPrograms(object)) {
      prog->type = SectionType{};
      prog->type.progType = BPF_PROG_TYPE_SOCKET_FILTER;
      prog->type.canonical = "socket";
    }
    if (!object.license) {
      object.license = "GPL";
      object.diag(ir::Severity::Note, "zig-license-implied",
                  "no license section; the Zig loader always passed \"GPL\"");
    }
    return llvm::Error::success();
  }
};

} // namespace

std::unique_ptr<Format> makeZig() { return std::make_unique<ZigFormat>(); }

} // namespace bpfcompat::plugins
