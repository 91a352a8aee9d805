#include "operations.h"

#include "bpfcompat/convert.h"
#include "bpfcompat/elf.h"
#include "bpfcompat/error.h"
#include "bpfcompat/kernel.h"
#include "bpfcompat/loader.h"
#include "bpfcompat/reader.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "bpf_syscall_clock.h"

namespace bpfcompat::bench {

namespace {

struct ObjectCloser {
  void operator()(bpf_object *o) const { bpf_object__close(o); }
};
using LibbpfObject = std::unique_ptr<bpf_object, ObjectCloser>;

llvm::Error libbpfError(const char *what, int err) {
  char message[256];
  libbpf_strerror(err, message, sizeof message); // knows libbpf's own codes
  return makeError(llvm::Twine("libbpf ") + what + ": " + message);
}

llvm::Expected<LibbpfObject> openMem(const ObjectFile &object,
                                     const char *pinRoot) {
  LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = object.name.c_str(),
              .pin_root_path = pinRoot);
  LibbpfObject obj(
      bpf_object__open_mem(object.bytes.data(), object.bytes.size(), &opts));
  if (!obj)
    return libbpfError("bpf_object__open_mem", errno);
  return obj;
}

llvm::Error writeFile(const std::string &path,
                      const std::vector<uint8_t> &bytes) {
  std::unique_ptr<FILE, int (*)(FILE *)> f(std::fopen(path.c_str(), "wb"),
                                           std::fclose);
  if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f.get()) != bytes.size())
    return makeError("cannot write " + path);
  return llvm::Error::success();
}

// Runs `load` between two readings of both clocks.
template <typename F> auto timed(LoadTiming &timing, F load) {
  uint64_t bpfStart = bpfSyscallTotals().nanoseconds;
  uint64_t start = nowNs();
  auto result = load();
  timing.wallNs = nowNs() - start;
  timing.bpfNs = bpfSyscallTotals().nanoseconds - bpfStart;
  return result;
}

// As `bpfcompat convert` reads: the whole-file hash only when a map pinned in
// iproute2's object namespace needs it.
ReadOptions convertReadOptions() {
  ReadOptions options;
  options.hashFile = false;
  return options;
}

} // namespace

void quietLibbpf() {
  libbpf_set_print(
      [](enum libbpf_print_level, const char *, va_list) { return 0; });
}

llvm::Expected<ir::Object> readIr(const ObjectFile &object) {
  // In place, as libbpf's open_mem reads the caller's bytes.
  auto file = elf::File::viewBuffer(object.bytes, object.path);
  if (!file)
    return file.takeError();
  return readObject(**file, convertReadOptions());
}

llvm::Error readOurs(const ObjectFile &object) {
  return readIr(object).takeError();
}

llvm::Error openLibbpf(const ObjectFile &object) {
  return openMem(object, nullptr).takeError();
}

llvm::Error convertOurs(const ir::Object &object) {
  return convert::convertObject(object).takeError();
}

llvm::Error readConvertWriteOurs(const ObjectFile &object,
                                 const std::string &outPath) {
  auto ir = readObject(object.path, convertReadOptions());
  if (!ir)
    return ir.takeError();
  auto result = convert::convertObject(*ir);
  if (!result)
    return result.takeError();
  return writeFile(outPath, result->bytes);
}

llvm::Error linkLibbpf(const ObjectFile &object, const std::string &outPath) {
  bpf_linker *linker = bpf_linker__new(outPath.c_str(), nullptr);
  if (!linker)
    return libbpfError("bpf_linker__new", errno);
  int err = bpf_linker__add_file(linker, object.path.c_str(), nullptr);
  if (!err)
    err = bpf_linker__finalize(linker);
  bpf_linker__free(linker);
  if (err)
    return libbpfError("bpf_linker", -err);
  return llvm::Error::success();
}

llvm::Error loadOurs(const ir::Object &object, const std::string &pinDir,
                     LoadTiming &timing) {
  load::Options options;
  options.pinRoot = pinDir;
  options.bpffs = pinDir;
  auto collection = timed(timing, [&] {
    return load::loadObject(object, options, kern::systemKernel());
  });
  return collection.takeError(); // fds are closed after the clocks stopped
}

llvm::Error loadLibbpf(const ObjectFile &object, const std::string &pinDir,
                       LoadTiming &timing) {
  auto obj = openMem(object, pinDir.c_str());
  if (!obj)
    return obj.takeError();
  int err = timed(timing, [&] { return bpf_object__load(obj->get()); });
  if (err)
    return libbpfError("bpf_object__load", -err);
  return llvm::Error::success();
}

} // namespace bpfcompat::bench
