// Section-name typing. The libbpf 1.x rules are checked differentially
// against the libbpf linked into this binary (1.1.2 on the reference
// machine); the other loaders against CONVENTIONS.md §2.2, §5.2, §6.2, §7.4,
// §8.2 and §12.
#include "bpfcompat/section_names.h"

#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <llvm/ADT/ArrayRef.h>

#include <string>
#include <string_view>
#include <vector>

namespace bpfcompat {
namespace {

// libbpf 1.1.2 section_defs[] words ("+" and plain rows alike).
const char *const kLibbpf112Words[] = {
    "socket",
    "sk_reuseport/migrate",
    "sk_reuseport",
    "kprobe",
    "uprobe",
    "uprobe.s",
    "kretprobe",
    "uretprobe",
    "uretprobe.s",
    "kprobe.multi",
    "kretprobe.multi",
    "ksyscall",
    "kretsyscall",
    "usdt",
    "tc",
    "classifier",
    "action",
    "tracepoint",
    "tp",
    "raw_tracepoint",
    "raw_tp",
    "raw_tracepoint.w",
    "raw_tp.w",
    "tp_btf",
    "fentry",
    "fmod_ret",
    "fexit",
    "fentry.s",
    "fmod_ret.s",
    "fexit.s",
    "freplace",
    "lsm",
    "lsm.s",
    "lsm_cgroup",
    "iter",
    "iter.s",
    "syscall",
    "xdp.frags/devmap",
    "xdp/devmap",
    "xdp.frags/cpumap",
    "xdp/cpumap",
    "xdp.frags",
    "xdp",
    "perf_event",
    "lwt_in",
    "lwt_out",
    "lwt_xmit",
    "lwt_seg6local",
    "sockops",
    "sk_skb/stream_parser",
    "sk_skb/stream_verdict",
    "sk_skb",
    "sk_msg",
    "lirc_mode2",
    "flow_dissector",
    "cgroup_skb/ingress",
    "cgroup_skb/egress",
    "cgroup/skb",
    "cgroup/sock_create",
    "cgroup/sock_release",
    "cgroup/sock",
    "cgroup/post_bind4",
    "cgroup/post_bind6",
    "cgroup/bind4",
    "cgroup/bind6",
    "cgroup/connect4",
    "cgroup/connect6",
    "cgroup/sendmsg4",
    "cgroup/sendmsg6",
    "cgroup/recvmsg4",
    "cgroup/recvmsg6",
    "cgroup/getpeername4",
    "cgroup/getpeername6",
    "cgroup/getsockname4",
    "cgroup/getsockname6",
    "cgroup/sysctl",
    "cgroup/getsockopt",
    "cgroup/setsockopt",
    "cgroup/dev",
    "struct_ops",
    "sk_lookup",
};

// Entries of libbpf 1.2 - 1.7 that 1.1.2 rejects. "+" rows also accept
// "WORD/anything".
const char *const kLaterPlusWords[] = {
    "kprobe.session", "uprobe.multi",      "uretprobe.multi",  "uprobe.session",
    "uprobe.multi.s", "uretprobe.multi.s", "uprobe.session.s", "usdt.s",
    "fsession",       "fsession.s",        "struct_ops.s",
};
const char *const kLaterExactWords[] = {
    "tc/ingress",
    "tc/egress",
    "tcx/ingress",
    "tcx/egress",
    "netkit/primary",
    "netkit/peer",
    "sk_skb/verdict",
    "cgroup/connect_unix",
    "cgroup/sendmsg_unix",
    "cgroup/recvmsg_unix",
    "cgroup/getpeername_unix",
    "cgroup/getsockname_unix",
    "netfilter",
};

// Names of other loaders and plain garbage: all must stay untyped in 1.x.
const char *const kForeignNames[] = {
    "socket1",
    "socket/foo",
    "socketXYZ",
    "xdp_prog",
    "xdp/foo",
    "xdp_devmap/foo",
    "xdp_cpumap/foo",
    "classifier_x",
    "classifier/foo",
    "action/foo",
    "perf_event1",
    "lwt_in_x",
    "cgroup/skb1",
    "sk_skb1",
    "sk_msg1",
    "sched_cls/foo",
    "sched_act/foo",
    "seccomp",
    "maps",
    ".text",
    "license",
    "prog",
    "ingress",
    "42/0",
    "",
    "?",
    "??kprobe",
    "/",
    "kprobe_foo",
    "KPROBE/foo",
    "func=do_sys_open",
    "exec=/bin/bash;func=readline",
    "raw_syscalls:sys_enter",
    "!syscalls:sys_enter_openat",
};

bool startsWithWord(std::string_view name, std::string_view word) {
  return name == word ||
         (name.substr(0, word.size()) == word && name.size() > word.size() &&
          name[word.size()] == '/');
}

bool isLaterName(std::string_view name) {
  for (std::string_view word : kLaterPlusWords)
    if (startsWithWord(name, word))
      return true;
  for (std::string_view word : kLaterExactWords)
    if (name == word)
      return true;
  return false;
}

std::vector<std::string> differentialNames() {
  std::vector<std::string> words(std::begin(kLibbpf112Words),
                                 std::end(kLibbpf112Words));
  words.insert(words.end(), std::begin(kLaterPlusWords),
               std::end(kLaterPlusWords));
  words.insert(words.end(), std::begin(kLaterExactWords),
               std::end(kLaterExactWords));
  std::vector<std::string> names(std::begin(kForeignNames),
                                 std::end(kForeignNames));
  const char *const suffixes[] = {
      "",          "/",        "/x",   "/a/b", "x",
      "_x",        ".s",       ".s/x", "//",   "/do_sys_open+0x10",
      "/bin:func", ".multi/x", ".w/x", "1",    "/0",
  };
  for (const std::string &word : words) {
    for (const char *suffix : suffixes) {
      names.push_back(word + suffix);
      names.push_back("?" + word + suffix);
    }
    names.push_back(word.substr(0, word.size() - 1));
  }
  return names;
}

TEST(SectionNames, Libbpf1AgreesWithInstalledLibbpf) {
  libbpf_set_print(nullptr);
  size_t agreed = 0, rejected = 0, later = 0;
  for (const std::string &name : differentialNames()) {
    SCOPED_TRACE("section '" + name + "'");
    std::optional<SectionType> ours =
        classifySection(name, SectionRules::Libbpf1);
    // libbpf_prog_type_by_name() does not strip '?'; program loading does.
    std::string bare = name.starts_with("?") ? name.substr(1) : name;
    bpf_prog_type progType = BPF_PROG_TYPE_UNSPEC;
    bpf_attach_type attachType = BPF_CGROUP_INET_INGRESS;
    if (libbpf_prog_type_by_name(bare.c_str(), &progType, &attachType) != 0) {
      if (ours) {
        // Only entries newer than the oracle may be typed where it is not.
        EXPECT_TRUE(isLaterName(bare));
        ++later;
      } else {
        ++rejected;
      }
      continue;
    }
    ASSERT_TRUE(ours.has_value());
    EXPECT_EQ(ours->progType, uint32_t(progType));
    // libbpf reports 0 both for "none" and for CGROUP_INET_INGRESS.
    EXPECT_EQ(ours->hasExpectedAttachType ? ours->expectedAttachType : 0u,
              uint32_t(attachType));
    EXPECT_EQ(ours->canonical, bare);
    EXPECT_EQ(ours->autoload, name == bare);
    EXPECT_FALSE(ours->sloppy);
    ++agreed;
  }
  EXPECT_GT(agreed, 500u);
  EXPECT_GT(rejected, 500u);
  EXPECT_GT(later, 40u);
}

int64_t attachOrNone(const SectionType &type) {
  return type.hasExpectedAttachType ? int64_t(type.expectedAttachType) : -1;
}

struct Expected {
  const char *name;
  uint32_t progType;
  int64_t attachType; // -1: none
  bool sleepable;
};

void expectTyping(const std::optional<SectionType> &type,
                  const Expected &want) {
  ASSERT_TRUE(type.has_value());
  EXPECT_EQ(type->progType, want.progType);
  EXPECT_EQ(attachOrNone(*type), want.attachType);
  EXPECT_EQ(type->sleepable, want.sleepable);
}

// Numbers the installed libbpf 1.1.2 does not know; kernel numbering from
// libbpf v1.7.0's uapi header. libbpf 1.1.2 must reject all of them.
TEST(SectionNames, Libbpf1LaterEntries) {
  libbpf_set_print(nullptr);
  const Expected cases[] = {
      {"struct_ops.s/x", BPF_PROG_TYPE_STRUCT_OPS, -1, true},
      {"tc/ingress", BPF_PROG_TYPE_SCHED_CLS, 46, false},
      {"tc/egress", BPF_PROG_TYPE_SCHED_CLS, 47, false},
      {"tcx/ingress", BPF_PROG_TYPE_SCHED_CLS, 46, false},
      {"tcx/egress", BPF_PROG_TYPE_SCHED_CLS, 47, false},
      {"netkit/primary", BPF_PROG_TYPE_SCHED_CLS, 54, false},
      {"netkit/peer", BPF_PROG_TYPE_SCHED_CLS, 55, false},
      {"netfilter", 32, 45, false},
      {"usdt.s/bin:prov:name", BPF_PROG_TYPE_KPROBE, -1, true},
      {"uprobe.multi/bin:f*", BPF_PROG_TYPE_KPROBE, 48, false},
      {"uretprobe.multi.s/bin:f*", BPF_PROG_TYPE_KPROBE, 48, true},
      {"uprobe.session", BPF_PROG_TYPE_KPROBE, 57, false},
      {"kprobe.session/tcp_*", BPF_PROG_TYPE_KPROBE, 56, false},
      {"sk_skb/verdict", BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_VERDICT, false},
      {"cgroup/connect_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, 49, false},
      {"cgroup/sendmsg_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, 50, false},
      {"cgroup/recvmsg_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, 51, false},
      {"cgroup/getpeername_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, 52, false},
      {"cgroup/getsockname_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, 53, false},
      {"fsession/do_unlinkat", BPF_PROG_TYPE_TRACING, 58, false},
      {"fsession.s/do_unlinkat", BPF_PROG_TYPE_TRACING, 58, true},
  };
  for (const Expected &want : cases) {
    SCOPED_TRACE(want.name);
    expectTyping(classifySection(want.name, SectionRules::Libbpf1), want);
    bpf_prog_type progType;
    bpf_attach_type attachType;
    EXPECT_NE(libbpf_prog_type_by_name(want.name, &progType, &attachType), 0);
  }
}

TEST(SectionNames, Libbpf1SleepableAndAutoload) {
  const Expected cases[] = {
      {"uprobe.s//bin/bash:readline", BPF_PROG_TYPE_KPROBE, -1, true},
      {"uretprobe.s", BPF_PROG_TYPE_KPROBE, -1, true},
      {"fentry.s/do_unlinkat", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, true},
      {"fmod_ret.s/x", BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN, true},
      {"fexit.s/x", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, true},
      {"lsm.s/file_open", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, true},
      {"iter.s/task", BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, true},
      {"syscall", BPF_PROG_TYPE_SYSCALL, -1, true},
      {"fentry/do_unlinkat", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, false},
      {"cgroup_skb/ingress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS,
       false},
      {"cgroup/skb", BPF_PROG_TYPE_CGROUP_SKB, -1, false},
  };
  for (const Expected &want : cases) {
    SCOPED_TRACE(want.name);
    expectTyping(classifySection(want.name, SectionRules::Libbpf1), want);
  }
  auto optional = classifySection("?kprobe/do_sys_open", SectionRules::Libbpf1);
  ASSERT_TRUE(optional);
  EXPECT_FALSE(optional->autoload);
  EXPECT_EQ(optional->canonical, "kprobe/do_sys_open");
  EXPECT_EQ(optional->attach, AttachKind::Kprobe);
  EXPECT_EQ(optional->target, "do_sys_open");
  EXPECT_TRUE(
      classifySection("kprobe/do_sys_open", SectionRules::Libbpf1)->autoload);
}

struct AttachCase {
  const char *name;
  AttachKind kind;
  const char *target;
  uint64_t offset;
};

TEST(SectionNames, Libbpf1AttachTargets) {
  const AttachCase cases[] = {
      {"kprobe/do_sys_open", AttachKind::Kprobe, "do_sys_open", 0},
      {"kprobe/do_sys_open+0x10", AttachKind::Kprobe, "do_sys_open", 16},
      {"kprobe/do_sys_open+16", AttachKind::Kprobe, "do_sys_open", 16},
      {"kprobe/do_sys_open+010", AttachKind::Kprobe, "do_sys_open", 8},
      {"kprobe/do_sys_open+", AttachKind::Kprobe, "do_sys_open", 0},
      {"kprobe/foo.isra.0", AttachKind::Kprobe, "foo.isra.0", 0},
      // sscanf stops at the first character outside [a-zA-Z0-9_.].
      {"kprobe/foo-bar", AttachKind::Kprobe, "foo", 0},
      {"kprobe/", AttachKind::None, "", 0},
      {"kprobe/-x", AttachKind::None, "", 0},
      {"kretprobe/do_sys_open", AttachKind::Kretprobe, "do_sys_open", 0},
      {"kretprobe/do_sys_open+4", AttachKind::None, "", 0},
      {"kprobe.multi/tcp_*", AttachKind::Kprobe, "tcp_*", 0},
      {"kretprobe.multi/v?s_read", AttachKind::Kretprobe, "v?s_read", 0},
      {"uprobe//bin/bash:readline", AttachKind::Uprobe, "/bin/bash:readline",
       0},
      {"uprobe/libc.so.6:malloc+0x8", AttachKind::Uprobe, "libc.so.6:malloc",
       8},
      {"uretprobe//bin/bash:readline", AttachKind::Uretprobe,
       "/bin/bash:readline", 0},
      {"uretprobe//bin/bash:readline+8", AttachKind::None, "", 0},
      {"uprobe.s//bin/bash:readline", AttachKind::Uprobe, "/bin/bash:readline",
       0},
      {"uretprobe.s/libc.so.6:free", AttachKind::Uretprobe, "libc.so.6:free",
       0},
      {"uprobe/foo", AttachKind::None, "", 0},
      {"uprobe/:malloc", AttachKind::None, "", 0},
      {"uprobe/libc.so.6:", AttachKind::None, "", 0},
      {"uprobe.multi//bin/bash:read*", AttachKind::Uprobe, "/bin/bash:read*",
       0},
      {"tracepoint/syscalls/sys_enter_openat", AttachKind::Tracepoint,
       "syscalls/sys_enter_openat", 0},
      {"tp/sched/sched_switch", AttachKind::Tracepoint, "sched/sched_switch",
       0},
      {"tp/sched", AttachKind::None, "", 0},
      {"tp/sched/", AttachKind::None, "", 0},
      {"raw_tp/sched_switch", AttachKind::RawTracepoint, "sched_switch", 0},
      {"raw_tracepoint/sys_enter", AttachKind::RawTracepoint, "sys_enter", 0},
      {"raw_tp.w/bpf_test_finish", AttachKind::RawTracepoint, "bpf_test_finish",
       0},
      {"raw_tp/", AttachKind::None, "", 0},
      {"ksyscall/openat", AttachKind::Ksyscall, "openat", 0},
      {"kretsyscall/openat", AttachKind::Kretsyscall, "openat", 0},
      {"usdt//usr/lib/libc.so.6:libc:setjmp", AttachKind::Usdt,
       "/usr/lib/libc.so.6:libc:setjmp", 0},
      {"usdt/libc.so.6:libc", AttachKind::None, "", 0},
      {"fentry/do_unlinkat", AttachKind::Tracing, "do_unlinkat", 0},
      {"fexit/do_unlinkat", AttachKind::Tracing, "do_unlinkat", 0},
      {"fmod_ret/bpf_modify_return_test", AttachKind::Tracing,
       "bpf_modify_return_test", 0},
      {"tp_btf/sched_switch", AttachKind::Tracing, "sched_switch", 0},
      {"lsm/file_open", AttachKind::Tracing, "file_open", 0},
      {"lsm_cgroup/socket_bind", AttachKind::Tracing, "socket_bind", 0},
      {"iter/task", AttachKind::Tracing, "task", 0},
      {"freplace/handler", AttachKind::Tracing, "handler", 0},
      {"struct_ops/tcp_init", AttachKind::StructOps, "", 0},
      {"struct_ops", AttachKind::StructOps, "", 0},
      {"cgroup/connect4", AttachKind::Cgroup, "", 0},
      {"cgroup_skb/egress", AttachKind::Cgroup, "", 0},
      {"sockops", AttachKind::Cgroup, "", 0},
      {"cgroup/dev", AttachKind::Cgroup, "", 0},
      {"xdp", AttachKind::None, "", 0},
      {"socket", AttachKind::None, "", 0},
      {"tc", AttachKind::None, "", 0},
  };
  for (const AttachCase &want : cases) {
    SCOPED_TRACE(want.name);
    auto type = classifySection(want.name, SectionRules::Libbpf1);
    ASSERT_TRUE(type);
    EXPECT_EQ(type->attach, want.kind)
        << attachKindName(type->attach) << " vs " << attachKindName(want.kind);
    EXPECT_EQ(type->target, want.target);
    EXPECT_EQ(type->offset, want.offset);
  }
  // Bare words never auto-attach.
  for (const char *word : {"kprobe",    "kretprobe",   "uprobe",
                           "uretprobe", "uprobe.s",    "tracepoint",
                           "tp",        "raw_tp",      "raw_tracepoint",
                           "ksyscall",  "kretsyscall", "usdt",
                           "fentry",    "fexit",       "fmod_ret",
                           "tp_btf",    "lsm",         "iter",
                           "freplace",  "kprobe.multi"}) {
    SCOPED_TRACE(word);
    auto type = classifySection(word, SectionRules::Libbpf1);
    ASSERT_TRUE(type);
    EXPECT_EQ(type->attach, AttachKind::None);
    EXPECT_EQ(type->target, "");
  }
}

struct RenameCase {
  const char *name;
  const char *canonical;
  uint32_t progType;
  int64_t attachType; // -1: none
  bool sloppy;
};

void expectRenames(SectionRules rules, llvm::ArrayRef<RenameCase> cases) {
  for (const RenameCase &want : cases) {
    SCOPED_TRACE(want.name);
    auto type = classifySection(want.name, rules);
    ASSERT_TRUE(type);
    EXPECT_EQ(type->canonical, want.canonical);
    EXPECT_EQ(type->progType, want.progType);
    EXPECT_EQ(attachOrNone(*type), want.attachType);
    EXPECT_EQ(type->sloppy, want.sloppy);
    EXPECT_TRUE(type->lost.empty());
    // The canonical spelling means the same program type to libbpf 1.x.
    auto again = classifySection(type->canonical, SectionRules::Libbpf1);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->progType, type->progType);
  }
}

void expectRejected(SectionRules rules,
                    std::initializer_list<const char *> names) {
  for (const char *name : names)
    EXPECT_FALSE(classifySection(name, rules).has_value()) << name;
}

TEST(SectionNames, LegacySloppyPrefixes) {
  expectRenames(
      SectionRules::LibbpfLegacy,
      {
          {"socket1", "socket", BPF_PROG_TYPE_SOCKET_FILTER, -1, true},
          {"socket/dummy", "socket", BPF_PROG_TYPE_SOCKET_FILTER, -1, true},
          {"xdp_prog", "xdp", BPF_PROG_TYPE_XDP, BPF_XDP, true},
          {"xdp/foo", "xdp", BPF_PROG_TYPE_XDP, BPF_XDP, true},
          {"xdp.frags/foo", "xdp", BPF_PROG_TYPE_XDP, BPF_XDP, true},
          {"classifier_x", "classifier", BPF_PROG_TYPE_SCHED_CLS, -1, true},
          {"action/x", "action", BPF_PROG_TYPE_SCHED_ACT, -1, true},
          {"perf_eventX", "perf_event", BPF_PROG_TYPE_PERF_EVENT, -1, true},
          {"cgroup/skbX", "cgroup/skb", BPF_PROG_TYPE_CGROUP_SKB, -1, true},
          {"cgroup/sock_createX", "cgroup/sock_create",
           BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, true},
          {"cgroup/sockX", "cgroup/sock", BPF_PROG_TYPE_CGROUP_SOCK,
           BPF_CGROUP_INET_SOCK_CREATE, true},
          {"lwt_inX", "lwt_in", BPF_PROG_TYPE_LWT_IN, -1, true},
          {"sk_skbX", "sk_skb", BPF_PROG_TYPE_SK_SKB, -1, true},
          {"sk_skb/stream_parser1", "sk_skb/stream_parser",
           BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_PARSER, true},
          // 1.4's sk_skb/verdict was a plain sk_skb to 0.x.
          {"sk_skb/verdict", "sk_skb", BPF_PROG_TYPE_SK_SKB, -1, true},
          {"sk_lookup/x", "sk_lookup", BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP,
           true},
          {"xdp_devmap/x", "xdp/devmap", BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP,
           true},
          {"xdp_cpumap/x", "xdp/cpumap", BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP,
           true},
          // Exact and "+" names are typed as in 1.x.
          {"socket", "socket", BPF_PROG_TYPE_SOCKET_FILTER, -1, false},
          {"xdp/devmap", "xdp/devmap", BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP,
           false},
          {"kprobe/do_sys_open", "kprobe/do_sys_open", BPF_PROG_TYPE_KPROBE, -1,
           false},
          {"cgroup/sock_create", "cgroup/sock_create",
           BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, false},
      });
  auto optional = classifySection("?socket1", SectionRules::LibbpfLegacy);
  ASSERT_TRUE(optional);
  EXPECT_FALSE(optional->autoload);
  EXPECT_EQ(optional->canonical, "socket");
  // tc, syscall and the "+" rows never matched by prefix; later 1.x entries
  // did not exist.
  expectRejected(SectionRules::LibbpfLegacy,
                 {"tcfoo", "tc/foo", "syscallx", "kprobex/foo", "tc/ingress",
                  "netfilter", "struct_ops.s/x", "sched_cls/x", "prog"});
}

TEST(SectionNames, SamplesBpfLoad) {
  expectRenames(
      SectionRules::Samples,
      {
          {"socket", "socket", BPF_PROG_TYPE_SOCKET_FILTER, -1, false},
          {"socket1", "socket", BPF_PROG_TYPE_SOCKET_FILTER, -1, true},
          {"socket/3", "socket", BPF_PROG_TYPE_SOCKET_FILTER, -1, true},
          {"kprobe/do_sys_open", "kprobe/do_sys_open", BPF_PROG_TYPE_KPROBE, -1,
           false},
          // Tail-call slot, not a function to attach to.
          {"kprobe/3", "kprobe", BPF_PROG_TYPE_KPROBE, -1, false},
          {"kretprobe/2", "kretprobe", BPF_PROG_TYPE_KPROBE, -1, false},
          {"kprobe/sys_write", "ksyscall/write", BPF_PROG_TYPE_KPROBE, -1,
           false},
          {"kretprobe/sys_write", "kretsyscall/write", BPF_PROG_TYPE_KPROBE, -1,
           false},
          {"tracepoint/syscalls/sys_enter_write",
           "tracepoint/syscalls/sys_enter_write", BPF_PROG_TYPE_TRACEPOINT, -1,
           false},
          {"raw_tracepoint/task_rename", "raw_tracepoint/task_rename",
           BPF_PROG_TYPE_RAW_TRACEPOINT, -1, false},
          {"xdp_redirect_map", "xdp", BPF_PROG_TYPE_XDP, -1, true},
          {"xdp1", "xdp", BPF_PROG_TYPE_XDP, -1, true},
          // bpf_load never passed an expected attach type.
          {"xdp/devmap", "xdp", BPF_PROG_TYPE_XDP, -1, true},
          {"perf_event", "perf_event", BPF_PROG_TYPE_PERF_EVENT, -1, false},
          {"cgroup/skb", "cgroup/skb", BPF_PROG_TYPE_CGROUP_SKB, -1, false},
          {"cgroup/sock", "cgroup/sock", BPF_PROG_TYPE_CGROUP_SOCK, -1, false},
          {"sockops", "sockops", BPF_PROG_TYPE_SOCK_OPS, -1, false},
          {"sockops/1", "sockops", BPF_PROG_TYPE_SOCK_OPS, -1, true},
          {"sk_skb1", "sk_skb", BPF_PROG_TYPE_SK_SKB, -1, true},
          {"sk_skb2", "sk_skb", BPF_PROG_TYPE_SK_SKB, -1, true},
          // 7 characters skipped: "sk_skb/x" never reached the slot check.
          {"sk_skb/stream_parser", "sk_skb", BPF_PROG_TYPE_SK_SKB, -1, true},
          {"sk_msg1", "sk_msg", BPF_PROG_TYPE_SK_MSG, -1, true},
      });
  auto slot = classifySection("kprobe/3", SectionRules::Samples);
  ASSERT_TRUE(slot);
  EXPECT_EQ(slot->attach, AttachKind::None);
  EXPECT_EQ(slot->target, "");
  auto sys = classifySection("kprobe/sys_write", SectionRules::Samples);
  ASSERT_TRUE(sys);
  EXPECT_EQ(sys->attach, AttachKind::Ksyscall);
  EXPECT_EQ(sys->target, "write");
  auto tp =
      classifySection("tracepoint/sched/sched_switch", SectionRules::Samples);
  ASSERT_TRUE(tp);
  EXPECT_EQ(tp->attach, AttachKind::Tracepoint);
  EXPECT_EQ(tp->target, "sched/sched_switch");
  // "Unknown event", "invalid prog number", "event name cannot be empty".
  expectRejected(SectionRules::Samples,
                 {"cgroup/dev", "cgroup/sysctl", "socket/foo", "socket/",
                  "sockops/x", "kprobe/", "kretprobe/", "tracepoint/",
                  "uprobe//bin/bash:readline", "tc", "classifier", "lwt_in",
                  "?socket", "fentry/x"});
}

TEST(SectionNames, Gobpf) {
  expectRenames(
      SectionRules::Gobpf,
      {
          {"sched_cls/ingress", "tc", BPF_PROG_TYPE_SCHED_CLS, -1, true},
          {"sched_act/x", "action", BPF_PROG_TYPE_SCHED_ACT, -1, true},
          {"xdp/prog", "xdp", BPF_PROG_TYPE_XDP, -1, true},
          {"xdp/devmap", "xdp", BPF_PROG_TYPE_XDP, -1, true},
          {"socket/x", "socket", BPF_PROG_TYPE_SOCKET_FILTER, -1, true},
          {"socket1", "socket", BPF_PROG_TYPE_SOCKET_FILTER, -1, true},
          {"socket", "socket", BPF_PROG_TYPE_SOCKET_FILTER, -1, false},
          {"cgroup/skb", "cgroup/skb", BPF_PROG_TYPE_CGROUP_SKB, -1, false},
          {"cgroup/sock", "cgroup/sock", BPF_PROG_TYPE_CGROUP_SOCK, -1, false},
          {"cgroup/skb/ingress", "cgroup/skb", BPF_PROG_TYPE_CGROUP_SKB, -1,
           true},
          {"kprobe/SyS_write", "kprobe/SyS_write", BPF_PROG_TYPE_KPROBE, -1,
           false},
          {"kretprobe/tcp_v4_connect", "kretprobe/tcp_v4_connect",
           BPF_PROG_TYPE_KPROBE, -1, false},
          {"uprobe/readline", "uprobe", BPF_PROG_TYPE_KPROBE, -1, false},
          {"uretprobe/readline", "uretprobe", BPF_PROG_TYPE_KPROBE, -1, false},
          {"uprobe//bin/bash:readline", "uprobe//bin/bash:readline",
           BPF_PROG_TYPE_KPROBE, -1, false},
          {"tracepoint/sched/sched_switch", "tracepoint/sched/sched_switch",
           BPF_PROG_TYPE_TRACEPOINT, -1, false},
      });
  auto kprobe = classifySection("kprobe/SyS_write", SectionRules::Gobpf);
  ASSERT_TRUE(kprobe);
  EXPECT_EQ(kprobe->attach, AttachKind::Kprobe);
  EXPECT_EQ(kprobe->target, "SyS_write");
  auto uprobe = classifySection("uprobe/readline", SectionRules::Gobpf);
  ASSERT_TRUE(uprobe);
  EXPECT_EQ(uprobe->attach, AttachKind::None);
  expectRejected(SectionRules::Gobpf,
                 {"maps/events", "lwt_in", "sched_cls", "xdp", "kprobe/",
                  "tracepoint/", "cgroup/dev", "classifier", "?socket"});
}

TEST(SectionNames, Cilium) {
  expectRenames(
      SectionRules::Cilium,
      {
          {"socket1", "socket", BPF_PROG_TYPE_SOCKET_FILTER, -1, true},
          {"xdp/prog1", "xdp", BPF_PROG_TYPE_XDP, BPF_XDP, true},
          {"xdp_foo", "xdp", BPF_PROG_TYPE_XDP, BPF_XDP, true},
          {"xdp/devmap", "xdp/devmap", BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP,
           false},
          {"xdp_devmap/x", "xdp/devmap", BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP,
           true},
          {"classifier_x", "classifier", BPF_PROG_TYPE_SCHED_CLS, -1, true},
          {"tcfoo", "tc", BPF_PROG_TYPE_SCHED_CLS, -1, true},
          {"tc/foo", "tc", BPF_PROG_TYPE_SCHED_CLS, -1, true},
          {"tc/ingress", "tc/ingress", BPF_PROG_TYPE_SCHED_CLS, 46, false},
          {"seccomp", "socket", BPF_PROG_TYPE_SOCKET_FILTER, -1, true},
          {"syscallx", "syscall", BPF_PROG_TYPE_SYSCALL, -1, true},
          {"kprobe/do_sys_open", "kprobe/do_sys_open", BPF_PROG_TYPE_KPROBE, -1,
           false},
          {"cgroup_skb/ingress", "cgroup_skb/ingress", BPF_PROG_TYPE_CGROUP_SKB,
           BPF_CGROUP_INET_INGRESS, false},
      });
  // cilium strips '?' but still loads the program.
  auto optional = classifySection("?socket", SectionRules::Cilium);
  ASSERT_TRUE(optional);
  EXPECT_TRUE(optional->autoload);
  EXPECT_EQ(optional->canonical, "socket");
  expectRejected(SectionRules::Cilium,
                 {"sched_cls/foo", "sched_act/foo", "prog", "ingress", "42/0",
                  "kprobex/foo", "maps", ""});
}

struct PerfCase {
  const char *name;
  uint32_t progType;
  const char *canonical;
  AttachKind kind;
  const char *target;
  uint64_t offset;
  std::vector<std::string> lost;
};

TEST(SectionNames, PerfConfigStrings) {
  const PerfCase cases[] = {
      {"func=do_sys_open",
       BPF_PROG_TYPE_KPROBE,
       "kprobe/do_sys_open",
       AttachKind::Kprobe,
       "do_sys_open",
       0,
       {}},
      {"func=do_sys_open%return",
       BPF_PROG_TYPE_KPROBE,
       "kretprobe/do_sys_open",
       AttachKind::Kretprobe,
       "do_sys_open",
       0,
       {}},
      {"func=do_sys_open+0x10",
       BPF_PROG_TYPE_KPROBE,
       "kprobe/do_sys_open+0x10",
       AttachKind::Kprobe,
       "do_sys_open",
       16,
       {}},
      {"perf_bpf_probe:func=vfs_read",
       BPF_PROG_TYPE_KPROBE,
       "kprobe/vfs_read",
       AttachKind::Kprobe,
       "vfs_read",
       0,
       {}},
      {"exec=/bin/bash;func=readline",
       BPF_PROG_TYPE_KPROBE,
       "uprobe//bin/bash:readline",
       AttachKind::Uprobe,
       "/bin/bash:readline",
       0,
       {}},
      {"exec=/bin/bash;func=readline%return",
       BPF_PROG_TYPE_KPROBE,
       "uretprobe//bin/bash:readline",
       AttachKind::Uretprobe,
       "/bin/bash:readline",
       0,
       {}},
      {"module=ext4;func=ext4_sync_file",
       BPF_PROG_TYPE_KPROBE,
       "kprobe/ext4_sync_file",
       AttachKind::Kprobe,
       "ext4_sync_file",
       0,
       {"perf module=ext4"}},
      // The last of exec=/module= wins.
      {"module=ext4;exec=/bin/bash;func=readline",
       BPF_PROG_TYPE_KPROBE,
       "uprobe//bin/bash:readline",
       AttachKind::Uprobe,
       "/bin/bash:readline",
       0,
       {}},
      {"hrtimer_nanosleep=hrtimer_nanosleep rqtp",
       BPF_PROG_TYPE_KPROBE,
       "kprobe/hrtimer_nanosleep",
       AttachKind::Kprobe,
       "hrtimer_nanosleep",
       0,
       {"perf probe arguments 'rqtp'"}},
      {"inlines=no;force=yes;func=foo a b->c",
       BPF_PROG_TYPE_KPROBE,
       "kprobe/foo",
       AttachKind::Kprobe,
       "foo",
       0,
       {"perf inlines=no", "perf force=yes", "perf probe arguments 'a b->c'"}},
      // A segment without '=' only made perf warn.
      {"oops;func=foo",
       BPF_PROG_TYPE_KPROBE,
       "kprobe/foo",
       AttachKind::Kprobe,
       "foo",
       0,
       {}},
      {"func=vfs_read@fs/read_write.c",
       BPF_PROG_TYPE_KPROBE,
       "kprobe",
       AttachKind::None,
       "",
       0,
       {"perf probe point 'vfs_read@fs/read_write.c'"}},
      {"exec=/lib/libc.so.6;func=malloc:3",
       BPF_PROG_TYPE_KPROBE,
       "uprobe",
       AttachKind::None,
       "",
       0,
       {"perf probe point 'malloc:3'"}},
      {"raw_syscalls:sys_enter",
       BPF_PROG_TYPE_TRACEPOINT,
       "tracepoint/raw_syscalls/sys_enter",
       AttachKind::Tracepoint,
       "raw_syscalls/sys_enter",
       0,
       {}},
      // Probe options have no effect on tracepoints.
      {"module=ext4;syscalls:sys_enter_openat",
       BPF_PROG_TYPE_TRACEPOINT,
       "tracepoint/syscalls/sys_enter_openat",
       AttachKind::Tracepoint,
       "syscalls/sys_enter_openat",
       0,
       {}},
      // Loaded but not attached; '?' would stop libbpf loading it.
      {"!syscalls:sys_enter_openat",
       BPF_PROG_TYPE_TRACEPOINT,
       "tracepoint",
       AttachKind::None,
       "",
       0,
       {}},
  };
  for (const PerfCase &want : cases) {
    SCOPED_TRACE(want.name);
    auto type = classifySection(want.name, SectionRules::Perf);
    ASSERT_TRUE(type);
    EXPECT_EQ(type->progType, want.progType);
    EXPECT_FALSE(type->hasExpectedAttachType);
    EXPECT_EQ(type->canonical, want.canonical);
    EXPECT_EQ(type->attach, want.kind);
    EXPECT_EQ(type->target, want.target);
    EXPECT_EQ(type->offset, want.offset);
    EXPECT_EQ(type->lost, want.lost);
    EXPECT_TRUE(type->autoload);
    EXPECT_FALSE(type->sloppy);
    auto again = classifySection(type->canonical, SectionRules::Libbpf1);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->progType, want.progType);
  }
  expectRejected(
      SectionRules::Perf,
      {"foo", "", "=foo", "func=", "bad=1;func=foo", "exec=;func=foo",
       "inlines=maybe;func=foo", "grp:func=vfs_read", "1func=vfs_read",
       "func+4=x", "syscalls:", ":sys_enter", "!:sys_enter",
       "uprobe//bin/bash:readline", "kprobe/do_sys_open", "socket", "xdp"});
}

TEST(SectionNames, EnumNamesMatchLibbpf) {
  // The values the installed libbpf 1.1.2 knows; later ones follow.
  for (uint32_t t = 0; t <= BPF_PROG_TYPE_SYSCALL; ++t)
    EXPECT_EQ(progTypeName(t), libbpf_bpf_prog_type_str(bpf_prog_type(t)));
  for (uint32_t t = 0; t <= BPF_LSM_CGROUP; ++t)
    EXPECT_EQ(attachTypeName(t),
              libbpf_bpf_attach_type_str(bpf_attach_type(t)));
  for (uint32_t t = 0; t <= BPF_MAP_TYPE_USER_RINGBUF; ++t)
    EXPECT_EQ(mapTypeName(t), libbpf_bpf_map_type_str(bpf_map_type(t)));

  EXPECT_EQ(progTypeName(32), "netfilter");
  EXPECT_EQ(progTypeName(33), "unknown(33)");
  EXPECT_EQ(attachTypeName(0), "cgroup_inet_ingress");
  EXPECT_EQ(attachTypeName(46), "tcx_ingress");
  EXPECT_EQ(attachTypeName(58), "trace_fsession");
  EXPECT_EQ(attachTypeName(59), "unknown(59)");
  EXPECT_EQ(mapTypeName(BPF_MAP_TYPE_PROG_ARRAY), "prog_array");
  EXPECT_EQ(mapTypeName(33), "arena");
  EXPECT_EQ(mapTypeName(35), "unknown(35)");
  EXPECT_EQ(mapTypeName(1000), "unknown(1000)");
}

TEST(SectionNames, EnumNameRoundTrips) {
  for (uint32_t t = 0; t <= 32; ++t)
    EXPECT_EQ(progTypeFromName(progTypeName(t)), t);
  for (uint32_t t = 0; t <= 34; ++t)
    EXPECT_EQ(mapTypeFromName(mapTypeName(t)), t);
  EXPECT_EQ(progTypeFromName("sched_cls"), BPF_PROG_TYPE_SCHED_CLS);
  EXPECT_EQ(mapTypeFromName("ringbuf"), BPF_MAP_TYPE_RINGBUF);
  EXPECT_EQ(progTypeFromName("SCHED_CLS"), std::nullopt);
  EXPECT_EQ(progTypeFromName("unknown(40)"), std::nullopt);
  EXPECT_EQ(mapTypeFromName(""), std::nullopt);
  EXPECT_EQ(mapTypeFromName("hashmap"), std::nullopt);
}

TEST(SectionNames, AttachKindNames) {
  const std::pair<AttachKind, const char *> names[] = {
      {AttachKind::None, "none"},
      {AttachKind::Kprobe, "kprobe"},
      {AttachKind::Kretprobe, "kretprobe"},
      {AttachKind::Uprobe, "uprobe"},
      {AttachKind::Uretprobe, "uretprobe"},
      {AttachKind::Tracepoint, "tracepoint"},
      {AttachKind::RawTracepoint, "raw_tracepoint"},
      {AttachKind::Ksyscall, "ksyscall"},
      {AttachKind::Kretsyscall, "kretsyscall"},
      {AttachKind::Usdt, "usdt"},
      {AttachKind::Tracing, "tracing"},
      {AttachKind::Cgroup, "cgroup"},
      {AttachKind::StructOps, "struct_ops"},
  };
  for (const auto &[kind, name] : names)
    EXPECT_STREQ(attachKindName(kind), name);
}

} // namespace
} // namespace bpfcompat
