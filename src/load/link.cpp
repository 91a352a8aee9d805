// Linking one program, as libbpf's bpf_object__reloc_code does it: the
// entry's instructions, then every function it reaches appended once in
// depth-first first-use order (so our layout matches libbpf's for libbpf
// objects), with each call and BPF_PSEUDO_FUNC load re-pointed at its
// callee's new position. Unlike libbpf, callees may live in any section
// (cilium/ebpf, CONVENTIONS §7.5) and may be entry programs themselves.
#include "bpfcompat/link.h"

#include "bpfcompat/error.h"

#include <llvm/ADT/DenseMap.h>

#include <algorithm>
#include <optional>

namespace bpfcompat::link {

namespace {

constexpr uint8_t kOpCall = 0x85;    // BPF_JMP | BPF_CALL
constexpr uint8_t kOpLdImm64 = 0x18; // BPF_LD | BPF_IMM | BPF_DW
constexpr uint8_t kPseudoCall = 1;   // BPF_PSEUDO_CALL
constexpr uint8_t kPseudoFunc = 4;   // BPF_PSEUDO_FUNC
// BPF_COMPLEXITY_LIMIT_INSNS: the most instructions any load may carry.
constexpr size_t kMaxInsns = 1000000;

uint64_t firstInsn(const ir::Program &fn) { return fn.sectionOffset / 8; }

// Whether section-relative instruction `insn` lies inside `fn`.
bool contains(const ir::Program &fn, llvm::StringRef section, uint64_t insn) {
  return fn.section == section && insn >= firstInsn(fn) &&
         insn - firstInsn(fn) < fn.insns.size();
}

bool isLdImm64Kind(ir::RelocKind kind) {
  return kind == ir::RelocKind::MapFd || kind == ir::RelocKind::MapValue ||
         kind == ir::RelocKind::ExternVar || kind == ir::RelocKind::FuncAddr;
}

bool isLinkKind(ir::RelocKind kind) {
  return kind == ir::RelocKind::Call || kind == ir::RelocKind::FuncAddr;
}

class Linker {
public:
  Linker(const ir::Object &object, const ir::Program &entry)
      : object_(object), entry_(entry) {
    out_.entry = &entry;
  }

  llvm::Expected<LinkedProgram> run();

private:
  // A function copied into the linked program.
  struct Placed {
    const ir::Program *fn;
    uint32_t start; // index of its first instruction in the linked program
    // The relocation of each of its instructions, if any.
    std::vector<const ir::Relocation *> relocAt;
  };
  struct Target {
    const ir::Program *fn;
    uint64_t index; // within fn
  };

  llvm::Error place(const ir::Program &fn);
  llvm::Expected<std::optional<Target>> resolve(const Placed &caller,
                                                size_t insn) const;
  const ir::Program *functionAt(llvm::StringRef section, uint64_t insn) const;
  void collectCoRe();
  void collectBtfInfo();
  llvm::Error fail(const ir::Program &fn, uint64_t insn,
                   const llvm::Twine &message) const;

