// Scratch pin directories of `check --kernel` loads: one per load, named after
// the worker's pid, so the runner can remove what a worker it stopped left.
#pragma once

#include <string>

namespace bpfcompat::check {

// "<bpffsRoot>/bpfcompat-check-<pid>-"; a load appends a counter.
std::string scratchPinPrefix(const std::string &bpffsRoot, int pid);
// Removes every scratch directory of `pid`, with what is pinned in it.
void removeScratchPins(const std::string &bpffsRoot, int pid);

} // namespace bpfcompat::check
