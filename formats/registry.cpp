#include <cassert>

#include "formats.h"

namespace bpfcompat {

const std::vector<std::unique_ptr<Format>> &formats() {
  static const std::vector<std::unique_ptr<Format>> all = [] {
    std::vector<std::unique_ptr<Format>> list;
    list.push_back(plugins::makeLibbpf());
    list.push_back(plugins::makeLibbpfLegacy());
    list.push_back(plugins::makeIproute2());
    list.push_back(plugins::makeGobpf());
    list.push_back(plugins::makePerf());
    list.push_back(plugins::makeSamples());
    list.push_back(plugins::makeZig());
    return list;
  }();
  return all;
}

const Format &formatFor(ir::Convention convention) {
  for (const auto &format : formats())
    if (format->convention() == convention)
      return *format;
  assert(convention == ir::Convention::Unknown &&
         "every convention has a format");
  return *formats().front();
}

} // namespace bpfcompat
