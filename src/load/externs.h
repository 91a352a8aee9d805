// Resolving an object's externs against the running kernel: .kconfig values
// (LINUX_KERNEL_VERSION, CONFIG_*), ksym variables and kfuncs by BTF id.
#pragma once

#include "bpfcompat/ir.h"

#include <llvm/Support/Error.h>

#include <map>
#include <string>
#include <vector>

namespace bpfcompat::load {

// The value of the .kconfig map: every Kconfig extern at its offset.
struct KconfigMap {
  std::vector<uint8_t> value;
  std::map<std::string, uint32_t> offsets;
};

// `config` is the kernel config text (empty: read /proc/config.gz or
// /boot/config-$(uname -r)). Weak externs missing from it read as zero.
llvm::Expected<KconfigMap> buildKconfig(const ir::Object &object,
                                        const std::string &config = {});

struct Ksym {
  enum class Kind { BtfVar, Address, Kfunc };
  Kind kind = Kind::BtfVar;
  uint32_t btfId = 0;   // in vmlinux BTF (object fd 0)
  uint64_t address = 0; // typeless ksym, from /proc/kallsyms
};

llvm::Expected<Ksym> resolveKsym(const ir::Extern &ext, bool typeless);

} // namespace bpfcompat::load
