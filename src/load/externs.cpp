#include "externs.h"

#include "bpfcompat/btf.h"
#include "bpfcompat/error.h"
#include "bpfcompat/kernel.h"

#include <llvm/ADT/StringExtras.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sys/utsname.h>
#include <zlib.h>

#include "kernel_btf.h"

namespace bpfcompat::load {

namespace {

std::string readKernelConfig() {
  if (gzFile gz = gzopen("/proc/config.gz", "rb")) {
    std::string text;
    char buf[65536];
    int n;
    while ((n = gzread(gz, buf, sizeof(buf))) > 0)
      text.append(buf, size_t(n));
    gzclose(gz);
    return text;
  }
  utsname u;
  if (uname(&u) != 0)
    return "";
  std::ifstream in(std::string("/boot/config-") + u.release);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// CONFIG_X=y|m|n|number; strings are not supported as values.
std::optional<int64_t> configValue(llvm::StringRef config,
                                   llvm::StringRef name) {
  llvm::SmallVector<llvm::StringRef, 0> lines;
  config.split(lines, '\n');
  for (llvm::StringRef line : lines) {
    if (!line.consume_front(name) || !line.consume_front("="))
      continue;
    if (line == "y")
      return 1;
    if (line == "m")
      return 2;
    if (line == "n")
      return 0;
    long long value;
    if (!line.getAsInteger(0, value))
      return value;
  }
  return std::nullopt;
}

std::optional<uint64_t> kallsymsAddress(llvm::StringRef name) {
  std::ifstream in("/proc/kallsyms");
  std::string address, type, symbol;
  while (in >> address >> type >> symbol) {
    in.ignore(1 << 20, '\n');
    if (symbol == name) {
      unsigned long long value;
      if (llvm::StringRef(address).getAsInteger(16, value) || value == 0)
        return std::nullopt; // hidden by kptr_restrict
      return value;
    }
  }
  return std::nullopt;
}

} // namespace

llvm::Expected<KconfigMap> buildKconfig(const ir::Object &object,
                                        const std::string &config) {
  struct Slot {
    const ir::Extern *ext;
    uint64_t size = 8, align = 8;
  };
  std::vector<Slot> slots;
  for (const ir::Extern &ext : object.externs) {
    if (ext.kind != ir::Extern::Kind::Kconfig)
      continue;
    // Size and alignment from the extern's BTF VAR when present; 8 bytes
    // otherwise, which holds any integer Kconfig value.
    Slot slot{&ext};
    if (object.btf) {
      if (const btf::Type *var =
              object.btf->findByName(ext.name, btf::Kind::Var)) {
        if (auto resolved = object.btf->resolveSize(var->type))
          slot.size = slot.align = *resolved;
        else
          llvm::consumeError(resolved.takeError());
      }
    }
    if (slot.size == 0 || slot.size > 8 || (slot.size & (slot.size - 1)) != 0)
      return makeError("kconfig extern '" + ext.name + "' of " +
                       llvm::Twine(slot.size) + " bytes is not an integer");
    slots.push_back(slot);
  }
  // libbpf's layout (cmp_externs): alignment descending, then size
  // ascending, then name; equal layouts give equal instructions.
  std::sort(slots.begin(), slots.end(), [](const Slot &a, const Slot &b) {
    if (a.align != b.align)
      return a.align > b.align;
    if (a.size != b.size)
      return a.size < b.size;
    return a.ext->name < b.ext->name;
  });
  KconfigMap out;
  std::string text;
  bool haveText = false;
  for (const Slot &slot : slots) {
    const ir::Extern &ext = *slot.ext;
    int64_t value = 0;
    if (ext.name == "LINUX_KERNEL_VERSION") {
      value = kern::runningKernelVersion();
    } else if (ext.name == "LINUX_HAS_BPF_COOKIE") {
      value = kern::runningKernelVersion() >= 0x050f00; // bpf_get_attach_cookie
    } else if (ext.name == "LINUX_HAS_SYSCALL_WRAPPER") {
      // x86-64 syscalls take a struct pt_regs * since 4.17.
      value = kern::runningKernelVersion() >= 0x041100;
    } else {
      if (!haveText) {
        text = config.empty() ? readKernelConfig() : config;
        haveText = true;
      }
      std::optional<int64_t> found = configValue(text, ext.name);
      if (!found && !ext.weak)
        return makeError("kconfig extern '" + ext.name +
                         "' is not set in the running kernel's config "
                         "(declare it __weak to default to 0)");
      value = found.value_or(0);
    }
    uint32_t offset =
        uint32_t((out.value.size() + slot.align - 1) / slot.align * slot.align);
    out.value.resize(offset + slot.size, 0);
    // Host byte order: the map is read by programs on this machine.
    std::memcpy(out.value.data() + offset, &value, slot.size);
    out.offsets[ext.name] = offset;
  }
  return out;
}

llvm::Expected<Ksym> resolveKsym(const ir::Extern &ext, bool typeless) {
  Ksym out;
  if (typeless && ext.kind == ir::Extern::Kind::KsymVar) {
    std::optional<uint64_t> address = kallsymsAddress(ext.name);
    if (!address)
      return makeError("ksym '" + ext.name +
                       "' has no visible address in /proc/kallsyms");
    out.kind = Ksym::Kind::Address;
    out.address = *address;
    return out;
  }
  auto vmlinux = runningKernelBtf();
  if (!vmlinux)
    return vmlinux.takeError();
  bool kfunc = ext.kind == ir::Extern::Kind::Kfunc;
  const btf::Type *t = (*vmlinux)->findByName(ext.name, kfunc ? btf::Kind::Func
                                                              : btf::Kind::Var);
  if (!t)
    return makeError(std::string(kfunc ? "kfunc" : "ksym") + " '" + ext.name +
                     "' is not in the running kernel's BTF");
  out.kind = kfunc ? Ksym::Kind::Kfunc : Ksym::Kind::BtfVar;
  out.btfId = t->id;
  return out;
}

} // namespace bpfcompat::load
