// Fuzz target 1: the whole reading pipeline on arbitrary bytes. ELF view,
// facts, detection and the IR for the detected convention and for one
// convention forced, as `inspect --convention` does. Any input must end in a
// value or an llvm::Error; sanitizers and libFuzzer's -rss_limit_mb and
// -timeout catch the rest.
#include "bpfcompat/elf.h"
#include "bpfcompat/reader.h"

#include <cstddef>
#include <cstdint>

using namespace bpfcompat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto file = elf::File::fromBuffer({data, size}, "fuzz.o");
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }
  ObjectFacts facts = computeFacts(**file);
  (void)detectConvention(**file, facts);
  auto object = readObject(**file);
  if (!object)
    llvm::consumeError(object.takeError());
  // Forcing a convention runs plugins on objects they would never claim.
  // One per input (chosen by its size, so a reproducer replays it), which
  // keeps executions fast enough on a shared machine.
  ReadOptions options;
  options.convention = formats()[size % formats().size()]->convention();
  auto forced = readObject(**file, options);
  if (!forced)
    llvm::consumeError(forced.takeError());
  return 0;
}
