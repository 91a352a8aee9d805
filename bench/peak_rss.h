// Peak resident memory of one operation, measured in a forked child so
// every measurement starts from the same process image: the growth of the
// child's high-water mark (ru_maxrss) while it runs the operation once.
#pragma once

#include <llvm/ADT/STLFunctionalExtras.h>
#include <llvm/Support/Error.h>

#include <cstdint>

namespace bpfcompat::bench {

// Kilobytes by which the peak RSS grew while `operation` ran; an error when
// the operation failed or the child died.
llvm::Expected<uint64_t> peakRssGrowthKb(llvm::function_ref<bool()> operation);

} // namespace bpfcompat::bench
