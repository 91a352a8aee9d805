// Program typing by section name, one rule set per loader (CONVENTIONS.md
// §2.2, §3.3, §5.2, §6.2, §7.4, §8.2; canonical names per §12).
//
// libbpf 1.x, libbpf 0.x and cilium/ebpf share one table in libbpf order
// (kSecDefs); they differ only in which rows they use and whether plain
// patterns match by prefix. bpf_load.c and gobpf have small prefix tables;
// perf config strings have their own grammar. Those three pick the libbpf 1.x
// spelling of a section's meaning and read the attach details from it, so
// targets are always what libbpf 1.x would attach to.
#include "bpfcompat/section_names.h"

#include <llvm/ADT/STLExtras.h>
#include <llvm/ADT/SmallVector.h>
#include <llvm/ADT/Twine.h>
#include <llvm/Support/ErrorHandling.h>

#include <array>
#include <cctype>
#include <cstring>
#include <iterator>
#include <linux/bpf.h>

namespace bpfcompat {
namespace {

// Kernel numbers newer than the installed linux/bpf.h (taken from libbpf
// v1.7.0's include/uapi/linux/bpf.h). Only libbpf >= 1.3 rows use them.
constexpr uint32_t kProgNetfilter = 32;
constexpr uint32_t kAttachNetfilter = 45;
constexpr uint32_t kAttachTcxIngress = 46;
constexpr uint32_t kAttachTcxEgress = 47;
constexpr uint32_t kAttachUprobeMulti = 48;
constexpr uint32_t kAttachUnixConnect = 49;
constexpr uint32_t kAttachUnixSendmsg = 50;
constexpr uint32_t kAttachUnixRecvmsg = 51;
constexpr uint32_t kAttachUnixGetpeername = 52;
constexpr uint32_t kAttachUnixGetsockname = 53;
constexpr uint32_t kAttachNetkitPrimary = 54;
constexpr uint32_t kAttachNetkitPeer = 55;
constexpr uint32_t kAttachKprobeSession = 56;
constexpr uint32_t kAttachUprobeSession = 57;
constexpr uint32_t kAttachFsession = 58;

// Table value for "no expected attach type" (0 is CGROUP_INET_INGRESS).
constexpr uint32_t kNoAttach = UINT32_MAX;

// How the text after "WORD/" names the attach target; each mirrors one of
// libbpf 1.1's attach_* parsers.
enum class Suffix : uint8_t {
  Fixed,   // nothing to parse: the row's kind applies as is
  Func,    // FUNC[+OFF], FUNC from [a-zA-Z0-9_.] (attach_kprobe)
  Glob,    // pattern from [a-zA-Z0-9_.*?] (attach_kprobe_multi)
  BinFunc, // BINARY:FUNC[+OFF] (attach_uprobe)
  BinGlob, // BINARY:PATTERN (attach_uprobe_multi, libbpf >= 1.3)
  CatName, // CATEGORY/NAME (attach_tp)
  Usdt,    // PATH:PROVIDER:NAME (attach_usdt)
  Rest,    // any non-empty text: raw_tp, ksyscall and BTF targets
};

enum RowFlag : uint8_t {
  kSleepable = 1,
  // Used by libbpf 0.x's prefix pass: SEC_SLOPPY_PFX rows (matched by prefix
  // while LIBBPF_STRICT_SEC_NAME is off, the 0.x default) and the "type/"
  // rows 1.0 dropped.
  kPrefix0x = 2,
  // libbpf >= 1.2: unknown to libbpf 0.x and to our oracle, libbpf 1.1.2.
  kSince12 = 4,
  // Never accepted by libbpf 1.x; `canonical` gives the 1.x spelling.
  kNot1x = 8,
};

struct SecDef {
  // libbpf spelling: "word+", "word/" or plain. A StringRef, so its length
  // is known once: section typing scans the whole table per name.
  llvm::StringRef pattern;
  uint32_t progType;
  uint32_t attachType; // kNoAttach when the row has none
  AttachKind kind;
  Suffix suffix;
  uint8_t flags;
  const char *canonical = nullptr; // kNot1x rows only
};

constexpr AttachKind kNone = AttachKind::None;
constexpr AttachKind kCgroup = AttachKind::Cgroup;
constexpr AttachKind kTracing = AttachKind::Tracing;

// libbpf v1.7.0 section_defs[] in order, plus libbpf 0.8's xdp_devmap/ and
// xdp_cpumap/ where 0.8 had them, plus cilium 0.9's seccomp. lsm_cgroup is
// Tracing because its BTF target is needed to load it, like lsm.
const SecDef kSecDefs[] = {
    {"socket", BPF_PROG_TYPE_SOCKET_FILTER, kNoAttach, kNone, Suffix::Fixed,
     kPrefix0x},
    {"sk_reuseport/migrate", BPF_PROG_TYPE_SK_REUSEPORT,
     BPF_SK_REUSEPORT_SELECT_OR_MIGRATE, kNone, Suffix::Fixed, kPrefix0x},
    {"sk_reuseport", BPF_PROG_TYPE_SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT, kNone,
     Suffix::Fixed, kPrefix0x},
    {"kprobe+", BPF_PROG_TYPE_KPROBE, kNoAttach, AttachKind::Kprobe,
     Suffix::Func, 0},
    {"uprobe+", BPF_PROG_TYPE_KPROBE, kNoAttach, AttachKind::Uprobe,
     Suffix::BinFunc, 0},
    {"uprobe.s+", BPF_PROG_TYPE_KPROBE, kNoAttach, AttachKind::Uprobe,
     Suffix::BinFunc, kSleepable},
    {"kretprobe+", BPF_PROG_TYPE_KPROBE, kNoAttach, AttachKind::Kretprobe,
     Suffix::Func, 0},
    {"uretprobe+", BPF_PROG_TYPE_KPROBE, kNoAttach, AttachKind::Uretprobe,
     Suffix::BinFunc, 0},
    {"uretprobe.s+", BPF_PROG_TYPE_KPROBE, kNoAttach, AttachKind::Uretprobe,
     Suffix::BinFunc, kSleepable},
    {"kprobe.multi+", BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI,
     AttachKind::Kprobe, Suffix::Glob, 0},
    {"kretprobe.multi+", BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI,
     AttachKind::Kretprobe, Suffix::Glob, 0},
    {"kprobe.session+", BPF_PROG_TYPE_KPROBE, kAttachKprobeSession,
     AttachKind::Kprobe, Suffix::Glob, kSince12},
    {"uprobe.multi+", BPF_PROG_TYPE_KPROBE, kAttachUprobeMulti,
     AttachKind::Uprobe, Suffix::BinGlob, kSince12},
    {"uretprobe.multi+", BPF_PROG_TYPE_KPROBE, kAttachUprobeMulti,
     AttachKind::Uretprobe, Suffix::BinGlob, kSince12},
    {"uprobe.session+", BPF_PROG_TYPE_KPROBE, kAttachUprobeSession,
     AttachKind::Uprobe, Suffix::BinGlob, kSince12},
    {"uprobe.multi.s+", BPF_PROG_TYPE_KPROBE, kAttachUprobeMulti,
     AttachKind::Uprobe, Suffix::BinGlob, kSince12 | kSleepable},
    {"uretprobe.multi.s+", BPF_PROG_TYPE_KPROBE, kAttachUprobeMulti,
     AttachKind::Uretprobe, Suffix::BinGlob, kSince12 | kSleepable},
    {"uprobe.session.s+", BPF_PROG_TYPE_KPROBE, kAttachUprobeSession,
     AttachKind::Uprobe, Suffix::BinGlob, kSince12 | kSleepable},
    {"ksyscall+", BPF_PROG_TYPE_KPROBE, kNoAttach, AttachKind::Ksyscall,
     Suffix::Rest, 0},
    {"kretsyscall+", BPF_PROG_TYPE_KPROBE, kNoAttach, AttachKind::Kretsyscall,
     Suffix::Rest, 0},
    {"usdt+", BPF_PROG_TYPE_KPROBE, kNoAttach, AttachKind::Usdt, Suffix::Usdt,
     0},
    {"usdt.s+", BPF_PROG_TYPE_KPROBE, kNoAttach, AttachKind::Usdt, Suffix::Usdt,
     kSince12 | kSleepable},
    // tc/ingress and tc/egress mean tcx, not classic cls_bpf.
    {"tc/ingress", BPF_PROG_TYPE_SCHED_CLS, kAttachTcxIngress, kNone,
     Suffix::Fixed, kSince12},
    {"tc/egress", BPF_PROG_TYPE_SCHED_CLS, kAttachTcxEgress, kNone,
     Suffix::Fixed, kSince12},
    {"tcx/ingress", BPF_PROG_TYPE_SCHED_CLS, kAttachTcxIngress, kNone,
     Suffix::Fixed, kSince12},
    {"tcx/egress", BPF_PROG_TYPE_SCHED_CLS, kAttachTcxEgress, kNone,
     Suffix::Fixed, kSince12},
    {"tc", BPF_PROG_TYPE_SCHED_CLS, kNoAttach, kNone, Suffix::Fixed, 0},
    {"classifier", BPF_PROG_TYPE_SCHED_CLS, kNoAttach, kNone, Suffix::Fixed,
     kPrefix0x},
    {"action", BPF_PROG_TYPE_SCHED_ACT, kNoAttach, kNone, Suffix::Fixed,
     kPrefix0x},
    {"netkit/primary", BPF_PROG_TYPE_SCHED_CLS, kAttachNetkitPrimary, kNone,
     Suffix::Fixed, kSince12},
    {"netkit/peer", BPF_PROG_TYPE_SCHED_CLS, kAttachNetkitPeer, kNone,
     Suffix::Fixed, kSince12},
    {"tracepoint+", BPF_PROG_TYPE_TRACEPOINT, kNoAttach, AttachKind::Tracepoint,
     Suffix::CatName, 0},
    {"tp+", BPF_PROG_TYPE_TRACEPOINT, kNoAttach, AttachKind::Tracepoint,
     Suffix::CatName, 0},
    {"raw_tracepoint+", BPF_PROG_TYPE_RAW_TRACEPOINT, kNoAttach,
     AttachKind::RawTracepoint, Suffix::Rest, 0},
    {"raw_tp+", BPF_PROG_TYPE_RAW_TRACEPOINT, kNoAttach,
     AttachKind::RawTracepoint, Suffix::Rest, 0},
    {"raw_tracepoint.w+", BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, kNoAttach,
     AttachKind::RawTracepoint, Suffix::Rest, 0},
    {"raw_tp.w+", BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, kNoAttach,
     AttachKind::RawTracepoint, Suffix::Rest, 0},
    {"tp_btf+", BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, kTracing, Suffix::Rest,
     0},
    {"fentry+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, kTracing, Suffix::Rest,
     0},
    {"fmod_ret+", BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN, kTracing,
     Suffix::Rest, 0},
    {"fexit+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, kTracing, Suffix::Rest,
     0},
    {"fentry.s+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, kTracing,
     Suffix::Rest, kSleepable},
    {"fmod_ret.s+", BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN, kTracing,
     Suffix::Rest, kSleepable},
    {"fexit.s+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, kTracing, Suffix::Rest,
     kSleepable},
    {"fsession+", BPF_PROG_TYPE_TRACING, kAttachFsession, kTracing,
     Suffix::Rest, kSince12},
    {"fsession.s+", BPF_PROG_TYPE_TRACING, kAttachFsession, kTracing,
     Suffix::Rest, kSince12 | kSleepable},
    {"freplace+", BPF_PROG_TYPE_EXT, kNoAttach, kTracing, Suffix::Rest, 0},
    {"lsm+", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, kTracing, Suffix::Rest, 0},
    {"lsm.s+", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, kTracing, Suffix::Rest,
     kSleepable},
    {"lsm_cgroup+", BPF_PROG_TYPE_LSM, BPF_LSM_CGROUP, kTracing, Suffix::Rest,
     0},
    {"iter+", BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, kTracing, Suffix::Rest, 0},
    {"iter.s+", BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, kTracing, Suffix::Rest,
     kSleepable},
    {"syscall", BPF_PROG_TYPE_SYSCALL, kNoAttach, kNone, Suffix::Fixed,
     kSleepable},
    {"xdp.frags/devmap", BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP, kNone,
     Suffix::Fixed, 0},
    {"xdp/devmap", BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP, kNone, Suffix::Fixed, 0},
    {"xdp_devmap/", BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP, kNone, Suffix::Fixed,
     kPrefix0x | kNot1x, "xdp/devmap"},
    {"xdp.frags/cpumap", BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP, kNone,
     Suffix::Fixed, 0},
    {"xdp/cpumap", BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP, kNone, Suffix::Fixed, 0},
    {"xdp_cpumap/", BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP, kNone, Suffix::Fixed,
     kPrefix0x | kNot1x, "xdp/cpumap"},
    {"xdp.frags", BPF_PROG_TYPE_XDP, BPF_XDP, kNone, Suffix::Fixed, 0},
    {"xdp", BPF_PROG_TYPE_XDP, BPF_XDP, kNone, Suffix::Fixed, kPrefix0x},
    {"perf_event", BPF_PROG_TYPE_PERF_EVENT, kNoAttach, kNone, Suffix::Fixed,
     kPrefix0x},
    {"lwt_in", BPF_PROG_TYPE_LWT_IN, kNoAttach, kNone, Suffix::Fixed,
     kPrefix0x},
    {"lwt_out", BPF_PROG_TYPE_LWT_OUT, kNoAttach, kNone, Suffix::Fixed,
     kPrefix0x},
    {"lwt_xmit", BPF_PROG_TYPE_LWT_XMIT, kNoAttach, kNone, Suffix::Fixed,
     kPrefix0x},
    {"lwt_seg6local", BPF_PROG_TYPE_LWT_SEG6LOCAL, kNoAttach, kNone,
     Suffix::Fixed, kPrefix0x},
    {"sockops", BPF_PROG_TYPE_SOCK_OPS, BPF_CGROUP_SOCK_OPS, kCgroup,
     Suffix::Fixed, kPrefix0x},
    {"sk_skb/stream_parser", BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_PARSER,
     kNone, Suffix::Fixed, kPrefix0x},
    {"sk_skb/stream_verdict", BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_VERDICT,
     kNone, Suffix::Fixed, kPrefix0x},
    {"sk_skb/verdict", BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_VERDICT, kNone,
     Suffix::Fixed, kSince12},
    {"sk_skb", BPF_PROG_TYPE_SK_SKB, kNoAttach, kNone, Suffix::Fixed,
     kPrefix0x},
    {"sk_msg", BPF_PROG_TYPE_SK_MSG, BPF_SK_MSG_VERDICT, kNone, Suffix::Fixed,
     kPrefix0x},
    {"lirc_mode2", BPF_PROG_TYPE_LIRC_MODE2, BPF_LIRC_MODE2, kNone,
     Suffix::Fixed, kPrefix0x},
    {"flow_dissector", BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, kNone,
     Suffix::Fixed, kPrefix0x},
    {"cgroup_skb/ingress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS,
     kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup_skb/egress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS,
     kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/skb", BPF_PROG_TYPE_CGROUP_SKB, kNoAttach, kCgroup, Suffix::Fixed,
     kPrefix0x},
    {"cgroup/sock_create", BPF_PROG_TYPE_CGROUP_SOCK,
     BPF_CGROUP_INET_SOCK_CREATE, kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/sock_release", BPF_PROG_TYPE_CGROUP_SOCK,
     BPF_CGROUP_INET_SOCK_RELEASE, kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/sock", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE,
     kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/post_bind4", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET4_POST_BIND,
     kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/post_bind6", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET6_POST_BIND,
     kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/bind4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_BIND,
     kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/bind6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_BIND,
     kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/connect4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
     BPF_CGROUP_INET4_CONNECT, kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/connect6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
     BPF_CGROUP_INET6_CONNECT, kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/connect_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, kAttachUnixConnect,
     kCgroup, Suffix::Fixed, kSince12},
    {"cgroup/sendmsg4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_SENDMSG,
     kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/sendmsg6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_SENDMSG,
     kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/sendmsg_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, kAttachUnixSendmsg,
     kCgroup, Suffix::Fixed, kSince12},
    {"cgroup/recvmsg4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_RECVMSG,
     kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/recvmsg6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_RECVMSG,
     kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/recvmsg_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, kAttachUnixRecvmsg,
     kCgroup, Suffix::Fixed, kSince12},
    {"cgroup/getpeername4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
     BPF_CGROUP_INET4_GETPEERNAME, kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/getpeername6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
     BPF_CGROUP_INET6_GETPEERNAME, kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/getpeername_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
     kAttachUnixGetpeername, kCgroup, Suffix::Fixed, kSince12},
    {"cgroup/getsockname4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
     BPF_CGROUP_INET4_GETSOCKNAME, kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/getsockname6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
     BPF_CGROUP_INET6_GETSOCKNAME, kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/getsockname_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
     kAttachUnixGetsockname, kCgroup, Suffix::Fixed, kSince12},
    {"cgroup/sysctl", BPF_PROG_TYPE_CGROUP_SYSCTL, BPF_CGROUP_SYSCTL, kCgroup,
     Suffix::Fixed, kPrefix0x},
    {"cgroup/getsockopt", BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_CGROUP_GETSOCKOPT,
     kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/setsockopt", BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_CGROUP_SETSOCKOPT,
     kCgroup, Suffix::Fixed, kPrefix0x},
    {"cgroup/dev", BPF_PROG_TYPE_CGROUP_DEVICE, BPF_CGROUP_DEVICE, kCgroup,
     Suffix::Fixed, kPrefix0x},
    // libbpf ignores the struct_ops suffix; the struct_ops map attaches it.
    {"struct_ops+", BPF_PROG_TYPE_STRUCT_OPS, kNoAttach, AttachKind::StructOps,
     Suffix::Fixed, 0},
    {"struct_ops.s+", BPF_PROG_TYPE_STRUCT_OPS, kNoAttach,
     AttachKind::StructOps, Suffix::Fixed, kSince12 | kSleepable},
    {"sk_lookup", BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP, kNone, Suffix::Fixed,
     kPrefix0x},
    {"netfilter", kProgNetfilter, kAttachNetfilter, kNone, Suffix::Fixed,
     kSince12},
    {"seccomp", BPF_PROG_TYPE_SOCKET_FILTER, kNoAttach, kNone, Suffix::Fixed,
     kNot1x, "socket"},
};

bool isFuncChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
}

bool isGlobChar(char c) { return isFuncChar(c) || c == '*' || c == '?'; }

bool isDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)); }

