// The CO-RE engine. The semantics are libbpf's (relo_core.c, v1.1) step by
// step, because the requirement is equal instructions: where libbpf has a
// quirk (validation off for bitfields, memory size adjustment only for
// pointers and unsigned integers, poison instead of failure) so do we.
#include "bpfcompat/core.h"

#include "bpfcompat/error.h"

#include <climits>
#include <optional>

namespace bpfcompat::core {

namespace {

using btf::CoreReloKind;
using btf::Kind;

constexpr size_t kMaxSpecLen = 64; // BPF_CORE_SPEC_MAX_LEN
constexpr int kMaxDepth = 32;      // libbpf's recursion bound

bool isFieldBased(CoreReloKind k) { return k <= CoreReloKind::FieldRshiftU64; }
bool isTypeBased(CoreReloKind k) {
  return (k >= CoreReloKind::TypeIdLocal && k <= CoreReloKind::TypeSize) ||
         k == CoreReloKind::TypeMatches;
}
bool isEnumvalBased(CoreReloKind k) {
  return k == CoreReloKind::EnumvalExists || k == CoreReloKind::EnumvalValue;
}

bool isComposite(Kind k) { return k == Kind::Struct || k == Kind::Union; }
bool isAnyEnum(Kind k) { return k == Kind::Enum || k == Kind::Enum64; }
bool isModOrTypedef(Kind k) {
  return k == Kind::Typedef || k == Kind::Volatile || k == Kind::Const ||
         k == Kind::Restrict || k == Kind::TypeTag;
}

// void as a type: libbpf's btf_type_by_id(0) is a zeroed UNKN type.
const btf::Type kVoid{};

// A type by id with void as kVoid; nullptr only for ids out of range.
const btf::Type *typeById(const btf::Btf &b, uint32_t id) {
  return id == 0 ? &kVoid : b.type(id);
}

// skip_mods_and_typedefs: the type and its id; nullptr for bad ids or loops.
const btf::Type *skip(const btf::Btf &b, uint32_t id, uint32_t *resolved) {
  for (int depth = 0; depth < kMaxDepth; ++depth) {
    const btf::Type *t = typeById(b, id);
    if (!t)
      return nullptr;
    if (!isModOrTypedef(t->kind)) {
      if (resolved)
        *resolved = id;
      return t;
    }
    id = t->type;
  }
  return nullptr;
}

bool kindsCompatible(const btf::Type &a, const btf::Type &b) {
  return a.kind == b.kind || (isAnyEnum(a.kind) && isAnyEnum(b.kind));
}

bool sameEssentialName(llvm::StringRef a, llvm::StringRef b) {
  size_t n = essentialNameLength(a);
  return n == essentialNameLength(b) && a.take_front(n) == b.take_front(n);
}

bool isSigned(const btf::Type &t) {
  if (isAnyEnum(t.kind))
    return t.kindFlag;
  return t.kind == Kind::Int && (t.intEncoding & 1);
}

// A flexible array: the zero-length last member of its struct. `previous` is
// the accessor before the array index.
bool isFlexArray(const btf::Btf &b, const Accessor *previous,
                 const btf::Type &array) {
  if (!previous || previous->name.empty() || array.arrayNelems > 0)
    return false;
  const btf::Type *parent = typeById(b, previous->typeId);
  return parent && previous->index + 1 == parent->members.size();
}

// bpf_core_fields_are_compat: member types that may be relocated onto each
// other.
int fieldsCompatible(const btf::Btf &lb, uint32_t lid, const btf::Btf &tb,
                     uint32_t tid) {
  for (int depth = 0; depth < kMaxDepth; ++depth) {
    const btf::Type *l = skip(lb, lid, &lid);
    const btf::Type *t = skip(tb, tid, &tid);
    if (!l || !t)
      return -1;
    if (isComposite(l->kind) && isComposite(t->kind))
      return 1;
    if (!kindsCompatible(*l, *t))
      return 0;
    switch (l->kind) {
    case Kind::Ptr:
    case Kind::Float:
      return 1;
    case Kind::Fwd:
    case Kind::Enum:
    case Kind::Enum64:
      return essentialNameLength(l->name) == 0 ||
             essentialNameLength(t->name) == 0 ||
             sameEssentialName(l->name, t->name);
    case Kind::Int:
      return l->intOffset == 0 && t->intOffset == 0;
    case Kind::Array:
      lid = l->arrayElemType;
      tid = t->arrayElemType;
      continue;
    default:
      return 0;
    }
  }
  return -1;
}

// bpf_core_types_are_compat: for TYPE_* relocations other than MATCHES.
int typesCompatible(const btf::Btf &lb, uint32_t lid, const btf::Btf &tb,
                    uint32_t tid, int level) {
  const btf::Type *l = typeById(lb, lid), *t = typeById(tb, tid);
  if (!l || !t || !kindsCompatible(*l, *t))
    return 0;
  for (int depth = 0; depth < kMaxDepth; ++depth) {
    l = skip(lb, lid, &lid);
    t = skip(tb, tid, &tid);
    if (!l || !t)
      return -1;
    if (!kindsCompatible(*l, *t))
      return 0;
    switch (l->kind) {
    case Kind::Unknown:
    case Kind::Struct:
    case Kind::Union:
    case Kind::Enum:
    case Kind::Enum64:
    case Kind::Fwd:
      return 1;
    case Kind::Int:
      return l->intOffset == 0 && t->intOffset == 0;
    case Kind::Ptr:
      lid = l->type;
      tid = t->type;
      continue;
    case Kind::Array:
      lid = l->arrayElemType;
      tid = t->arrayElemType;
      continue;
    case Kind::FuncProto: {
      if (l->members.size() != t->members.size())
        return 0;
      for (size_t i = 0; i < l->members.size(); ++i) {
        if (level <= 0)
          return -1;
        uint32_t lp = 0, tp = 0;
        skip(lb, l->members[i].type, &lp);
        skip(tb, t->members[i].type, &tp);
        int r = typesCompatible(lb, lp, tb, tp, level - 1);
        if (r <= 0)
          return r;
      }
      skip(lb, l->type, &lid);
      skip(tb, t->type, &tid);
      continue;
    }
    default:
      return 0;
    }
  }
  return -1;
}

// bpf_core_names_match: flavours ignored; an anonymous target matches only
// an anonymous local.
bool namesMatch(llvm::StringRef local, llvm::StringRef target) {
  if (target.empty())
    return local.empty();
  return sameEssentialName(local, target);
}

int typesMatch(const btf::Btf &lb, uint32_t lid, const btf::Btf &tb,
               uint32_t tid, bool behindPtr, int level);

// Every local enumerator has a namesake in the target, sizes equal.
int enumsMatch(const btf::Type &l, const btf::Type &t) {
  if (l.size != t.size || l.enumerators.size() > t.enumerators.size())
    return 0;
  for (const btf::Enumerator &le : l.enumerators) {
    bool found = false;
    for (const btf::Enumerator &te : t.enumerators)
      found = found || namesMatch(le.name, te.name);
    if (!found)
      return 0;
  }
  return 1;
}

// Every local member has a namesake in the target whose type matches.
int compositesMatch(const btf::Btf &lb, const btf::Type &l, const btf::Btf &tb,
                    const btf::Type &t, bool behindPtr, int level) {
  if (l.members.size() > t.members.size())
    return 0;
  for (const btf::Member &lm : l.members) {
    bool matched = false;
    for (const btf::Member &tm : t.members) {
      if (!namesMatch(lm.name, tm.name))
        continue;
      int r = typesMatch(lb, lm.type, tb, tm.type, behindPtr, level - 1);
      if (r < 0)
        return r;
      if (r > 0) {
        matched = true;
        break;
      }
    }
    if (!matched)
      return 0;
  }
  return 1;
}

// __bpf_core_types_match: the stricter TYPE_MATCHES relation.
int typesMatch(const btf::Btf &lb, uint32_t lid, const btf::Btf &tb,
               uint32_t tid, bool behindPtr, int level) {
  if (level <= 0)
    return -1;
  for (int depth = 0; depth < kMaxDepth; ++depth) {
    const btf::Type *l = skip(lb, lid, &lid);
    const btf::Type *t = skip(tb, tid, &tid);
    if (!l || !t)
      return -1;
    if (!namesMatch(l->name, t->name))
      return 0;
    switch (l->kind) {
    case Kind::Unknown:
      return t->kind == Kind::Unknown;
    case Kind::Fwd:
      if (behindPtr && t->kind != Kind::Fwd)
        // kflag: union (1) or struct (0) forward declaration
        return (t->kind == Kind::Struct && !l->kindFlag) ||
               (t->kind == Kind::Union && l->kindFlag);
      return t->kind == Kind::Fwd && l->kindFlag == t->kindFlag;
    case Kind::Enum:
    case Kind::Enum64:
      return isAnyEnum(t->kind) && enumsMatch(*l, *t);
    case Kind::Struct:
    case Kind::Union:
      if (behindPtr) {
        if (l->kind == t->kind)
          return 1;
        return t->kind == Kind::Fwd && (l->kind == Kind::Union) == t->kindFlag;
      }
      if (l->kind != t->kind)
        return 0;
      return compositesMatch(lb, *l, tb, *t, behindPtr, level);
    case Kind::Int:
      return t->kind == Kind::Int && l->size == t->size &&
             (l->intEncoding & 1) == (t->intEncoding & 1);
    case Kind::Ptr:
      if (t->kind != Kind::Ptr)
        return 0;
      behindPtr = true;
      lid = l->type;
      tid = t->type;
      continue;
    case Kind::Array:
      if (t->kind != Kind::Array || l->arrayNelems != t->arrayNelems)
        return 0;
      lid = l->arrayElemType;
      tid = t->arrayElemType;
      continue;
    case Kind::FuncProto: {
      if (t->kind != Kind::FuncProto || l->members.size() != t->members.size())
        return 0;
      for (size_t i = 0; i < l->members.size(); ++i) {
        int r = typesMatch(lb, l->members[i].type, tb, t->members[i].type,
                           behindPtr, level - 1);
        if (r <= 0)
          return r;
      }
      lid = l->type;
      tid = t->type;
      continue;
    }
    default:
      return 0;
    }
  }
  return -1;
}

// bpf_core_match_member: finds the local member's namesake in the target
// composite `targetId`, descending into anonymous members; records the path.
int matchMember(const btf::Btf &lb, const Accessor &local, const btf::Btf &tb,
                uint32_t targetId, Spec &spec, uint32_t &next, int level) {
  if (level <= 0)
    return -1;
  const btf::Type *parent = typeById(lb, local.typeId);
  const btf::Member &lm = parent->members[local.index];
  const btf::Type *t = skip(tb, targetId, &targetId);
  if (!t || !isComposite(t->kind))
    return t ? 0 : -1;
  for (uint32_t i = 0; i < t->members.size(); ++i) {
    const btf::Member &m = t->members[i];
    if (spec.raw.size() == kMaxSpecLen)
      return -1;
    spec.bitOffset += m.bitOffset;
    spec.raw.push_back(i);
    if (m.name.empty()) {
      int found = matchMember(lb, local, tb, m.type, spec, next, level - 1);
      if (found)
        return found;
    } else if (m.name == lm.name) {
      next = m.type;
      int compatible = fieldsCompatible(lb, lm.type, tb, m.type);
      if (compatible > 0)
        spec.accessors.push_back({targetId, i, m.name});
      return compatible;
    }
    spec.bitOffset -= m.bitOffset;
    spec.raw.pop_back();
  }
  return 0;
}

llvm::Error specError(const llvm::Twine &message) {
  return makeError("access string " + message);
}

} // namespace

size_t essentialNameLength(llvm::StringRef name) {
  for (size_t i = name.size() >= 5 ? name.size() - 5 + 1 : 0; i-- > 0;)
    if (name[i] != '_' && name.substr(i + 1, 3) == "___" && name[i + 4] != '_')
      return i + 1;
  return name.size();
}

llvm::Expected<Spec> parseLocalSpec(const btf::Btf &local,
                                    const btf::CoreRelo &relo) {
  Spec spec;
  spec.btf = &local;
  spec.rootTypeId = relo.typeId;
  spec.kind = relo.kind;
  llvm::StringRef access = relo.accessString;
  if (access.empty() || access.front() == ':')
    return specError("'" + access + "' is empty or starts with ':'");
  if (!typeById(local, relo.typeId))
    return makeError("type id " + llvm::Twine(relo.typeId) +
                     " is not in the object's BTF");
  if (isTypeBased(relo.kind)) {
    if (access != "0")
      return specError("'" + access + "' of a type relocation is not \"0\"");
    return spec;
  }
  if (!isFieldBased(relo.kind) && !isEnumvalBased(relo.kind))
    return makeError("unknown CO-RE relocation kind " +
                     llvm::Twine(uint32_t(relo.kind)));
  llvm::SmallVector<llvm::StringRef, 8> parts;
  access.split(parts, ':');
  for (llvm::StringRef part : parts) {
    uint32_t index;
    if (part.getAsInteger(10, index))
      return specError("'" + access + "' has a non-number '" + part + "'");
    if (spec.raw.size() == kMaxSpecLen)
      return specError("'" + access + "' is over " + llvm::Twine(kMaxSpecLen) +
                       " deep");
    spec.raw.push_back(index);
  }
  uint32_t id = 0;
  const btf::Type *t = skip(local, relo.typeId, &id);
  if (!t)
    return makeError("type id " + llvm::Twine(relo.typeId) +
                     " does not resolve (a loop?)");
  spec.accessors.push_back({id, spec.raw[0], ""});
  if (isEnumvalBased(relo.kind)) {
    if (!isAnyEnum(t->kind) || spec.raw.size() > 1 ||
        spec.raw[0] >= t->enumerators.size())
      return specError("'" + access + "' names no enumerator of type id " +
                       llvm::Twine(relo.typeId));
    spec.accessors[0].name = t->enumerators[spec.raw[0]].name;
    return spec;
  }
  auto size = local.resolveSize(id);
  if (!size)
    return size.takeError();
  spec.bitOffset = uint64_t(spec.raw[0]) * *size * 8;
  for (size_t i = 1; i < spec.raw.size(); ++i) {
    t = skip(local, id, &id);
    if (!t)
      return makeError("type id " + llvm::Twine(id) + " does not resolve");
    uint32_t index = spec.raw[i];
    if (isComposite(t->kind)) {
      if (index >= t->members.size())
        return specError("'" + access + "': member " + llvm::Twine(index) +
                         " of '" + t->name + "' does not exist");
      const btf::Member &m = t->members[index];
      spec.bitOffset += m.bitOffset;
      if (!m.name.empty())
        spec.accessors.push_back({id, index, m.name});
      id = m.type;
    } else if (t->kind == Kind::Array) {
      uint32_t elem = 0;
      if (!skip(local, t->arrayElemType, &elem))
        return makeError("array element type id " +
                         llvm::Twine(t->arrayElemType) + " does not resolve");
      if (!isFlexArray(local, &spec.accessors.back(), *t) &&
          index >= t->arrayNelems)
        return specError("'" + access + "': index " + llvm::Twine(index) +
                         " is past the array's " + llvm::Twine(t->arrayNelems) +
                         " elements");
      id = elem;
      spec.accessors.push_back({id, index, ""});
      auto elemSize = local.resolveSize(id);
      if (!elemSize)
        return elemSize.takeError();
      spec.bitOffset += uint64_t(index) * *elemSize * 8;
    } else {
      return specError("'" + access + "' steps into type id " +
                       llvm::Twine(id) + " of kind " + btf::kindName(t->kind));
    }
  }
  return spec;
}

llvm::Expected<std::optional<Spec>>
matchSpec(const Spec &local, const btf::Btf &target, uint32_t targetId) {
  Spec spec;
  spec.btf = &target;
  spec.rootTypeId = targetId;
  spec.kind = local.kind;
  auto verdict = [&](int r) -> llvm::Expected<std::optional<Spec>> {
    if (r < 0)
      return makeError("target type id " + llvm::Twine(targetId) +
                       " is malformed or nested too deep");
    if (r == 0)
      return std::nullopt;
    return std::move(spec);
  };
  if (isTypeBased(local.kind))
    return verdict(local.kind == CoreReloKind::TypeMatches
                       ? typesMatch(*local.btf, local.rootTypeId, target,
                                    targetId, false, kMaxDepth)
                       : typesCompatible(*local.btf, local.rootTypeId, target,
                                         targetId, kMaxDepth));
  if (isEnumvalBased(local.kind)) {
    const btf::Type *t = skip(target, targetId, &targetId);
    if (!t || !isAnyEnum(t->kind))
      return verdict(t ? 0 : -1);
    llvm::StringRef name = local.accessors[0].name;
    for (uint32_t i = 0; i < t->enumerators.size(); ++i)
      if (sameEssentialName(name, t->enumerators[i].name)) {
        spec.accessors.push_back({targetId, i, t->enumerators[i].name});
        spec.raw.push_back(i);
        return verdict(1);
      }
    return verdict(0);
  }
  uint32_t id = targetId;
  for (size_t i = 0; i < local.accessors.size(); ++i) {
    const Accessor &la = local.accessors[i];
    const btf::Type *t = skip(target, id, &id);
    if (!t)
      return verdict(-1);
    if (!la.name.empty()) {
      uint32_t next = 0;
      int r = matchMember(*local.btf, la, target, id, spec, next, kMaxDepth);
      if (r <= 0)
        return verdict(r);
      id = next;
      continue;
    }
    // The first accessor indexes the root itself; later ones an array.
    if (i > 0) {
      if (t->kind != Kind::Array)
        return verdict(0);
      const Accessor *previous =
          spec.accessors.empty() ? nullptr : &spec.accessors.back();
      if (!isFlexArray(target, previous, *t) && la.index >= t->arrayNelems)
        return verdict(0);
      if (!skip(target, t->arrayElemType, &id))
        return verdict(-1);
    }
    if (spec.raw.size() == kMaxSpecLen)
      return verdict(-1);
    spec.accessors.push_back({id, la.index, ""});
    spec.raw.push_back(la.index);
    auto size = target.resolveSize(id);
    if (!size) {
      llvm::consumeError(size.takeError());
      return verdict(-1);
    }
    spec.bitOffset += uint64_t(la.index) * *size * 8;
  }
  return verdict(1);
}

std::vector<Candidate> findCandidates(const btf::Btf &local, uint32_t localId,
                                      const Targets &targets) {
  std::vector<Candidate> out;
  const btf::Type *lt = local.type(localId);
  if (!lt || lt->name.empty())
    return out;
  auto add = [&](const TargetBtf &target) {
    if (!target.btf)
      return;
    for (size_t i = target.firstId; i <= target.btf->size(); ++i) {
      const btf::Type *t = target.btf->type(uint32_t(i));
      if (kindsCompatible(*t, *lt) && !t->name.empty() &&
          sameEssentialName(lt->name, t->name))
        out.push_back({target.btf, uint32_t(i)});
    }
  };
  add(targets.main);
  if (out.empty())
    for (const TargetBtf &module : targets.modules)
      add(module);
  return out;
}

namespace {

struct FieldValue {
  uint64_t value = 0;
  uint32_t size = 0;   // memory size of a plain field, for loads/stores
  uint32_t typeId = 0; // its type
};

// bpf_core_calc_field_relo. nullopt: poison (the field is missing).
llvm::Expected<std::optional<FieldValue>>
fieldValue(CoreReloKind kind, const Spec *spec, bool *validate) {
  FieldValue out;
  if (kind == CoreReloKind::FieldExists) {
    out.value = spec ? 1 : 0;
    return out;
  }
  if (!spec)
    return std::nullopt;
  const Accessor &acc = spec->accessors.back();
  const btf::Btf &b = *spec->btf;
  if (acc.name.empty()) { // an array element
    if (kind != CoreReloKind::FieldByteOffset &&
        kind != CoreReloKind::FieldByteSize)
      return makeError(llvm::Twine(btf::coreReloKindName(kind)) +
                       " cannot be applied to an array element");
    auto size = b.resolveSize(acc.typeId);
    if (!size)
      return size.takeError();
    if (kind == CoreReloKind::FieldByteOffset) {
      out.value = spec->bitOffset / 8;
      out.size = uint32_t(*size);
      out.typeId = acc.typeId;
    } else {
      out.value = *size;
    }
    if (validate)
      *validate = true;
    return out;
  }
  const btf::Type *parent = typeById(b, acc.typeId);
  const btf::Member &m = parent->members[acc.index];
  uint32_t fieldId = 0;
  const btf::Type *mt = skip(b, m.type, &fieldId);
  if (!mt)
    return makeError("member '" + m.name + "' has an unresolvable type");
  uint64_t bitOff = spec->bitOffset;
  uint64_t bitSize = m.bitfieldSize;
  bool bitfield = bitSize > 0;
  uint64_t byteSize, byteOff;
  if (bitfield) {
    byteSize = mt->size;
    if (byteSize == 0)
      return makeError("bitfield '" + m.name + "' has a type of size 0");
    byteOff = bitOff / 8 / byteSize * byteSize;
    // The smallest load that holds the whole bitfield.
    while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
      if (byteSize >= 8)
        return makeError("bitfield '" + m.name +
                         "' cannot be read with a 64-bit load");
      byteSize *= 2;
      byteOff = bitOff / 8 / byteSize * byteSize;
    }
  } else {
    auto size = b.resolveSize(fieldId);
    if (!size)
      return size.takeError();
    byteSize = *size;
    byteOff = bitOff / 8;
    bitSize = byteSize * 8;
  }
  // Bitfield layouts are the compiler's choice: only signedness and the
  // right shift are checked against the instruction.
  if (validate)
    *validate = !bitfield;
  switch (kind) {
  case CoreReloKind::FieldByteOffset:
    out.value = byteOff;
    if (!bitfield) {
      out.size = uint32_t(byteSize);
      out.typeId = fieldId;
    }
    break;
  case CoreReloKind::FieldByteSize:
    out.value = byteSize;
    break;
  case CoreReloKind::FieldSigned:
    out.value = isSigned(*mt);
    if (validate)
      *validate = true;
    break;
  case CoreReloKind::FieldLshiftU64: // little-endian host
    out.value = 64 - (bitOff + bitSize - byteOff * 8);
    break;
  case CoreReloKind::FieldRshiftU64:
    out.value = 64 - bitSize;
    if (validate)
      *validate = true;
    break;
  default:
    return makeError("not a field relocation");
  }
  return out;
}

// bpf_core_calc_relo: the value for `target` (nullptr: no match).
llvm::Expected<Result> calcRelo(const Spec &local, const Spec *target) {
  Result res;
  CoreReloKind kind = local.kind;
  if (isFieldBased(kind)) {
    auto orig = fieldValue(kind, &local, &res.validate);
    if (!orig)
      return orig.takeError();
    auto now = fieldValue(kind, target, nullptr);
    if (!now)
      return now.takeError();
    if (!*orig || !*now) {
      res.poison = true;
      return res;
    }
    res.origVal = (*orig)->value;
    res.origSize = (*orig)->size;
    res.newVal = (*now)->value;
    res.newSize = (*now)->size;
    if (res.origSize != res.newSize) {
      // A different load size is safe for pointers (32-bit kernels) and
      // unsigned integers only; checked on loads and stores alone.
      const btf::Type *o = typeById(*local.btf, (*orig)->typeId);
      const btf::Type *n = typeById(*target->btf, (*now)->typeId);
      bool ptrs = o->kind == Kind::Ptr && n->kind == Kind::Ptr;
      bool unsignedInts = o->kind == Kind::Int && n->kind == Kind::Int &&
                          !(o->intEncoding & 1) && !(n->intEncoding & 1);
      res.failMemszAdjust = !ptrs && !unsignedInts;
    }
    return res;
  }
  if (isTypeBased(kind)) {
    auto value = [&](const Spec *spec) -> llvm::Expected<uint64_t> {
      if (!spec)
        return 0; // type relocations give 0 for a missing type
      switch (kind) {
      case CoreReloKind::TypeIdTarget:
        return spec->rootTypeId;
      case CoreReloKind::TypeExists:
      case CoreReloKind::TypeMatches:
        return 1;
      case CoreReloKind::TypeSize:
        return spec->btf->resolveSize(spec->rootTypeId);
      default:
        return makeError("not a type relocation");
      }
    };
    auto orig = value(&local);
    if (!orig)
      return orig.takeError();
    auto now = value(target);
    if (!now)
      return now.takeError();
    res.origVal = *orig;
    res.newVal = *now;
    // Type ids change in linking; the compiler's value means nothing.
    res.validate = kind != CoreReloKind::TypeIdTarget;
    return res;
  }
  auto value = [&](const Spec *spec) -> std::optional<uint64_t> {
    if (kind == CoreReloKind::EnumvalExists)
      return spec ? 1 : 0;
    if (!spec)
      return std::nullopt;
    const Accessor &acc = spec->accessors[0];
    const btf::Type *t = typeById(*spec->btf, acc.typeId);
    int64_t v = t->enumerators[acc.index].value;
    // A 32-bit ENUM value reaches the instruction sign-extended, as in libbpf.
    return t->kind == Kind::Enum ? uint64_t(int64_t(int32_t(v))) : uint64_t(v);
  };
  std::optional<uint64_t> orig = value(&local), now = value(target);
  if (!orig || !now) {
    res.poison = true;
    return res;
  }
  res.origVal = *orig;
  res.newVal = *now;
  return res;
}

} // namespace