  const ir::Object &object_;
  const ir::Program &entry_;
  LinkedProgram out_;
  std::vector<Placed> placed_; // entry first, then in append order
  llvm::DenseMap<const ir::Program *, size_t> placedIndex_;
};

llvm::Error Linker::fail(const ir::Program &fn, uint64_t insn,
                         const llvm::Twine &message) const {
  std::string suffix =
      &fn == &entry_ ? "" : " (linking program '" + entry_.name + "')";
  return makeError("program '" + fn.name + "' insn #" + llvm::Twine(insn) +
                   " " + message + suffix);
}

// The entry wins over an object program with the same range, so a call back
// into the entry lands on the copy at index 0 even when the caller passed an
// entry that is not an element of object.programs.
const ir::Program *Linker::functionAt(llvm::StringRef section,
                                      uint64_t insn) const {
  if (contains(entry_, section, insn))
    return &entry_;
  for (const ir::Program &fn : object_.programs)
    if (contains(fn, section, insn))
      return &fn;
  return nullptr;
}

// Appends `fn` after checking its relocations, so that everything later
// (patching here, the loader's patching of `pending`) may index without
// further checks.
llvm::Error Linker::place(const ir::Program &fn) {
  if (fn.insns.size() > kMaxInsns - out_.insns.size())
    return makeError("program '" + entry_.name + "' with function '" + fn.name +
                     "' (section '" + fn.section + "') is over " +
                     llvm::Twine(kMaxInsns) +
                     " instructions, the kernel's limit");
  Placed placed{&fn, uint32_t(out_.insns.size()), {}};
  placed.relocAt.assign(fn.insns.size(), nullptr);
  for (const ir::Relocation &rel : fn.relocations) {
    const char *kind = ir::relocKindName(rel.kind);
    if (rel.insn >= fn.insns.size())
      return fail(fn, rel.insn,
                  llvm::Twine("has a ") + kind + " relocation against '" +
                      rel.symbol + "' but the function has only " +
                      llvm::Twine(fn.insns.size()) + " instructions");
    if (placed.relocAt[rel.insn])
      return fail(fn, rel.insn, "has more than one relocation");
    const ir::Insn &insn = fn.insns[rel.insn];
    if (isLdImm64Kind(rel.kind) &&
        (insn.code != kOpLdImm64 || rel.insn + 1 >= fn.insns.size()))
      return fail(fn, rel.insn,
                  llvm::Twine("has a ") + kind + " relocation against '" +
                      rel.symbol + "' but is no complete ld_imm64");
    if (!isLdImm64Kind(rel.kind) && insn.code != kOpCall)
      return fail(fn, rel.insn,
                  llvm::Twine("has a ") + kind + " relocation against '" +
                      rel.symbol + "' but is no call");
    // A call relocation on a helper call (src_reg 0) is what libbpf
    // rejects as "incorrect bpf_call opcode".
    if (rel.kind == ir::RelocKind::Call && insn.src != kPseudoCall)
      return fail(fn, rel.insn,
                  "has a call relocation against '" + rel.symbol +
                      "' but src_reg " + llvm::Twine(unsigned(insn.src)) +
                      ", not BPF_PSEUDO_CALL");
    placed.relocAt[rel.insn] = &rel;
    if (!isLinkKind(rel.kind))
      out_.pending.push_back({placed.start + rel.insn, &rel});
  }
  out_.insns.insert(out_.insns.end(), fn.insns.begin(), fn.insns.end());
  if (&fn != &entry_)
    out_.subprograms.push_back(&fn);
  placedIndex_[&fn] = placed_.size();
  placed_.push_back(std::move(placed));
  return llvm::Error::success();
}

// The function and instruction that instruction `insn` of `caller` calls or
// takes the address of; nullopt for every other instruction.
llvm::Expected<std::optional<Linker::Target>>
Linker::resolve(const Placed &caller, size_t insn) const {
  const ir::Program &fn = *caller.fn;
  const ir::Insn &code = fn.insns[insn];
  if (const ir::Relocation *rel = caller.relocAt[insn]) {
    // Kfunc calls carry src_reg BPF_PSEUDO_CALL too: any relocation other
    // than Call/FuncAddr means "not ours", as in libbpf.
    if (!isLinkKind(rel->kind))
      return std::nullopt;
    const ir::Program *callee = functionAt(rel->targetSection, rel->offset);
    if (!callee)
      return fail(fn, insn,
                  (rel->kind == ir::RelocKind::Call ? "calls"
                                                    : "takes the address of") +
                      llvm::Twine(" insn #") + llvm::Twine(rel->offset) +
                      " of section '" + rel->targetSection +
                      "', which is no function");
    return Target{callee, rel->offset - firstInsn(*callee)};
  }
  // clang emits a relocation for every function address, even within one
  // section; libbpf refuses one without ("missing subprog addr relo").
  if (code.code == kOpLdImm64 && code.src == kPseudoFunc)
    return fail(fn, insn,
                "loads a function address (BPF_PSEUDO_FUNC) without a "
                "relocation");
  if (code.code != kOpCall || code.src != kPseudoCall)
    return std::nullopt;
  // No relocation: clang < 8, or a static callee in the caller's own
  // section. imm is relative to the caller's place in its section.
  int64_t target = int64_t(firstInsn(fn) + insn) + code.imm + 1;
  uint64_t sectionEnd = 0;
  for (const ir::Program &other : object_.programs)
    if (other.section == fn.section)
      sectionEnd =
          std::max<uint64_t>(sectionEnd, firstInsn(other) + other.insns.size());
  sectionEnd = std::max<uint64_t>(sectionEnd, firstInsn(fn) + fn.insns.size());
  if (target < 0 || uint64_t(target) >= sectionEnd)
    return fail(fn, insn,
                "calls insn #" + llvm::Twine(target) + " of section '" +
                    fn.section +
                    "' without a relocation, which is outside the section");
  const ir::Program *callee = contains(fn, fn.section, uint64_t(target))
                                  ? &fn
                                  : functionAt(fn.section, uint64_t(target));
  if (!callee)
    return fail(fn, insn,
                "calls insn #" + llvm::Twine(target) + " of section '" +
                    fn.section + "', which is no function");
  return Target{callee, uint64_t(target) - firstInsn(*callee)};
}

// CO-RE records of every placed function, at their linked positions; the
// loader resolves them against the target kernel's BTF.
void Linker::collectCoRe() {
  if (!object_.btfExt)
    return;
  for (const Placed &p : placed_)
    for (const auto &sec : object_.btfExt->coreRelos)
      for (const btf::CoreRelo &relo : sec.records)
        if (contains(*p.fn, sec.section, relo.insnOff))
          out_.coreRelos.push_back(
              {p.start + uint32_t(relo.insnOff - firstInsn(*p.fn)), &relo});
  std::stable_sort(
      out_.coreRelos.begin(), out_.coreRelos.end(),
      [](const CoreRelo &a, const CoreRelo &b) { return a.insn < b.insn; });
}

// The kernel accepts func_info only as exactly one record at the start of
// every function (check_btf_func), and line_info only strictly increasing
// with a record at every function start (check_btf_line); it rejects the
// whole load otherwise. A set that cannot pass is dropped here instead, as
// libbpf drops func/line info its main program has none of (libbpf fails
// when only a subprogram lacks it; loading without is the better chance).
// The kernel still names what it cannot do without, e.g. "missing btf
// func_info" for a BPF_PSEUDO_FUNC.
template <typename Record>
bool fitsFunctions(const std::vector<Record> &records,
                   const std::vector<uint32_t> &starts, bool exactlyStarts) {
  if (std::adjacent_find(records.begin(), records.end(),
                         [](const Record &a, const Record &b) {
                           return a.insn >= b.insn;
                         }) != records.end())
    return false;
  if (exactlyStarts && records.size() != starts.size())
    return false;
  // Both increasing: every start must be among the records' instructions.
  auto record = records.begin();
  for (uint32_t start : starts) {
    while (record != records.end() && record->insn < start)
      ++record;
    if (record == records.end() || record->insn != start)
      return false;
  }
  return true;
}

void Linker::collectBtfInfo() {
  if (!object_.btfExt)
    return;
  std::vector<uint32_t> starts; // increasing: functions are appended
  for (const Placed &p : placed_) {
    starts.push_back(p.start);
    auto shift = [&](uint32_t insnOff) {
      return uint32_t(p.start + (insnOff - firstInsn(*p.fn)));
    };
    // Only the records near the function: objects with many programs in
    // one section made a scan of all of them per function quadratic.
    auto near = [&](const auto &sec) {
      uint32_t first = uint32_t(firstInsn(*p.fn));
      return btf::recordsNear(sec.records, sec.sorted, first,
                              first + uint32_t(p.fn->insns.size()));
    };
    for (const auto &sec : object_.btfExt->funcInfo)
      if (sec.section == p.fn->section)
        for (const btf::FuncInfo &rec : near(sec))
          if (contains(*p.fn, sec.section, rec.insnOff))
            out_.funcInfo.push_back({shift(rec.insnOff), rec.typeId});
    for (const auto &sec : object_.btfExt->lineInfo)
      if (sec.section == p.fn->section)
        for (const btf::LineInfo &rec : near(sec))
          if (contains(*p.fn, sec.section, rec.insnOff))
            out_.lineInfo.push_back({shift(rec.insnOff), rec.fileName, rec.line,
                                     rec.lineNum, rec.column});
  }
  auto byInsn = [](const auto &a, const auto &b) { return a.insn < b.insn; };
  btf::stableSortIfUnsorted(out_.funcInfo, byInsn);
  btf::stableSortIfUnsorted(out_.lineInfo, byInsn);
  if (!fitsFunctions(out_.funcInfo, starts, /*exactlyStarts=*/true))
    out_.funcInfo.clear();
  if (!fitsFunctions(out_.lineInfo, starts, /*exactlyStarts=*/false))
    out_.lineInfo.clear();
}

llvm::Expected<LinkedProgram> Linker::run() {
  if (llvm::Error err = place(entry_))
    return err;
  // Depth-first with an explicit stack, as libbpf recurses: a callee is
  // appended and scanned before the rest of its caller, and hostile call
  // chains cannot overflow the C++ stack.
  struct Frame {
    size_t placed;
    size_t next; // next instruction to scan
  };
  std::vector<Frame> stack{{0, 0}};
  while (!stack.empty()) {
    Frame &top = stack.back();
    if (top.next == placed_[top.placed].fn->insns.size()) {
      stack.pop_back();
      continue;
    }
    size_t callerIndex = top.placed;
    size_t insn = top.next++;
    // Most instructions neither call nor load an address.
    uint8_t code = placed_[callerIndex].fn->insns[insn].code;
    if (!placed_[callerIndex].relocAt[insn] && code != kOpCall &&
        code != kOpLdImm64)
      continue;
    auto target = resolve(placed_[callerIndex], insn);
    if (!target)
      return target.takeError();
    if (!*target)
      continue;
    auto [callee, index] = **target;
    auto found = placedIndex_.find(callee);
    size_t calleeIndex;
    if (found != placedIndex_.end()) {
      calleeIndex = found->second;
    } else {
      if (llvm::Error err = place(*callee))
        return err;
      calleeIndex = placed_.size() - 1;
      stack.push_back({calleeIndex, 0}); // invalidates `top`
    }
    uint32_t at = placed_[callerIndex].start + uint32_t(insn);
    ir::Insn &patched = out_.insns[at];
    // Both encodings are relative to the next instruction: the verifier
    // finds the callee at insn + imm + 1 for BPF_PSEUDO_CALL and for
    // BPF_PSEUDO_FUNC alike.
    patched.imm = int32_t(int64_t(placed_[calleeIndex].start) + int64_t(index) -
                          (int64_t(at) + 1));
    if (patched.code == kOpLdImm64)
      patched.src = kPseudoFunc;
  }
  collectCoRe();
  std::stable_sort(
      out_.pending.begin(), out_.pending.end(),
      [](const Pending &a, const Pending &b) { return a.insn < b.insn; });
  collectBtfInfo();
  return std::move(out_);
}

} // namespace

llvm::Expected<LinkedProgram> linkProgram(const ir::Object &object,
                                          const ir::Program &entry) {
  return Linker(object, entry).run();
}

} // namespace bpfcompat::link