struct Number {
  uint64_t value = 0;
  size_t length = 0; // characters consumed; 0 when there was no number
};

// strtoul(s, &end, 0) without sign or whitespace: 0x hex, leading-0 octal,
// decimal; stops at the first character that is not a digit of the radix.
Number parseNumber(llvm::StringRef s) {
  unsigned radix = 10;
  size_t start = 0;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
      std::isxdigit(static_cast<unsigned char>(s[2]))) {
    radix = 16;
    start = 2;
  } else if (s.startswith("0")) {
    radix = 8;
  }
  Number n;
  size_t i = start;
  for (; i < s.size(); ++i) {
    char c = char(std::tolower(static_cast<unsigned char>(s[i])));
    unsigned digit = isDigit(c)               ? unsigned(c - '0')
                     : (c >= 'a' && c <= 'f') ? unsigned(c - 'a' + 10)
                                              : radix;
    if (digit >= radix)
      break;
    n.value = n.value * radix + digit;
  }
  n.length = i > start ? i : 0;
  return n;
}

struct Attach {
  AttachKind kind = AttachKind::None;
  std::string target;
  uint64_t offset = 0;
};

// FUNC[+OFF] the way libbpf's sscanf("%m[a-zA-Z0-9_.]+%li") reads it: trailing
// junk is ignored and an unreadable offset counts as 0. Return probes reject a
// non-zero offset.
Attach parseFunc(AttachKind kind, llvm::StringRef text,
                 llvm::StringRef prefix) {
  llvm::StringRef func = text.take_while(isFuncChar);
  if (func.empty())
    return {};
  llvm::StringRef rest = text.drop_front(func.size());
  uint64_t offset = rest.consume_front("+") ? parseNumber(rest).value : 0;
  if (offset &&
      (kind == AttachKind::Kretprobe || kind == AttachKind::Uretprobe))
    return {};
  return {kind, (prefix + func).str(), offset};
}

