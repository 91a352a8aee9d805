// Fuzz target 3: read, convert for both consumers, then re-read the output.
// Conversion may refuse an input, but an object it writes must read back
// through our own reader (as libbpf 1.x style when written for libbpf), and
// must open in libbpf (bpf_object__open_mem parses ELF, BTF and relocations
// without the kernel): a converted object never breaks us or libbpf.
#include "bpfcompat/convert.h"
#include "bpfcompat/elf.h"
#include "bpfcompat/reader.h"

#include <bpf/libbpf.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace bpfcompat;

namespace {

[[noreturn]] void fail(const char *what, const std::string &detail) {
  std::fprintf(stderr, "fuzz_convert: %s: %s\n", what, detail.c_str());
  std::abort();
}

void checkOutput(const convert::Result &result, convert::Consumer consumer) {
  auto file = elf::File::fromBuffer(result.bytes, "converted.o");
  if (!file)
    fail("converted object is not readable ELF",
         llvm::toString(file.takeError()));
  auto reread = readObject(**file);
  if (!reread)
    fail("converted object does not read back",
         llvm::toString(reread.takeError()));
  // Output for tc keeps the source's section names (docs/conversion.md),
  // which may still say perf or iproute2; output for libbpf must not.
  if (consumer == convert::Consumer::Libbpf &&
      reread->verdict.convention != ir::Convention::Libbpf)
    fail("converted object is not detected as libbpf",
         ir::conventionName(reread->verdict.convention));

  bpf_object_open_opts opts{};
  opts.sz = sizeof(opts);
  opts.object_name = "converted";
  bpf_object *obj =
      bpf_object__open_mem(result.bytes.data(), result.bytes.size(), &opts);
  // Refusing is allowed (e.g. a program type libbpf does not know); what
  // must not happen is a crash, which the sanitizer or the signal reports.
  if (obj)
    bpf_object__close(obj);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  libbpf_set_print(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto file = elf::File::fromBuffer({data, size}, "fuzz.o");
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  auto object = readObject(**file);
  if (!object) {
    llvm::consumeError(object.takeError());
    return 0;
  }
  for (convert::Consumer consumer :
       {convert::Consumer::Libbpf, convert::Consumer::Tc}) {
    convert::Options options;
    options.consumer = consumer;
    auto result = convert::convertObject(*object, options);
    if (!result) {
      llvm::consumeError(result.takeError());
      continue;
    }
    checkOutput(*result, consumer);
    (void)convert::toDocument(result->report);
    (void)convert::summary(result->report);
  }
  return 0;
}
