#include "kernel_btf.h"

#include "bpfcompat/elf.h"
#include "bpfcompat/error.h"

#include <llvm/Support/FileSystem.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/Path.h>

#include <linux/bpf.h>
#include <map>
#include <memory>
#include <mutex>

namespace bpfcompat::load {

namespace {

constexpr const char *kBtfDir = "/sys/kernel/btf";
constexpr const char *kVmlinux = "/sys/kernel/btf/vmlinux";

llvm::ArrayRef<uint8_t> bytesOf(const llvm::MemoryBuffer &buffer) {
  return {reinterpret_cast<const uint8_t *>(buffer.getBufferStart()),
          buffer.getBufferSize()};
}

// Raw BTF (as in /sys/kernel/btf, or `bpftool btf dump ... format raw`
// output), or an ELF file carrying .BTF (a vmlinux image, an object).
llvm::Expected<btf::Btf> readBtfFile(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(path + ": " + buffer.getError().message());
  llvm::StringRef head = (*buffer)->getBuffer();
  if (head.startswith("\x7f"
                      "ELF")) {
    auto file = elf::File::open(path);
    if (!file)
      return prefixError(file.takeError(), path);
    const elf::Section *sec = (*file)->sectionByName(".BTF");
    if (!sec)
      return makeError(path + ": ELF file has no .BTF section");
    return prefixError(btf::Btf::parse(sec->data, (*file)->bigEndian()),
                       path + ": section '.BTF'");
  }
  // BTF magic 0xeB9F in either byte order.
  bool bigEndian = head.size() >= 2 && uint8_t(head[0]) == 0xeb;
  return prefixError(btf::Btf::parse(bytesOf(**buffer), bigEndian), path);
}

// Parsed BTF by path, kept for the process: vmlinux BTF is megabytes and
// every load of every object needs it.
struct Cache {
  std::mutex mutex;
  std::map<std::string, std::unique_ptr<btf::Btf>> btfs;
  std::map<std::string, std::unique_ptr<core::Targets>> targets;
};

Cache &cache() {
  static Cache c;
  return c;
}

llvm::Expected<const btf::Btf *> cached(const std::string &path) {
  Cache &c = cache();
  if (auto it = c.btfs.find(path); it != c.btfs.end())
    return it->second.get();
  auto parsed = readBtfFile(path);
  if (!parsed)
    return parsed.takeError();
  auto &slot = c.btfs[path];
  slot = std::make_unique<btf::Btf>(std::move(*parsed));
  return slot.get();
}

} // namespace

llvm::Expected<const btf::Btf *> runningKernelBtf() {
  std::lock_guard<std::mutex> lock(cache().mutex);
  return cached(kVmlinux);
}

llvm::Expected<uint32_t> attachBtfId(uint32_t attachType,
                                     const std::string &target) {
  std::string name;
  btf::Kind kind = btf::Kind::Func;
  switch (attachType) {
  case BPF_TRACE_RAW_TP:
    name = "btf_trace_" + target;
    kind = btf::Kind::Typedef;
    break;
  case BPF_TRACE_FENTRY:
  case BPF_TRACE_FEXIT:
  case BPF_MODIFY_RETURN:
    name = target;
    break;
  case BPF_LSM_MAC:
  case BPF_LSM_CGROUP:
    name = "bpf_lsm_" + target;
    break;
  case BPF_TRACE_ITER:
    name = "bpf_iter_" + target;
    break;
  default:
    return 0;
  }
  auto vmlinux = runningKernelBtf();
  if (!vmlinux)
    return vmlinux.takeError();
  const btf::Type *t = (*vmlinux)->findByName(name, kind);
  if (!t)
    return makeError("attach target '" + target + "' (" + btf::kindName(kind) +
                     " " + name + ") is not in the running kernel's BTF");
  return t->id;
}

llvm::Expected<const core::Targets *> coreTargets(const std::string &path) {
  Cache &c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  if (auto it = c.targets.find(path); it != c.targets.end())
    return it->second.get();
  std::string file = path.empty() ? kVmlinux : path;
  auto main = cached(file);
  if (!main)
    return prefixError(main.takeError(),
                       "BTF for CO-RE relocations (give another with --btf)");
  auto targets = std::make_unique<core::Targets>();
  targets->main = {path.empty() ? "vmlinux" : path, *main, 1};
  // Module BTF only for the running kernel (libbpf skips it with a custom
  // BTF path too). Parsed with the rest: there are few, and they are small.
  if (path.empty()) {
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(kBtfDir, ec), end;
         !ec && it != end; it.increment(ec)) {
      std::string module = llvm::sys::path::filename(it->path()).str();
      if (module == "vmlinux" || c.btfs.count(it->path()))
        continue;
      auto buffer = llvm::MemoryBuffer::getFile(
          it->path(), /*IsText=*/false, /*RequiresNullTerminator=*/false);
      if (!buffer)
        return makeError(it->path() + ": " + buffer.getError().message());
      auto split = btf::Btf::parseSplit(bytesOf(**buffer), **main);
      if (!split)
        return prefixError(split.takeError(), it->path());
      auto &slot = c.btfs[it->path()];
      slot = std::make_unique<btf::Btf>(std::move(*split));
      targets->modules.push_back(
          {module, slot.get(), uint32_t((*main)->size() + 1)});
    }
  }
  auto &slot = c.targets[path];
  slot = std::move(targets);
  return slot.get();
}

} // namespace bpfcompat::load