// Target of a "+" row from the text after "WORD/"; no attach where libbpf's
// auto-attach would decline or fail.
Attach parseSuffix(const SecDef &def, llvm::StringRef text) {
  switch (def.suffix) {
  case Suffix::Fixed:
    return {def.kind, {}, 0};
  case Suffix::Func:
    return parseFunc(def.kind, text, "");
  case Suffix::Glob: {
    llvm::StringRef pattern = text.take_while(isGlobChar);
    if (pattern.empty())
      return {};
    return {def.kind, pattern.str(), 0};
  }
  case Suffix::BinFunc:
  case Suffix::BinGlob: {
    size_t colon = text.find(':');
    if (colon == 0 || colon == llvm::StringRef::npos)
      return {};
    llvm::StringRef binary = text.take_front(colon + 1);
    llvm::StringRef rest = text.drop_front(colon + 1);
    if (def.suffix == Suffix::BinFunc)
      return parseFunc(def.kind, rest, binary);
    llvm::StringRef pattern = rest.take_until([](char c) { return c == '\n'; });
    if (pattern.empty())
      return {};
    return {def.kind, (binary + pattern).str(), 0};
  }
  case Suffix::CatName: {
    auto [category, name] = text.split('/');
    if (category.empty() || name.empty())
      return {};
    return {def.kind, text.str(), 0};
  }
  case Suffix::Usdt: {
    // sscanf("usdt/%m[^:]:%m[^:]:%m[^:]"): three non-empty fields, anything
    // after a third ':' ignored.
    llvm::SmallVector<llvm::StringRef, 4> fields;
    text.split(fields, ':');
    if (fields.size() < 3 || fields[0].empty() || fields[1].empty() ||
        fields[2].empty())
      return {};
    return {def.kind, (fields[0] + ":" + fields[1] + ":" + fields[2]).str(), 0};
  }
  case Suffix::Rest:
    if (text.empty())
      return {};
    return {def.kind, text.str(), 0};
  }
  llvm_unreachable("unhandled Suffix");
}

