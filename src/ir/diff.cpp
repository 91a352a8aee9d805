// diffObjects: the comparison rules are listed in bpfcompat/diff.h.
#include "bpfcompat/diff.h"

#include "bpfcompat/error.h"
#include "bpfcompat/names.h"
#include "bpfcompat/section_names.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace bpfcompat {

namespace {

constexpr uint8_t kOpLdImm64 = 0x18;

std::string quoted(llvm::StringRef text) { return ("'" + text + "'").str(); }

// `dir` + "/" + `rest`, without doubling a trailing slash of `dir`.
std::string joinPath(llvm::StringRef dir, const std::string &rest) {
  return (dir.rtrim('/') + "/" + rest).str();
}

std::string yesNo(bool value) { return value ? "yes" : "no"; }

std::string optionalNumber(const std::optional<uint32_t> &value) {
  return value ? std::to_string(*value) : "none";
}

// Kind, name and size identify a BTF type across objects; ids do not.
std::string btfTypeSummary(const btf::Btf &btf, uint32_t id) {
  const btf::Type *type = btf.skipModsAndTypedefs(id);
  if (!type)
    return "unresolvable type";
  std::string out = btf::kindName(type->kind);
  if (!type->name.empty())
    out += " " + quoted(type->name);
  if (auto size = btf.resolveSize(id))
    out += " (" + std::to_string(*size) + " bytes)";
  else
    llvm::consumeError(size.takeError());
  return out;
}

// Without a pin, "" means "not pinned"; show that in words.
std::string pinPathText(const std::string &path) {
  return path.empty() ? "not pinned" : path;
}

std::string kernelVersionText(const std::optional<uint32_t> &version) {
  if (!version || *version == ir::kCurrentKernelVersion)
    return "running kernel";
  uint32_t v = *version;
  return hex(v) + " (" + std::to_string(v >> 16) + "." +
         std::to_string((v >> 8) & 0xff) + "." + std::to_string(v & 0xff) + ")";
}

const char *externKindName(ir::Extern::Kind kind) {
  switch (kind) {
  case ir::Extern::Kind::Kconfig:
    return "kconfig";
  case ir::Extern::Kind::KsymVar:
    return "ksym variable";
  case ir::Extern::Kind::Kfunc:
    return "kfunc";
  }
  return "unknown";
}

// "map 'x'", or "map 'x' ('y' in B)" when a rename matched them.
std::string labelFor(const char *noun, const std::string &nameA,
                     const std::string &nameB) {
  std::string label = std::string(noun) + " " + quoted(nameA);
  if (nameA != nameB)
    label += " (" + quoted(nameB) + " in B)";
  return label;
}

// Conversion renames maps and programs with kernelSafeName, so every
// reference to one compares by that name.
std::string slotTargetText(const ir::Slot &slot) {
  return std::string(slot.kind == ir::Slot::Kind::Program ? "program "
                                                          : "map ") +
         quoted(kernelSafeName(slot.target));
}

// Targets by slot index; a set because iproute2 can insert several inner
// maps at one index.
std::map<uint32_t, std::set<std::string>> slotsByIndex(const ir::Map &map) {
  std::map<uint32_t, std::set<std::string>> out;
  for (const ir::Slot &slot : map.slots)
    out[slot.index].insert(slotTargetText(slot));
  return out;
}

std::string slotSetText(const std::set<std::string> *targets) {
  if (!targets)
    return "empty";
  std::string out;
  for (const std::string &target : *targets)
    out += (out.empty() ? "" : ", ") + target;
  return out;
}

// The callee's name, or for anonymous callees (static functions of clang < 8
// objects) the function holding the target and the index within it: callees
// are identified by what they are, not by where a converter placed them.
std::string calleeText(const ir::Relocation &rel, const ir::Object &object) {
  if (!rel.target.empty())
    return quoted(kernelSafeName(rel.target));
  for (const ir::Program &prog : object.programs) {
    uint64_t first = prog.sectionOffset / 8;
    if (prog.section == rel.targetSection && rel.offset >= first &&
        rel.offset < first + prog.insns.size())
      return quoted(kernelSafeName(prog.name)) +
             (rel.offset == first ? ""
                                  : "+#" + std::to_string(rel.offset - first));
  }
  return rel.targetSection + "+#" + std::to_string(rel.offset);
}

// What a relocation makes of its instruction, independent of how the ELF
// encodes it (symbol, addend in imm, section symbol vs function symbol).
std::string relocationText(const ir::Relocation *rel,
                           const ir::Object &object) {
  if (!rel)
    return "no relocation";
  std::string kind = ir::relocKindName(rel->kind);
  switch (rel->kind) {
  case ir::RelocKind::MapValue:
    return kind + " " + quoted(rel->target) + "+" + hex(rel->offset);
  case ir::RelocKind::Call:
  case ir::RelocKind::FuncAddr:
    return kind + " " + calleeText(*rel, object);
  case ir::RelocKind::MapFd: // renamed like slot targets
    return kind + " " + quoted(kernelSafeName(rel->target));
  case ir::RelocKind::ExternVar:
  case ir::RelocKind::Kfunc:
    break;
  }
  return kind + " " + quoted(rel->target);
}

// A relocated instruction's operands belong to the loader; only what it
// does and to which register is the program's.
std::string insnText(const ir::Insn &insn, bool relocated) {
  std::string out =
      "code " + hex(insn.code) + " dst r" + std::to_string(insn.dst);
  if (!relocated)
    out += " src r" + std::to_string(insn.src) + " off " +
           std::to_string(insn.off) + " imm " + std::to_string(insn.imm);
  return out;
}

// Relocations by the instruction they start at, and which instructions are
// the second half of a relocated ld_imm64.
struct RelocationIndex {
  std::vector<const ir::Relocation *> at;
  std::vector<bool> secondSlot;

