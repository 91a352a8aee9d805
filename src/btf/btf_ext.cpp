// .BTF.ext parsing, following libbpf's btf_ext_parse_hdr and
// btf_ext_setup_info.
#include "bpfcompat/btf.h"
#include "bpfcompat/error.h"

#include "parse_support.h"

namespace bpfcompat::btf {

using detail::EndianReader;
using detail::StringResolver;

namespace {

constexpr uint32_t kMinHeaderSize = 24;      // up to line_info_len
constexpr uint32_t kCoreReloHeaderSize = 32; // up to core_relo_len
constexpr uint32_t kSectionHeaderSize = 8;   // struct btf_ext_info_sec
constexpr uint32_t kInsnSize = 8;

// One of the three record blocks: where it is and how its records look.
struct BlockSpec {
  const char *name;  // as libbpf calls them in messages
  uint32_t offField; // header offset of the block's *_off field
  uint32_t minRecordSize;
};

constexpr BlockSpec kFuncInfo{"func_info", 8, 8};
constexpr BlockSpec kLineInfo{"line_info", 16, 16};
constexpr BlockSpec kCoreRelo{"core_relo", 24, 16};

class ExtParser {
public:
  ExtParser(const EndianReader &in, const Btf &btf)
      : in_(in), btf_(btf),
        strings_(ownStrings(btf), btf.stringsSize() - ownStrings(btf).size(),
                 &btf, in.size() + btf.stringsSize()) {}

  llvm::Expected<BtfExt> parse() {
    if (!in_.contains(0, 8))
      return makeError("BTF.ext header truncated: section is " +
                       hex(in_.size()) + " bytes, need at least 0x8");
    if (llvm::Error err = detail::checkMagic(in_, "BTF.ext"))
      return err;
    if (uint8_t version = in_.u8(2); version != detail::kVersion)
      return makeError("BTF.ext version " + llvm::Twine(unsigned(version)) +
                       " at offset 0x2 is not supported (expected 1)");
    if (uint8_t flags = in_.u8(3); flags != 0)
      return makeError("BTF.ext flags " + hex(flags) +
                       " at offset 0x3 are not supported (expected 0)");
    hdrLen_ = in_.u32(4);
    if (hdrLen_ < kMinHeaderSize)
      return makeError("BTF.ext hdr_len " + hex(hdrLen_) +
                       " at offset 0x4 is smaller than the minimum " +
                       hex(kMinHeaderSize));
    if (hdrLen_ > in_.size())
      return makeError("BTF.ext hdr_len " + hex(hdrLen_) +
                       " at offset 0x4 runs past end of section (size " +
                       hex(in_.size()) + ")");

    BtfExt ext;
    ext.strings = btf_.stringTable();
    if (llvm::Error err =
            parseBlock(kFuncInfo, ext.funcInfo,
                       [this](uint64_t at) { return funcInfo(at); }))
      return err;
    if (llvm::Error err =
            parseBlock(kLineInfo, ext.lineInfo,
                       [this](uint64_t at) { return lineInfo(at); }))
      return err;
    // Headers from before CO-RE are 24 bytes and stop after line_info.
    if (hdrLen_ >= kCoreReloHeaderSize)
      if (llvm::Error err =
              parseBlock(kCoreRelo, ext.coreRelos,
                         [this](uint64_t at) { return coreRelo(at); }))
        return err;
    return ext;
  }

private:
  // Walks { u32 record_size; { sec_name_off, num_info, records[] }... }.
  // `decode(offset)` gives one record as llvm::Expected<Record>; a callable
  // rather than a member pointer, so it inlines (line records are many).
  template <typename Record, typename Decode>
  llvm::Error parseBlock(const BlockSpec &spec,
                         std::vector<SectionRecords<Record>> &out,
                         Decode decode) {
    uint32_t off = in_.u32(spec.offField);
    uint32_t len = in_.u32(spec.offField + 4);
    if (len == 0)
      return llvm::Error::success();
    uint64_t start = uint64_t(hdrLen_) + off;
    auto fail = [&](uint64_t offset, const llvm::Twine &msg) {
      return makeError(llvm::Twine(spec.name) + " at offset " + hex(offset) +
                       ": " + msg);
    };
    if (off % 4 != 0)
      return fail(start, "block is not 4-byte aligned (" +
                             llvm::Twine(spec.name) + "_off " + hex(off) + ")");
    if (!in_.contains(start, len))
      return fail(start, "block of " + hex(len) +
                             " bytes runs past end of section (size " +
                             hex(in_.size()) + ")");
    if (len < 4)
      return fail(start, "block of " + hex(len) +
                             " bytes has no room for its record size");
    uint32_t recordSize = in_.u32(start);
    if (recordSize < spec.minRecordSize || recordSize % 4 != 0)
      return fail(start, "record size " + hex(recordSize) +
                             " is invalid (must be a multiple of 4, at least " +
                             hex(spec.minRecordSize) + ")");

    uint64_t end = start + len;
    for (uint64_t pos = start + 4; pos < end;) {
      if (end - pos < kSectionHeaderSize)
        return fail(pos, "section header truncated (" + hex(end - pos) +
                             " bytes left in block)");
      auto section = strings_.at(in_.u32(pos), [] { return "section name"; });
      if (!section)
        return prefixError(section.takeError(),
                           llvm::Twine(spec.name) + " at offset " + hex(pos));
      uint32_t count = in_.u32(pos + 4);
      pos += kSectionHeaderSize;
      if (uint64_t(count) * recordSize > end - pos)
        return fail(pos - kSectionHeaderSize,
                    llvm::Twine(count) + " records of " + hex(recordSize) +
                        " bytes for section '" + *section +
                        "' run past end of block (" + hex(end - pos) +
                        " bytes left)");
      SectionRecords<Record> records{section->str(), {}, false};
      records.records.reserve(count);
      // Records may be longer than we know (newer producer): skip the rest.
      for (uint32_t i = 0; i < count; ++i, pos += recordSize) {
        auto record = decode(pos);
        if (!record)
          return prefixError(record.takeError(), llvm::Twine(spec.name) +
                                                     " record at offset " +
                                                     hex(pos));
        records.records.push_back(std::move(*record));
      }
      records.sorted = sortedByInsn(records.records);
      out.push_back(std::move(records));
    }
    return llvm::Error::success();
  }

