#include "parse_support.h"

#include "bpfcompat/error.h"

namespace bpfcompat::btf::detail {

llvm::Error checkMagic(const EndianReader &in, llvm::StringRef what) {
  uint16_t magic = in.u16(0);
  if (magic == kMagic)
    return llvm::Error::success();
  bool swapped = magic == uint16_t(kMagic << 8 | kMagic >> 8);
  if (swapped)
    return makeError(what + " magic at offset 0x0 is " +
                     (in.bigEndian() ? "little" : "big") +
                     "-endian but the object is " +
                     (in.bigEndian() ? "big" : "little") + "-endian");
  return makeError(what + " magic at offset 0x0 is " + hex(magic) +
                   ", expected " + hex(kMagic));
}

llvm::Expected<llvm::StringRef> stringInTable(llvm::StringRef table,
                                              uint32_t offset) {
  if (offset >= table.size())
    return makeError("string offset " + hex(offset) +
                     " out of range (string section size " + hex(table.size()) +
                     ")");
  llvm::StringRef rest = table.substr(offset);
  size_t nul = rest.find('\0');
  if (nul == llvm::StringRef::npos)
    return makeError("string at offset " + hex(offset) +
                     " is not NUL-terminated inside the string section");
  return rest.take_front(nul);
}

namespace {

llvm::Error makeBudgetError(const llvm::Twine &what) {
  return makeError(what + ": strings referred to in the string table exceed " +
                   llvm::Twine(StringResolver::kFactor) +
                   " times the input size (one long string referenced over "
                   "and over?)");
}

} // namespace

llvm::Error StringResolver::spendAgain(llvm::StringRef s,
                                       const llvm::Twine &what) {
  if (s.size() > left_)
    return makeBudgetError(what);
  left_ -= s.size();
  return llvm::Error::success();
}

llvm::Expected<llvm::StringRef>
StringResolver::slowAt(uint32_t offset, const llvm::Twine &what) {
  auto s = offset < ownStart_ ? base_->stringAt(offset)
                              : stringInTable(own_, offset - ownStart_);
  if (!s)
    return prefixError(s.takeError(), what);
  if (llvm::Error err = spendAgain(*s, what))
    return err;
  return *s;
}

} // namespace bpfcompat::btf::detail