  explicit RelocationIndex(const ir::Program &prog)
      : at(prog.insns.size()), secondSlot(prog.insns.size()) {
    for (const ir::Relocation &rel : prog.relocations) {
      if (rel.insn >= prog.insns.size())
        continue;
      at[rel.insn] = &rel;
      if (prog.insns[rel.insn].code == kOpLdImm64 &&
          rel.insn + 1 < prog.insns.size())
        secondSlot[rel.insn + 1] = true;
    }
  }
};

// The first of a run of per-instruction mismatches plus how many there were,
// so a shifted program gives one line, not hundreds.
struct FirstMismatch {
  std::string first;
  size_t count = 0;
  void note(std::string message) {
    if (count++ == 0)
      first = std::move(message);
  }
};

// How the items of one kind (maps, programs, ...) are matched and reported.
struct ItemKind {
  const char *subjectPrefix; // "map" -> subject "map:<key>"
  const char *noun;          // in messages
  const char *missingCode;
};

constexpr ItemKind kMapKind{"map", "map", "map-missing"};
constexpr ItemKind kProgramKind{"program", "program", "program-missing"};
constexpr ItemKind kDataKind{"data", "data section", "data-section"};
constexpr ItemKind kExternKind{"extern", "extern", "extern"};

class Differ {
public:
  Differ(const ir::Object &a, const ir::Object &b, const DiffOptions &options)
      : a_(a), b_(b), options_(options) {}

  std::vector<Difference> run() {
    match(kMapKind, a_.maps, b_.maps, &Differ::compareMap,
          [](const ir::Map &map) { return kernelSafeName(map.name); });
    match(kProgramKind, a_.programs, b_.programs, &Differ::compareProgram,
          [](const ir::Program &prog) { return kernelSafeName(prog.name); });
    match(kDataKind, a_.data, b_.data, &Differ::compareData);
    match(kExternKind, a_.externs, b_.externs, &Differ::compareExtern);
    field("license", "object", "", "license", quoted(a_.license.value_or("")),
          quoted(b_.license.value_or("")));
    field("kernel-version", "object", "", "kernel version",
          kernelVersionText(a_.kernelVersion),
          kernelVersionText(b_.kernelVersion));
    std::stable_sort(
        out_.begin(), out_.end(), [](const Difference &x, const Difference &y) {
          return std::tie(x.subject, x.code) < std::tie(y.subject, y.code);
        });
    return std::move(out_);
  }

private:
  void add(const std::string &code, const std::string &subject,
           std::string message) {
    out_.push_back({code, subject, std::move(message)});
  }

