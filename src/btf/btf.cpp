// .BTF parsing, following the checks of libbpf's btf_parse_hdr,
// btf_parse_str_sec, btf_parse_type_sec and btf_sanity_check.
#include "bpfcompat/btf.h"

#include "bpfcompat/error.h"

#include "parse_support.h"

namespace bpfcompat::btf {

using detail::EndianReader;
using detail::StringResolver;

namespace {

constexpr uint32_t kHeaderSize = 24;          // sizeof(struct btf_header)
constexpr uint32_t kTypeHeaderSize = 12;      // sizeof(struct btf_type)
constexpr uint32_t kMaxNameOffset = 0xffffff; // BTF_MAX_NAME_OFFSET
constexpr uint32_t kMaxIntBits = 128;
constexpr uint32_t kPointerSize = 8; // BPF is a 64-bit target
constexpr int kMaxResolveDepth = 32; // libbpf's MAX_RESOLVE_DEPTH

// Where the sections are, as absolute offsets into the .BTF bytes.
struct Layout {
  uint64_t typeStart = 0;
  uint64_t typeLen = 0;
  uint64_t strStart = 0;
  uint64_t strLen = 0;
};

llvm::Expected<Layout> parseHeader(const EndianReader &in, bool split) {
  if (!in.contains(0, kHeaderSize))
    return makeError("BTF header truncated: section is " + hex(in.size()) +
                     " bytes, the header needs " + hex(kHeaderSize));
  if (llvm::Error err = detail::checkMagic(in, "BTF"))
    return err;
  if (uint8_t version = in.u8(2); version != detail::kVersion)
    return makeError("BTF version " + llvm::Twine(unsigned(version)) +
                     " at offset 0x2 is not supported (expected 1)");
  if (uint8_t flags = in.u8(3); flags != 0)
    return makeError("BTF flags " + hex(flags) +
                     " at offset 0x3 are not supported (expected 0)");
  uint32_t hdrLen = in.u32(4);
  if (hdrLen < kHeaderSize)
    return makeError("BTF hdr_len " + hex(hdrLen) +
                     " at offset 0x4 is smaller than the " + hex(kHeaderSize) +
                     "-byte header");
  if (hdrLen > in.size())
    return makeError("BTF hdr_len " + hex(hdrLen) +
                     " at offset 0x4 runs past end of section (size " +
                     hex(in.size()) + ")");
  // A longer header comes from a newer producer; like the kernel, accept it
  // only if the fields we do not know are zero.
  for (uint64_t offset = kHeaderSize; offset < hdrLen; ++offset)
    if (in.u8(offset) != 0)
      return makeError("BTF header byte at offset " + hex(offset) +
                       " is nonzero (hdr_len " + hex(hdrLen) +
                       "): unknown header fields must be zero");

  uint32_t typeOff = in.u32(8), typeLen = in.u32(12);
  uint32_t strOff = in.u32(16), strLen = in.u32(20);
  Layout layout{uint64_t(hdrLen) + typeOff, typeLen, uint64_t(hdrLen) + strOff,
                strLen};
  if (typeOff % 4 != 0)
    return makeError("BTF type_off " + hex(typeOff) +
                     " at offset 0x8 is not 4-byte aligned");
  if (!in.contains(layout.typeStart, typeLen))
    return makeError("BTF type section (type_off " + hex(typeOff) +
                     ", type_len " + hex(typeLen) +
                     ") runs past end of section (size " + hex(in.size()) +
                     ")");
  if (!in.contains(layout.strStart, strLen))
    return makeError("BTF string section (str_off " + hex(strOff) +
                     ", str_len " + hex(strLen) +
                     ") runs past end of section (size " + hex(in.size()) +
                     ")");
  // libbpf insists on types first, then strings.
  if (uint64_t(typeOff) + typeLen > strOff)
    return makeError("BTF type section at offset " + hex(layout.typeStart) +
                     " (type_len " + hex(typeLen) +
                     ") overlaps or follows the string section at offset " +
                     hex(layout.strStart));
  if (strLen == 0)
    return makeError("BTF string section is empty (str_len 0); it must hold "
                     "at least the empty string");
  if (strLen - 1 > kMaxNameOffset)
    return makeError("BTF string section size " + hex(strLen) +
                     " exceeds the maximum " + hex(kMaxNameOffset + 1));
  // Split BTF continues its base's string table; only the base starts
  // with the empty string (the kernel's btf_parse_str_sec).
  if (!split && in.u8(layout.strStart) != 0)
    return makeError("BTF string section at offset " + hex(layout.strStart) +
                     " does not start with NUL");
  if (in.u8(layout.strStart + strLen - 1) != 0)
    return makeError("BTF string section does not end with NUL (byte at "
                     "offset " +
                     hex(layout.strStart + strLen - 1) + ")");
  return layout;
}

bool isModOrTypedef(Kind kind) {
  return kind == Kind::Typedef || kind == Kind::Volatile ||
         kind == Kind::Const || kind == Kind::Restrict || kind == Kind::TypeTag;
}

bool hasVlenRecords(Kind kind) {
  return kind == Kind::Struct || kind == Kind::Union || kind == Kind::Enum ||
         kind == Kind::Enum64 || kind == Kind::FuncProto ||
         kind == Kind::Datasec;
}

class TypeParser {
public:
  // `base` (split BTF): ids continue after its types, string offsets
  // after its string table.
  TypeParser(const EndianReader &in, const Layout &layout,
             llvm::StringRef strings, const Btf *base)
      : in_(in), layout_(layout),
        firstId_(base ? uint32_t(base->size()) + 1 : 1),
        names_(strings, base ? base->stringsSize() : 0, base, in.size()) {}

