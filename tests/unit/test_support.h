// Paths and small helpers shared by the unit tests.
#pragma once

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace bpfcompat::test {

inline const std::string kSourceDir = BPFCOMPAT_SOURCE_DIR;
inline const std::string kCorpusDir = BPFCOMPAT_CORPUS_DIR;
// Corpus objects built against the build machine's vmlinux.h (no goldens).
inline const std::string kCorpusVmlinuxDir = BPFCOMPAT_CORPUS_VMLINUX_DIR;
inline const std::string kCli = BPFCOMPAT_CLI;
// Installed by scripts/setup.sh from Debian packages.
inline const std::string kCiliumTestdata =
    "/usr/share/gocode/src/github.com/cilium/ebpf/testdata";
inline const std::string kCiliumBtfTestdata =
    "/usr/share/gocode/src/github.com/cilium/ebpf/btf/testdata";
inline const std::string kLibxdpObjects = "/usr/lib/x86_64-linux-gnu/bpf";

inline std::vector<uint8_t> readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace bpfcompat::test