llvm::Expected<Result> computeRelo(const btf::Btf &local,
                                   const btf::CoreRelo &relo,
                                   const Targets &targets) {
  auto spec = parseLocalSpec(local, relo);
  if (!spec)
    return spec.takeError();
  if (relo.kind == CoreReloKind::TypeIdLocal) {
    Result res;
    res.origVal = res.newVal = relo.typeId;
    return res;
  }
  const btf::Type *lt = local.type(relo.typeId);
  if (!lt || lt->name.empty())
    return makeError("CO-RE relocations of anonymous types are not supported "
                     "(libbpf refuses them too)");
  std::optional<Result> chosen;
  std::optional<Spec> chosenSpec;
  for (const Candidate &cand : findCandidates(local, relo.typeId, targets)) {
    auto matched = matchSpec(*spec, *cand.btf, cand.id);
    if (!matched)
      return prefixError(matched.takeError(),
                         "candidate [" + llvm::Twine(cand.id) + "]");
    if (!*matched)
      continue;
    auto res = calcRelo(*spec, &**matched);
    if (!res)
      return res.takeError();
    if (!chosen) {
      chosen = *res;
      chosenSpec = std::move(*matched);
      continue;
    }
    if ((*matched)->bitOffset != chosenSpec->bitOffset)
      return makeError("field offset ambiguity: candidates [" +
                       llvm::Twine(chosenSpec->rootTypeId) + "] and [" +
                       llvm::Twine(cand.id) + "] place it at bit " +
                       llvm::Twine(chosenSpec->bitOffset) + " and " +
                       llvm::Twine((*matched)->bitOffset));
    if (res->poison != chosen->poison || res->newVal != chosen->newVal)
      return makeError("relocation decision ambiguity: candidates [" +
                       llvm::Twine(chosenSpec->rootTypeId) + "] and [" +
                       llvm::Twine(cand.id) + "] give " +
                       llvm::Twine(chosen->newVal) + " and " +
                       llvm::Twine(res->newVal));
  }
  if (chosen)
    return *chosen;
  // No candidate: existence checks say 0, the rest poison their instruction.
  return calcRelo(*spec, nullptr);
}

