// Factories of the format plugins; the registry lists them in one place.
#pragma once

#include "bpfcompat/reader.h"

#include <memory>

namespace bpfcompat::plugins {

std::unique_ptr<Format> makeLibbpf();
std::unique_ptr<Format> makeLibbpfLegacy();
std::unique_ptr<Format> makeIproute2();
std::unique_ptr<Format> makeGobpf();
std::unique_ptr<Format> makePerf();
std::unique_ptr<Format> makeSamples();
std::unique_ptr<Format> makeZig();

} // namespace bpfcompat::plugins