  llvm::Expected<FuncInfo> funcInfo(uint64_t offset) {
    FuncInfo info;
    auto insn = insnIndex(offset);
    if (!insn)
      return insn.takeError();
    info.insnOff = *insn;
    auto typeId = checkedTypeId(in_.u32(offset + 4));
    if (!typeId)
      return typeId.takeError();
    info.typeId = *typeId;
    return info;
  }

  llvm::Expected<LineInfo> lineInfo(uint64_t offset) {
    LineInfo info;
    auto insn = insnIndex(offset);
    if (!insn)
      return insn.takeError();
    info.insnOff = *insn;
    // Runs of records share a file name: looked up once per run.
    uint32_t fileNameOffset = in_.u32(offset + 4);
    if (fileNameOffset != lastFileName_.first || lastFileName_.second.empty()) {
      auto fileName = strings_.at(fileNameOffset, [] { return "file name"; });
      if (!fileName)
        return fileName.takeError();
      lastFileName_ = {fileNameOffset, *fileName};
    } else if (llvm::Error err =
                   strings_.spendAgain(lastFileName_.second, "file name")) {
      return err;
    }
    info.fileName = lastFileName_.second;
    auto line = strings_.at(in_.u32(offset + 8), [] { return "line"; });
    if (!line)
      return line.takeError();
    info.line = *line;
    uint32_t lineCol = in_.u32(offset + 12);
    info.lineNum = lineCol >> 10;
    info.column = lineCol & 0x3ff;
    return info;
  }

  llvm::Expected<CoreRelo> coreRelo(uint64_t offset) {
    CoreRelo relo;
    auto insn = insnIndex(offset);
    if (!insn)
      return insn.takeError();
    relo.insnOff = *insn;
    auto typeId = checkedTypeId(in_.u32(offset + 4));
    if (!typeId)
      return typeId.takeError();
    relo.typeId = *typeId;
    auto access =
        strings_.at(in_.u32(offset + 8), [] { return "access string"; });
    if (!access)
      return access.takeError();
    relo.accessString = *access;
    // Unknown kinds pass through so later stages can name them.
    relo.kind = CoreReloKind(in_.u32(offset + 12));
    return relo;
  }

  // The object stores byte offsets; we count instructions, as libbpf does
  // after loading.
  llvm::Expected<uint32_t> insnIndex(uint64_t offset) {
    uint32_t byteOffset = in_.u32(offset);
    if (byteOffset % kInsnSize != 0)
      return makeError("insn_off " + hex(byteOffset) +
                       " is not a multiple of the 8-byte instruction size");
    return byteOffset / kInsnSize;
  }

  llvm::Expected<uint32_t> checkedTypeId(uint32_t id) {
    if (id > btf_.size())
      return makeError("type id " + llvm::Twine(id) +
                       " past the last type id " + llvm::Twine(btf_.size()));
    return id;
  }

  // The strings of `btf` itself, after those of its base when split.
  static llvm::StringRef ownStrings(const Btf &btf) {
    return btf.stringTable() ? llvm::StringRef(*btf.stringTable()) : "";
  }

  const EndianReader &in_;
  const Btf &btf_;
  StringResolver strings_;
  std::pair<uint32_t, llvm::StringRef> lastFileName_; // offset, name
  uint32_t hdrLen_ = 0;
};

} // namespace

const char *coreReloKindName(CoreReloKind kind) {
  // libbpf's spellings (core_relo_kind_str), so messages match its logs.
  switch (kind) {
  case CoreReloKind::FieldByteOffset:
    return "byte_off";
  case CoreReloKind::FieldByteSize:
    return "byte_sz";
  case CoreReloKind::FieldExists:
    return "field_exists";
  case CoreReloKind::FieldSigned:
    return "signed";
  case CoreReloKind::FieldLshiftU64:
    return "lshift_u64";
  case CoreReloKind::FieldRshiftU64:
    return "rshift_u64";
  case CoreReloKind::TypeIdLocal:
    return "local_type_id";
  case CoreReloKind::TypeIdTarget:
    return "target_type_id";
  case CoreReloKind::TypeExists:
    return "type_exists";
  case CoreReloKind::TypeSize:
    return "type_size";
  case CoreReloKind::EnumvalExists:
    return "enumval_exists";
  case CoreReloKind::EnumvalValue:
    return "enumval_value";
  case CoreReloKind::TypeMatches:
    return "type_matches";
  }
  return "unknown";
}

llvm::Expected<BtfExt> BtfExt::parse(llvm::ArrayRef<uint8_t> bytes,
                                     const Btf &btf, bool bigEndian) {
  EndianReader in(bytes, bigEndian);
  return ExtParser(in, btf).parse();
}

} // namespace bpfcompat::btf