namespace {

constexpr uint8_t kClassLd = 0x00, kClassLdx = 0x01, kClassSt = 0x02,
                  kClassStx = 0x03, kClassAlu = 0x04, kClassAlu64 = 0x07;
constexpr uint8_t kOpCall = 0x85;
constexpr uint8_t kOpLdImm64 = 0x18;

int sizeBytes(uint8_t code) {
  switch (code & 0x18) {
  case 0x00:
    return 4; // BPF_W
  case 0x08:
    return 2; // BPF_H
  case 0x10:
    return 1; // BPF_B
  default:
    return 8; // BPF_DW
  }
}

std::optional<uint8_t> sizeCode(uint32_t bytes) {
  switch (bytes) {
  case 1:
    return 0x10;
  case 2:
    return 0x08;
  case 4:
    return 0x00;
  case 8:
    return 0x18;
  default:
    return std::nullopt;
  }
}

void poison(ir::Insn &insn) {
  insn = ir::Insn{kOpCall, 0, 0, 0, kPoisonHelper};
}

} // namespace

llvm::Error patchInsn(llvm::MutableArrayRef<ir::Insn> insns, size_t at,
                      const Result &res) {
  if (at >= insns.size())
    return makeError("insn #" + llvm::Twine(at) + " is past the program's " +
                     llvm::Twine(insns.size()) + " instructions");
  ir::Insn &insn = insns[at];
  auto poisonHere = [&] {
    // Both halves of an ld_imm64, so the verifier names the call rather
    // than "unknown opcode 00".
    if (insn.code == kOpLdImm64 && at + 1 < insns.size())
      poison(insns[at + 1]);
    poison(insn);
    return llvm::Error::success();
  };
  if (res.poison)
    return poisonHere();
  auto unexpected = [&](const char *what, int64_t got) {
    return makeError("insn #" + llvm::Twine(at) + " (" + what + ") has value " +
                     llvm::Twine(got) + ", expected " +
                     llvm::Twine(res.origVal));
  };
  switch (insn.code & 0x07) {
  case kClassAlu:
  case kClassAlu64:
    if (insn.code & 0x08)
      return makeError("insn #" + llvm::Twine(at) +
                       " (ALU) takes a register, not an immediate");
    if (res.validate && uint64_t(int64_t(insn.imm)) != res.origVal)
      return unexpected("ALU", insn.imm);
    insn.imm = int32_t(uint32_t(res.newVal));
    return llvm::Error::success();
  case kClassLdx:
  case kClassSt:
  case kClassStx: {
    if (res.validate && uint64_t(int64_t(insn.off)) != res.origVal)
      return unexpected("LDX/ST/STX", insn.off);
    if (res.newVal > uint64_t(SHRT_MAX))
      return makeError("insn #" + llvm::Twine(at) + " (LDX/ST/STX) offset " +
                       llvm::Twine(res.newVal) + " is too big");
    // libbpf poisons an unsafe size change (after saying why in its log).
    if (res.failMemszAdjust)
      return poisonHere();
    insn.off = int16_t(res.newVal);
    if (res.newSize != res.origSize) {
      if (sizeBytes(insn.code) != int(res.origSize))
        return makeError("insn #" + llvm::Twine(at) + " accesses " +
                         llvm::Twine(sizeBytes(insn.code)) +
                         " bytes, the field has " + llvm::Twine(res.origSize));
      std::optional<uint8_t> code = sizeCode(res.newSize);
      if (!code)
        return makeError("insn #" + llvm::Twine(at) + ": no load of " +
                         llvm::Twine(res.newSize) + " bytes");
      insn.code = uint8_t((insn.code & 0xe7) | *code);
    }
    return llvm::Error::success();
  }
  case kClassLd: {
    if (insn.code != kOpLdImm64 || at + 1 >= insns.size() || insn.src != 0 ||
        insn.off != 0 || insns[at + 1].code != 0 || insns[at + 1].dst != 0 ||
        insns[at + 1].src != 0 || insns[at + 1].off != 0)
      return makeError("insn #" + llvm::Twine(at) +
                       " (LDIMM64) has an unexpected form");
    uint64_t imm = uint64_t(uint32_t(insn.imm)) |
                   uint64_t(uint32_t(insns[at + 1].imm)) << 32;
    if (res.validate && imm != res.origVal)
      return unexpected("LDIMM64", int64_t(imm));
    insn.imm = int32_t(uint32_t(res.newVal));
    insns[at + 1].imm = int32_t(uint32_t(res.newVal >> 32));
    return llvm::Error::success();
  }
  default:
    return makeError("insn #" + llvm::Twine(at) + " (code " + hex(insn.code) +
                     ") cannot be relocated");
  }
}

std::string describe(const btf::Btf &local, const btf::CoreRelo &relo) {
  std::string out = "[" + std::to_string(relo.typeId) + "]";
  if (const btf::Type *t = local.type(relo.typeId))
    out += std::string(" ") + btf::kindName(t->kind) + " " +
           (t->name.empty() ? "<anon>" : t->name.str());
  return out + " + " + relo.accessString.str() + " (" +
         btf::coreReloKindName(relo.kind) + ")";
}

} // namespace bpfcompat::core
