#include "bpfcompat/btf_builder.h"

#include <llvm/Support/Endian.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <optional>

#include "parse_support.h"

namespace bpfcompat::btf {

namespace {

// Calls `visit` on every type id `t` refers to; `T` is Type or const Type,
// so one switch serves both collecting and remapping references.
template <typename T, typename F> void forEachReference(T &t, F visit) {
  switch (t.kind) {
  case Kind::Ptr:
  case Kind::Typedef:
  case Kind::Volatile:
  case Kind::Const:
  case Kind::Restrict:
  case Kind::Func:
  case Kind::Var:
  case Kind::DeclTag:
  case Kind::TypeTag:
    visit(t.type);
    break;
  case Kind::FuncProto:
    visit(t.type);
    for (auto &m : t.members)
      visit(m.type);
    break;
  case Kind::Array:
    visit(t.arrayElemType);
    visit(t.arrayIndexType);
    break;
  case Kind::Struct:
  case Kind::Union:
    for (auto &m : t.members)
      visit(m.type);
    break;
  case Kind::Datasec:
    for (auto &s : t.secinfos)
      visit(s.type);
    break;
  default:
    break;
  }
}

// Bytes in the output's byte order. Encoding writes a word at a time, so a
// word is one bounds check and one store; a vector insert per word was a
// tenth of converting a small object.
class Writer {
public:
  explicit Writer(bool bigEndian) : be_(bigEndian) {}
  void reserve(size_t n) {
    if (buf_.size() < n)
      buf_.resize(n);
  }
  void u8(uint8_t v) { put(&v, 1); }
  void u16(uint16_t v) {
    uint8_t b[2];
    be_ ? llvm::support::endian::write16be(b, v)
        : llvm::support::endian::write16le(b, v);
    put(b, 2);
  }
  void u32(uint32_t v) {
    uint8_t b[4];
    be_ ? llvm::support::endian::write32be(b, v)
        : llvm::support::endian::write32le(b, v);
    put(b, 4);
  }
  void bytes(llvm::ArrayRef<uint8_t> b) { put(b.data(), b.size()); }
  void patch32(size_t at, uint32_t v) {
    assert(at + 4 <= size_);
    be_ ? llvm::support::endian::write32be(&buf_[at], v)
        : llvm::support::endian::write32le(&buf_[at], v);
  }
  size_t size() const { return size_; }
  llvm::ArrayRef<uint8_t> written() const { return {buf_.data(), size_}; }
  std::vector<uint8_t> take() && {
    buf_.resize(size_);
    return std::move(buf_);
  }

private:
  void put(const uint8_t *p, size_t n) {
    if (buf_.size() - size_ < n) // doubling: amortised constant per byte
      buf_.resize(std::max({buf_.size() * 2, size_ + n, size_t(256)}));
    if (n)
      std::memcpy(buf_.data() + size_, p, n);
    size_ += n;
  }

