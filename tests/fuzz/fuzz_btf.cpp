// Fuzz target 2: .BTF and .BTF.ext parsing. The input is a .BTF section
// directly followed by a .BTF.ext section (seeds: the two sections of a corpus
// object, concatenated by scripts/fuzz.sh). The .BTF header says how long
// the section is, so the split needs no framing bytes the mutator could break.
#include "bpfcompat/btf.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

using namespace bpfcompat;

namespace {

uint32_t word(const uint8_t *p, bool bigEndian) {
  return bigEndian ? uint32_t(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3]
                   : uint32_t(p[3]) << 24 | p[2] << 16 | p[1] << 8 | p[0];
}

// hdr_len + the end of the later of the type and string areas; the whole
// input when the header is too short to say.
size_t btfLength(const uint8_t *data, size_t size, bool bigEndian) {
  if (size < 24)
    return size;
  uint64_t hdrLen = word(data + 4, bigEndian);
  uint64_t typeEnd =
      uint64_t(word(data + 8, bigEndian)) + word(data + 12, bigEndian);
  uint64_t strEnd =
      uint64_t(word(data + 16, bigEndian)) + word(data + 20, bigEndian);
  return size_t(std::min<uint64_t>(size, hdrLen + std::max(typeEnd, strEnd)));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The magic 0xeb9f in the object's byte order tells it, as in the reader.
  bool bigEndian = size >= 2 && data[0] == 0xeb && data[1] == 0x9f;
  size_t btfSize = btfLength(data, size, bigEndian);
  auto btf = btf::Btf::parse({data, btfSize}, bigEndian);
  if (!btf) {
    llvm::consumeError(btf.takeError());
    return 0;
  }
  // Queries the reader makes of every type: sizes and modifier chains.
  for (uint32_t id = 0; id <= btf->size(); ++id) {
    auto size = btf->resolveSize(id);
    if (!size)
      llvm::consumeError(size.takeError());
    (void)btf->skipModsAndTypedefs(id);
  }
  auto ext =
      btf::BtfExt::parse({data + btfSize, size - btfSize}, *btf, bigEndian);
  if (!ext)
    llvm::consumeError(ext.takeError());
  return 0;
}