llvm::StringRef wordOf(const SecDef &def) { return def.pattern.rtrim("+/"); }

// libbpf's sec_def_matches; with `plainByPrefix`, plain patterns match any
// name they start (libbpf 0.x SEC_SLOPPY_PFX, cilium's strings.HasPrefix).
bool matches(const SecDef &def, llvm::StringRef name, bool plainByPrefix) {
  llvm::StringRef pattern = def.pattern;
  if (pattern.endswith("/"))
    return name.startswith(pattern);
  if (pattern.consume_back("+"))
    return name == pattern ||
           (name.startswith(pattern) && name[pattern.size()] == '/');
  return plainByPrefix ? name.startswith(pattern) : name == pattern;
}

SectionType fromDef(const SecDef &def, llvm::StringRef name) {
  SectionType type;
  type.progType = def.progType;
  if (def.attachType != kNoAttach) {
    type.expectedAttachType = def.attachType;
    type.hasExpectedAttachType = true;
  }
  type.sleepable = def.flags & kSleepable;
  llvm::StringRef word = wordOf(def);
  // Non-Fixed rows are "+" rows: either the bare word, which never
  // auto-attaches, or "WORD/SUFFIX".
  Attach attach;
  if (def.suffix == Suffix::Fixed || name.size() > word.size())
    attach = parseSuffix(def, name.substr(word.size() + 1));
  type.attach = attach.kind;
  type.target = std::move(attach.target);
  type.offset = attach.offset;
  if (def.canonical)
    type.canonical = def.canonical;
  else
    type.canonical = def.pattern.endswith("+") ? name.str() : word.str();
  return type;
}