  // One named property: "<label>: <name> <valueA> vs <valueB>".
  void field(const std::string &code, const std::string &subject,
             const std::string &label, const std::string &name,
             const std::string &valueA, const std::string &valueB) {
    if (valueA != valueB)
      add(code, subject,
          (label.empty() ? "" : label + ": ") + name + " " + valueA + " vs " +
              valueB);
  }

  // Pairs the items of A and B by key and compares each pair; an item on one
  // side only is `missingCode`. A key several items of one object share is
  // reported and not matched, since any pairing would be a guess.
  template <typename T, typename KeyFn = std::string (*)(const T &)>
  void match(
      const ItemKind &kind, const std::vector<T> &itemsA,
      const std::vector<T> &itemsB,
      void (Differ::*compare)(const T &, const T &, const std::string &),
      KeyFn key = [](const T &item) { return item.name; }) {
    std::set<std::string> ambiguous;
    auto byKey = [&](const std::vector<T> &items, const char *side) {
      std::map<std::string, std::vector<const T *>> all;
      for (const T &item : items)
        all[key(item)].push_back(&item);
      std::map<std::string, const T *> unique;
      for (const auto &[k, list] : all) {
        if (list.size() == 1) {
          unique[k] = list.front();
          continue;
        }
        std::string names;
        for (const T *item : list)
          names += (names.empty() ? "" : ", ") + quoted(item->name);
        add("name-collision", subjectFor(kind, k),
            std::string(side) + " has " + std::to_string(list.size()) + " " +
                kind.noun + "s named " + quoted(k) + ": " + names);
        ambiguous.insert(k);
      }
      return unique;
    };
    auto inA = byKey(itemsA, "A");
    auto inB = byKey(itemsB, "B");
    auto onlyIn = [&](const auto &mine, const auto &theirs, const char *side) {
      for (const auto &[k, item] : mine)
        if (!theirs.count(k) && !ambiguous.count(k))
          add(kind.missingCode, subjectFor(kind, k),
              std::string(kind.noun) + " " + quoted(item->name) +
                  " is only in " + side);
    };
    onlyIn(inA, inB, "A");
    onlyIn(inB, inA, "B");
    for (const auto &[k, itemA] : inA)
      if (auto it = inB.find(k); it != inB.end() && !ambiguous.count(k))
        (this->*compare)(*itemA, *it->second, subjectFor(kind, k));
  }

  static std::string subjectFor(const ItemKind &kind, const std::string &key) {
    return std::string(kind.subjectPrefix) + ":" + key;
  }

  void compareMap(const ir::Map &a, const ir::Map &b,
                  const std::string &subject) {
    std::string label = labelFor("map", a.name, b.name);
    compareShape("map-shape", subject, label, a.shape, b.shape);
    field(
        "map-pin-path", subject, label, "pin path",
        pinPathText(resolvedPinPath(a, a_, options_.pinRootA, options_.bpffs)),
        pinPathText(resolvedPinPath(b, b_, options_.pinRootB, options_.bpffs)));
    if (a.inner && b.inner)
      compareShape("map-inner", subject, label + " inner template", *a.inner,
                   *b.inner);
    else
      field("map-inner", subject, label, "inner template",
            a.inner ? "present" : "absent", b.inner ? "present" : "absent");
    compareSlots(a, b, subject, label);
  }

  void compareShape(const std::string &code, const std::string &subject,
                    const std::string &label, const ir::MapShape &a,
                    const ir::MapShape &b) {
    auto number = [](uint64_t v) { return std::to_string(v); };
    field(code, subject, label, "type", mapTypeName(a.type),
          mapTypeName(b.type));
    field(code, subject, label, "key_size", number(a.keySize),
          number(b.keySize));
    field(code, subject, label, "value_size", number(a.valueSize),
          number(b.valueSize));
    field(code, subject, label, "max_entries", number(a.maxEntries),
          number(b.maxEntries));
    field(code, subject, label, "map_flags", hex(a.flags), hex(b.flags));
    field(code, subject, label, "numa_node", optionalNumber(a.numaNode),
          optionalNumber(b.numaNode));
    field(code, subject, label, "map_extra", hex(a.mapExtra), hex(b.mapExtra));
    if (!a_.btf || !b_.btf)
      return;
    auto btfType = [&](const char *name, uint32_t idA, uint32_t idB) {
      if (idA && idB)
        field(code, subject, label, name, btfTypeSummary(*a_.btf, idA),
              btfTypeSummary(*b_.btf, idB));
    };
    btfType("key type", a.btfKeyTypeId, b.btfKeyTypeId);
    btfType("value type", a.btfValueTypeId, b.btfValueTypeId);
  }

