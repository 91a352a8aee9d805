// Re-emitting any object as a libbpf 1.x-style object (CONVENTIONS §12).
//
// Input is the IR only: whatever the convention, the output has BTF-defined
// maps in `.maps`, exact libbpf 1.x section names, a GLOBAL FUNC symbol per
// program, and `values` for map-in-map and prog-array wiring. Every change
// and every loss goes into the report with a stable code.
#pragma once

#include "bpfcompat/document.h"
#include "bpfcompat/ir.h"

#include <llvm/Support/Error.h>

#include <optional>
#include <string>
#include <vector>

namespace bpfcompat::convert {

enum class Consumer {
  Libbpf, // libbpf, bpftool, skeletons, cilium: load every program
  Tc,     // tc on libbpf >= 1.0: loads one program, so prog arrays are
          // pinned and wired afterwards with `tc exec bpf graft`
};

struct Options {
  Consumer consumer = Consumer::Libbpf;
  // pin_root_path the consumer will use for by-name pinning; by default the
  // one that reproduces the source convention's pin paths.
  std::optional<std::string> pinRoot;
  std::string bpffs = "/sys/fs/bpf";
};

struct ReportEntry {
  enum class Kind { Change, Loss };
  Kind kind = Kind::Change;
  std::string code;    // stable, documented in docs/conversion.md
  std::string subject; // map or program name, or "" for the object
  std::string message;
  std::string action; // what the user must do, if anything
};

// A prog-array slot left for `tc exec bpf graft` (Consumer::Tc).
struct Graft {
  std::string progArray; // map name, pinned under <bpffs>/tc/globals
  uint32_t key = 0;
  std::string section; // output section holding the program
  std::string program;
};

struct Report {
  std::string input;
  std::string output;
  ir::Convention source = ir::Convention::Unknown;
  Consumer consumer = Consumer::Libbpf;
  std::string pinRoot; // pin_root_path that reproduces the pin paths
  std::vector<ReportEntry> entries;
  std::vector<Graft> grafts;
  std::vector<ir::Diagnostic> sourceDiagnostics; // from reading the input

  bool hasLoss() const;
  // `tc exec bpf graft ...` lines for `grafts`, naming `output`.
  std::vector<std::string> graftCommands() const;
};

struct Result {
  std::vector<uint8_t> bytes; // the ELF object
  Report report;
};

llvm::Expected<Result> convertObject(const ir::Object &object,
                                     const Options &options = {});

doc::Value toDocument(const Report &report);
// A few lines for stderr: counts of changes and losses, the losses, grafts.
std::string summary(const Report &report);

} // namespace bpfcompat::convert
