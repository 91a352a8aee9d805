// Names for IR enums and the small lookups on ir::Object.
#include "bpfcompat/ir.h"

#include <utility>

namespace bpfcompat::ir {

namespace {

constexpr Convention kConventions[] = {
    Convention::Unknown,  Convention::Libbpf, Convention::LibbpfLegacy,
    Convention::Iproute2, Convention::Gobpf,  Convention::Perf,
    Convention::Samples,  Convention::Zig,
};

} // namespace

const char *conventionName(Convention convention) {
  switch (convention) {
  case Convention::Unknown:
    return "unknown";
  case Convention::Libbpf:
    return "libbpf";
  case Convention::LibbpfLegacy:
    return "libbpf-legacy";
  case Convention::Iproute2:
    return "iproute2";
  case Convention::Gobpf:
    return "gobpf";
  case Convention::Perf:
    return "perf";
  case Convention::Samples:
    return "samples";
  case Convention::Zig:
    return "zig";
  }
  return "unknown";
}

std::optional<Convention> conventionFromName(llvm::StringRef name) {
  for (Convention convention : kConventions)
    if (name == conventionName(convention))
      return convention;
  return std::nullopt;
}

const char *severityName(Severity severity) {
  switch (severity) {
  case Severity::Note:
    return "note";
  case Severity::Warning:
    return "warning";
  case Severity::Error:
    return "error";
  }
  return "unknown";
}

const char *pinKindName(PinKind kind) {
  switch (kind) {
  case PinKind::None:
    return "none";
  case PinKind::ByName:
    return "by_name";
  case PinKind::Iproute2Global:
    return "iproute2_global";
  case PinKind::Iproute2Object:
    return "iproute2_object";
  case PinKind::Iproute2Custom:
    return "iproute2_custom";
  case PinKind::GobpfGlobal:
    return "gobpf_global";
  case PinKind::GobpfObject:
    return "gobpf_object";
  case PinKind::GobpfCustom:
    return "gobpf_custom";
  }
  return "unknown";
}

const char *relocKindName(RelocKind kind) {
  switch (kind) {
  case RelocKind::MapFd:
    return "map_fd";
  case RelocKind::MapValue:
    return "map_value";
  case RelocKind::Call:
    return "call";
  case RelocKind::FuncAddr:
    return "func_addr";
  case RelocKind::ExternVar:
    return "extern_var";
  case RelocKind::Kfunc:
    return "kfunc";
  }
  return "unknown";
}

const char *dataKindName(DataKind kind) {
  switch (kind) {
  case DataKind::Data:
    return "data";
  case DataKind::Rodata:
    return "rodata";
  case DataKind::Bss:
    return "bss";
  case DataKind::Kconfig:
    return "kconfig";
  case DataKind::Other:
    return "other";
  }
  return "unknown";
}

const Map *Object::findMap(llvm::StringRef name) const {
  for (const Map &map : maps)
    if (map.name == name)
      return &map;
  return nullptr;
}

Map *Object::findMap(llvm::StringRef name) {
  return const_cast<Map *>(std::as_const(*this).findMap(name));
}

const Program *Object::findProgram(llvm::StringRef name) const {
  for (const Program &program : programs)
    if (program.name == name)
      return &program;
  return nullptr;
}

void Object::diag(Severity severity, std::string code, std::string message,
                  std::string subject, std::optional<Location> location) {
  diagnostics.push_back(Diagnostic{severity, std::move(code),
                                   std::move(message), std::move(subject),
                                   std::move(location)});
}

} // namespace bpfcompat::ir
