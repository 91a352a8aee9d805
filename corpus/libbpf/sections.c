// SPDX-License-Identifier: GPL-2.0
/*
 * One program per libbpf 1.x section spelling (CONVENTIONS.md §3.3): exact
 * names (socket, xdp, xdp.frags, tc, classifier, action, perf_event, sk_msg,
 * sockops, cgroup_skb/..., cgroup/sock_create), `+` rules with and without
 * an attach target (kprobe/do_nanosleep vs. bare kprobe, uprobe//path:func,
 * tracepoint/ and tp/, raw_tp/ and raw_tracepoint/), a "?tc" program whose
 * autoload is off, and one deliberately unknown name ("frobnicate") that
 * libbpf opens as BPF_PROG_TYPE_UNSPEC and refuses to load unless the
 * caller sets a type.
 *
 * Each program bumps its own slot in a shared per-CPU array, so every
 * section has exactly one map relocation and the programs stay trivially
 * verifiable.
 */
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#include <bpf/bpf_helpers.h>
#include <corpus/net.h>

enum hit_slot {
	HIT_SOCKET,
	HIT_XDP,
	HIT_XDP_FRAGS,
	HIT_TC,
	HIT_CLASSIFIER,
	HIT_ACTION,
	HIT_KPROBE,
	HIT_KRETPROBE,
	HIT_UPROBE,
	HIT_TRACEPOINT,
	HIT_TP,
	HIT_RAW_TP,
	HIT_RAW_TRACEPOINT,
	HIT_CGROUP_SKB_IN,
	HIT_CGROUP_SKB_OUT,
	HIT_CGROUP_SOCK,
	HIT_PERF_EVENT,
	HIT_SK_MSG,
	HIT_SOCKOPS,
	HIT_TC_OPTIONAL,
	HIT_KPROBE_MANUAL,
	HIT_UNKNOWN,
	HIT_MAX,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, HIT_MAX);
} hits SEC(".maps");

static __always_inline void hit(__u32 slot)
{
	__u64 *cnt = bpf_map_lookup_elem(&hits, &slot);

	if (cnt)
		*cnt += 1;
}

SEC("socket")
int sec_socket(struct __sk_buff *skb)
{
	hit(HIT_SOCKET);
	return skb->len;
}

SEC("xdp")
int sec_xdp(struct xdp_md *ctx)
{
	hit(HIT_XDP);
	return XDP_PASS;
}

/* Multi-buffer aware XDP: libbpf sets BPF_F_XDP_HAS_FRAGS at load. */
SEC("xdp.frags")
int sec_xdp_frags(struct xdp_md *ctx)
{
	hit(HIT_XDP_FRAGS);
	return XDP_PASS;
}

SEC("tc")
int sec_tc(struct __sk_buff *skb)
{
	hit(HIT_TC);
	return TC_ACT_OK;
}

SEC("classifier")
int sec_classifier(struct __sk_buff *skb)
{
	hit(HIT_CLASSIFIER);
	return TC_ACT_OK;
}

SEC("action")
int sec_action(struct __sk_buff *skb)
{
	hit(HIT_ACTION);
	return TC_ACT_PIPE;
}

SEC("kprobe/do_nanosleep")
int sec_kprobe(void *regs)
{
	hit(HIT_KPROBE);
	return 0;
}

SEC("kretprobe/do_nanosleep")
int sec_kretprobe(void *regs)
{
	hit(HIT_KRETPROBE);
	return 0;
}

/* Binary path and function after "uprobe/": path /usr/bin/true, func main. */
SEC("uprobe//usr/bin/true:main")
int sec_uprobe(void *regs)
{
	hit(HIT_UPROBE);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int sec_tracepoint(void *ctx)
{
	hit(HIT_TRACEPOINT);
	return 0;
}

SEC("tp/sched/sched_switch")
int sec_tp(void *ctx)
{
	hit(HIT_TP);
	return 0;
}

SEC("raw_tp/sys_enter")
int sec_raw_tp(struct bpf_raw_tracepoint_args *ctx)
{
	hit(HIT_RAW_TP);
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int sec_raw_tracepoint(struct bpf_raw_tracepoint_args *ctx)
{
	hit(HIT_RAW_TRACEPOINT);
	return 0;
}

/* cgroup_skb: 1 lets the packet through, 0 drops it. */
SEC("cgroup_skb/ingress")
int sec_cgroup_skb_ingress(struct __sk_buff *skb)
{
	hit(HIT_CGROUP_SKB_IN);
	return 1;
}

SEC("cgroup_skb/egress")
int sec_cgroup_skb_egress(struct __sk_buff *skb)
{
	hit(HIT_CGROUP_SKB_OUT);
	return 1;
}

SEC("cgroup/sock_create")
int sec_cgroup_sock_create(struct bpf_sock *sk)
{
	hit(HIT_CGROUP_SOCK);
	return 1; /* allow the socket */
}

SEC("perf_event")
int sec_perf_event(struct bpf_perf_event_data *ctx)
{
	hit(HIT_PERF_EVENT);
	return 0;
}

SEC("sk_msg")
int sec_sk_msg(struct sk_msg_md *msg)
{
	hit(HIT_SK_MSG);
	return CORPUS_SK_PASS;
}

SEC("sockops")
int sec_sockops(struct bpf_sock_ops *skops)
{
	hit(HIT_SOCKOPS);
	return 1;
}

/* "?" prefix: libbpf opens it with autoload off; the name is just "tc". */
SEC("?tc")
int sec_tc_optional(struct __sk_buff *skb)
{
	hit(HIT_TC_OPTIONAL);
	return TC_ACT_OK;
}

/* Bare "kprobe": typed, but no attach target, so no auto-attach. */
SEC("kprobe")
int sec_kprobe_manual(void *regs)
{
	hit(HIT_KPROBE_MANUAL);
	return 0;
}

/* Not in any loader's table: stays BPF_PROG_TYPE_UNSPEC in libbpf. */
SEC("frobnicate")
int sec_unknown(void *ctx)
{
	hit(HIT_UNKNOWN);
	return 0;
}

char _license[] SEC("license") = "GPL";
