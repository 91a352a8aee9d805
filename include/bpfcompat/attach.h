// Attaching loaded programs: each attach point becomes a BPF link, so the
// attachment lives exactly as long as the link (its fd or a pin of it), and
// removing the pin detaches the program.
//
// tc uses tcx links, xdp XDP links, cgroups cgroup links; tracepoints and
// [ku]probes go through a perf event (opened here) and a perf_event link;
// raw tracepoints use BPF_RAW_TRACEPOINT_OPEN. Every bpf(2) call goes through
// the kern::Kernel; perf_event_open, setns and open are made directly.
#pragma once

#include "bpfcompat/ir.h"
#include "bpfcompat/kernel.h"

#include <llvm/Support/Error.h>

#include <cstdint>
#include <linux/perf_event.h>
#include <string>

namespace bpfcompat::attach {

enum class Kind { Tc, Xdp, Tracepoint, RawTracepoint, Kprobe, Uprobe, Cgroup };
const char *kindName(Kind kind);

// Where and how to attach one program.
struct Request {
  Kind kind = Kind::Tc;
  // Tracepoint: "category/name"; RawTracepoint: name; Kprobe: function;
  // Uprobe: "binary:function".
  std::string target;
  uint64_t offset = 0;     // [ku]probe: added to the function's address
  bool retprobe = false;   // [ku]probe: on return
  bool egress = false;     // tc: egress rather than ingress
  bool generic = false;    // xdp: generic (skb) mode
  uint32_t attachType = 0; // cgroup: enum bpf_attach_type
  std::string device;      // tc, xdp: interface name
  std::string netns;       // tc, xdp: /var/run/netns/<netns>, "" = ours
  std::string cgroup;      // cgroup: cgroup v2 directory
};

// "tc ingress on eth0 in netns blue", "uprobe /bin/true:main", ...
std::string describe(const Request &request);

// Reads `KIND[:ARG]` for `prog`: tc:ingress|tc:egress, xdp[:generic],
// tracepoint[:CAT/NAME], raw_tp[:NAME], kprobe|kretprobe[:FUNC[+OFF]],
// uprobe|uretprobe[:BINARY:FUNC[+OFF]], cgroup[:ATTACH_TYPE], or `auto`
// (the section's AttachKind). Probe and tracepoint targets default to the
// section's. Checks that the program type fits the kind; device, netns and
// cgroup are left for the caller to fill.
llvm::Expected<Request> parseRequest(const ir::Program &prog,
                                     llvm::StringRef spec);

// Attaches the loaded program `progFd` (typed as `prog`) and returns the
// link. Failures of kernel calls are KernelErrors naming the call and the
// attach point.
llvm::Expected<kern::Fd> attach(kern::Kernel &k, int progFd,
                                const ir::Program &prog,
                                const Request &request);

// Building blocks, exposed for tests.

// The bit a PMU format file assigns ("config:0" -> 0).
llvm::Expected<unsigned> parseFormatBit(llvm::StringRef format);

// perf_event_attr of a kprobe or uprobe PMU event; `retprobeBit` is the
// PMU's retprobe format bit. `name` (function or binary path) must outlive
// the perf_event_open call.
perf_event_attr probeAttr(uint32_t pmuType, bool retprobe, unsigned retprobeBit,
                          const std::string &name, uint64_t offset);

// File offset of function `symbol` in ELF `binary`: the symbol's address
// translated through the PT_LOAD segment containing it.
llvm::Expected<uint64_t> symbolFileOffset(const std::string &binary,
                                          llvm::StringRef symbol);

} // namespace bpfcompat::attach