  void compareSlots(const ir::Map &a, const ir::Map &b,
                    const std::string &subject, const std::string &label) {
    auto slotsA = slotsByIndex(a), slotsB = slotsByIndex(b);
    std::set<uint32_t> indices;
    for (const auto *slots : {&slotsA, &slotsB})
      for (const auto &entry : *slots)
        indices.insert(entry.first);
    auto at = [](const auto &slots, uint32_t index) {
      auto it = slots.find(index);
      return it == slots.end() ? nullptr : &it->second;
    };
    for (uint32_t index : indices)
      field("map-slots", subject, label, "slot " + std::to_string(index),
            slotSetText(at(slotsA, index)), slotSetText(at(slotsB, index)));
  }

  void compareProgram(const ir::Program &a, const ir::Program &b,
                      const std::string &subject) {
    std::string label = labelFor("program", a.name, b.name);
    auto role = [](const ir::Program &p) {
      return p.subprogram ? "subprogram" : "entry program";
    };
    if (a.subprogram != b.subprogram)
      field("program-type", subject, label, "is", role(a), role(b));
    else if (!a.subprogram)
      compareSectionType(a.type, b.type, subject, label);
    compareInsns(a, b, subject, label);
  }

  void compareSectionType(const SectionType &a, const SectionType &b,
                          const std::string &subject,
                          const std::string &label) {
    // What BPF_PROG_LOAD is told.
    field("program-type", subject, label, "type", progTypeName(a.progType),
          progTypeName(b.progType));
    // Loaders that passed no expected attach type (bpf_load.c, gobpf, tc)
    // and libbpf's default for the same section load the same program: the
    // kernel accepts both for these types. Compare what libbpf would pass.
    auto expected = [](const SectionType &t) {
      if (t.hasExpectedAttachType)
        return attachTypeName(t.expectedAttachType);
      if (auto implied = classifySection(t.canonical, SectionRules::Libbpf1);
          implied && implied->progType == t.progType &&
          implied->hasExpectedAttachType)
        return attachTypeName(implied->expectedAttachType);
      return std::string("none");
    };
    field("program-type", subject, label, "expected_attach_type", expected(a),
          expected(b));
    field("program-type", subject, label, "sleepable", yesNo(a.sleepable),
          yesNo(b.sleepable));
    // What the loader does with the program.
    field("program-attach", subject, label, "autoload", yesNo(a.autoload),
          yesNo(b.autoload));
    field("program-attach", subject, label, "attach", attachKindName(a.attach),
          attachKindName(b.attach));
    field("program-attach", subject, label, "attach target", quoted(a.target),
          quoted(b.target));
    field("program-attach", subject, label, "attach offset", hex(a.offset),
          hex(b.offset));
  }

  void compareInsns(const ir::Program &a, const ir::Program &b,
                    const std::string &subject, const std::string &label) {
    if (a.insns.size() != b.insns.size()) {
      field("program-insns", subject, label, "instruction count",
            std::to_string(a.insns.size()), std::to_string(b.insns.size()));
      return;
    }
    RelocationIndex relocsA(a), relocsB(b);
    FirstMismatch insns, relocs;
    for (size_t i = 0; i < a.insns.size(); ++i) {
      const ir::Insn &insnA = a.insns[i], &insnB = b.insns[i];
      std::string where = "insn #" + std::to_string(i) + " ";
      const ir::Relocation *relA = relocsA.at[i], *relB = relocsB.at[i];
      if (relA || relB) {
        std::string textA = relocationText(relA, a_),
                    textB = relocationText(relB, b_);
        if (textA != textB)
          relocs.note(where + textA + " vs " + textB);
        if (insnA.code != insnB.code || insnA.dst != insnB.dst)
          insns.note(where + insnText(insnA, true) + " vs " +
                     insnText(insnB, true));
      } else if (!relocsA.secondSlot[i] && !relocsB.secondSlot[i] &&
                 insnA != insnB) {
        insns.note(where + insnText(insnA, false) + " vs " +
                   insnText(insnB, false));
      }
    }
    report("program-insns", subject, label, insns, "instructions");
    report("program-relocation", subject, label, relocs, "relocations");
  }