  llvm::Expected<std::vector<Type>> parse() {
    std::vector<Type> types;
    // Every type takes at least kTypeHeaderSize bytes, which bounds these.
    types.reserve(layout_.typeLen / kTypeHeaderSize);
    offsets_.reserve(layout_.typeLen / kTypeHeaderSize);
    uint64_t offset = layout_.typeStart;
    uint64_t end = layout_.typeStart + layout_.typeLen;
    while (offset < end) {
      Type &t = types.emplace_back();
      t.id = uint32_t(firstId_ + types.size() - 1);
      auto next = parseType(offset, end, t);
      if (!next)
        return prefixError(next.takeError(), "BTF type #" + llvm::Twine(t.id) +
                                                 " at offset " + hex(offset));
      offsets_.push_back(offset);
      offset = *next;
    }
    // Type ids may point forward, so they are checked once all types are
    // known: here by their maximum, and one by one only to name the culprit.
    if (maxReferencedId_ > firstId_ - 1 + types.size())
      return typeIdError(types);
    return types;
  }

private:
  // Decodes the type at `offset` into `t`; returns the next type's offset.
  llvm::Expected<uint64_t> parseType(uint64_t offset, uint64_t end, Type &t) {
    if (end - offset < kTypeHeaderSize)
      return makeError("truncated: " + hex(end - offset) +
                       " bytes left in type section, a type needs " +
                       hex(kTypeHeaderSize));
    uint32_t info = in_.u32(offset + 4);
    uint32_t sizeOrType = in_.u32(offset + 8);
    uint32_t kindNumber = (info >> 24) & 0x1f;
    if (kindNumber == 0 || kindNumber > uint32_t(Kind::Enum64))
      return makeError("unknown kind " + llvm::Twine(kindNumber));
    t.kind = Kind(kindNumber);
    t.kindFlag = info >> 31;
    uint16_t vlen = info & 0xffff;

    uint64_t extra = detail::extraSize(t.kind, vlen);
    uint64_t p = offset + kTypeHeaderSize;
    if (extra > end - p) {
      if (hasVlenRecords(t.kind))
        return makeError(llvm::Twine(kindName(t.kind)) + " vlen " +
                         llvm::Twine(vlen) + " (" + hex(extra) +
                         " bytes of records) runs past end of type section "
                         "(size " +
                         hex(layout_.typeLen) + ")");
      return makeError(llvm::Twine(kindName(t.kind)) + " data (" + hex(extra) +
                       " bytes) runs past end of type section (size " +
                       hex(layout_.typeLen) + ")");
    }
    auto name = names_.at(in_.u32(offset), [] { return "name"; });
    if (!name)
      return name.takeError();
    t.name = *name;

    switch (t.kind) {
    case Kind::Int: {
      t.size = sizeOrType;
      uint32_t data = in_.u32(p);
      t.intEncoding = (data >> 24) & 0x0f;
      t.intOffset = (data >> 16) & 0xff;
      t.intBits = data & 0xff;
      if (t.intBits > kMaxIntBits)
        return makeError("INT bits " + llvm::Twine(unsigned(t.intBits)) +
                         " exceed " + llvm::Twine(kMaxIntBits));
      if (uint64_t(t.intOffset) + t.intBits > uint64_t(t.size) * 8)
        return makeError("INT offset " + llvm::Twine(unsigned(t.intOffset)) +
                         " + bits " + llvm::Twine(unsigned(t.intBits)) +
                         " exceed its size of " + llvm::Twine(t.size) +
                         " bytes");
      break;
    }
    case Kind::Ptr:
    case Kind::Typedef:
    case Kind::Volatile:
    case Kind::Const:
    case Kind::Restrict:
    case Kind::TypeTag:
      t.type = referencedId(sizeOrType);
      break;
    case Kind::Fwd: // kind_flag tells struct from union; nothing else
      break;
    case Kind::Func:
      t.type = referencedId(sizeOrType);
      t.linkage = vlen;
      break;
    case Kind::Var:
      t.type = referencedId(sizeOrType);
      t.linkage = in_.u32(p);
      break;
    case Kind::DeclTag:
      t.type = referencedId(sizeOrType);
      t.componentIdx = int32_t(in_.u32(p));
      break;
    case Kind::Array:
      t.arrayElemType = referencedId(in_.u32(p));
      t.arrayIndexType = referencedId(in_.u32(p + 4));
      t.arrayNelems = in_.u32(p + 8);
      break;
    case Kind::Struct:
    case Kind::Union:
      t.size = sizeOrType;
      t.members.resize(vlen);
      for (uint32_t i = 0; i < vlen; ++i, p += 12) {
        Member &m = t.members[i];
        auto memberName = names_.at(
            in_.u32(p), [i] { return "member #" + std::to_string(i); });
        if (!memberName)
          return memberName.takeError();
        m.name = *memberName;
        m.type = referencedId(in_.u32(p + 4));
        uint32_t bits = in_.u32(p + 8);
        m.bitOffset = t.kindFlag ? bits & 0xffffff : bits;
        m.bitfieldSize = t.kindFlag ? bits >> 24 : 0;
      }
      break;
    case Kind::Enum:
    case Kind::Enum64: {
      t.size = sizeOrType;
      bool is64 = t.kind == Kind::Enum64;
      t.enumerators.resize(vlen);
      for (uint32_t i = 0; i < vlen; ++i, p += is64 ? 12 : 8) {
        Enumerator &e = t.enumerators[i];
        auto enumName = names_.at(
            in_.u32(p), [i] { return "enumerator #" + std::to_string(i); });
        if (!enumName)
          return enumName.takeError();
        e.name = *enumName;
        uint32_t lo = in_.u32(p + 4);
        if (is64)
          e.value = int64_t(uint64_t(in_.u32(p + 8)) << 32 | lo);
        else // kind_flag marks a signed enum
          e.value = t.kindFlag ? int64_t(int32_t(lo)) : int64_t(lo);
      }
      break;
    }
    case Kind::FuncProto:
      t.type = referencedId(sizeOrType);
      t.members.resize(vlen);
      for (uint32_t i = 0; i < vlen; ++i, p += 8) {
        Member &param = t.members[i];
        auto paramName = names_.at(
            in_.u32(p), [i] { return "param #" + std::to_string(i); });
        if (!paramName)
          return paramName.takeError();
        param.name = *paramName;
        param.type = referencedId(in_.u32(p + 4));
      }
      break;
    case Kind::Datasec:
      t.size = sizeOrType;
      t.secinfos.reserve(vlen);
      for (uint32_t i = 0; i < vlen; ++i, p += 12)
        t.secinfos.push_back(
            {referencedId(in_.u32(p)), in_.u32(p + 4), in_.u32(p + 8)});
      break;
    case Kind::Float:
      t.size = sizeOrType;
      break;
    case Kind::Unknown:
      llvm_unreachable("rejected above");
    }
    return offset + kTypeHeaderSize + extra;
  }

