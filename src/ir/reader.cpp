#include "bpfcompat/reader.h"

#include "bpfcompat/error.h"
#include "bpfcompat/file_hash.h"

#include <algorithm>

#include "read_support.h"

namespace bpfcompat {

ObjectFacts computeFacts(const elf::File &file) {
  ObjectFacts facts;
  for (const elf::Section *sec : read::findLegacyMapSections(file)) {
    ObjectFacts::LegacyArray array;
    array.section = sec->name;
    auto analyzed = read::analyzeLegacyMapArray(file, *sec);
    if (!analyzed) {
      array.error = toString(analyzed.takeError());
    } else {
      array.stride = analyzed->stride;
      array.count = uint32_t(analyzed->symbols.size());
      array.globalCount = analyzed->globalCount;
      for (const elf::Symbol *sym : analyzed->symbols) {
        std::vector<uint8_t> tail;
        array.words.push_back(
            read::legacyMapWords(file, *analyzed, *sym, 9, tail));
        facts.mapSymbolNames.push_back(sym->name.str());
      }
    }
    facts.legacyArrays.push_back(std::move(array));
  }
  for (const elf::Section &sec : file.sections()) {
    llvm::StringRef name = sec.name;
    if (name.startswith("maps/")) {
      facts.gobpfSections.push_back(sec.name.str());
      facts.gobpfSectionSizes.push_back(sec.size);
    }
    if (name.startswith(".maps."))
      facts.hasKvPairAnnotations = true;
    if (read::isProgramSection(sec) && name != ".text")
      facts.programSections.push_back(sec.name.str());
  }
  facts.hasBtfMaps = file.sectionByName(".maps") != nullptr;
  facts.hasBtf = file.sectionByName(".BTF") != nullptr;
  facts.hasLicense = file.sectionByName("license") != nullptr;
  if (const elf::Section *ver = file.sectionByName("version");
      ver && ver->data.size() == 4)
    facts.version = file.u32(ver->data.data());
  return facts;
}

ir::ConventionVerdict detectConvention(const elf::File &file,
                                       const ObjectFacts &facts) {
  std::vector<Detection> detections;
  for (const auto &format : formats()) {
    Detection d = format->detect(file, facts);
    d.convention = format->convention();
    if (d.score > 0)
      detections.push_back(std::move(d));
  }
  std::stable_sort(
      detections.begin(), detections.end(),
      [](const Detection &a, const Detection &b) { return a.score > b.score; });
  ir::ConventionVerdict verdict;
  if (detections.empty()) {
    // No format claims it: read it the way libbpf 1.x would.
    verdict.convention = ir::Convention::Libbpf;
    verdict.evidence.push_back("no convention matched; read as libbpf 1.x");
    return verdict;
  }
  verdict.convention = detections.front().convention;
  verdict.score = detections.front().score;
  verdict.evidence = detections.front().evidence;
  for (size_t i = 1; i < detections.size(); ++i)
    verdict.candidates.emplace_back(detections[i].convention,
                                    detections[i].score);

  // Mixed objects: map encodings of more than one convention side by side.
  auto addMixed = [&](ir::Convention c) {
    if (c != verdict.convention &&
        std::find(verdict.mixedWith.begin(), verdict.mixedWith.end(), c) ==
            verdict.mixedWith.end())
      verdict.mixedWith.push_back(c);
  };
  bool legacyFamily = verdict.convention != ir::Convention::Libbpf &&
                      verdict.convention != ir::Convention::Gobpf;
  if (facts.hasBtfMaps)
    addMixed(ir::Convention::Libbpf);
  if (!facts.gobpfSections.empty())
    addMixed(ir::Convention::Gobpf);
  if (!facts.legacyArrays.empty() && !legacyFamily)
    addMixed(ir::Convention::LibbpfLegacy);
  return verdict;
}

namespace {

// iproute2's PIN_OBJECT_NS directory is the object's SHA-1.
bool namesPinDirectoryByHash(const ir::Object &object) {
  return std::any_of(object.maps.begin(), object.maps.end(),
                     [](const ir::Map &map) {
                       return map.pinning.kind == ir::PinKind::Iproute2Object;
                     });
}

} // namespace

// A slot past max_entries fails its update in every loader (E2BIG), so the
// object is refused as its own loader would; the slot is dropped, since an
// index taken from the object (iproute2's inner_idx, a tail-call section's
// key) may be near 2^32 and nothing downstream should size anything by it.
static void dropSlotsPastMaxEntries(ir::Object &object) {
  for (ir::Map &map : object.maps) {
    auto past = [&](const ir::Slot &slot) {
      if (slot.index < map.shape.maxEntries)
        return false;
      object.diag(ir::Severity::Error, "slot-out-of-range",
                  "map '" + map.name + "' slot " + std::to_string(slot.index) +
                      " (" + slot.target + ") is past max_entries " +
                      std::to_string(map.shape.maxEntries),
                  map.name);
      return true;
    };
    map.slots.erase(std::remove_if(map.slots.begin(), map.slots.end(), past),
                    map.slots.end());
  }
}

llvm::Expected<ir::Object> readObject(const elf::File &file,
                                      const ReadOptions &options) {
  ir::Object object;
  object.path = file.path().str();
  object.fileSize = file.bytes().size();
  object.byteOrder =
      file.bigEndian() ? ir::ByteOrder::Big : ir::ByteOrder::Little;
  object.machine = file.machine();

  object.verdict = options.detected
                       ? *options.detected
                       : detectConvention(file, computeFacts(file));
  if (options.convention && *options.convention != object.verdict.convention) {
    object.verdict.candidates.insert(
        object.verdict.candidates.begin(),
        {object.verdict.convention, object.verdict.score});
    object.verdict.convention = *options.convention;
    object.verdict.score = 0;
    for (const auto &[convention, score] : object.verdict.candidates)
      if (convention == *options.convention)
        object.verdict.score = score;
    object.verdict.evidence = {"chosen with --convention"};
    object.verdict.forced = true;
  }
  const Format &format = formatFor(object.verdict.convention);

  auto run = [&]() -> llvm::Error {
    if (llvm::Error err = read::readCommon(file, object))
      return err;
    if (llvm::Error err = format.readMaps(file, object))
      return err;
    if (format.convention() != ir::Convention::Libbpf)
      if (llvm::Error err = read::readBtfMaps(file, object))
        return err;
    if (llvm::Error err =
            read::discoverPrograms(file, object, format.granularity()))
      return err;
    if (llvm::Error err = read::collectRelocations(file, object))
      return err;
    if (llvm::Error err = format.finish(file, object))
      return err;
    dropSlotsPastMaxEntries(object);
    if (options.hashFile || namesPinDirectoryByHash(object))
      object.sha1 = sha1Hex(file.bytes());
    return llvm::Error::success();
  };
  if (llvm::Error err = run()) {
    // No convention claimed the object because its legacy map array is
    // unreadable; that, not the missing maps it leads to, is the cause.
    if (!object.verdict.forced && object.verdict.score == 0) {
      ObjectFacts facts = computeFacts(file);
      for (auto it = facts.legacyArrays.rbegin();
           it != facts.legacyArrays.rend(); ++it)
        if (!it->error.empty())
          err = llvm::joinErrors(makeError(it->error), std::move(err));
    }
    return prefixError(std::move(err), file.path());
  }
  return object;
}

llvm::Expected<ir::Object> readObject(llvm::StringRef path,
                                      const ReadOptions &options) {
  auto file = elf::File::open(path);
  if (!file)
    return file.takeError();
  return readObject(**file, options);
}

} // namespace bpfcompat