  void report(const std::string &code, const std::string &subject,
              const std::string &label, const FirstMismatch &mismatch,
              const char *what) {
    if (mismatch.count == 0)
      return;
    std::string message = label + ": " + mismatch.first;
    if (mismatch.count > 1)
      message +=
          " (" + std::to_string(mismatch.count) + " " + what + " differ)";
    add(code, subject, std::move(message));
  }

  void compareData(const ir::DataSection &a, const ir::DataSection &b,
                   const std::string &subject) {
    std::string label = "data section " + quoted(a.name);
    field("data-section", subject, label, "kind", ir::dataKindName(a.kind),
          ir::dataKindName(b.kind));
    field("data-section", subject, label, "size", std::to_string(a.size),
          std::to_string(b.size));
    if (a.size != b.size)
      return;
    // The kernel zero-fills: .bss (no bytes) equals a section of zeros.
    auto byteAt = [](const ir::DataSection &d, uint64_t i) {
      return i < d.bytes.size() ? d.bytes[i] : uint8_t(0);
    };
    uint64_t firstDiff = 0, count = 0;
    for (uint64_t i = 0; i < a.size; ++i)
      if (byteAt(a, i) != byteAt(b, i) && count++ == 0)
        firstDiff = i;
    if (count)
      add("data-section", subject,
          label + ": " + std::to_string(count) +
              " bytes differ, the first at offset " + hex(firstDiff));
  }

  void compareExtern(const ir::Extern &a, const ir::Extern &b,
                     const std::string &subject) {
    std::string label = "extern " + quoted(a.name);
    field("extern", subject, label, "kind", externKindName(a.kind),
          externKindName(b.kind));
    field("extern", subject, label, "weak", yesNo(a.weak), yesNo(b.weak));
  }

  const ir::Object &a_;
  const ir::Object &b_;
  const DiffOptions &options_;
  std::vector<Difference> out_;
};

} // namespace

std::string resolvedPinPath(const ir::Map &map, const ir::Object &object,
                            llvm::StringRef pinRootForByName,
                            llvm::StringRef bpffs) {
  const ir::Pinning &pin = map.pinning;
  switch (pin.kind) {
  case ir::PinKind::None:
    return "";
  case ir::PinKind::ByName:
    return joinPath(pinRootForByName, map.name);
  case ir::PinKind::Iproute2Global:
    return joinPath(bpffs, "tc/globals/" + map.name);
  case ir::PinKind::Iproute2Object:
    return joinPath(
        bpffs, "tc/" +
                   (object.sha1.empty() ? std::string("<sha1>") : object.sha1) +
                   "/" + map.name);
  case ir::PinKind::Iproute2Custom:
    // The subpath lives in /etc/iproute2/bpf_pinning, not in the object.
    return "<iproute2 custom id " + std::to_string(pin.customId) + ">/" +
           map.name;
  case ir::PinKind::GobpfGlobal:
    return joinPath(bpffs, pin.gobpfNamespace + "/globals/" + map.name);
  case ir::PinKind::GobpfObject:
    // gobpf refused to load these; there is no path to compare.
    return "<gobpf object ns>";
  case ir::PinKind::GobpfCustom:
    // The path came from Go code, keyed by the map's section name.
    return "<gobpf custom path for maps/" + map.name + ">";
  }
  return "";
}

std::vector<Difference> diffObjects(const ir::Object &a, const ir::Object &b,
                                    const DiffOptions &options) {
  return Differ(a, b, options).run();
}

} // namespace bpfcompat