  // Notes a type id this BTF refers to, to be checked against the last id.
  uint32_t referencedId(uint32_t id) {
    maxReferencedId_ = std::max(maxReferencedId_, id);
    return id;
  }

  // The error for the first reference past the last type id.
  llvm::Error typeIdError(const std::vector<Type> &types) const {
    uint32_t lastId = uint32_t(firstId_ - 1 + types.size());
    for (const Type &t : types) {
      auto check = [&](uint32_t id, const llvm::Twine &what) -> llvm::Error {
        if (id <= lastId)
          return llvm::Error::success();
        return makeError("BTF type #" + llvm::Twine(t.id) + " at offset " +
                         hex(offsets_[t.id - firstId_]) + ": " + what +
                         " refers to type id " + llvm::Twine(id) +
                         " past the last type id " + llvm::Twine(lastId));
      };
      llvm::Error err = llvm::Error::success();
      switch (t.kind) {
      case Kind::Array:
        err = llvm::joinErrors(check(t.arrayElemType, "element type"),
                               check(t.arrayIndexType, "index type"));
        break;
      case Kind::Struct:
      case Kind::Union:
      case Kind::FuncProto: {
        bool isProto = t.kind == Kind::FuncProto;
        if (isProto)
          err = check(t.type, "return type");
        for (size_t i = 0; i < t.members.size() && !err; ++i)
          err = check(t.members[i].type,
                      llvm::Twine(isProto ? "param #" : "member #") +
                          llvm::Twine(i) + " type");
        break;
      }
      case Kind::Datasec:
        for (size_t i = 0; i < t.secinfos.size() && !err; ++i)
          err =
              check(t.secinfos[i].type, "secinfo #" + llvm::Twine(i) + " type");
        break;
      case Kind::Ptr:
      case Kind::Typedef:
      case Kind::Volatile:
      case Kind::Const:
      case Kind::Restrict:
      case Kind::TypeTag:
      case Kind::Func:
      case Kind::Var:
      case Kind::DeclTag:
        err = check(t.type, "type");
        break;
      default:
        break;
      }
      if (err)
        return err;
    }
    llvm_unreachable("called with a reference past the last type id");
  }