// Indices of kSecDefs by the first byte of their pattern, in table order: a
// name can only match rows that start like it, and typing every program
// scanned the whole table several times.
const std::array<std::vector<uint16_t>, 256> &secDefsByFirstByte() {
  static const auto rows = [] {
    std::array<std::vector<uint16_t>, 256> out;
    for (size_t i = 0; i < std::size(kSecDefs); ++i)
      out[uint8_t(kSecDefs[i].pattern.front())].push_back(uint16_t(i));
    return out;
  }();
  return rows;
}

// First row of kSecDefs in table order that has none of `exclude`, all of
// `require` and matches `name`.
std::optional<SectionType> matchDefs(llvm::StringRef name, uint8_t exclude,
                                     uint8_t require, bool plainByPrefix) {
  if (name.empty())
    return std::nullopt; // no pattern is empty
  for (uint16_t row : secDefsByFirstByte()[uint8_t(name.front())]) {
    const SecDef &def = kSecDefs[row];
    if (!(def.flags & exclude) && (def.flags & require) == require &&
        matches(def, name, plainByPrefix))
      return fromDef(def, name);
  }
  return std::nullopt;
}

std::optional<SectionType> classifyLibbpf1(llvm::StringRef name) {
  return matchDefs(name, kNot1x, 0, false);
}

bool sameTyping(const SectionType &a, const SectionType &b) {
  return a.progType == b.progType &&
         a.hasExpectedAttachType == b.hasExpectedAttachType &&
         a.expectedAttachType == b.expectedAttachType;
}

// A renamed section is sloppy when libbpf 1.x would reject its original name
// or type it differently (e.g. 0.x "sk_skb/verdict" meant plain sk_skb).
void markSloppy(SectionType &type, llvm::StringRef name) {
  if (type.canonical == name)
    return;
  std::optional<SectionType> exact = classifyLibbpf1(name);
  type.sloppy = !exact || !sameTyping(*exact, type);
}

// The typing of `canonical` under libbpf 1.x, for loaders that passed only the
// program type to the kernel (bpf_load.c, gobpf, perf).
SectionType viaCanonical(const std::string &canonical, uint32_t progType) {
  SectionType type = *classifyLibbpf1(canonical);
  type.progType = progType;
  type.expectedAttachType = 0;
  type.hasExpectedAttachType = false;
  return type;
}

// --- bpf_load.c and gobpf prefix tables -----------------------------------

enum class Canon : uint8_t {
  Keep,   // 1.x reads the name the same way; an empty suffix is rejected
  Word,   // always `word`
  Slot,   // `word`; a '/' at `slotAt` must start a tail-call slot number
  Probe,  // bpf_load kprobe/: digits = tail-call slot, sys_X = syscall probe
  Uprobe, // gobpf: kept when it is BINARY:FUNC, else the bare `word`
};

struct PrefixDef {
  const char *prefix;
  uint32_t progType;
  Canon canon;
  const char *word = nullptr;
  uint8_t slotAt = 0;            // Slot only
  const char *syscall = nullptr; // Probe only: 1.x word for sys_X probes
};

// bpf_load.c load_and_attach(), in its if-chain order. Its slot check skips
// 6 characters for "socket" but 7 for the others, so "sk_skb/N" and
// "sk_msg/N" never reached the prog array.
const PrefixDef kSamplesDefs[] = {
    {"socket", BPF_PROG_TYPE_SOCKET_FILTER, Canon::Slot, "socket", 6},
    // The x86_64 __x64_sys_ fallback is what ksyscall/ does on any arch.
    {"kprobe/", BPF_PROG_TYPE_KPROBE, Canon::Probe, "kprobe", 0, "ksyscall/"},
    {"kretprobe/", BPF_PROG_TYPE_KPROBE, Canon::Probe, "kretprobe", 0,
     "kretsyscall/"},
    {"tracepoint/", BPF_PROG_TYPE_TRACEPOINT, Canon::Keep},
    {"raw_tracepoint/", BPF_PROG_TYPE_RAW_TRACEPOINT, Canon::Keep},
    {"xdp", BPF_PROG_TYPE_XDP, Canon::Word, "xdp"},
    {"perf_event", BPF_PROG_TYPE_PERF_EVENT, Canon::Word, "perf_event"},
    {"cgroup/skb", BPF_PROG_TYPE_CGROUP_SKB, Canon::Word, "cgroup/skb"},
    {"cgroup/sock", BPF_PROG_TYPE_CGROUP_SOCK, Canon::Word, "cgroup/sock"},
    {"sockops", BPF_PROG_TYPE_SOCK_OPS, Canon::Slot, "sockops", 7},
    {"sk_skb", BPF_PROG_TYPE_SK_SKB, Canon::Slot, "sk_skb", 7},
    {"sk_msg", BPF_PROG_TYPE_SK_MSG, Canon::Slot, "sk_msg", 7},
};

