// Kernel-acceptable object names.
//
// The kernel accepts only [A-Za-z0-9_.] in program and map names
// (bpf_obj_name_cpy) and libbpf derives a program's name from its function
// symbol, which must also be a C identifier. Whole-section loaders named
// programs after sections such as "42/0" or "sched_cls/foo"; the converter
// renames them with this function and `bpfcompat diff` matches programs
// through it, so both agree on what a program is called.
#pragma once

#include <llvm/ADT/StringRef.h>

#include <string>

namespace bpfcompat {

// Replaces every byte outside [A-Za-z0-9_.] with '_' and prefixes "prog_"
// when the result would be empty or start with a digit: "42/0" -> "prog_42_0",
// "sched_cls/foo" -> "sched_cls_foo", "xdp_prog" unchanged. Never truncates:
// the kernel's 15-character limit is applied by the kernel itself, and
// truncating here would make distinct long names collide.
std::string kernelSafeName(llvm::StringRef name);

} // namespace bpfcompat
