// The kernel BTF the loader resolves against: the running kernel's
// (/sys/kernel/btf/vmlinux and its modules) or a BTF file of another kernel
// (--btf), each parsed once per process.
#pragma once

#include "bpfcompat/btf.h"
#include "bpfcompat/core.h"

#include <llvm/Support/Error.h>

#include <string>

namespace bpfcompat::load {

// /sys/kernel/btf/vmlinux, for ksyms and kfuncs (whose ids must be the
// running kernel's whatever --btf says).
llvm::Expected<const btf::Btf *> runningKernelBtf();

// The vmlinux BTF id a tracing or LSM program attaches to, as libbpf finds
// it: typedef btf_trace_<tp> for tp_btf, FUNC <fn> for fentry/fexit/
// fmod_ret, bpf_lsm_<hook> for lsm, bpf_iter_<name> for iter. 0 when the
// attach type takes none.
llvm::Expected<uint32_t> attachBtfId(uint32_t attachType,
                                     const std::string &target);

// CO-RE targets: `path` ("" for the running kernel, then with the module
// BTFs of /sys/kernel/btf/*) as raw BTF or as an ELF file with a .BTF
// section.
llvm::Expected<const core::Targets *> coreTargets(const std::string &path);

} // namespace bpfcompat::load