  std::vector<uint8_t> buf_; // written bytes, then slack
  size_t size_ = 0;
  bool be_;
};

constexpr uint16_t kMagic = 0xEB9F;

// Where `s` starts in `table` when it is one of its entries (inside it and
// ending at a NUL), as every name parsed from that table is: such names need
// no lookup by content.
std::optional<uint32_t> entryOffset(llvm::StringRef table, llvm::StringRef s) {
  if (s.data() < table.data() || s.data() + s.size() >= table.end() ||
      s.end()[0] != '\0')
    return std::nullopt;
  return uint32_t(s.data() - table.data());
}

// The vlen field of `t`'s btf_type: its record count, or FUNC's linkage.
uint32_t vlenOf(const Type &t) {
  switch (t.kind) {
  case Kind::Struct:
  case Kind::Union:
  case Kind::FuncProto:
    return uint32_t(t.members.size());
  case Kind::Enum:
  case Kind::Enum64:
    return uint32_t(t.enumerators.size());
  case Kind::Datasec:
    return uint32_t(t.secinfos.size());
  case Kind::Func:
    return t.linkage;
  default:
    return 0;
  }
}

// Bytes writeType() writes for `t`.
size_t encodedSize(const Type &t) {
  constexpr size_t kTypeHeader = 12;
  return kTypeHeader +
         detail::extraSize(t.kind, vlenOf(t)); // FUNC: 0 whatever its vlen
}

// Writes one btf_type and its records; `name` gives string offsets and `id`
// the output id of a referenced type.
template <typename NameFn, typename IdFn>
void writeType(Writer &w, const Type &t, NameFn name, IdFn id) {
  uint32_t vlen = vlenOf(t);
  w.u32(name(t.name));
  w.u32((t.kindFlag ? 1u << 31 : 0) | uint32_t(t.kind) << 24 | (vlen & 0xffff));
  bool sized = t.kind == Kind::Int || t.kind == Kind::Struct ||
               t.kind == Kind::Union || t.kind == Kind::Enum ||
               t.kind == Kind::Enum64 || t.kind == Kind::Datasec ||
               t.kind == Kind::Float;
  w.u32(sized
            ? t.size
            : (t.kind == Kind::Array || t.kind == Kind::Fwd ? 0 : id(t.type)));
  switch (t.kind) {
  case Kind::Int:
    w.u32(uint32_t(t.intEncoding) << 24 | uint32_t(t.intOffset) << 16 |
          t.intBits);
    break;
  case Kind::Array:
    w.u32(id(t.arrayElemType));
    w.u32(id(t.arrayIndexType));
    w.u32(t.arrayNelems);
    break;
  case Kind::Struct:
  case Kind::Union:
    for (const Member &m : t.members) {
      w.u32(name(m.name));
      w.u32(id(m.type));
      w.u32(t.kindFlag ? m.bitfieldSize << 24 | m.bitOffset : m.bitOffset);
    }
    break;
  case Kind::Enum:
    for (const Enumerator &e : t.enumerators) {
      w.u32(name(e.name));
      w.u32(uint32_t(e.value));
    }
    break;
  case Kind::Enum64:
    for (const Enumerator &e : t.enumerators) {
      w.u32(name(e.name));
      w.u32(uint32_t(uint64_t(e.value)));
      w.u32(uint32_t(uint64_t(e.value) >> 32));
    }
    break;
  case Kind::FuncProto:
    for (const Member &m : t.members) {
      w.u32(name(m.name));
      w.u32(id(m.type));
    }
    break;
  case Kind::Var:
    w.u32(t.linkage);
    break;
  case Kind::Datasec:
    for (const VarSecinfo &s : t.secinfos) {
      w.u32(id(s.type));
      w.u32(s.offset);
      w.u32(s.size);
    }
    break;
  case Kind::DeclTag:
    w.u32(uint32_t(t.componentIdx));
    break;
  default:
    break;
  }
}

// A whole .BTF: the header, the types `writeTypes(Writer &)` writes, then
// the string table made of `strings` in order.
// `typesSize` (bytes) reserves room; 0 when unknown.
template <typename WriteTypes>
std::vector<uint8_t> encodeBtf(bool bigEndian, WriteTypes writeTypes,
                               llvm::ArrayRef<llvm::StringRef> strings,
                               size_t typesSize = 0) {
  constexpr uint32_t kHeaderLen = 24;
  Writer out(bigEndian);
  size_t stringsSize = 0;
  for (llvm::StringRef part : strings)
    stringsSize += part.size();
  out.reserve(kHeaderLen + typesSize + stringsSize);
  out.u16(kMagic);
  out.u8(1); // version
  out.u8(0); // flags
  out.u32(kHeaderLen);
  out.u32(0); // type_off
  out.u32(0); // type_len, str_off and str_len patched below
  out.u32(0);
  out.u32(0);
  writeTypes(out);
  uint32_t typesLen = uint32_t(out.size() - kHeaderLen);
  out.patch32(12, typesLen);
  out.patch32(16, typesLen);
  out.patch32(20, uint32_t(stringsSize));
  out.reserve(out.size() + stringsSize);
  for (llvm::StringRef part : strings)
    out.bytes(llvm::arrayRefFromStringRef(part));
  return std::move(out).take();
}

} // namespace

std::vector<uint32_t> keptTypeIds(const Btf &base,
                                  const std::set<uint32_t> &dropRoots,
                                  const std::set<uint32_t> &keepRoots) {
  size_t n = base.size();
  std::vector<uint32_t> oldToNew(n + 1, 0);
  if (dropRoots.empty()) { // nothing goes: every type keeps its id
    for (uint32_t id = 1; id <= n; ++id)
      oldToNew[id] = id;
    return oldToNew;
  }
  // One byte of flags per type: these passes visit every type of a large
  // BTF on each load, and bit vectors made them several times slower.
  enum : uint8_t { kDropped = 1, kKept = 2, kCandidate = 4, kLive = 8 };
  std::vector<uint8_t> state(n + 1, 0);
  for (uint32_t id : dropRoots)
    if (id <= n)
      state[id] |= kDropped;
  for (uint32_t id : keepRoots)
    if (id <= n)
      state[id] |= kKept;
  // Types reachable from the dropped roots are candidates for removal...
  std::vector<uint32_t> work(dropRoots.begin(), dropRoots.end());
  while (!work.empty()) {
    uint32_t id = work.back();
    work.pop_back();
    if (id == 0 || id > n || (state[id] & kCandidate))
      continue;
    state[id] |= kCandidate;
    forEachReference(*base.type(id),
                     [&](uint32_t ref) { work.push_back(ref); });
  }
  // ...unless something that stays reaches them too. A DECL_TAG only
  // annotates its target, so it is no reason to keep it: it stays exactly
  // when the target does.
  auto mayBeDead = [&](uint32_t ref) {
    return ref != 0 && ref <= n && (state[ref] & (kCandidate | kDropped));
  };
  std::vector<uint32_t> tags;
  // Live types that refer to a type that may end up dropped: the only ones
  // that can lose a reference below.
  std::vector<uint32_t> suspects;
  auto markLive = [&](uint32_t root) {
    work.push_back(root);
    while (!work.empty()) {
      uint32_t id = work.back();
      work.pop_back();
      if (id == 0 || id > n || (state[id] & (kLive | kDropped)))
        continue;
      state[id] |= kLive;
      bool suspect = false;
      forEachReference(*base.type(id), [&](uint32_t ref) {
        suspect |= mayBeDead(ref);
        work.push_back(ref);
      });
      if (suspect)
        suspects.push_back(id);
    }
  };
  for (uint32_t id = 1; id <= n; ++id) {
    const Type &t = *base.type(id);
    bool isTag = t.kind == Kind::DeclTag && t.type != 0;
    if (isTag)
      tags.push_back(id);
    if ((!(state[id] & kCandidate) && !isTag) ||
        ((state[id] & kKept) && !(state[id] & kDropped)))
      markLive(id);
  }
  for (uint32_t id : tags) {
    uint32_t target = base.type(id)->type;
    if (!(state[id] & kDropped) && target <= n && (state[target] & kLive))
      state[id] |= kLive;
  }
  // A kept type pointing at a dropped one (a decl tag on a dropped VAR, a
  // DATASEC listing a dropped VAR) goes. Only suspects can; when one goes,
  // what refers to it must be checked again, which takes passes over all.
  auto dropIfDangling = [&](uint32_t id) {
    if (!(state[id] & kLive))
      return false;
    bool dangling = false;
    forEachReference(*base.type(id), [&](uint32_t ref) {
      dangling |= ref != 0 && ref <= n && !(state[ref] & kLive);
    });
    if (dangling)
      state[id] &= uint8_t(~kLive);
    return dangling;
  };
  bool changed = false;
  for (uint32_t id : suspects)
    changed |= dropIfDangling(id);
  while (changed) {
    changed = false;
    for (uint32_t id = 1; id <= n; ++id)
      changed |= dropIfDangling(id);
  }

  uint32_t next = 0;
  for (uint32_t id = 1; id <= n; ++id)
    if (state[id] & kLive)
      oldToNew[id] = ++next;
  return oldToNew;
}

Builder Builder::fromExisting(const Btf &base,
                              const std::set<uint32_t> &dropRoots,
                              const std::set<uint32_t> &keepRoots) {
  Builder b;
  b.oldToNew_ = keptTypeIds(base, dropRoots, keepRoots);
  size_t n = b.oldToNew_.size() - 1;
  size_t kept =
      n - size_t(std::count(b.oldToNew_.begin() + 1, b.oldToNew_.end(), 0u));
  b.baseStrings_ = base.stringTable();
  if (b.baseStrings_) {
    b.baseOffsets_.assign(b.baseStrings_->size(), 0);
    b.strings_.reserve(b.baseStrings_->size());
    b.stringOffsets_.reserve(unsigned(n));
  }
  b.types_.reserve(kept);
  for (uint32_t id = 1; id <= n; ++id) {
    if (!b.oldToNew_[id])
      continue;
    Type t = *base.type(id);
    forEachReference(t, [&](uint32_t &ref) { ref = b.mappedId(ref); });
    b.append(std::move(t));
  }
  return b;
}

uint32_t Builder::mappedId(uint32_t oldId) const {
  return oldId < oldToNew_.size() ? oldToNew_[oldId] : 0;
}

uint32_t Builder::add(Type type) {
  type.name = save(type.name);
  for (Member &m : type.members)
    m.name = save(m.name);
  for (Enumerator &e : type.enumerators)
    e.name = save(e.name);
  return append(std::move(type));
}

llvm::StringRef Builder::save(llvm::StringRef s) {
  if (s.empty())
    return {};
  char *copy = saved_.Allocate<char>(s.size());
  std::memcpy(copy, s.data(), s.size());
  return llvm::StringRef(copy, s.size());
}

uint32_t Builder::append(Type type) {
  type.id = uint32_t(types_.size() + 1);
  if (type.kind == Kind::Ptr && type.name.empty())
    anonPtrs_.try_emplace(type.type, type.id);
  if (type.kind == Kind::Array)
    arrays_.try_emplace(
        std::tuple(type.arrayElemType, type.arrayIndexType, type.arrayNelems),
        type.id);
  if (type.kind == Kind::Int && type.intOffset == 0 &&
      type.intBits == type.size * 8)
    ints_.try_emplace(std::tuple(type.name, type.size, type.intEncoding),
                      type.id);
  types_.push_back(std::move(type));
  return types_.back().id;
}

uint32_t Builder::intType(llvm::StringRef name, uint32_t size, bool isSigned) {
  uint8_t encoding = isSigned ? 1 : 0;
  if (auto it = ints_.find(std::tuple(name, size, encoding)); it != ints_.end())
    return it->second;
  Type t;
  t.kind = Kind::Int;
  t.name = name;
  t.size = size;
  t.intEncoding = encoding;
  t.intBits = uint8_t(size * 8);
  return add(std::move(t));
}

uint32_t Builder::ptrTo(uint32_t target) {
  if (auto it = anonPtrs_.find(target); it != anonPtrs_.end())
    return it->second;
  Type t;
  t.kind = Kind::Ptr;
  t.type = target;
  return add(std::move(t));
}

uint32_t Builder::arrayOf(uint32_t elem, uint32_t index, uint32_t nelems) {
  if (auto it = arrays_.find(std::tuple(elem, index, nelems));
      it != arrays_.end())
    return it->second;
  Type t;
  t.kind = Kind::Array;
  t.arrayElemType = elem;
  t.arrayIndexType = index;
  t.arrayNelems = nelems;
  return add(std::move(t));
}

const Type *Builder::type(uint32_t id) const {
  return id >= 1 && id <= types_.size() ? &types_[id - 1] : nullptr;
}

uint32_t Builder::stringOffset(llvm::StringRef s) {
  if (s.empty())
    return 0;
  if (baseStrings_) {
    if (auto entry = entryOffset(*baseStrings_, s)) {
      uint32_t &known = baseOffsets_[*entry];
      if (!known)
        known = internString(s, /*stable=*/true);
      return known;
    }
  }
  return internString(s, /*stable=*/false);
}

uint32_t Builder::internString(llvm::StringRef s, bool stable) {
  llvm::CachedHashStringRef key(s);
  auto it = stringOffsets_.find(key);
  if (it != stringOffsets_.end())
    return it->second;
  uint32_t off = uint32_t(strings_.size());
  strings_.insert(strings_.end(), s.begin(), s.end());
  strings_.push_back('\0');
  stringOffsets_.try_emplace(
      stable ? key : llvm::CachedHashStringRef(save(s), key.hash()), off);
  return off;
}

std::vector<uint8_t> Builder::encode(bool bigEndian) {
  // Types first: writing them adds their names to strings_.
  Writer types(bigEndian);
  for (const Type &t : types_)
    writeType(
        types, t, [&](llvm::StringRef s) { return stringOffset(s); },
        [](uint32_t id) { return id; });
  return encodeBtf(bigEndian, [&](Writer &w) { w.bytes(types.written()); },
                   {llvm::StringRef(strings_.data(), strings_.size())});
}

Subset::Subset(const Btf &base, std::vector<uint32_t> oldToNew)
    : base_(base), oldToNew_(std::move(oldToNew)) {}

uint32_t Subset::mappedId(uint32_t oldId) const {
  return oldId < oldToNew_.size() ? oldToNew_[oldId] : 0;
}

llvm::StringRef Subset::baseTable() const {
  return base_.stringTable() ? llvm::StringRef(*base_.stringTable())
                             : llvm::StringRef();
}

void Subset::replace(uint32_t oldId, Type edited) {
  edited_[oldId] = std::move(edited);
}

uint32_t Subset::stringOffset(llvm::StringRef s) {
  if (s.empty())
    return 0;
  llvm::StringRef table = baseTable();
  if (auto entry = entryOffset(table, s))
    return *entry;
  auto [it, added] = appendedOffsets_.try_emplace(
      s, uint32_t(table.size() + appended_.size()));
  if (added) {
    appended_ += s;
    appended_ += '\0';
  }
  return it->second;
}

std::vector<uint8_t> Subset::encode(bool bigEndian) const {
  llvm::StringRef table = baseTable();
  auto nameOffset = [&](llvm::StringRef s) {
    if (s.empty())
      return uint32_t(0);
    if (auto entry = entryOffset(table, s))
      return *entry;
    // An edited type's name added with stringOffset() beforehand.
    auto it = appendedOffsets_.find(s);
    assert(it != appendedOffsets_.end() && "string not added before encode");
    return it->second;
  };
  auto newId = [&](uint32_t oldId) { return mappedId(oldId); };
  auto typeOf = [&](uint32_t id) -> const Type & {
    auto edited = edited_.find(id);
    return edited != edited_.end() ? edited->second : *base_.type(id);
  };
  size_t typesSize = 0;
  for (uint32_t id = 1; id < oldToNew_.size(); ++id)
    if (oldToNew_[id])
      typesSize += encodedSize(typeOf(id));
  auto writeTypes = [&](Writer &w) {
    for (uint32_t id = 1; id < oldToNew_.size(); ++id)
      if (oldToNew_[id])
        writeType(w, typeOf(id), nameOffset, newId);
  };
  return encodeBtf(bigEndian, writeTypes, {table, appended_}, typesSize);
}

std::vector<uint8_t> encodeExt(const std::vector<ExtSection> &sections,
                               Builder &builder, bool bigEndian) {
  // One info block: record size, then per section name, count, records.
  auto block = [&](uint32_t recordSize, auto countOf, auto writeRecords) {
    Writer w(bigEndian);
    bool any = false;
    for (const ExtSection &s : sections)
      any |= countOf(s) > 0;
    if (!any)
      return std::move(w).take();
    w.u32(recordSize);
    for (const ExtSection &s : sections) {
      if (!countOf(s))
        continue;
      w.u32(builder.stringOffset(s.name));
      w.u32(uint32_t(countOf(s)));
      writeRecords(w, s);
    }
    return std::move(w).take();
  };
  std::vector<uint8_t> funcs = block(
      8, [](const ExtSection &s) { return s.funcInfo.size(); },
      [&](Writer &w, const ExtSection &s) {
        for (const FuncInfo &fi : s.funcInfo) {
          w.u32(fi.insnOff * 8);
          w.u32(fi.typeId);
        }
      });
  std::vector<uint8_t> lines = block(
      16, [](const ExtSection &s) { return s.lineInfo.size(); },
      [&](Writer &w, const ExtSection &s) {
        for (const LineInfo &li : s.lineInfo) {
          w.u32(li.insnOff * 8);
          w.u32(builder.stringOffset(li.fileName));
          w.u32(builder.stringOffset(li.line));
          w.u32(li.lineNum << 10 | (li.column & 0x3ff));
        }
      });
  std::vector<uint8_t> core = block(
      16, [](const ExtSection &s) { return s.coreRelos.size(); },
      [&](Writer &w, const ExtSection &s) {
        for (const CoreRelo &cr : s.coreRelos) {
          w.u32(cr.insnOff * 8);
          w.u32(cr.typeId);
          w.u32(builder.stringOffset(cr.accessString));
          w.u32(uint32_t(cr.kind));
        }
      });
  if (funcs.empty() && lines.empty() && core.empty())
    return {};
  Writer out(bigEndian);
  constexpr uint32_t kHeaderLen = 32;
  out.u16(kMagic);
  out.u8(1);
  out.u8(0);
  out.u32(kHeaderLen);
  uint32_t off = 0;
  for (const std::vector<uint8_t> *b : {&funcs, &lines, &core}) {
    out.u32(off);
    out.u32(uint32_t(b->size()));
    off += uint32_t(b->size());
  }
  for (const std::vector<uint8_t> *b : {&funcs, &lines, &core})
    out.bytes(*b);
  return std::move(out).take();
}

} // namespace bpfcompat::btf
