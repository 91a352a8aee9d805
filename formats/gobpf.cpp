// gobpf: one map per `maps/<name>` section (280-byte def with pinning and a
// namespace string; 16 bytes before mid-2017), maps named after the section
// suffix, whole-section programs typed by prefix (CONVENTIONS §6).
#include "bpfcompat/error.h"

#include "formats.h"
#include "ir/read_support.h"

namespace bpfcompat::plugins {

namespace {

constexpr uint64_t kModernDefSize = 280;
constexpr uint64_t kEarlyDefSize = 16;
constexpr uint64_t kNamespaceOffset = 24;
constexpr uint64_t kNamespaceSize = 256;

ir::Pinning pinningFor(uint32_t value, std::string ns) {
  ir::Pinning pin;
  switch (value) {
  case 0:
    break;
  case 1:
    pin.kind = ir::PinKind::GobpfObject;
    break;
  case 2:
    pin.kind = ir::PinKind::GobpfGlobal;
    pin.gobpfNamespace = std::move(ns);
    break;
  default:
    pin.kind = ir::PinKind::GobpfCustom;
    pin.customId = value;
    break;
  }
  return pin;
}

class GobpfFormat final : public Format {
public:
  ir::Convention convention() const override { return ir::Convention::Gobpf; }

  Detection detect(const elf::File &, const ObjectFacts &facts) const override {
    Detection d;
    if (facts.gobpfSections.empty())
      return d;
    d.score = 100;
    size_t modern = 0;
    for (uint64_t size : facts.gobpfSectionSizes)
      modern += size == kModernDefSize;
    d.evidence.push_back(std::to_string(facts.gobpfSections.size()) +
                         " maps/<name> sections (" + std::to_string(modern) +
                         " with the 280-byte pinning+namespace definition)");
    if (facts.version == ir::kCurrentKernelVersion)
      d.evidence.push_back("version 0xFFFFFFFE (use the running kernel)");
    return d;
  }

  ProgramGranularity granularity() const override {
    return ProgramGranularity::WholeSection;
  }

  llvm::Error readMaps(const elf::File &file,
                       ir::Object &object) const override {
    for (const elf::Section &sec : file.sections()) {
      llvm::StringRef name = sec.name;
      if (!name.startswith("maps/"))
        continue;
      if (sec.size != kModernDefSize && sec.size != kEarlyDefSize)
        return sectionError(sec.name, "only one map with size " +
                                          llvm::Twine(kModernDefSize) +
                                          " (or 16 in early gobpf) bytes "
                                          "allowed per section, found " +
                                          llvm::Twine(sec.size));
      if (sec.data.size() != sec.size)
        return sectionError(sec.name, "map definition has no bytes in the "
                                      "file (SHT_NOBITS)");
      llvm::StringRef mapName = name.drop_front(5);
      if (mapName.empty() || object.findMap(mapName))
        return sectionError(sec.name, "empty or duplicate map name");
      ir::Map map;
      map.name = mapName.str();
      map.origin = {sec.name.str(), 0};
      map.extras.definitionSize = uint32_t(sec.size);
      const uint8_t *p = sec.data.data();
      map.shape.type = file.u32(p);
      map.shape.keySize = file.u32(p + 4);
      map.shape.valueSize = file.u32(p + 8);
      map.shape.maxEntries = file.u32(p + 12);
      if (sec.size == kModernDefSize) {
        map.shape.flags = file.u32(p + 16);
        llvm::StringRef ns(reinterpret_cast<const char *>(p + kNamespaceOffset),
                           kNamespaceSize);
        size_t nul = ns.find('\0');
        if (nul == llvm::StringRef::npos)
          return sectionError(sec.name, kNamespaceOffset,
                              "namespace is not NUL-terminated");
        map.pinning = pinningFor(file.u32(p + 20), ns.take_front(nul).str());
      }
      if (map.pinning.kind == ir::PinKind::GobpfGlobal &&
          map.pinning.gobpfNamespace.empty())
        object.diag(ir::Severity::Error, "gobpf-namespace-empty",
                    "PIN_GLOBAL_NS with an empty namespace; gobpf refuses it",
                    map.name, map.origin);
      if (map.pinning.kind == ir::PinKind::GobpfObject)
        object.diag(ir::Severity::Warning, "gobpf-pin-object-unimplemented",
                    "PIN_OBJECT_NS was never implemented by gobpf; loading "
                    "failed there",
                    map.name, map.origin);
      // Relocations name the symbol inside the section; keep it for re-emit.
      for (const elf::Symbol &sym : file.symbols())
        if (sym.shndx == sec.index && sym.type != elf::kSttSection &&
            !sym.name.empty())
          map.symbol = sym.name;
      if (!map.symbol.empty() && map.symbol != map.name)
        object.diag(ir::Severity::Note, "gobpf-map-renamed",
                    "symbol '" + map.symbol + "' names map '" + map.name +
                        "' (gobpf uses the section suffix)",
                    map.name, map.origin);
      object.maps.push_back(std::move(map));
    }
    return llvm::Error::success();
  }

  llvm::Error finish(const elf::File &, ir::Object &object) const override {
    read::typePrograms(object, {SectionRules::Gobpf});
    return llvm::Error::success();
  }
};

} // namespace

std::unique_ptr<Format> makeGobpf() { return std::make_unique<GobpfFormat>(); }

} // namespace bpfcompat::plugins