  const EndianReader &in_;
  const Layout &layout_;
  uint32_t firstId_;
  StringResolver names_;
  uint32_t maxReferencedId_ = 0;
  std::vector<uint64_t> offsets_; // section offset of each type, by id - 1
};

} // namespace

const char *kindName(Kind kind) {
  switch (kind) {
  case Kind::Unknown:
    return "UNKN";
  case Kind::Int:
    return "INT";
  case Kind::Ptr:
    return "PTR";
  case Kind::Array:
    return "ARRAY";
  case Kind::Struct:
    return "STRUCT";
  case Kind::Union:
    return "UNION";
  case Kind::Enum:
    return "ENUM";
  case Kind::Fwd:
    return "FWD";
  case Kind::Typedef:
    return "TYPEDEF";
  case Kind::Volatile:
    return "VOLATILE";
  case Kind::Const:
    return "CONST";
  case Kind::Restrict:
    return "RESTRICT";
  case Kind::Func:
    return "FUNC";
  case Kind::FuncProto:
    return "FUNC_PROTO";
  case Kind::Var:
    return "VAR";
  case Kind::Datasec:
    return "DATASEC";
  case Kind::Float:
    return "FLOAT";
  case Kind::DeclTag:
    return "DECL_TAG";
  case Kind::TypeTag:
    return "TYPE_TAG";
  case Kind::Enum64:
    return "ENUM64";
  }
  return "UNKN";
}

llvm::Expected<Btf> Btf::parse(llvm::ArrayRef<uint8_t> bytes, bool bigEndian) {
  return parseImpl(bytes, bigEndian, nullptr);
}

llvm::Expected<Btf> Btf::parseSplit(llvm::ArrayRef<uint8_t> bytes,
                                    const Btf &base) {
  return parseImpl(bytes, /*bigEndian=*/false, &base);
}

llvm::Expected<Btf> Btf::parseImpl(llvm::ArrayRef<uint8_t> bytes,
                                   bool bigEndian, const Btf *base) {
  EndianReader in(bytes, bigEndian);
  auto layout = parseHeader(in, base != nullptr);
  if (!layout)
    return layout.takeError();
  Btf btf;
  btf.base_ = base;
  btf.strings_ = std::make_shared<const std::string>(
      reinterpret_cast<const char *>(bytes.data() + layout->strStart),
      layout->strLen);
  auto types = TypeParser(in, *layout, *btf.strings_, base).parse();
  if (!types)
    return types.takeError();
  btf.types_ = std::move(*types);
  return btf;
}

const Type *Btf::findByName(llvm::StringRef name, Kind kind) const {
  if (base_)
    if (const Type *t = base_->findByName(name, kind))
      return t;
  for (const Type &t : types_)
    if (t.kind == kind && t.name == name)
      return &t;
  return nullptr;
}

const Type *Btf::skipModsAndTypedefs(uint32_t id) const {
  for (int depth = 0; depth < kMaxResolveDepth; ++depth) {
    const Type *t = type(id);
    if (!t || !isModOrTypedef(t->kind))
      return t;
    id = t->type;
  }
  return nullptr;
}

llvm::Expected<uint64_t> Btf::resolveSize(uint32_t id) const {
  auto fail = [&](const llvm::Twine &msg) {
    return makeError("size of type id " + llvm::Twine(id) + ": " + msg);
  };
  // Like btf__resolve_size, the result must fit in 32 bits.
  uint64_t nelems = 1;
  uint32_t current = id;
  for (int depth = 0; depth < kMaxResolveDepth; ++depth) {
    const Type *t = type(current);
    if (current == 0)
      return fail("resolves to void");
    if (!t)
      return fail("type id " + llvm::Twine(current) + " does not exist");
    uint64_t size = 0;
    switch (t->kind) {
    case Kind::Int:
    case Kind::Struct:
    case Kind::Union:
    case Kind::Enum:
    case Kind::Enum64:
    case Kind::Datasec:
    case Kind::Float:
      size = t->size;
      break;
    case Kind::Ptr:
      size = kPointerSize;
      break;
    case Kind::Typedef:
    case Kind::Volatile:
    case Kind::Const:
    case Kind::Restrict:
    case Kind::Var:
    case Kind::DeclTag:
    case Kind::TypeTag:
      current = t->type;
      continue;
    case Kind::Array:
      if (nelems != 0 && t->arrayNelems > UINT32_MAX / nelems)
        return fail("array element count overflows 32 bits at type id " +
                    llvm::Twine(current));
      nelems *= t->arrayNelems;
      current = t->arrayElemType;
      continue;
    default:
      return fail(llvm::Twine(kindName(t->kind)) + " (type id " +
                  llvm::Twine(current) + ") has no size");
    }
    if (nelems != 0 && size > UINT32_MAX / nelems)
      return fail("array size overflows 32 bits");
    return nelems * size;
  }
  return fail("more than " + llvm::Twine(kMaxResolveDepth) +
              " typedefs, modifiers and arrays deep (a loop?)");
}

llvm::Expected<llvm::StringRef> Btf::stringAt(uint32_t offset) const {
  uint32_t baseSize = base_ ? base_->stringsSize() : 0;
  if (offset < baseSize)
    return base_->stringAt(offset);
  return detail::stringInTable(strings_ ? llvm::StringRef(*strings_) : "",
                               offset - baseSize);
}

} // namespace bpfcompat::btf
