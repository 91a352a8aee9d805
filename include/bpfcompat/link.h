// Linking one program for loading: the entry program's instructions with
// every subprogram it reaches appended once, calls and function addresses
// re-pointed, and BTF func/line info for the result. Pure: no kernel.
#pragma once

#include "bpfcompat/ir.h"

#include <llvm/Support/Error.h>

#include <cstdint>
#include <vector>

namespace bpfcompat::link {

// A relocation that still needs a kernel object (map fd, BTF id), with its
// instruction index in the linked program.
struct Pending {
  uint32_t insn = 0;
  const ir::Relocation *relocation = nullptr;
};

// A CO-RE relocation of the object's .BTF.ext at its linked position.
struct CoreRelo {
  uint32_t insn = 0;
  const btf::CoreRelo *record = nullptr;
};

struct FuncInfo {
  uint32_t insn = 0;
  uint32_t typeId = 0; // in the object's BTF
};

struct LineInfo {
  uint32_t insn = 0;
  llvm::StringRef fileName; // into the object's BTF string table
  llvm::StringRef line;
  uint32_t lineNum = 0;
  uint32_t column = 0;
};

struct LinkedProgram {
  const ir::Program *entry = nullptr;
  std::vector<ir::Insn> insns;
  std::vector<Pending> pending;    // MapFd, MapValue, ExternVar, Kfunc
  std::vector<CoreRelo> coreRelos; // sorted by insn
  // Both empty when the kernel would refuse them: func_info needs exactly one
  // record at each function start (so the first at insn 0), line_info one at
  // each function start and strictly increasing offsets.
  std::vector<FuncInfo> funcInfo;               // sorted
  std::vector<LineInfo> lineInfo;               // sorted by insn
  std::vector<const ir::Program *> subprograms; // in append order
};

// Links `entry` (not a subprogram) of `object`. Calls and BPF_PSEUDO_FUNC
// loads into .text (or into another section, as cilium/ebpf allows) are
// resolved by appending the callee; errors name the program, the instruction
// and the target. CO-RE records are collected, not applied: that needs the
// target kernel's BTF (see core.h).
llvm::Expected<LinkedProgram> linkProgram(const ir::Object &object,
                                          const ir::Program &entry);

} // namespace bpfcompat::link