const PrefixDef kGobpfDefs[] = {
    {"kprobe/", BPF_PROG_TYPE_KPROBE, Canon::Keep},
    {"kretprobe/", BPF_PROG_TYPE_KPROBE, Canon::Keep},
    {"uprobe/", BPF_PROG_TYPE_KPROBE, Canon::Uprobe, "uprobe"},
    {"uretprobe/", BPF_PROG_TYPE_KPROBE, Canon::Uprobe, "uretprobe"},
    {"cgroup/skb", BPF_PROG_TYPE_CGROUP_SKB, Canon::Word, "cgroup/skb"},
    {"cgroup/sock", BPF_PROG_TYPE_CGROUP_SOCK, Canon::Word, "cgroup/sock"},
    {"socket", BPF_PROG_TYPE_SOCKET_FILTER, Canon::Word, "socket"},
    {"tracepoint/", BPF_PROG_TYPE_TRACEPOINT, Canon::Keep},
    {"sched_cls/", BPF_PROG_TYPE_SCHED_CLS, Canon::Word, "tc"},
    {"sched_act/", BPF_PROG_TYPE_SCHED_ACT, Canon::Word, "action"},
    {"xdp/", BPF_PROG_TYPE_XDP, Canon::Word, "xdp"},
};

// The libbpf 1.x name for a section `def` matched, or nullopt when the loader
// rejected it (empty attach name, bad tail-call slot).
std::optional<std::string> prefixCanonical(const PrefixDef &def,
                                           llvm::StringRef name) {
  llvm::StringRef suffix = name.drop_front(std::strlen(def.prefix));
  switch (def.canon) {
  case Canon::Keep:
    if (suffix.empty())
      return std::nullopt;
    return name.str();
  case Canon::Word:
    return std::string(def.word);
  case Canon::Slot:
    if (name.size() > def.slotAt && name[def.slotAt] == '/' &&
        (name.size() == def.slotAt + 1u || !isDigit(name[def.slotAt + 1])))
      return std::nullopt; // "invalid prog number"
    return std::string(def.word);
  case Canon::Probe:
    if (suffix.empty())
      return std::nullopt; // "event name cannot be empty"
    if (isDigit(suffix[0]))
      return std::string(def.word); // tail-call slot, never attached
    if (suffix.consume_front("sys_"))
      return (llvm::Twine(def.syscall) + suffix).str();
    return name.str();
  case Canon::Uprobe: {
    std::optional<SectionType> exact = classifyLibbpf1(name);
    if (exact && exact->attach != AttachKind::None)
      return name.str();
    return std::string(def.word);
  }
  }
  llvm_unreachable("unhandled Canon");
}

template <size_t N>
std::optional<SectionType> classifyPrefix(const PrefixDef (&defs)[N],
                                          llvm::StringRef name) {
  for (const PrefixDef &def : defs) {
    if (!name.startswith(def.prefix))
      continue;
    std::optional<std::string> canonical = prefixCanonical(def, name);
    if (!canonical)
      return std::nullopt;
    SectionType type = viaCanonical(*canonical, def.progType);
    markSloppy(type, name);
    return type;
  }
  return std::nullopt;
}

// --- perf config strings (§5.2, §12.3) ------------------------------------

// perf's strtobool: y/Y/1, n/N/0, on/off.
bool isPerfBool(llvm::StringRef value) {
  if (value.empty())
    return false;
  switch (value[0]) {
  case 'y':
  case 'Y':
  case '1':
  case 'n':
  case 'N':
  case '0':
    return true;
  case 'o':
  case 'O':
    return value.size() > 1 && std::strchr("nNfF", value[1]);
  default:
    return false;
  }
}

bool isCIdentifier(llvm::StringRef s) {
  return !s.empty() && !isDigit(s[0]) && llvm::all_of(s, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// GROUP:EVENT, or !GROUP:EVENT for a program perf loads but never attaches
// (perf trace's tail-call targets): bare "tracepoint" keeps it loaded without
// auto-attach, where '?' would stop libbpf from loading it at all.
std::optional<SectionType> classifyPerfTracepoint(llvm::StringRef main) {
  if (!main.contains(':'))
    return std::nullopt; // "is not a valid tracepoint"
  auto [group, event] = main.split(':');
  bool attached = !group.consume_front("!");
  if (group.empty() || event.empty() || group.contains('/') ||
      event.contains('/'))
    return std::nullopt;
  return viaCanonical(attached ? ("tracepoint/" + group + "/" + event).str()
                               : "tracepoint",
                      BPF_PROG_TYPE_TRACEPOINT);
}

struct PerfOptions {
  std::optional<std::string> exec;   // exec=PATH: uprobe in PATH
  std::optional<std::string> module; // module=M: kprobe in module M
  std::vector<std::string> lost;     // inlines=, force=
};

// EVENT=PROBE [ARGS...]. The event name only names the perf_bpf_probe:EVENT
// tracefs event; libbpf names its own probe events and nothing in the program
// depends on the name, so it is not reported as lost.
std::optional<SectionType> classifyPerfProbe(llvm::StringRef main,
                                             PerfOptions options) {
  llvm::StringRef spec = main.ltrim();
  llvm::StringRef point = spec.take_until(
      [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  llvm::StringRef args = spec.drop_front(point.size()).trim();
  size_t sep = point.find_first_of(";=@+%");
  if (sep == llvm::StringRef::npos || point[sep] != '=')
    return std::nullopt; // "event name is missing"
  llvm::StringRef event = point.take_front(sep);
  llvm::StringRef probe = point.drop_front(sep + 1);
  if (event.contains(':')) {
    auto [group, name] = event.split(':');
    if (group != "perf_bpf_probe")
      return std::nullopt; // BPF_LOADER_ERRNO__GROUP
    event = name;
  }
  if (!isCIdentifier(event) || probe.empty())
    return std::nullopt;

  bool uprobe = options.exec.has_value();
  std::string where = uprobe ? *options.exec + ":" : "";
  std::string canonical;
  llvm::StringRef func = probe.take_while(isFuncChar);
  llvm::StringRef rest = probe.drop_front(func.size());
  if (!func.empty() && !isDigit(func[0])) {
    if (rest.empty())
      canonical = (uprobe ? "uprobe/" : "kprobe/") + where + func.str();
    else if (rest == "%return")
      canonical = (uprobe ? "uretprobe/" : "kretprobe/") + where + func.str();
    else if (rest.consume_front("+") && !rest.empty() &&
             parseNumber(rest).length == rest.size())
      canonical = (uprobe ? "uprobe/" : "kprobe/") + where + probe.str();
  }
  std::vector<std::string> lost = std::move(options.lost);
  if (options.module)
    lost.push_back("perf module=" + *options.module);
  if (canonical.empty()) {
    // FUNC@SRC, SRC:LINE, ;PATTERN, raw addresses: perf resolved these with
    // debug info; a 1.x section can only name a function (+offset).
    canonical = uprobe ? "uprobe" : "kprobe";
    lost.push_back("perf probe point '" + probe.str() + "'");
  }
  if (!args.empty())
    lost.push_back("perf probe arguments '" + args.str() + "'");
  SectionType type = viaCanonical(canonical, BPF_PROG_TYPE_KPROBE);
  type.lost = std::move(lost);
  return type;
}

std::optional<SectionType> classifyPerf(llvm::StringRef name) {
  PerfOptions options;
  llvm::StringRef main = name;
  for (size_t semi; (semi = main.find(';')) != llvm::StringRef::npos;) {
    llvm::StringRef item = main.take_front(semi);
    main = main.drop_front(semi + 1);
    if (!item.contains('='))
      continue; // perf only warns
    auto [key, value] = item.split('=');
    if (key == "exec" || key == "module") {
      if (value.empty())
        return std::nullopt;
      // Both set the probe target, so the last one wins.
      if (key == "exec") {
        options.exec = value.str();
        options.module.reset();
      } else {
        options.module = value.str();
        options.exec.reset();
      }
    } else if (key == "inlines" || key == "force") {
      if (!isPerfBool(value))
        return std::nullopt;
      options.lost.push_back(("perf " + item).str());
    } else {
      return std::nullopt; // BPF_LOADER_ERRNO__PROGCONF_TERM
    }
  }
  // Probe options have no effect on tracepoints, so nothing is lost there.
  if (!main.contains('='))
    return classifyPerfTracepoint(main);
  return classifyPerfProbe(main, std::move(options));
}

// --- enum names (kernel enums, libbpf's *_type_str spelling) ---------------

const char *const kProgTypeNames[] = {
    "unspec",
    "socket_filter",
    "kprobe",
    "sched_cls",
    "sched_act",
    "tracepoint",
    "xdp",
    "perf_event",
    "cgroup_skb",
    "cgroup_sock",
    "lwt_in",
    "lwt_out",
    "lwt_xmit",
    "sock_ops",
    "sk_skb",
    "cgroup_device",
    "sk_msg",
    "raw_tracepoint",
    "cgroup_sock_addr",
    "lwt_seg6local",
    "lirc_mode2",
    "sk_reuseport",
    "flow_dissector",
    "cgroup_sysctl",
    "raw_tracepoint_writable",
    "cgroup_sockopt",
    "tracing",
    "struct_ops",
    "ext",
    "lsm",
    "sk_lookup",
    "syscall",
    "netfilter",
};

const char *const kAttachTypeNames[] = {
    "cgroup_inet_ingress",
    "cgroup_inet_egress",
    "cgroup_inet_sock_create",
    "cgroup_sock_ops",
    "sk_skb_stream_parser",
    "sk_skb_stream_verdict",
    "cgroup_device",
    "sk_msg_verdict",
    "cgroup_inet4_bind",
    "cgroup_inet6_bind",
    "cgroup_inet4_connect",
    "cgroup_inet6_connect",
    "cgroup_inet4_post_bind",
    "cgroup_inet6_post_bind",
    "cgroup_udp4_sendmsg",
    "cgroup_udp6_sendmsg",
    "lirc_mode2",
    "flow_dissector",
    "cgroup_sysctl",
    "cgroup_udp4_recvmsg",
    "cgroup_udp6_recvmsg",
    "cgroup_getsockopt",
    "cgroup_setsockopt",
    "trace_raw_tp",
    "trace_fentry",
    "trace_fexit",
    "modify_return",
    "lsm_mac",
    "trace_iter",
    "cgroup_inet4_getpeername",
    "cgroup_inet6_getpeername",
    "cgroup_inet4_getsockname",
    "cgroup_inet6_getsockname",
    "xdp_devmap",
    "cgroup_inet_sock_release",
    "xdp_cpumap",
    "sk_lookup",
    "xdp",
    "sk_skb_verdict",
    "sk_reuseport_select",
    "sk_reuseport_select_or_migrate",
    "perf_event",
    "trace_kprobe_multi",
    "lsm_cgroup",
    "struct_ops",
    "netfilter",
    "tcx_ingress",
    "tcx_egress",
    "trace_uprobe_multi",
    "cgroup_unix_connect",
    "cgroup_unix_sendmsg",
    "cgroup_unix_recvmsg",
    "cgroup_unix_getpeername",
    "cgroup_unix_getsockname",
    "netkit_primary",
    "netkit_peer",
    "trace_kprobe_session",
    "trace_uprobe_session",
    "trace_fsession",
};

const char *const kMapTypeNames[] = {
    "unspec",
    "hash",
    "array",
    "prog_array",
    "perf_event_array",
    "percpu_hash",
    "percpu_array",
    "stack_trace",
    "cgroup_array",
    "lru_hash",
    "lru_percpu_hash",
    "lpm_trie",
    "array_of_maps",
    "hash_of_maps",
    "devmap",
    "sockmap",
    "cpumap",
    "xskmap",
    "sockhash",
    "cgroup_storage",
    "reuseport_sockarray",
    "percpu_cgroup_storage",
    "queue",
    "stack",
    "sk_storage",
    "devmap_hash",
    "struct_ops",
    "ringbuf",
    "inode_storage",
    "task_storage",
    "bloom_filter",
    "user_ringbuf",
    "cgrp_storage",
    "arena",
    "insn_array",
};

// The installed header's enums must be a prefix of ours.
static_assert(std::size(kProgTypeNames) > BPF_PROG_TYPE_SYSCALL);
static_assert(std::size(kAttachTypeNames) == kAttachFsession + 1);
static_assert(std::size(kAttachTypeNames) >= size_t(__MAX_BPF_ATTACH_TYPE));
static_assert(std::size(kMapTypeNames) > BPF_MAP_TYPE_USER_RINGBUF);

template <size_t N>
std::string nameOf(const char *const (&names)[N], uint32_t value) {
  if (value < N)
    return names[value];
  return "unknown(" + std::to_string(value) + ")";
}

template <size_t N>
std::optional<uint32_t> valueOf(const char *const (&names)[N],
                                llvm::StringRef name) {
  for (size_t i = 0; i < N; ++i)
    if (name == names[i])
      return uint32_t(i);
  return std::nullopt;
}

} // namespace

const char *attachKindName(AttachKind kind) {
  switch (kind) {
  case AttachKind::None:
    return "none";
  case AttachKind::Kprobe:
    return "kprobe";
  case AttachKind::Kretprobe:
    return "kretprobe";
  case AttachKind::Uprobe:
    return "uprobe";
  case AttachKind::Uretprobe:
    return "uretprobe";
  case AttachKind::Tracepoint:
    return "tracepoint";
  case AttachKind::RawTracepoint:
    return "raw_tracepoint";
  case AttachKind::Ksyscall:
    return "ksyscall";
  case AttachKind::Kretsyscall:
    return "kretsyscall";
  case AttachKind::Usdt:
    return "usdt";
  case AttachKind::Tracing:
    return "tracing";
  case AttachKind::Cgroup:
    return "cgroup";
  case AttachKind::StructOps:
    return "struct_ops";
  }
  llvm_unreachable("unhandled AttachKind");
}

std::optional<SectionType> classifySection(llvm::StringRef section,
                                           SectionRules rules) {
  switch (rules) {
  case SectionRules::Libbpf1:
  case SectionRules::LibbpfLegacy:
  case SectionRules::Cilium: {
    // libbpf (0.8+) strips one leading '?' and turns autoload off; cilium
    // strips it too but loads the program anyway.
    bool optional = section.consume_front("?");
    std::optional<SectionType> type;
    if (rules == SectionRules::Libbpf1) {
      type = classifyLibbpf1(section);
    } else if (rules == SectionRules::Cilium) {
      type = matchDefs(section, 0, 0, true);
    } else {
      // Rows up to libbpf 1.1 first: exact and '+' matches win over sloppy
      // prefixes, as in 0.8's single pass, where every sloppy row follows the
      // exact rows that could also match. 1.2+ rows would retype names 0.x
      // knew (sk_skb/verdict), so they stay out.
      type = matchDefs(section, kNot1x | kSince12, 0, false);
      if (!type)
        type = matchDefs(section, 0, kPrefix0x, true);
    }
    if (!type)
      return std::nullopt;
    type->autoload = !(optional && rules != SectionRules::Cilium);
    if (rules != SectionRules::Libbpf1)
      markSloppy(*type, section);
    return type;
  }
  case SectionRules::Samples:
    return classifyPrefix(kSamplesDefs, section);
  case SectionRules::Gobpf:
    return classifyPrefix(kGobpfDefs, section);
  case SectionRules::Perf:
    return classifyPerf(section);
  }
  llvm_unreachable("unhandled SectionRules");
}

std::string progTypeName(uint32_t progType) {
  return nameOf(kProgTypeNames, progType);
}

std::string attachTypeName(uint32_t attachType) {
  return nameOf(kAttachTypeNames, attachType);
}

std::string mapTypeName(uint32_t mapType) {
  return nameOf(kMapTypeNames, mapType);
}

std::optional<uint32_t> progTypeFromName(llvm::StringRef name) {
  return valueOf(kProgTypeNames, name);
}

std::optional<uint32_t> mapTypeFromName(llvm::StringRef name) {
  return valueOf(kMapTypeNames, name);
}

} // namespace bpfcompat
